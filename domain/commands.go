package domain

// Command is an instruction from a user. Its JSON form is the body of
// POST /v1/commands/{CommandName}.
type Command interface {
	// CommandName is the name in the URL, e.g. "ProposeInitiative".
	CommandName() string
	// Validate checks the command on its own, whatever the state, and
	// returns a KindInvalid *Error listing the bad fields, or nil.
	Validate() error
}

// Creator is a command that creates an aggregate and may be given its id by
// the server. AssignID sets the id when the client gave none.
type Creator interface {
	Command
	AssignID(id string)
}
