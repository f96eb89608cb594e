package domain

import (
	"math"
	"slices"
	"strconv"
	"time"
)

// Indicator is the aggregate type of a goal indicator (målindikator).
const Indicator AggregateType = "indicator"

// Direction says which way an indicator is better.
type Direction string

// Directions of an indicator.
const (
	Increase Direction = "increase"
	Decrease Direction = "decrease"
)

// Valid reports whether d is increase or decrease.
func (d Direction) Valid() bool { return d == Increase || d == Decrease }

// Measure is a value at a date: an indicator's baseline or target.
type Measure struct {
	// The value, in the indicator's unit.
	Value float64 `json:"value"`
	// The date the value holds for.
	Date Date `json:"date"`
}

// IndicatorState is one indicator (målindikator) of a goal, with its
// values by period.
type IndicatorState struct {
	ID        string    `json:"id"`
	Version   uint64    `json:"version"`
	GoalID    string    `json:"goalId"`
	SubGoalID string    `json:"subGoalId,omitempty"`
	Name      string    `json:"name"`
	Unit      string    `json:"unit"`
	Direction Direction `json:"direction"`
	Baseline  Measure   `json:"baseline"`
	Target    Measure   `json:"target"`
	Source    string    `json:"source,omitempty"`
	// Values holds the value in force for each period recorded.
	Values    map[string]float64 `json:"values"`
	CreatedAt time.Time          `json:"createdAt,omitzero"`
	UpdatedAt time.Time          `json:"updatedAt,omitzero"`
}

// StateRef implements State.
func (s *IndicatorState) StateRef() Ref { return Ref{Indicator, s.ID} }

// StateVersion implements State.
func (s *IndicatorState) StateVersion() uint64 { return s.Version }

// PeriodEnd is the last day of an indicator period: "2026" (a year),
// "2026-H1" or "2026-H2" (a half-year), "2026-Q1" to "2026-Q4" (a
// quarter) or a date "2026-05-31" (the date itself). False when p is none
// of these.
func PeriodEnd(p string) (Date, bool) {
	if d := Date(p); len(p) == 10 && d.Valid() {
		return d, d.Year() >= MinYear && d.Year() <= MaxYear
	}
	if len(p) < 4 {
		return "", false
	}
	y, err := strconv.Atoi(p[:4])
	if err != nil || p[0] < '0' || p[0] > '9' || y < MinYear || y > MaxYear {
		return "", false
	}
	month := 0
	switch p[4:] {
	case "":
		month = 12
	case "-H1":
		month = 6
	case "-H2":
		month = 12
	case "-Q1":
		month = 3
	case "-Q2":
		month = 6
	case "-Q3":
		month = 9
	case "-Q4":
		month = 12
	default:
		return "", false
	}
	last := time.Date(y, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC)
	return DateOf(last), true
}

// Progress is how far value has come from the baseline to the target: 0
// at the baseline, 1 at the target, below 0 or above 1 beyond them. False
// when baseline and target are equal.
func Progress(baseline, target, value float64) (float64, bool) {
	if baseline == target {
		return 0, false
	}
	return (value - baseline) / (target - baseline), true
}

// ---- commands ----

// DefineIndicator defines a goal indicator (målindikator): what is
// measured, which way is better, the baseline and the target.
type DefineIndicator struct {
	// ULID or UUID; assigned by the server when absent.
	IndicatorID string `json:"indicatorId,omitempty"`
	// The strategic goal the indicator measures, e.g. M1.
	GoalID string `json:"goalId"`
	// A sub-goal of that goal, e.g. 1A.
	SubGoalID string `json:"subGoalId,omitempty"`
	Name      string `json:"name"`
	// The unit of the values: percent, count, days, …
	Unit string `json:"unit"`
	// increase or decrease: which way is better.
	Direction Direction `json:"direction"`
	Baseline  Measure   `json:"baseline"`
	Target    Measure   `json:"target"`
	// Where the values come from, e.g. "Helsedirektoratet, KPR".
	Source string `json:"source,omitempty"`
}

