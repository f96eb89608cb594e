package services

import (
	"crypto/rand"

	"github.com/oklog/ulid/v2"

	"github.com/ehelse/portfolio/domain"
)

// NewID returns a fresh ULID string.
func NewID() string { return ulid.MustNew(ulid.Now(), rand.Reader).String() }

// CreatorNeedsID reports whether a creating command came without its id
// (a milestone only when it is being planned). Execute assigns a ULID then;
// the HTTP layer assigns the id remembered for an Idempotency-Key instead.
func CreatorNeedsID(cmd domain.Command) bool {
	switch c := cmd.(type) {
	case *domain.ProposeInitiative:
		return c.InitiativeID == ""
	case *domain.ScheduleMeeting:
		return c.MeetingID == ""
	case *domain.RegisterCase:
		return c.CaseID == ""
	case *domain.ReportMilestone:
		return c.MilestoneID == "" && c.Status == domain.MilestonePlannedStatus
	case *domain.DefineIndicator:
		return c.IndicatorID == ""
	case *domain.OpenReportingRound:
		return c.RoundID == ""
	case *domain.DeclareDependency:
		return c.DependencyID == ""
	case *domain.OpenConsultation:
		return c.ConsultationID == ""
	case *domain.RegisterConsultationResponse:
		return c.ResponseID == ""
	}
	return false
}
