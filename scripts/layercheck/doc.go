// Package layercheck keeps the layers of the code visible. It has no code
// of its own, only a test: layers_test.go asks `go list -deps` what each
// layer's production code imports (tests excluded) and fails when
//
//   - domain imports anything outside the standard library;
//   - services (the use cases) imports NATS (github.com/nats-io/nats.go):
//     the adapters to NATS live in eventstore and its subpackages, behind
//     interfaces that services owns;
//   - services/httpapi or internal/ctl (portfolioctl) imports eventstore,
//     projections or NATS: they speak the wire types (services/wire) and
//     the use cases' types, nothing else.
package layercheck
