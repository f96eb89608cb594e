package docscheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
)

// Paths relative to this package's directory (go test runs there).
var (
	asyncAPIPath = filepath.Join("..", "..", "docs", "asyncapi.yaml")
	eventsMDPath = filepath.Join("..", "..", "docs", "EVENTS.md")
	goldenDir    = filepath.Join("..", "..", "domain", "testdata", "events")
)

// envelopeSchema is the name of the envelope in components/schemas; every
// other schema there is the data of the event type it is named after.
const envelopeSchema = "CloudEvent"

// addressRE is the subject scheme of a channel address.
var addressRE = regexp.MustCompile(`^portfolio\.events\.([a-z]+)\.\{aggregateId\}\.([A-Za-z][A-Za-z0-9]*)$`)

// doc is docs/asyncapi.yaml as JSON values (objects are map[string]any,
// numbers json.Number), the form jsonschema validates.
type doc struct {
	root map[string]any
}

func loadAsyncAPI(t *testing.T) doc {
	t.Helper()
	src, err := os.ReadFile(asyncAPIPath)
	if err != nil {
		t.Fatal(err)
	}
	var y any
	if err := yaml.Unmarshal(src, &y); err != nil {
		t.Fatalf("%s: %v", asyncAPIPath, err)
	}
	j, err := json.Marshal(y)
	if err != nil {
		t.Fatalf("%s is not JSON-compatible YAML: %v", asyncAPIPath, err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	root, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s is not a mapping", asyncAPIPath)
	}
	return doc{root}
}

// get walks keys from the root; nil if any is missing.
func (d doc) get(keys ...string) any {
	var v any = d.root
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		if v, ok = m[k]; !ok {
			return nil
		}
	}
	return v
}

func (d doc) object(keys ...string) map[string]any {
	m, _ := d.get(keys...).(map[string]any)
	return m
}

// resolve follows a local reference "#/a/b".
func (d doc) resolve(ref string) (any, bool) {
	p, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, false
	}
	var keys []string
	for _, k := range strings.Split(p, "/") {
		keys = append(keys, strings.NewReplacer("~1", "/", "~0", "~").Replace(k))
	}
	v := d.get(keys...)
	return v, v != nil
}

func refOf(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["$ref"].(string)
	return s
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// jsonEqual compares two JSON texts as values.
func jsonEqual(a, b []byte) (bool, error) {
	var x, y any
	for _, p := range []struct {
		src []byte
		dst *any
	}{{a, &x}, {b, &y}} {
		dec := json.NewDecoder(bytes.NewReader(p.src))
		dec.UseNumber()
		if err := dec.Decode(p.dst); err != nil {
			return false, err
		}
	}
	return reflect.DeepEqual(x, y), nil
}

func golden(t *testing.T, eventType string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(goldenDir, eventType+".json"))
	if err != nil {
		t.Fatalf("golden file of %s: %v", eventType, err)
	}
	return b
}

// field is one JSON field of an event's data, from its Go type.
type field struct {
	name      string
	typ       reflect.Type
	omitempty bool
}

func dataFields(t *testing.T, eventType string) []field {
	t.Helper()
	e, err := domain.DecodeEvent(eventType, domain.EventVersion, []byte("{}"))
	if err != nil {
		t.Fatalf("DecodeEvent(%s, {}): %v", eventType, err)
	}
	var walk func(reflect.Type) []field
	walk = func(rt reflect.Type) []field {
		var out []field
		for i := 0; i < rt.NumField(); i++ {
			f := rt.Field(i)
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				out = append(out, walk(f.Type)...)
				continue
			}
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if name == "" {
				name = f.Name
			}
			out = append(out, field{name, f.Type, slices.Contains(strings.Split(opts, ","), "omitempty")})
		}
		return out
	}
	return walk(reflect.TypeOf(e))
}

