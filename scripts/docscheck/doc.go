// Package docscheck keeps the event feed's documentation honest. It has no
// code of its own, only a test: docs_test.go parses docs/asyncapi.yaml and
// docs/EVENTS.md and checks them against package domain, so that adding an
// event type, or a field to one, without documenting it fails the build.
//
// What the test checks:
//
//   - docs/asyncapi.yaml is an AsyncAPI 3.0.0 document whose every $ref
//     resolves, with a NATS server that uses userPassword security;
//   - every event type of domain.EventTypes has a channel at
//     portfolio.events.<aggregateType>.{aggregateId}.<EventType> (the
//     aggregate type from domain.AggregateOf), a receive operation, a
//     message and a data schema, and nothing is documented that domain does
//     not know;
//   - each message example is a valid envelope (eventlog.DecodeRecord on
//     the channel's subject), validates against the message's JSON Schema,
//     and its data is the event's golden file
//     (domain/testdata/events/<EventType>.json), decodes with
//     domain.DecodeEvent and encodes back to the same JSON;
//   - docs/EVENTS.md has a section per event type with its subject;
//   - the worked example of "Adding a command" in docs/CONTRIBUTING.md
//     names files that exist and hold what it quotes, and production code
//     and data stay at six files or fewer.
//
// The event data schemas in asyncapi.yaml and each event's field table and
// example in EVENTS.md are generated from the domain's Go types by
// scripts/specgen (go generate ./domain); its test checks they are up to
// date.
//
// Run it with
//
//	go test ./scripts/docscheck/
package docscheck
