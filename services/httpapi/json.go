package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/ehelse/portfolio/domain"
)

// writeJSON writes v as JSON with status. Arrays in answers are [] and
// never null because the sources (the read models, the use cases) give
// non-nil slices; httpapi does not patch them.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeProblem(w, problemFor(&domain.Error{Kind: domain.KindInternal, Err: err}, ""))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
