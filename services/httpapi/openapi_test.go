package httpapi

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// TestOpenAPIValid: the document is a valid OpenAPI document. Its command
// paths and request schemas are generated from the domain's registry
// (scripts/specgen, whose test fails when openapi.yaml is out of date).
func TestOpenAPIValid(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestOpenAPISampleBodiesValid: the sample bodies the server accepts are
// valid requests by the document too (so the schemas are not stricter than
// the server).
func TestOpenAPISampleBodiesValid(t *testing.T) {
	router := openAPIRouter(t)
	for name, body := range validBodies {
		req := httptest.NewRequest("POST", "/v1/commands/"+name, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer x")
		req.Header.Set("Idempotency-Key", "k-1")
		req.Header.Set("If-Match", `"1"`)
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// And an unknown field is invalid by the document, as by the server.
	req := httptest.NewRequest("POST", "/v1/commands/HoldMeeting", strings.NewReader(`{"meetingId":"`+idMeeting+`","x":1}`))
	req.Header.Set("Content-Type", "application/json")
	route, params, _ := router.FindRoute(req)
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err == nil {
		t.Error("unknown field accepted by the document")
	}
}

// TestOpenAPIValidationBites: the response check does reject answers that
// break the document, so the checks in the other tests mean something.
func TestOpenAPIValidationBites(t *testing.T) {
	h := newHarness(t, nil)
	cases := []struct {
		method, path, ct, body string
		status                 int
	}{
		{"GET", "/v1/strategy", ProblemContentType, `{"type":"about:blank","title":"x","status":404}`, 404},                              // no code
		{"GET", "/v1/strategy", "application/json", `{"strategies":null}`, 200},                                                          // null array
		{"GET", "/v1/initiatives", "application/json", `{"initiatives":[{"initiativeId":"x"}]}`, 200},                                    // required fields
		{"POST", "/v1/commands/HoldMeeting", "application/json", `{"aggregateType":"initiative"}`, 201},                                  // incomplete result
		{"POST", "/v1/commands/HoldMeeting", ProblemContentType, `{"type":"about:blank","title":"x","status":418,"code":"teapot"}`, 418}, // undocumented
		{"GET", "/v1/council/meetings", "application/json", `{"meetings":[{"meetingId":"m","forum":"XYZ"}]}`, 200},                       // bad enum
	}
	for _, c := range cases {
		req := httptest.NewRequest(c.method, c.path, nil)
		rec := httptest.NewRecorder()
		rec.Header().Set("Content-Type", c.ct)
		rec.Header().Set("X-Position", "1")
		rec.WriteHeader(c.status)
		rec.Body.WriteString(c.body)
		if err := h.validateErr(req, "", rec); err == nil {
			t.Errorf("%s %s %d %s: accepted", c.method, c.path, c.status, c.body)
		}
	}
}
