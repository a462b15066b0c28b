package remote

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hypebeast/go-osc/osc"

	"studiodesk/studio"
)

func TestControlAPI(t *testing.T) {
	r := newRig(t)
	ctrl := r.pair(t, "companion", RoleController)
	view := r.pair(t, "wall", RoleViewer)
	gone := r.pair(t, "old", RoleController)
	if err := r.srv.Revoke(gone.DeviceID); err != nil {
		t.Fatal(err)
	}

	// 401: no token, wrong token, revoked token, wrong scheme — each logged.
	before := r.log.count("rejected")
	for _, tc := range []struct{ name, auth string }{
		{"none", ""}, {"wrong", "Bearer " + strings.Repeat("x", 43)},
		{"revoked", "Bearer " + gone.Token}, {"basic", "Basic " + ctrl.Token},
	} {
		req, _ := http.NewRequest(http.MethodPost, r.url("/api/v1/start"), nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		if st, body := r.do(t, req); st != http.StatusUnauthorized {
			t.Errorf("%s: %d %s", tc.name, st, body)
		}
	}
	if st, _ := r.get(t, "/api/v1/state", ""); st != http.StatusUnauthorized {
		t.Errorf("state without token: %d", st)
	}
	if got := r.log.count("rejected") - before; got < 5 {
		t.Fatalf("%d rejections logged:\n%s", got, r.log.dump())
	}
	if r.desk.Snapshot().State(r.clk.Now()).Started {
		t.Fatal("unauthenticated start applied")
	}

	// 403: a viewer may read but not act.
	if st, _ := r.post(t, "/api/v1/start", view.Token, "", nil); st != http.StatusForbidden {
		t.Fatalf("viewer start: %d", st)
	}
	if st, body := r.get(t, "/api/v1/state", view.Token); st != http.StatusOK || !strings.Contains(string(body), `"show_title":"测试专场"`) {
		t.Fatalf("viewer state: %d %s", st, body)
	}

	// Actions move the desk.
	steps := []struct {
		path, body string
		check      func() bool
	}{
		{"/api/v1/start", "", func() bool { return r.desk.Snapshot().State(r.clk.Now()).Started }},
		{"/api/v1/next", "", func() bool { return r.segment() == 1 }},
		{"/api/v1/extend", `{"seconds":30}`, func() bool {
			return r.desk.Snapshot().State(r.clk.Now()).SegmentPlanned == 5*time.Minute+30*time.Second
		}},
		{"/api/v1/shorten", `{"seconds":10}`, func() bool {
			return r.desk.Snapshot().State(r.clk.Now()).SegmentPlanned == 5*time.Minute+20*time.Second
		}},
		{"/api/v1/jump", `{"segment":4}`, func() bool { return r.segment() == 3 }},
		{"/api/v1/previous", "", func() bool { return r.segment() == 2 }},
		{"/api/v1/toggle-pause", "", func() bool { return r.desk.Snapshot().State(r.clk.Now()).Paused }},
		{"/api/v1/resume", "", func() bool { return !r.desk.Snapshot().State(r.clk.Now()).Paused }},
		{"/api/v1/pause", "", func() bool { return r.desk.Snapshot().State(r.clk.Now()).Paused }},
	}
	for _, s := range steps {
		st, body := r.post(t, s.path, ctrl.Token, s.body, nil)
		if st != http.StatusOK || !s.check() {
			t.Fatalf("%s %s: %d %s", s.path, s.body, st, body)
		}
		var res apiResult
		if err := json.Unmarshal(body, &res); err != nil || !res.OK || res.State == nil {
			t.Fatalf("%s: body %s", s.path, body)
		}
	}
	// The desk's refusal: 422 with its reason.
	if st, body := r.post(t, "/api/v1/pause", ctrl.Token, "", nil); st != http.StatusUnprocessableEntity || !strings.Contains(string(body), "paused") {
		t.Fatalf("pause twice: %d %s", st, body)
	}
	// X-Request-Id: a second use is refused and not applied.
	hdr := map[string]string{"X-Request-Id": "sd-btn-42"}
	if st, body := r.post(t, "/api/v1/resume", ctrl.Token, "", hdr); st != http.StatusOK {
		t.Fatalf("resume: %d %s", st, body)
	}
	if st, body := r.post(t, "/api/v1/toggle-pause", ctrl.Token, "", hdr); st != http.StatusConflict || !strings.Contains(string(body), `"replay":true`) {
		t.Fatalf("replayed id: %d %s", st, body)
	}
	if r.desk.Snapshot().State(r.clk.Now()).Paused || !r.log.has(`replayed id "sd-btn-42"`) {
		t.Fatal("replayed request applied or not logged")
	}
	// Bad requests.
	for _, tc := range []struct {
		method, path, body string
		want               int
	}{
		{http.MethodPost, "/api/v1/explode", "", http.StatusNotFound},
		{http.MethodGet, "/api/v1/next", "", http.StatusMethodNotAllowed},
		{http.MethodPost, "/api/v1/state", "", http.StatusMethodNotAllowed},
		{http.MethodPost, "/api/v1/jump", `{"segment":0}`, http.StatusBadRequest},
		{http.MethodPost, "/api/v1/jump", `{"segment":9}`, http.StatusBadRequest},
		{http.MethodPost, "/api/v1/jump", `{}`, http.StatusBadRequest},
		{http.MethodPost, "/api/v1/extend", `{"seconds":"abc"}`, http.StatusBadRequest},
		{http.MethodPost, "/api/v1/extend", `[1]`, http.StatusBadRequest},
		{http.MethodPost, "/api/v1/extend", `{"secs":30}`, http.StatusBadRequest},
		{http.MethodPost, "/api/v1/next", strings.Repeat(" ", 5000), http.StatusRequestEntityTooLarge},
	} {
		req, _ := http.NewRequest(tc.method, r.url(tc.path), strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Bearer "+ctrl.Token)
		if st, body := r.do(t, req); st != tc.want {
			t.Errorf("%s %s %q: %d %s (want %d)", tc.method, tc.path, clip(tc.body), st, body, tc.want)
		}
	}
	if r.segment() != 2 {
		t.Fatalf("bad requests moved the desk: segment %d", r.segment())
	}
}

func TestTokenHeadersAndQuery(t *testing.T) {
	r := newRig(t)
	ctrl := r.pair(t, "companion", RoleController)
	for _, tc := range []struct {
		name string
		hdr  map[string]string
		path string
	}{
		{"bearer", map[string]string{"Authorization": "Bearer " + ctrl.Token}, "/api/v1/state"},
		{"x-api-key", map[string]string{"X-Api-Key": ctrl.Token}, "/api/v1/state"},
		{"query", nil, "/api/v1/state?token=" + ctrl.Token},
	} {
		req, _ := http.NewRequest(http.MethodGet, r.url(tc.path), nil)
		for k, v := range tc.hdr {
			req.Header.Set(k, v)
		}
		if st, body := r.do(t, req); st != http.StatusOK || !strings.Contains(string(body), `"deck"`) {
			t.Errorf("%s: %d %s", tc.name, st, body)
		}
	}
	if !r.log.has("token in the URL (less safe") {
		t.Fatalf("query token not logged as less safe:\n%s", r.log.dump())
	}
	// Arguments in the query, numbers as strings (header-less tools).
	r.mustDo(t, studio.Start{})
	if st, body := r.post(t, "/api/v1/jump?segment=3&token="+ctrl.Token, "", "", nil); st != http.StatusOK || r.segment() != 2 {
		t.Fatalf("jump by query: %d %s segment %d", st, body, r.segment())
	}
}

func TestParseAPIRequest(t *testing.T) {
	h := func(kv ...string) http.Header {
		x := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			x.Set(kv[i], kv[i+1])
		}
		return x
	}
	req, err := ParseAPIRequest("POST", "/api/v1/toggle-pause", h("Authorization", "bearer abc", "X-Request-Id", "id-1"), "", nil)
	if err != nil || req.Action != studio.ActTogglePause || req.Token != "abc" || req.RequestID != "id-1" {
		t.Fatalf("%+v %v", req, err)
	}
	req, err = ParseAPIRequest("POST", "/api/v1/jump", h("X-Api-Key", "abc"), "", []byte(`{"segment":"2"}`))
	if err != nil || req.call.values["segment"] != 2 || req.TokenVia != "x-api-key" {
		t.Fatalf("%+v %v", req, err)
	}
	_, err = ParseAPIRequest("POST", "/api/v1/next", h("Authorization", "Bearer abc", "X-Request-Id", "bad id!"), "", nil)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest {
		t.Fatalf("bad request id: %v", err)
	}
	_, err = ParseAPIRequest("POST", "/api/v1/next", http.Header{}, "", nil)
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("no auth: %v", err)
	}
}

