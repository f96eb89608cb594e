package domain

import (
	"fmt"
	"time"
)

// Dependency is the aggregate type of a dependency between initiatives.
const Dependency AggregateType = "dependency"

// PolicyActor is the actor of the events the product records itself, as
// a policy reacting to other events (DependencyAtRisk,
// DependencyRiskCleared).
const PolicyActor = "policy"

// DependencyState is one dependency (avhengighet): initiative
// InitiativeID needs initiative DependsOn, or one of its milestones, by
// NeededBy.
type DependencyState struct {
	ID           string `json:"id"`
	Version      uint64 `json:"version"`
	InitiativeID string `json:"initiativeId"`
	DependsOn    string `json:"dependsOn"`
	MilestoneID  string `json:"milestoneId,omitempty"`
	NeededBy     Date   `json:"neededBy"`
	Description  string `json:"description"`
	Removed      bool   `json:"removed"`
	// AtRisk is what the log last recorded: DependencyAtRisk (true) or
	// DependencyRiskCleared (false).
	AtRisk bool `json:"atRisk"`
	// Risk says why, while AtRisk.
	Risk      string    `json:"risk,omitempty"`
	CreatedAt time.Time `json:"createdAt,omitzero"`
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
}

// StateRef implements State.
func (s *DependencyState) StateRef() Ref { return Ref{Dependency, s.ID} }

// StateVersion implements State.
func (s *DependencyState) StateVersion() uint64 { return s.Version }

// ---- commands ----

// DeclareDependency declares that an initiative needs another initiative,
// or one of its milestones, by a date.
type DeclareDependency struct {
	// ULID or UUID; assigned by the server when absent.
	DependencyID string `json:"dependencyId,omitempty"`
	// The initiative that depends on the other.
	InitiativeID string `json:"initiativeId"`
	// The initiative it depends on.
	DependsOn string `json:"dependsOn"`
	// A milestone of dependsOn that is needed; absent: the initiative as
	// a whole.
	MilestoneID string `json:"milestoneId,omitempty"`
	// The date by which it is needed.
	NeededBy    Date   `json:"neededBy"`
	Description string `json:"description"`
}

func (DeclareDependency) CommandName() string { return "DeclareDependency" }

func (c *DeclareDependency) AssignID(id string) { c.DependencyID = id }

// Validate checks the ids, neededBy and description, and that an
// initiative does not depend on itself.
func (c DeclareDependency) Validate() error {
	var v Validation
	v.id("dependencyId", c.DependencyID, false)
	v.id("initiativeId", c.InitiativeID, true)
	v.id("dependsOn", c.DependsOn, true)
	v.id("milestoneId", c.MilestoneID, false)
	v.date("neededBy", c.NeededBy, true)
	v.text("description", c.Description, true, MaxTextLen, true)
	if c.InitiativeID != "" && c.InitiativeID == c.DependsOn {
		v.Add("dependsOn", "must be another initiative than initiativeId")
	}
	return v.Err()
}

// RemoveDependency removes a dependency that no longer holds.
type RemoveDependency struct {
	DependencyID string `json:"dependencyId"`
	Reason       string `json:"reason"`
}

func (RemoveDependency) CommandName() string { return "RemoveDependency" }

// Validate checks dependencyId and reason.
func (c RemoveDependency) Validate() error {
	var v Validation
	v.id("dependencyId", c.DependencyID, true)
	v.text("reason", c.Reason, true, MaxTextLen, true)
	return v.Err()
}

// ---- events ----

// DependencyDeclared: an initiative needs another initiative, or one of
// its milestones, by a date.
type DependencyDeclared struct {
	// The dependency's id (ULID or UUID).
	DependencyID string `json:"dependencyId"`
	// The initiative that depends on the other.
	InitiativeID string `json:"initiativeId"`
	// The initiative it depends on.
	DependsOn string `json:"dependsOn"`
	// The milestone of dependsOn that is needed; absent: the initiative as
	// a whole.
	MilestoneID string `json:"milestoneId,omitempty"`
	// The date by which it is needed.
	NeededBy Date `json:"neededBy"`
	// What is needed, and why.
	Description string `json:"description"`
}

func (DependencyDeclared) EventType() string { return "DependencyDeclared" }

// DependencyRemoved: the dependency no longer holds.
type DependencyRemoved struct {
	// The dependency's id.
	DependencyID string `json:"dependencyId"`
	// The initiative that depended on the other.
	InitiativeID string `json:"initiativeId"`
	// Why it was removed.
	Reason string `json:"reason"`
}

func (DependencyRemoved) EventType() string { return "DependencyRemoved" }

