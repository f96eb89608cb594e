package projections

import (
	"encoding/json"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ehelse/portfolio/domain"
)

// BucketDependencies: dependencyId → DependencyView.
const BucketDependencies = "dependencies"

// States of a dependency.
const (
	DependencyOK      = "ok"
	DependencyAtRisk  = "atRisk"
	DependencyRemoved = "removed"
)

// DependencyView is one dependency between initiatives with its state
// (GET /v1/dependencies).
type DependencyView struct {
	DependencyID    string      `json:"dependencyId"`
	InitiativeID    string      `json:"initiativeId"`
	InitiativeTitle string      `json:"initiativeTitle"`
	DependsOn       string      `json:"dependsOn"`
	DependsOnTitle  string      `json:"dependsOnTitle"`
	MilestoneID     string      `json:"milestoneId,omitempty"`
	NeededBy        domain.Date `json:"neededBy"`
	Description     string      `json:"description"`
	// State is ok, atRisk or removed.
	State string `json:"state"`
	// Risk says why it is at risk (nil when it is not).
	Risk          *DependencyRisk `json:"risk,omitempty"`
	RemovedReason string          `json:"removedReason,omitempty"`
	DeclaredAt    time.Time       `json:"declaredAt"`
	Version       uint64          `json:"version"`
}

// DependencyRisk is why a dependency is at risk, as the policy recorded it.
type DependencyRisk struct {
	Reason       string    `json:"reason"`
	CauseEventID string    `json:"causeEventId"`
	CauseType    string    `json:"causeType"`
	Since        time.Time `json:"since"`
	EventID      string    `json:"eventId"`
}

func (a *applier) applyDependency(id string, r domain.Recorded) (bool, error) {
	tx := a.tx
	var v DependencyView
	found, err := getJSON(tx, BucketDependencies, []byte(id), &v)
	if err != nil {
		return false, err
	}
	if _, declared := r.Event.(domain.DependencyDeclared); !found && !declared {
		return false, nil
	}
	switch e := r.Event.(type) {
	case domain.DependencyDeclared:
		v = DependencyView{DependencyID: id, InitiativeID: e.InitiativeID, DependsOn: e.DependsOn,
			MilestoneID: e.MilestoneID, NeededBy: e.NeededBy, Description: e.Description, State: DependencyOK,
			DeclaredAt: r.Time.UTC()}
		if p, err := a.pending(e.InitiativeID); err != nil {
			return false, err
		} else if p.exists {
			v.InitiativeTitle = p.d.Title
		}
		if p, err := a.pending(e.DependsOn); err != nil {
			return false, err
		} else if p.exists {
			v.DependsOnTitle = p.d.Title
		}
	case domain.DependencyRemoved:
		v.State, v.RemovedReason, v.Risk = DependencyRemoved, e.Reason, nil
	case domain.DependencyAtRisk:
		if v.State != DependencyRemoved {
			v.State = DependencyAtRisk
		}
		v.Risk = &DependencyRisk{Reason: e.Reason, CauseEventID: e.CauseEventID, CauseType: e.CauseType,
			Since: r.Time.UTC(), EventID: r.ID}
	case domain.DependencyRiskCleared:
		if v.State != DependencyRemoved {
			v.State = DependencyOK
		}
		v.Risk = nil
	default:
		return false, nil
	}
	v.Version = r.Version
	return true, putJSON(tx, BucketDependencies, []byte(id), v)
}

// DependencyFilter selects dependencies: InitiativeID on either side
// ("": all), AtRisk (nil: both).
type DependencyFilter struct {
	InitiativeID string
	AtRisk       *bool
}

// Dependencies returns the dependencies that are not removed, by neededBy
// then id.
func (m *ReadModels) Dependencies(f DependencyFilter) ([]DependencyView, error) {
	out := []DependencyView{}
	err := m.view(func(tx *bolt.Tx) error {
		return scanPrefix(tx, BucketDependencies, nil, func(k, val []byte) error {
			var v DependencyView
			if err := json.Unmarshal(val, &v); err != nil {
				return corrupt(BucketDependencies, k, err)
			}
			if v.State == DependencyRemoved {
				return nil
			}
			if f.InitiativeID != "" && v.InitiativeID != f.InitiativeID && v.DependsOn != f.InitiativeID {
				return nil
			}
			if f.AtRisk != nil && *f.AtRisk != (v.State == DependencyAtRisk) {
				return nil
			}
			out = append(out, v)
			return nil
		})
	})
	slices.SortStableFunc(out, func(a, b DependencyView) int {
		if c := compareStrings(string(a.NeededBy), string(b.NeededBy)); c != 0 {
			return c
		}
		return compareStrings(a.DependencyID, b.DependencyID)
	})
	return out, err
}