// oscConn is a test OSC peer: messages are built by the OSC library.
type oscConn struct {
	t    *testing.T
	conn net.Conn
	// early keeps feedback that arrived while a reply was awaited (UDP
	// from the feedback goroutine may overtake the reply).
	early []*osc.Message
}

func dialOSC(t *testing.T, addr string) *oscConn {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &oscConn{t: t, conn: c}
}

// send sends m and returns the reply's (status, message, code).
func (o *oscConn) send(m *osc.Message) (status, msg, code string) {
	o.t.Helper()
	b, err := m.MarshalBinary()
	if err != nil {
		o.t.Fatal(err)
	}
	if _, err := o.conn.Write(b); err != nil {
		o.t.Fatal(err)
	}
	return o.reply(m.Address)
}

func (o *oscConn) reply(what string) (status, msg, code string) {
	o.t.Helper()
	_ = o.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	var rep *osc.Message
	for rep == nil {
		n, err := o.conn.Read(buf)
		if err != nil {
			o.t.Fatalf("%s: no reply: %v", what, err)
		}
		p, err := osc.ParsePacket(string(buf[:n]))
		m, ok := p.(*osc.Message)
		if err == nil && ok && strings.HasPrefix(m.Address, "/studiodesk/feedback/") {
			o.early = append(o.early, m)
			continue
		}
		if err != nil || !ok || m.Address != "/studiodesk/reply" || len(m.Arguments) != 4 {
			o.t.Fatalf("%s: reply %v %v", what, p, err)
		}
		rep = m
	}
	return rep.Arguments[1].(string), rep.Arguments[2].(string), rep.Arguments[3].(string)
}

