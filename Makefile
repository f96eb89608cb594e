# The two commands a newcomer needs: `make run` and `make test`.
GO            ?= go
BIN           := $(CURDIR)/bin
STATICCHECK   := $(BIN)/staticcheck
STATICCHECK_VERSION := v0.8.2
PKGS          := ./...
TEST_TIMEOUT  ?= 30m
FUZZTIME      ?= 60s

CHROMIUM      ?= /usr/bin/chromium

.PHONY: run test fmt-check vet staticcheck chromium unit build bench fuzz screenshots clean

## run: start portfoliod with its embedded defaults (data in ./data, HTTP on 127.0.0.1:8080, demo data on first start)
run:
	$(GO) run ./cmd/portfoliod

## test: gofmt check, go vet, staticcheck and the race-enabled test suite (incl. crash, restart, cluster and browser tests)
test: fmt-check vet staticcheck unit

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './bin/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

$(STATICCHECK):
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

staticcheck: $(STATICCHECK)
	$(STATICCHECK) $(PKGS)

# The browser tests drive Debian's Chromium; install it when it is missing.
chromium:
	@command -v $(CHROMIUM) >/dev/null 2>&1 || { \
		echo "installing chromium (Debian package) for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; }

unit: chromium
	$(GO) test -race -timeout $(TEST_TIMEOUT) $(PKGS)

build:
	mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./cmd/...

## bench: measure the building blocks' ceilings and the product's figures P1-P8 (BENCH_SCALE raises sizes)
bench:
	$(GO) run ./scripts/bench

## fuzz: run every fuzz target for $(FUZZTIME)
fuzz:
	@set -e; for spec in $$($(GO) run ./scripts/fuzzlist); do \
		pkg=$${spec%%:*}; name=$${spec##*:}; \
		echo "== $$pkg $$name"; $(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

## screenshots: docs/screenshots/*.png of the demo site, taken with the browser tests' Chromium
screenshots: chromium
	$(GO) run ./scripts/screenshots -out docs/screenshots

clean:
	rm -rf $(BIN)
