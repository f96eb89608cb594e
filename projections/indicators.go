package projections

import (
	"cmp"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/ehelse/portfolio/domain"
)

// The indicator read model: every goal indicator with its values over
// time, baseline, target, latest value and progress (BucketIndicators,
// indexed by goal in IdxIndicatorGoal).
const (
	// BucketIndicators: indicatorId → IndicatorView.
	BucketIndicators = "indicators"
	// IdxIndicatorGoal: "goalId\x00indicatorId".
	IdxIndicatorGoal = "idx_indicator_goal"
)

func applyIndicator(tx *bolt.Tx, id string, r domain.Recorded) (bool, error) {
	var v IndicatorView
	found, err := getJSON(tx, BucketIndicators, []byte(id), &v)
	if err != nil {
		return false, err
	}
	at := r.Time.UTC()
	switch e := r.Event.(type) {
	case domain.IndicatorDefined:
		v = IndicatorView{IndicatorID: id, GoalID: e.GoalID, SubGoalID: e.SubGoalID, Name: e.Name, Unit: e.Unit,
			Direction: e.Direction, Baseline: e.Baseline, Target: e.Target, Source: e.Source, Values: []IndicatorValue{},
			DefinedAt: at}
		if err := putIndex(tx, IdxIndicatorGoal, key(e.GoalID, id)); err != nil {
			return false, err
		}
	case domain.IndicatorValueRecorded:
		if !found {
			return false, nil
		}
		v.Values = append(v.Values, IndicatorValue{Period: e.Period, PeriodEnd: e.PeriodEnd, Value: e.Value,
			Source: e.Source, Comment: e.Comment, RecordedAt: at})
	case domain.IndicatorValueCorrected:
		if !found {
			return false, nil
		}
		i := slices.IndexFunc(v.Values, func(x IndicatorValue) bool { return x.Period == e.Period })
		if i < 0 {
			return false, nil
		}
		x := &v.Values[i]
		x.Corrections = append(x.Corrections, IndicatorCorrection{PreviousValue: e.PreviousValue, Value: e.Value,
			Reason: e.Reason, CorrectedAt: at, EventID: r.ID})
		x.Value, x.Source, x.Comment, x.RecordedAt = e.Value, e.Source, e.Comment, at
	default:
		return false, nil
	}
	slices.SortStableFunc(v.Values, func(a, b IndicatorValue) int {
		return cmp.Or(cmp.Compare(a.PeriodEnd, b.PeriodEnd), strings.Compare(a.Period, b.Period))
	})
	v.Latest, v.Progress = nil, nil
	if n := len(v.Values); n > 0 {
		last := v.Values[n-1]
		v.Latest = &last
		if p, ok := domain.Progress(v.Baseline.Value, v.Target.Value, last.Value); ok {
			v.Progress = &p
		}
	}
	v.Version = r.Version
	return true, putJSON(tx, BucketIndicators, []byte(id), v)
}

// Indicators returns the indicators of a goal ("": all), by goal, then
// sub-goal, then name.
func (m *ReadModels) Indicators(goal string) ([]IndicatorView, error) {
	out := []IndicatorView{}
	err := m.view(func(tx *bolt.Tx) error {
		read := func(id string) error {
			var v IndicatorView
			ok, err := getJSON(tx, BucketIndicators, []byte(id), &v)
			if ok {
				out = append(out, v)
			}
			return err
		}
		if goal != "" {
			return scanPrefix(tx, IdxIndicatorGoal, key(goal, ""), func(k, _ []byte) error { return read(lastPart(k)) })
		}
		return scanPrefix(tx, BucketIndicators, nil, func(k, _ []byte) error { return read(string(k)) })
	})
	slices.SortStableFunc(out, func(a, b IndicatorView) int {
		return cmp.Or(strings.Compare(a.GoalID, b.GoalID), strings.Compare(a.SubGoalID, b.SubGoalID),
			strings.Compare(a.Name, b.Name), strings.Compare(a.IndicatorID, b.IndicatorID))
	})
	return out, err
}

// Indicator returns one indicator, or a KindNotFound error.
func (m *ReadModels) Indicator(id string) (IndicatorView, error) {
	var v IndicatorView
	err := m.view(func(tx *bolt.Tx) error {
		return getOne(tx, BucketIndicators, "indicator", id, &v)
	})
	return v, err
}