func TestOSC(t *testing.T) {
	r := newRig(t)
	ctrl := r.pair(t, "companion", RoleController)
	view := r.pair(t, "wall", RoleViewer)
	gone := r.pair(t, "old", RoleController)
	if err := r.srv.Revoke(gone.DeviceID); err != nil {
		t.Fatal(err)
	}
	o := dialOSC(t, r.srv.OSCAddr())
	ok := func(addr string, args ...any) {
		t.Helper()
		if st, msg, _ := o.send(osc.NewMessage(addr, args...)); st != "ok" {
			t.Fatalf("%s %v: %s %s", addr, args, st, msg)
		}
	}
	refused := func(why, addr string, args ...any) {
		t.Helper()
		st, msg, code := o.send(osc.NewMessage(addr, args...))
		if st != "error" || !strings.Contains(msg+" "+code, why) {
			t.Fatalf("%s %v: %s %s %s (want %q)", addr, args, st, msg, code, why)
		}
	}
	before := r.log.count("osc")
	refused("token", "/studiodesk/start")
	refused("token", "/studiodesk/start", "wrong")
	refused("token", "/studiodesk/start", int32(1))
	refused("token", "/studiodesk/start", gone.Token)
	refused("viewer", "/studiodesk/start", view.Token)
	if r.desk.Snapshot().State(r.clk.Now()).Started || r.log.count("osc")-before < 5 {
		t.Fatalf("rejections applied or not logged:\n%s", r.log.dump())
	}
	ok("/studiodesk/start", ctrl.Token)
	ok("/studiodesk/next", ctrl.Token)
	if r.segment() != 1 {
		t.Fatalf("segment %d", r.segment())
	}
	ok("/studiodesk/jump", ctrl.Token, int32(4))
	ok("/studiodesk/previous", ctrl.Token)
	ok("/studiodesk/extend", ctrl.Token, float32(15))
	st := r.desk.Snapshot().State(r.clk.Now())
	if st.Segment != 2 || st.SegmentPlanned != 5*time.Minute+15*time.Second {
		t.Fatalf("segment %d planned %v", st.Segment, st.SegmentPlanned)
	}
	// A number sent as a string is a number, not a request id: "60" adds
	// 60 s (not the default 30), and the next press is not a replay.
	ok("/studiodesk/extend", ctrl.Token, "60")
	ok("/studiodesk/extend", ctrl.Token, "60")
	if got := r.desk.Snapshot().State(r.clk.Now()).SegmentPlanned; got != 7*time.Minute+15*time.Second {
		t.Fatalf("after two \"60\" extends planned %v", got)
	}
	ok("/studiodesk/toggle_pause", ctrl.Token, "request_id=osc-1")
	refused("already used", "/studiodesk/toggle_pause", ctrl.Token, "request_id=osc-1")
	if !r.desk.Snapshot().State(r.clk.Now()).Paused {
		t.Fatal("replayed OSC toggle applied twice")
	}
	refused("segment", "/studiodesk/jump", ctrl.Token, int32(-2))
	refused("unknown action", "/studiodesk/fly", ctrl.Token)
	// A bundle of two messages: both answered.
	b := osc.NewBundle(time.Time{})
	_ = b.Append(osc.NewMessage("/studiodesk/resume", ctrl.Token))
	_ = b.Append(osc.NewMessage("/studiodesk/next", ctrl.Token))
	raw, err := b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.conn.Write(raw); err != nil {
		t.Fatal(err)
	}
	o.reply("bundle 1")
	o.reply("bundle 2")
	eventually(t, "bundle applied", func() bool { return r.segment() == 3 })
	// Garbage is logged and dropped.
	_, _ = o.conn.Write([]byte("garbage!"))
	eventually(t, "garbage logged", func() bool { return r.log.has("malformed OSC") })
}

func TestParseOSCLimits(t *testing.T) {
	m, err := osc.NewMessage("/studiodesk/jump", "tok", int32(-7), float32(1.5), int64(1)<<40, 2.25, []byte{1, 2, 3}, true, false, nil).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseOSC(m)
	if err != nil || len(got) != 1 || got[0].Arguments[1] != int32(-7) || got[0].Arguments[4] != 2.25 {
		t.Fatalf("%v %v", got, err)
	}
	deep := osc.NewBundle(time.Time{})
	for range 5 {
		outer := osc.NewBundle(time.Time{})
		_ = outer.Append(deep)
		deep = outer
	}
	_ = deep.Append(osc.NewMessage("/studiodesk/next", "tok"))
	db, _ := deep.MarshalBinary()
	for _, bad := range [][]byte{nil, []byte("/a"), []byte("/a\x00\x00,z\x00\x00"), []byte("#bundle\x00"),
		[]byte("/a\x00\x00,b\x00\x00\xff\xff\xff\xff"), []byte("xxxx"), make([]byte, maxOSCPacket+4), db} {
		if _, err := ParseOSC(bad); !errors.Is(err, ErrOSC) {
			t.Errorf("%q: %v", clip(string(bad)), err)
		}
	}
}
