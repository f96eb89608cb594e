// Package wire is the HTTP API's contract in Go: the JSON answers of the
// queries (the read models' views, the list envelopes, the event history
// and audit pages) and the query parameters the read models take. The
// read models (package projections) build these values, the HTTP API
// (package services/httpapi) encodes them, and portfolioctl
// (internal/ctl) decodes them, so the three cannot drift apart. The
// answers of commands, verification and rebuilds are the use cases' own
// types (services.CommandResult, services.VerifyResult,
// services.RebuildStatus).
//
// Every list answer is an object with one array member named after what
// it lists ({"initiatives": [...]}, {"meetings": [...]},
// {"decisions": [...]}, {"events": [...]}); arrays are never null.
//
// The package holds types only; it imports nothing but package domain
// and the standard library.
package wire