func TestAsyncAPIVersion(t *testing.T) {
	d := loadAsyncAPI(t)
	if v := d.get("asyncapi"); v != "3.0.0" {
		t.Fatalf("asyncapi = %v, want 3.0.0", v)
	}
	for _, k := range []string{"title", "version"} {
		if s, _ := d.get("info", k).(string); s == "" {
			t.Errorf("info.%s is missing", k)
		}
	}
}

// TestRefsResolve: every $ref is local and points at something.
func TestRefsResolve(t *testing.T) {
	d := loadAsyncAPI(t)
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if r, ok := v["$ref"]; ok {
				s, _ := r.(string)
				if _, ok := d.resolve(s); !ok {
					t.Errorf("%s: $ref %v does not resolve", path, r)
				}
			}
			for _, k := range sortedKeys(v) {
				walk(path+"/"+k, v[k])
			}
		case []any:
			for i, x := range v {
				walk(path+"/"+strconv.Itoa(i), x)
			}
		}
	}
	walk("#", d.root)
}

// TestServer: the embedded NATS server, with user/password security.
func TestServer(t *testing.T) {
	d := loadAsyncAPI(t)
	servers := d.object("servers")
	found := false
	for _, name := range sortedKeys(servers) {
		s, _ := servers[name].(map[string]any)
		if s["protocol"] != "nats" || s["host"] != "127.0.0.1:4222" {
			continue
		}
		found = true
		sec, _ := s["security"].([]any)
		if len(sec) == 0 {
			t.Errorf("server %s has no security", name)
		}
		for _, x := range sec {
			scheme, ok := d.resolve(refOf(x))
			if m, _ := scheme.(map[string]any); !ok || m["type"] != "userPassword" {
				t.Errorf("server %s: security %v is not a userPassword scheme", name, x)
			}
		}
	}
	if !found {
		t.Fatal("no server with protocol nats and host 127.0.0.1:4222")
	}
}

// TestNothingUndocumentedOrStale: every channel address follows the subject
// scheme, and channels, operations, messages and data schemas are exactly
// the event types of domain.
func TestNothingUndocumentedOrStale(t *testing.T) {
	d := loadAsyncAPI(t)
	types := domain.EventTypes()
	for _, name := range sortedKeys(d.object("channels")) {
		addr, _ := d.get("channels", name, "address").(string)
		m := addressRE.FindStringSubmatch(addr)
		if m == nil {
			t.Errorf("channel %s: address %q does not match portfolio.events.<aggregateType>.{aggregateId}.<EventType>", name, addr)
			continue
		}
		agg, ok := domain.AggregateOf(m[2])
		if !ok {
			t.Errorf("channel %s: %s is not an event type of domain", name, m[2])
			continue
		}
		if string(agg) != m[1] {
			t.Errorf("channel %s: address %q names aggregate type %s, domain says %s", name, addr, m[1], agg)
		}
		if name != m[2] {
			t.Errorf("channel %s carries %s: name the channel after its event type", name, m[2])
		}
	}
	sections := map[string]func(string) (string, bool){
		"channels":            func(k string) (string, bool) { return k, true },
		"operations":          func(k string) (string, bool) { return strings.CutPrefix(k, "receive") },
		"components/messages": func(k string) (string, bool) { return k, true },
		"components/schemas":  func(k string) (string, bool) { return k, k != envelopeSchema },
	}
	for path, eventOf := range sections {
		for _, k := range sortedKeys(d.object(strings.Split(path, "/")...)) {
			et, ok := eventOf(k)
			if !ok {
				if path == "operations" {
					t.Errorf("operations/%s: name operations receive<EventType>", k)
				}
				continue
			}
			if !slices.Contains(types, et) {
				t.Errorf("%s/%s: no event type %s in domain (stale docs?)", path, k, et)
			}
		}
	}
}