func (DefineIndicator) CommandName() string { return "DefineIndicator" }

func (c *DefineIndicator) AssignID(id string) { c.IndicatorID = id }

// Validate checks the ids, name, unit, direction, baseline and target
// (finite values, valid dates, the target after the baseline) and source.
func (c DefineIndicator) Validate() error {
	var v Validation
	v.id("indicatorId", c.IndicatorID, false)
	v.code("goalId", c.GoalID)
	if c.SubGoalID != "" {
		v.code("subGoalId", c.SubGoalID)
	}
	v.text("name", c.Name, true, MaxTitleLen, false)
	v.text("unit", c.Unit, true, MaxUserGroupLen, false)
	switch {
	case c.Direction == "":
		v.Add("direction", "is required")
	case !c.Direction.Valid():
		v.Add("direction", "must be increase or decrease")
	}
	v.finite("baseline.value", c.Baseline.Value)
	v.finite("target.value", c.Target.Value)
	b := v.date("baseline.date", c.Baseline.Date, true)
	t := v.date("target.date", c.Target.Date, true)
	if b && t && c.Target.Date <= c.Baseline.Date {
		v.Add("target.date", "must be after baseline.date")
	}
	if c.Baseline.Value == c.Target.Value {
		v.Add("target.value", "must differ from baseline.value")
	}
	v.text("source", c.Source, false, MaxTitleLen, false)
	return v.Err()
}

// Correction marks a value that replaces the one recorded for its period.
type Correction struct {
	// Why the value is corrected.
	Reason string `json:"reason"`
}

// RecordIndicatorValue records an indicator's value for a period; a
// second value for the same period must be a correction with a reason.
type RecordIndicatorValue struct {
	IndicatorID string `json:"indicatorId"`
	// "2026", "2026-H1", "2026-Q3" or a date "2026-05-31".
	Period string  `json:"period"`
	Value  float64 `json:"value"`
	// Where this value comes from, when not the indicator's source.
	Source  string `json:"source,omitempty"`
	Comment string `json:"comment,omitempty"`
	// Given when the value replaces the one recorded for the period.
	Correction *Correction `json:"correction,omitempty"`
}

func (RecordIndicatorValue) CommandName() string { return "RecordIndicatorValue" }

// Validate checks indicatorId, period, value, source, comment and the
// correction's reason.
func (c RecordIndicatorValue) Validate() error {
	var v Validation
	v.id("indicatorId", c.IndicatorID, true)
	if c.Period == "" {
		v.Add("period", "is required")
	} else if _, ok := PeriodEnd(c.Period); !ok {
		v.Add("period", `must be a year "2026", a half-year "2026-H1", a quarter "2026-Q3" or a date "2026-05-31"`)
	}
	v.finite("value", c.Value)
	v.text("source", c.Source, false, MaxTitleLen, false)
	v.text("comment", c.Comment, false, MaxTextLen, true)
	if c.Correction != nil {
		v.text("correction.reason", c.Correction.Reason, true, MaxTextLen, true)
	}
	return v.Err()
}

// finite checks a number is neither NaN nor infinite.
func (v *Validation) finite(field string, f float64) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		v.Add(field, "must be a finite number")
	}
}

// ---- events ----

// IndicatorDefined: a goal indicator (målindikator) was defined.
type IndicatorDefined struct {
	// The indicator's id (ULID or UUID).
	IndicatorID string `json:"indicatorId"`
	// The strategic goal it measures.
	GoalID string `json:"goalId"`
	// The sub-goal it measures, absent when it measures the goal as a whole.
	SubGoalID string `json:"subGoalId,omitempty"`
	// The indicator's name.
	Name string `json:"name"`
	// The unit of its values (percent, count, days, …).
	Unit string `json:"unit"`
	// increase or decrease: which way is better.
	Direction Direction `json:"direction"`
	// The value at the start, and its date.
	Baseline Measure `json:"baseline"`
	// The value aimed for, and by when.
	Target Measure `json:"target"`
	// Where the values come from; absent when not given.
	Source string `json:"source,omitempty"`
}

