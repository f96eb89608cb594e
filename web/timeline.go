package web

import (
	"strconv"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/projections"
)

// The time lines are a grid of months, January 2023 to December 2030;
// items are placed on it by class (gs-N: first month, ge-N: the grid line
// after the last), since the CSP allows no style attributes.

// monthIndex is a date's month on the grid, 0-based; it may lie outside
// [0, nMonths).
func monthIndex(d domain.Date) int {
	t := d.Time()
	return (t.Year()-firstYear)*12 + int(t.Month()) - 1
}

func clamp(n, lo, hi int) int {
	if n < lo {
		return lo
	}
	if n > hi {
		return hi
	}
	return n
}

// spanView is a planned span on the grid.
type spanView struct {
	Class string // "gs-13 ge-49"; "" when the span is wholly outside the grid
	// Before and After mark a span that goes on outside the grid.
	Before, After bool
	Text          string // "1. januar 2024 – 31. desember 2027"
}

func span(start, end domain.Date) spanView {
	v := spanView{Text: spanText(start, end)}
	if !start.Valid() || !end.Valid() || end < start {
		return v
	}
	s, e := monthIndex(start), monthIndex(end)
	if e < 0 || s >= nMonths {
		return v
	}
	v.Before, v.After = s < 0, e >= nMonths
	v.Class = "gs-" + strconv.Itoa(clamp(s, 0, nMonths-1)+1) + " ge-" + strconv.Itoa(clamp(e, 0, nMonths-1)+2)
	return v
}

func spanText(start, end domain.Date) string {
	if !start.Valid() && !end.Valid() {
		return "Ikke planlagt"
	}
	return dateNO(start) + " – " + dateNO(end)
}

// markerView is a milestone on a time line.
type markerView struct {
	Class string // "ms ms-achieved gs-20"
	Label string // "Nådd 3. mars 2025: Pilot i drift"
	Title string
}

func milestoneMarker(m projections.MilestoneView) (markerView, bool) {
	d := m.PlannedDate
	if m.Status == domain.MilestoneAchievedStatus && m.AchievedDate.Valid() {
		d = m.AchievedDate
	}
	label := milestoneNO(m.Status) + " " + dateNO(d) + ": " + m.Title
	if !d.Valid() {
		return markerView{}, false
	}
	i := monthIndex(d)
	if i < 0 || i >= nMonths {
		return markerView{}, false
	}
	return markerView{Class: "ms ms-" + string(m.Status) + " gs-" + strconv.Itoa(i+1), Label: label, Title: m.Title}, true
}

// yearView is a year column of a time line's scale.
type yearView struct {
	Year  int
	Class string
}

func years() []yearView {
	var ys []yearView
	for y := firstYear; y <= lastYear; y++ {
		i := (y - firstYear) * 12
		ys = append(ys, yearView{Year: y, Class: "gs-" + strconv.Itoa(i+1) + " ge-" + strconv.Itoa(i+13)})
	}
	return ys
}

// todayView marks today on a time line.
type todayView struct {
	Class string // "" when today is outside the grid
	Text  string
}

func today(now time.Time) todayView {
	d := domain.Date(now.In(oslo).Format(time.DateOnly))
	v := todayView{Text: "I dag, " + dateNO(d)}
	if i := monthIndex(d); i >= 0 && i < nMonths {
		v.Class = "gs-" + strconv.Itoa(i+1)
	}
	return v
}