// TestEveryEventTypeInAsyncAPI: a channel, a receive operation and a
// message with a valid example for every event type. The data schemas are
// generated from the domain's Go types (scripts/specgen, checked by its
// test).
func TestEveryEventTypeInAsyncAPI(t *testing.T) {
	d := loadAsyncAPI(t)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7) // AsyncAPI schemas are a superset of draft 7
	c.AssertFormat()
	const url = "file:///docs/asyncapi.json"
	if err := c.AddResource(url, d.root); err != nil {
		t.Fatal(err)
	}
	for _, et := range domain.EventTypes() {
		t.Run(et, func(t *testing.T) {
			agg, ok := domain.AggregateOf(et)
			if !ok {
				t.Fatalf("domain.AggregateOf(%s): no aggregate type", et)
			}
			checkChannel(t, d, et, agg)
			checkOperation(t, d, et)
			checkMessage(t, d, c, url, et, agg)
		})
	}
}

func checkChannel(t *testing.T, d doc, et string, agg domain.AggregateType) {
	t.Helper()
	ch := d.object("channels", et)
	if ch == nil {
		t.Errorf("no channel %s in %s", et, asyncAPIPath)
		return
	}
	want := fmt.Sprintf("portfolio.events.%s.{aggregateId}.%s", agg, et)
	if ch["address"] != want {
		t.Errorf("channel %s: address %v, want %s", et, ch["address"], want)
	}
	if d.get("channels", et, "parameters", "aggregateId") == nil {
		t.Errorf("channel %s: no parameter aggregateId", et)
	}
	if r := refOf(d.get("channels", et, "messages", et)); r != "#/components/messages/"+et {
		t.Errorf("channel %s: messages.%s is %q, want $ref #/components/messages/%s", et, et, r, et)
	}
}

func checkOperation(t *testing.T, d doc, et string) {
	t.Helper()
	name := "receive" + et
	op := d.object("operations", name)
	if op == nil {
		t.Errorf("no operation %s in %s", name, asyncAPIPath)
		return
	}
	if op["action"] != "receive" {
		t.Errorf("operation %s: action %v, want receive", name, op["action"])
	}
	if r := refOf(op["channel"]); r != "#/channels/"+et {
		t.Errorf("operation %s: channel %q, want #/channels/%s", name, r, et)
	}
	msgs, _ := op["messages"].([]any)
	if !slices.ContainsFunc(msgs, func(m any) bool { return refOf(m) == "#/channels/"+et+"/messages/"+et }) {
		t.Errorf("operation %s: messages do not include #/channels/%s/messages/%s", name, et, et)
	}
}

