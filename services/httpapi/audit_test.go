package httpapi

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/services"
	"github.com/ehelse/portfolio/services/wire"
)

func TestAuditKeyAndVerifyParameters(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(nil)
	old, _, _ := ed25519.GenerateKey(nil)
	var got services.VerifyRequest
	h := newHarness(t, func(c *Config) {
		c.AuditKey = NewAuditKey(pub, []ed25519.PublicKey{old})
		c.Verify = func(ctx context.Context, req services.VerifyRequest) (services.VerifyResult, error) {
			got = req
			bad := uint64(7)
			res := services.VerifyResult{Result: audit.Result{OK: false, Events: 9, Head: strings.Repeat("0", 64), FirstBad: &bad, Position: 9, Bad: 1,
				Reason: "position 7: unsigned"}, KeyID: audit.KeyID(pub), TrustedKeys: []string{audit.KeyID(pub)}, VerifiedAt: time.Now()}
			if req.Since != nil {
				at := uint64(3)
				res.Since = &audit.SinceResult{Events: req.Since.Events, Head: req.Since.Head, DivergedAt: &at, AgreedThrough: 2, Reason: "differs"}
			}
			if req.CheckpointEvery > 0 || req.Checkpoints {
				res.CheckpointEvery = 3
				res.Checkpoints = []audit.Checkpoint{{Events: 3, Position: 3, Head: strings.Repeat("1", 64)}}
			}
			return res, nil
		}
	})
	// The key: to anyone, but an unknown token is still 401.
	rec := h.do("GET", "/v1/audit/key", "")
	var k wire.AuditKey
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &k) != nil || k.KeyID != audit.KeyID(pub) || len(k.TrustedKeys) != 2 {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
	h.problem(h.do("GET", "/v1/audit/key", "", bearer("nope")), 401, "unauthorized")

	head := strings.Repeat("ab", 32)
	rec = h.do("GET", "/v1/audit/verify?sinceEvents=5&sinceHead="+head+"&sincePosition=5&checkpointEvery=3", "", bearer(tokAudit))
	if rec.Code != 200 || got.Since == nil || got.Since.Events != 5 || got.Since.Head != head || got.Since.Position != 5 || got.CheckpointEvery != 3 {
		t.Fatalf("%d %+v %s", rec.Code, got, rec.Body.String())
	}
	rec = h.do("GET", "/v1/audit/verify?checkpoints=true", "", bearer(tokAudit))
	if rec.Code != 200 || !got.Checkpoints || got.Since != nil {
		t.Fatalf("%d %+v", rec.Code, got)
	}
	for _, q := range []string{"sinceEvents=5", "sinceHead=" + head, "sinceEvents=5&sinceHead=XYZ", "sinceEvents=0&sinceHead=" + head, "checkpointEvery=0"} {
		h.problem(h.do("GET", "/v1/audit/verify?"+q, "", bearer(tokAudit)), 422, "validation_failed")
	}
	for _, q := range []string{"sinceEvents=x&sinceHead=" + head, "checkpoints=maybe"} {
		h.problem(h.do("GET", "/v1/audit/verify?"+q, "", bearer(tokAudit)), 400, "malformed_request")
	}
	h.problem(h.do("GET", "/v1/audit/verify", "", bearer(tokSek)), 403, "forbidden")

	// Without a key configured: 503.
	h2 := newHarness(t, nil)
	h2.problem(h2.do("GET", "/v1/audit/key", ""), 503, "unavailable")
}