// DependencyAtRisk: the product found the dependency at risk (actor
// `policy`; the causation id is the id of the event that caused it).
type DependencyAtRisk struct {
	// The dependency's id.
	DependencyID string `json:"dependencyId"`
	// The initiative that depends on the other.
	InitiativeID string `json:"initiativeId"`
	// The initiative it depends on.
	DependsOn string `json:"dependsOn"`
	// The milestone of dependsOn that is needed; absent: the initiative as
	// a whole.
	MilestoneID string `json:"milestoneId,omitempty"`
	// The date by which it is needed.
	NeededBy Date `json:"neededBy"`
	// Why it is at risk, e.g. "milestone … is planned for 2027-03-01, after 2026-12-31".
	Reason string `json:"reason"`
	// The id of the event that caused it.
	CauseEventID string `json:"causeEventId"`
	// The type of the event that caused it, e.g. `MilestoneSlipped`.
	CauseType string `json:"causeType"`
}

func (DependencyAtRisk) EventType() string { return "DependencyAtRisk" }

// DependencyRiskCleared: the cause of the risk went away (actor `policy`;
// the causation id is the id of the event that cleared it).
type DependencyRiskCleared struct {
	// The dependency's id.
	DependencyID string `json:"dependencyId"`
	// The initiative that depends on the other.
	InitiativeID string `json:"initiativeId"`
	// The initiative it depends on.
	DependsOn string `json:"dependsOn"`
	// The id of the event that cleared it.
	CauseEventID string `json:"causeEventId"`
	// The type of the event that cleared it, e.g. `MilestoneAchieved`.
	CauseType string `json:"causeType"`
}

func (DependencyRiskCleared) EventType() string { return "DependencyRiskCleared" }

// ---- registry ----

var dependencyAggregate = &aggregateDef[DependencyState, *DependencyState]{
	typ:     Dependency,
	empty:   func(id string) *DependencyState { return &DependencyState{ID: id} },
	created: true,
	stamp:   func(n *DependencyState, r Recorded) { n.Version, n.UpdatedAt = r.Version, r.Time },
}

var dependencyCommands = []commandEntry{
	command(Dependency, SecretariatOrOwner, func(c DeclareDependency) Ref { return Ref{Dependency, c.DependencyID} },
		(*decider).declareDependency).
		needing(func(c DeclareDependency, _ map[Ref]State) []Ref {
			return []Ref{initiativeTarget(c.InitiativeID), initiativeTarget(c.DependsOn)}
		}),
	command(Dependency, SecretariatOrOwner, func(c RemoveDependency) Ref { return Ref{Dependency, c.DependencyID} },
		(*decider).removeDependency).
		needing(func(c RemoveDependency, have map[Ref]State) []Ref {
			if dep, ok := have[Ref{Dependency, c.DependencyID}].(*DependencyState); ok && dep != nil && dep.InitiativeID != "" {
				return []Ref{initiativeTarget(dep.InitiativeID)}
			}
			return nil
		}),
}

var dependencyEvents = []eventEntry{
	event(dependencyAggregate, func(e DependencyDeclared) string { return e.DependencyID },
		func(n *DependencyState, e DependencyDeclared, r Recorded) error {
			n.InitiativeID, n.DependsOn, n.MilestoneID = e.InitiativeID, e.DependsOn, e.MilestoneID
			n.NeededBy, n.Description, n.CreatedAt = e.NeededBy, e.Description, r.Time
			return nil
		}).creating(),
	event(dependencyAggregate, func(e DependencyRemoved) string { return e.DependencyID },
		func(n *DependencyState, _ DependencyRemoved, _ Recorded) error {
			n.Removed = true
			return nil
		}),
	event(dependencyAggregate, func(e DependencyAtRisk) string { return e.DependencyID },
		func(n *DependencyState, e DependencyAtRisk, _ Recorded) error {
			n.AtRisk, n.Risk = true, e.Reason
			return nil
		}),
	event(dependencyAggregate, func(e DependencyRiskCleared) string { return e.DependencyID },
		func(n *DependencyState, _ DependencyRiskCleared, _ Recorded) error {
			n.AtRisk, n.Risk = false, ""
			return nil
		}),
}

// ---- decisions ----

// declareDependency: a new dependency of an initiative that is proposed
// or in the portfolio, on another initiative that exists, and on one of
// its milestones when one is named.
func (d *decider) declareDependency(c DeclareDependency) ([]Change, error) {
	dep, err := fresh[*DependencyState](d, Ref{Dependency, c.DependencyID}, "dependency")
	if err != nil {
		return nil, err
	}
	ini, err := d.initiative(c.InitiativeID)
	if err != nil {
		return nil, err
	}
	if err := ini.in("only an initiative that is proposed or in the portfolio declares dependencies", "bare et tiltak som er meldt inn eller i porteføljen, kan ha avhengigheter",
		LifecycleProposed, LifecycleInPortfolio, LifecyclePaused); err != nil {
		return nil, err
	}
	on, err := d.initiative(c.DependsOn)
	if err != nil {
		return nil, err
	}
	if c.MilestoneID != "" {
		if _, ok := on.Milestone(c.MilestoneID); !ok {
			return nil, Refuse("initiative %s has no milestone %s", on.ID, c.MilestoneID).
				WithNorsk("Tiltaket %s har ikke milepælen %s.", on.ID, c.MilestoneID)
		}
	}
	return []Change{{dep.StateRef(), DependencyDeclared(c)}}, nil
}

