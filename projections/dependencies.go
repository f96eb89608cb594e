package projections

import (
	"cmp"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/ehelse/portfolio/domain"
)

// BucketDependencies: dependencyId → DependencyView.
const BucketDependencies = "dependencies"

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

// Dependencies returns the dependencies that are not removed, by neededBy
// then id.
func (m *ReadModels) Dependencies(f DependencyFilter) ([]DependencyView, error) {
	out := []DependencyView{}
	err := m.view(func(tx *bolt.Tx) error {
		return scanJSON(tx, BucketDependencies, nil, func(k []byte, v DependencyView) error {
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
		return cmp.Or(cmp.Compare(a.NeededBy, b.NeededBy), strings.Compare(a.DependencyID, b.DependencyID))
	})
	return out, err
}
