package domain

// Validate stubs: replaced by validate.go.
func (c DefineStrategicGoal) Validate() error { return nil }
func (c DefineSubGoal) Validate() error       { return nil }
func (c ProposeInitiative) Validate() error   { return nil }
func (c WithdrawInitiative) Validate() error  { return nil }
func (c ReportStatus) Validate() error        { return nil }
func (c ReportMilestone) Validate() error     { return nil }
func (c PauseInitiative) Validate() error     { return nil }
func (c ResumeInitiative) Validate() error    { return nil }
func (c CloseInitiative) Validate() error     { return nil }
func (c CancelInitiative) Validate() error    { return nil }
func (c ScheduleMeeting) Validate() error     { return nil }
func (c HoldMeeting) Validate() error         { return nil }
func (c RegisterCase) Validate() error        { return nil }
func (c PlaceCaseOnAgenda) Validate() error   { return nil }
func (c NoteCase) Validate() error            { return nil }
func (c DiscussCase) Validate() error         { return nil }
func (c RecommendInCouncil) Validate() error  { return nil }
func (c ApproveInCouncil) Validate() error    { return nil }
func (c RejectInCouncil) Validate() error     { return nil }
func (c DeferCase) Validate() error           { return nil }
func (c CorrectDecision) Validate() error     { return nil }
