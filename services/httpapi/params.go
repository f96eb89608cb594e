package httpapi

import (
	"net/url"
	"strconv"

	"github.com/ehelse/portfolio/domain"
)

// uintParam parses a non-negative integer query parameter; absent is nil.
func uintParam(q url.Values, name string) (*uint64, error) {
	v, ok := q[name]
	if !ok {
		return nil, nil
	}
	if len(v) != 1 {
		return nil, errMalformedField(name, "must be given once")
	}
	n, err := strconv.ParseUint(v[0], 10, 64)
	if err != nil {
		return nil, errMalformedField(name, "must be a non-negative integer")
	}
	return &n, nil
}

func checkPhase(v *domain.Validation, field, s string) {
	if s != "" && !domain.Phase(s).Valid() {
		v.Add(field, "must be one of concept, planning, execution, rollout, closed")
	}
}

var lifecycles = []domain.Lifecycle{
	domain.LifecycleProposed, domain.LifecycleInPortfolio, domain.LifecyclePaused,
	domain.LifecycleRejected, domain.LifecycleWithdrawn, domain.LifecycleClosed, domain.LifecycleCancelled,
}

func checkLifecycle(v *domain.Validation, field, s string) {
	if s == "" {
		return
	}
	for _, l := range lifecycles {
		if string(l) == s {
			return
		}
	}
	v.Add(field, "must be one of proposed, in_portfolio, paused, rejected, withdrawn, closed, cancelled")
}

func checkForum(v *domain.Validation, field, s string) {
	if s != "" && !domain.Forum(s).Valid() {
		v.Add(field, "must be one of NUFA, NUIT, EHR")
	}
}