func (IndicatorDefined) EventType() string { return "IndicatorDefined" }

// IndicatorValueRecorded: an indicator's value for a period was recorded.
type IndicatorValueRecorded struct {
	// The indicator's id.
	IndicatorID string `json:"indicatorId"`
	// The period: "2026", "2026-H1", "2026-Q3" or a date.
	Period string `json:"period"`
	// The period's last day.
	PeriodEnd Date `json:"periodEnd"`
	// The value, in the indicator's unit.
	Value float64 `json:"value"`
	// Where this value comes from; absent when not given.
	Source string `json:"source,omitempty"`
	// A comment; absent when not given.
	Comment string `json:"comment,omitempty"`
}

func (IndicatorValueRecorded) EventType() string { return "IndicatorValueRecorded" }

// IndicatorValueCorrected: the value of a period was replaced; the value
// it replaces stays in the history.
type IndicatorValueCorrected struct {
	// The indicator's id.
	IndicatorID string `json:"indicatorId"`
	// The period whose value is corrected.
	Period string `json:"period"`
	// The period's last day.
	PeriodEnd Date `json:"periodEnd"`
	// The value now in force.
	Value float64 `json:"value"`
	// The value it replaces.
	PreviousValue float64 `json:"previousValue"`
	// Why it was corrected.
	Reason string `json:"reason"`
	// Where the new value comes from; absent when not given.
	Source string `json:"source,omitempty"`
	// A comment; absent when not given.
	Comment string `json:"comment,omitempty"`
}

func (IndicatorValueCorrected) EventType() string { return "IndicatorValueCorrected" }

// ---- registry ----

var indicatorAggregate = &aggregateDef[IndicatorState, *IndicatorState]{
	typ:     Indicator,
	empty:   func(id string) *IndicatorState { return &IndicatorState{ID: id, Values: map[string]float64{}} },
	created: true,
	stamp:   func(n *IndicatorState, r Recorded) { n.Version, n.UpdatedAt = r.Version, r.Time },
}

var indicatorCommands = []commandEntry{
	command(Indicator, Secretariat, func(c DefineIndicator) Ref { return Ref{Indicator, c.IndicatorID} },
		(*decider).defineIndicator).
		needing(func(DefineIndicator, map[Ref]State) []Ref { return []Ref{{Strategy, StrategyCatalogID}} }),
	command(Indicator, Secretariat, func(c RecordIndicatorValue) Ref { return Ref{Indicator, c.IndicatorID} },
		(*decider).recordIndicatorValue),
}

var indicatorEvents = []eventEntry{
	event(indicatorAggregate, func(e IndicatorDefined) string { return e.IndicatorID },
		func(n *IndicatorState, e IndicatorDefined, r Recorded) error {
			n.GoalID, n.SubGoalID, n.Name, n.Unit, n.Direction = e.GoalID, e.SubGoalID, e.Name, e.Unit, e.Direction
			n.Baseline, n.Target, n.Source, n.CreatedAt = e.Baseline, e.Target, e.Source, r.Time
			return nil
		}).creating(),
	event(indicatorAggregate, func(e IndicatorValueRecorded) string { return e.IndicatorID },
		func(n *IndicatorState, e IndicatorValueRecorded, _ Recorded) error {
			n.Values = withValue(n.Values, e.Period, e.Value)
			return nil
		}),
	event(indicatorAggregate, func(e IndicatorValueCorrected) string { return e.IndicatorID },
		func(n *IndicatorState, e IndicatorValueCorrected, _ Recorded) error {
			n.Values = withValue(n.Values, e.Period, e.Value)
			return nil
		}),
}

// withValue copies m with period set to v (copy on write).
func withValue(m map[string]float64, period string, v float64) map[string]float64 {
	out := make(map[string]float64, len(m)+1)
	for k, x := range m {
		out[k] = x
	}
	out[period] = v
	return out
}