// checkMessage: the message and its examples. Each example is an envelope
// that eventlog.DecodeRecord accepts on the channel's subject, that the
// message's payload schema accepts, and whose data is the golden file and
// survives domain.DecodeEvent and EncodeEvent unchanged. The payload schema
// must reject the example without any one of the data's required fields.
func checkMessage(t *testing.T, d doc, c *jsonschema.Compiler, url, et string, agg domain.AggregateType) {
	t.Helper()
	msg := d.object("components", "messages", et)
	if msg == nil {
		t.Errorf("no message components/messages/%s", et)
		return
	}
	if msg["name"] != et {
		t.Errorf("message %s: name %v, want %s", et, msg["name"], et)
	}
	for _, k := range []string{"summary", "description"} {
		if s, _ := msg[k].(string); strings.TrimSpace(s) == "" {
			t.Errorf("message %s: no %s", et, k)
		}
	}
	sch, err := c.Compile(url + "#/components/messages/" + et + "/payload")
	if err != nil {
		t.Errorf("message %s: payload schema: %v", et, err)
		return
	}
	examples := asSlice(msg["examples"])
	if len(examples) == 0 {
		t.Errorf("message %s: no examples", et)
	}
	wantType := fmt.Sprintf("%s%s.v%d", eventlog.TypePrefix, et, domain.EventVersion)
	for i, x := range examples {
		where := fmt.Sprintf("message %s, example %d", et, i)
		ex, _ := x.(map[string]any)
		payload, _ := ex["payload"].(map[string]any)
		if payload == nil {
			t.Errorf("%s: no payload", where)
			continue
		}
		if err := sch.Validate(payload); err != nil {
			t.Errorf("%s: does not match the payload schema: %v", where, err)
		}
		if payload["type"] != wantType {
			t.Errorf("%s: type %v, want %s", where, payload["type"], wantType)
		}
		if payload["aggregatetype"] != string(agg) {
			t.Errorf("%s: aggregatetype %v, want %s", where, payload["aggregatetype"], agg)
		}
		aggID, _ := payload["aggregateid"].(string)
		raw, err := json.Marshal(payload)
		if err != nil {
			t.Fatal(err)
		}
		subject := eventlog.Subject(string(agg), aggID, et)
		rec, err := eventlog.DecodeRecord(subject, 1, raw)
		if err != nil {
			t.Errorf("%s: not an envelope the event store reads: %v", where, err)
			continue
		}
		if rec.Type != et || rec.SchemaVersion != domain.EventVersion {
			t.Errorf("%s: decodes as %s v%d", where, rec.Type, rec.SchemaVersion)
		}
		data := []byte(rec.Data)
		if eq, err := jsonEqual(data, golden(t, et)); err != nil || !eq {
			t.Errorf("%s: data is not the golden file %s.json (err %v):\n%s", where, et, err, data)
		}
		e, err := domain.DecodeEvent(et, rec.SchemaVersion, data)
		if err != nil {
			t.Errorf("%s: DecodeEvent: %v", where, err)
			continue
		}
		back, err := domain.EncodeEvent(e)
		if err != nil {
			t.Fatal(err)
		}
		if eq, err := jsonEqual(back, data); err != nil || !eq {
			t.Errorf("%s: data changes when decoded and encoded again:\n got %s\nwant %s", where, back, data)
		}
		// The schema binds the data: without a required field it fails.
		dm, _ := payload["data"].(map[string]any)
		for _, f := range dataFields(t, et) {
			if f.omitempty {
				continue
			}
			mut := make(map[string]any, len(payload))
			for k, v := range payload {
				mut[k] = v
			}
			dd := make(map[string]any, len(dm))
			for k, v := range dm {
				if k != f.name {
					dd[k] = v
				}
			}
			mut["data"] = dd
			if sch.Validate(mut) == nil {
				t.Errorf("%s: the payload schema accepts data without %s", where, f.name)
			}
		}
	}
}

// TestEventsMD: docs/EVENTS.md has a section "### <EventType>" for every
// event type, giving its subject, a table row for every field and the
// golden JSON.
func TestEventsMD(t *testing.T) {
	src, err := os.ReadFile(eventsMDPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")
	sections := map[string][]string{}
	cur := ""
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "### "):
			cur = strings.TrimSpace(strings.TrimPrefix(l, "### "))
			if _, dup := sections[cur]; dup {
				t.Errorf("%s: two sections %q", eventsMDPath, cur)
			}
			sections[cur] = []string{}
		case strings.HasPrefix(l, "# "), strings.HasPrefix(l, "## "):
			cur = ""
		case cur != "":
			sections[cur] = append(sections[cur], l)
		}
	}
	for _, et := range domain.EventTypes() {
		t.Run(et, func(t *testing.T) {
			if !strings.Contains(string(src), et) {
				t.Fatalf("%s does not mention %s", eventsMDPath, et)
			}
			body, ok := sections[et]
			if !ok {
				t.Fatalf("%s has no section \"### %s\"", eventsMDPath, et)
			}
			text := strings.Join(body, "\n")
			agg, _ := domain.AggregateOf(et)
			subj := regexp.MustCompile("`portfolio\\.events\\." + string(agg) + `\.<[A-Za-z]+>\.` + et + "`")
			if !subj.MatchString(text) {
				t.Errorf("section %s: no subject `portfolio.events.%s.<id>.%s`", et, agg, et)
			}
		})
	}
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}
