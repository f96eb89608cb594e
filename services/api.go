package services

import (
	"context"

	"github.com/ehelse/portfolio/domain"
)

// Role is what a token may do.
type Role string

// Roles of the token file, plus Anonymous for requests without a token.
const (
	RoleSecretariat Role = "secretariat"
	RoleOwner       Role = "owner"
	RoleAuditor     Role = "auditor"
	RoleSubscriber  Role = "subscriber" // NATS users only; no HTTP access beyond anonymous
	RoleAnonymous   Role = "anonymous"
)

// Principal is the authenticated caller.
type Principal struct {
	Name string // token entry name; "anonymous" when there is no token
	Role Role
	Org  string // for owners: the organisation they write for
}

// Anonymous is the principal of a request without a token.
var Anonymous = Principal{Name: "anonymous", Role: RoleAnonymous}

// ExecOptions are per-call knobs of Execute.
type ExecOptions struct {
	// CommandID is the command's id (causation id). Event ids in the log
	// derive from it, so executing the same CommandID twice writes once.
	// Empty: a fresh ULID.
	CommandID     string
	CorrelationID string
	// Retry marks a command id that may have been executed before (an
	// idempotent retry after a lost answer). Before deciding, Execute then
	// looks for the command's events in the log and, if they are there,
	// answers with them instead of deciding again.
	Retry bool
	// IfMatch, when set, refuses the command with KindConflict unless the
	// target aggregate is at this version. No retries then.
	IfMatch *uint64
}

// EventRef names one written event in a CommandResult.
type EventRef struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Position uint64 `json:"position"`
}

// CommandResult is the answer to an accepted command (the 201 body).
type CommandResult struct {
	AggregateType string     `json:"aggregateType"`
	AggregateID   string     `json:"aggregateId"`
	Version       uint64     `json:"version"`
	Position      uint64     `json:"position"`
	Events        []EventRef `json:"events"`
}

// Executor runs commands: authorize, load, decide, append. Implemented by
// *CommandService.
type Executor interface {
	Execute(ctx context.Context, p Principal, cmd domain.Command, opts ExecOptions) (CommandResult, error)
}