// ---- decisions ----

// defineIndicator: a new indicator of an existing goal; a sub-goal, when
// given, belongs to that goal.
func (d *decider) defineIndicator(c DefineIndicator) ([]Change, error) {
	ind, err := fresh[*IndicatorState](d, Ref{Indicator, c.IndicatorID}, "indicator")
	if err != nil {
		return nil, err
	}
	cat, err := d.catalogue()
	if err != nil {
		return nil, err
	}
	if _, ok := cat.Goals[c.GoalID]; !ok {
		return nil, Refuse("goal %s is not defined", c.GoalID).
			WithNorsk("Det strategiske målet %s er ikke definert.", c.GoalID)
	}
	if c.SubGoalID != "" {
		sg, ok := cat.SubGoals[c.SubGoalID]
		if !ok {
			return nil, Refuse("sub-goal %s is not defined", c.SubGoalID).
				WithNorsk("Delmålet %s er ikke definert.", c.SubGoalID)
		}
		if sg.GoalID != c.GoalID {
			return nil, Refuse("sub-goal %s belongs to goal %s, not %s", c.SubGoalID, sg.GoalID, c.GoalID).
				WithNorsk("Delmålet %s hører til det strategiske målet %s, ikke %s.", c.SubGoalID, sg.GoalID, c.GoalID)
		}
	}
	return []Change{{ind.StateRef(), IndicatorDefined(c)}}, nil
}

// recordIndicatorValue: a period has one value. A second value for it is
// refused unless it is a correction; a correction needs a value to correct
// and must change it.
func (d *decider) recordIndicatorValue(c RecordIndicatorValue) ([]Change, error) {
	ind, err := existing[*IndicatorState](d, Ref{Indicator, c.IndicatorID}, "indicator")
	if err != nil {
		return nil, err
	}
	end, _ := PeriodEnd(c.Period)
	old, has := ind.Values[c.Period]
	switch {
	case has && c.Correction == nil:
		return nil, Refuse("indicator %s already has the value %s for %s: a new value for the period is a correction with a reason",
			ind.ID, formatValue(old), c.Period).
			WithNorsk("Målindikatoren %s har allerede verdien %s for %s: en ny verdi for perioden er en rettelse med begrunnelse.",
				ind.ID, valueNB(old), c.Period)
	case !has && c.Correction != nil:
		return nil, Refuse("indicator %s has no value for %s to correct", ind.ID, c.Period).
			WithNorsk("Målindikatoren %s har ingen verdi for %s som kan rettes.", ind.ID, c.Period)
	case has && old == c.Value:
		return nil, Refuse("indicator %s already has the value %s for %s", ind.ID, formatValue(old), c.Period).
			WithNorsk("Målindikatoren %s har allerede verdien %s for %s.", ind.ID, valueNB(old), c.Period)
	case has:
		return []Change{{ind.StateRef(), IndicatorValueCorrected{
			IndicatorID: ind.ID, Period: c.Period, PeriodEnd: end, Value: c.Value, PreviousValue: old,
			Reason: c.Correction.Reason, Source: c.Source, Comment: c.Comment,
		}}}, nil
	}
	return []Change{{ind.StateRef(), IndicatorValueRecorded{
		IndicatorID: ind.ID, Period: c.Period, PeriodEnd: end, Value: c.Value, Source: c.Source, Comment: c.Comment,
	}}}, nil
}

func formatValue(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// Periods lists the indicator's periods by their last day, then name.
func (s *IndicatorState) Periods() []string {
	out := make([]string, 0, len(s.Values))
	for p := range s.Values {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b string) int {
		ea, _ := PeriodEnd(a)
		eb, _ := PeriodEnd(b)
		if ea != eb {
			if ea < eb {
				return -1
			}
			return 1
		}
		if a < b {
			return -1
		}
		if a > b {
			return 1
		}
		return 0
	})
	return out
}