// removeDependency: a dependency that is not removed yet.
func (d *decider) removeDependency(c RemoveDependency) ([]Change, error) {
	dep, err := existing[*DependencyState](d, Ref{Dependency, c.DependencyID}, "dependency")
	if err != nil {
		return nil, err
	}
	if dep.Removed {
		return nil, Refuse("dependency %s was already removed", dep.ID).
			WithNorsk("Avhengigheten %s er allerede fjernet.", dep.ID)
	}
	return []Change{{dep.StateRef(), DependencyRemoved{DependencyID: dep.ID, InitiativeID: dep.InitiativeID, Reason: c.Reason}}}, nil
}

// ActingInitiative names the initiative whose owner may give cmd when cmd
// addresses another aggregate on that initiative's behalf (a dependency):
// DeclareDependency and RemoveDependency act for the depending initiative.
// states are the states Needs listed. False for every other command.
func ActingInitiative(cmd Command, states map[Ref]State) (string, bool) {
	switch c := cmd.(type) {
	case *DeclareDependency:
		return c.InitiativeID, true
	case DeclareDependency:
		return c.InitiativeID, true
	case *RemoveDependency:
		return dependencyInitiative(c.DependencyID, states), true
	case RemoveDependency:
		return dependencyInitiative(c.DependencyID, states), true
	}
	return "", false
}

func dependencyInitiative(id string, states map[Ref]State) string {
	if dep, ok := states[Ref{Dependency, id}].(*DependencyState); ok && dep != nil {
		return dep.InitiativeID
	}
	return ""
}

// DependencyRisk says whether dep is at risk, given the initiative it
// depends on, and why: the initiative is paused, cancelled, rejected or
// withdrawn, or the milestone needed is not achieved and planned (or
// slipped) after the date it is needed by. An achieved milestone, or a
// closed initiative, is delivered, whatever happens to the initiative
// after.
func DependencyRisk(dep *DependencyState, on *InitiativeState) (bool, string) {
	if dep == nil || on == nil || on.Version == 0 {
		return false, ""
	}
	if m, ok := on.Milestone(dep.MilestoneID); ok && m.Status == MilestoneAchievedStatus {
		return false, "" // delivered: what happens to the initiative later does not matter
	}
	switch on.Lifecycle {
	case LifecyclePaused, LifecycleCancelled, LifecycleRejected, LifecycleWithdrawn:
		return true, fmt.Sprintf("initiative %q is %s", on.Title, lifecycleText(on.Lifecycle))
	case LifecycleClosed:
		return false, ""
	}
	if dep.MilestoneID == "" {
		return false, ""
	}
	m, ok := on.Milestone(dep.MilestoneID)
	if !ok || m.Status == MilestoneAchievedStatus {
		return false, ""
	}
	if m.PlannedDate > dep.NeededBy {
		return true, fmt.Sprintf("milestone %q of %q is planned for %s, after %s when it is needed",
			m.Title, on.Title, m.PlannedDate, dep.NeededBy)
	}
	return false, ""
}

// AssessDependency is the dependency policy's decision after the event
// causeID (of type causeType) changed dep or the initiative it depends
// on: DependencyAtRisk when dep becomes at risk, DependencyRiskCleared when
// its risk goes away, nil when nothing changes (also for a removed
// dependency). It is pure: the same states give the same event.
func AssessDependency(dep *DependencyState, on *InitiativeState, causeID, causeType string) Event {
	if dep == nil || dep.Version == 0 || dep.Removed {
		return nil
	}
	risk, why := DependencyRisk(dep, on)
	switch {
	case risk && !dep.AtRisk:
		return DependencyAtRisk{DependencyID: dep.ID, InitiativeID: dep.InitiativeID, DependsOn: dep.DependsOn,
			MilestoneID: dep.MilestoneID, NeededBy: dep.NeededBy, Reason: why, CauseEventID: causeID, CauseType: causeType}
	case !risk && dep.AtRisk:
		return DependencyRiskCleared{DependencyID: dep.ID, InitiativeID: dep.InitiativeID, DependsOn: dep.DependsOn,
			CauseEventID: causeID, CauseType: causeType}
	}
	return nil
}
