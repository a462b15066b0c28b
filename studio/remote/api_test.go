package remote

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
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
		{"/api/v1/jump", `{"index":3}`, func() bool { return r.segment() == 3 }},
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
		{http.MethodPost, "/api/v1/jump", `{"index":-1}`, http.StatusBadRequest},
		{http.MethodPost, "/api/v1/jump", `{}`, http.StatusBadRequest},
		{http.MethodPost, "/api/v1/extend", `{"seconds":"30"}`, http.StatusBadRequest},
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

func TestParseAPIRequest(t *testing.T) {
	req, err := ParseAPIRequest("POST", "/api/v1/toggle-pause", "bearer abc", "id-1", nil)
	if err != nil || req.Action != ActionTogglePause || req.Token != "abc" || req.RequestID != "id-1" {
		t.Fatalf("%+v %v", req, err)
	}
	req, err = ParseAPIRequest("POST", "/api/v1/jump", "Bearer abc", "", []byte(`{"index":2}`))
	if err != nil || *req.Args.Index != 2 {
		t.Fatalf("%+v %v", req, err)
	}
	_, err = ParseAPIRequest("POST", "/api/v1/next", "Bearer abc", "bad id!", nil)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest {
		t.Fatalf("bad request id: %v", err)
	}
	_, err = ParseAPIRequest("POST", "/api/v1/next", "", "", nil)
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("no auth: %v", err)
	}
}

func oscSend(t *testing.T, conn net.Conn, m OSCMessage) OSCMessage {
	t.Helper()
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(b); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 2048)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("%s: no reply: %v", m.Address, err)
	}
	msgs, err := ParseOSC(buf[:n])
	if err != nil || len(msgs) != 1 || msgs[0].Address != "/studiodesk/reply" || len(msgs[0].Args) != 3 {
		t.Fatalf("%s: reply %+v %v", m.Address, msgs, err)
	}
	return msgs[0]
}

func TestOSC(t *testing.T) {
	r := newRig(t)
	ctrl := r.pair(t, "companion", RoleController)
	view := r.pair(t, "wall", RoleViewer)
	gone := r.pair(t, "old", RoleController)
	if err := r.srv.Revoke(gone.DeviceID); err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("udp", r.srv.OSCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ok := func(m OSCMessage) {
		t.Helper()
		if rep := oscSend(t, conn, m); rep.Args[1] != "ok" {
			t.Fatalf("%s: %v", m.Address, rep.Args)
		}
	}
	refused := func(m OSCMessage, why string) {
		t.Helper()
		rep := oscSend(t, conn, m)
		if rep.Args[1] != "error" || !strings.Contains(rep.Args[2].(string), why) {
			t.Fatalf("%s: %v (want %q)", m.Address, rep.Args, why)
		}
	}
	before := r.log.count("osc")
	refused(OSCMessage{Address: "/studiodesk/start"}, "token")
	refused(OSCMessage{Address: "/studiodesk/start", Args: []any{"wrong"}}, "token")
	refused(OSCMessage{Address: "/studiodesk/start", Args: []any{int32(1)}}, "token")
	refused(OSCMessage{Address: "/studiodesk/start", Args: []any{gone.Token}}, "token")
	refused(OSCMessage{Address: "/studiodesk/start", Args: []any{view.Token}}, "viewer")
	if r.desk.Snapshot().State(r.clk.Now()).Started || r.log.count("osc")-before < 5 {
		t.Fatalf("rejections applied or not logged:\n%s", r.log.dump())
	}
	ok(OSCMessage{Address: "/studiodesk/start", Args: []any{ctrl.Token}})
	ok(OSCMessage{Address: "/studiodesk/next", Args: []any{ctrl.Token}})
	if r.segment() != 1 {
		t.Fatalf("segment %d", r.segment())
	}
	ok(OSCMessage{Address: "/studiodesk/jump", Args: []any{ctrl.Token, int32(3)}})
	ok(OSCMessage{Address: "/studiodesk/previous", Args: []any{ctrl.Token}})
	ok(OSCMessage{Address: "/studiodesk/extend", Args: []any{ctrl.Token, float32(15)}})
	st := r.desk.Snapshot().State(r.clk.Now())
	if st.Segment != 2 || st.SegmentPlanned != 5*time.Minute+15*time.Second {
		t.Fatalf("segment %d planned %v", st.Segment, st.SegmentPlanned)
	}
	ok(OSCMessage{Address: "/studiodesk/toggle_pause", Args: []any{ctrl.Token, "osc-1"}})
	refused(OSCMessage{Address: "/studiodesk/toggle_pause", Args: []any{ctrl.Token, "osc-1"}}, "already used")
	if !r.desk.Snapshot().State(r.clk.Now()).Paused {
		t.Fatal("replayed OSC toggle applied twice")
	}
	refused(OSCMessage{Address: "/studiodesk/jump", Args: []any{ctrl.Token, int32(-2)}}, "index")
	refused(OSCMessage{Address: "/studiodesk/fly", Args: []any{ctrl.Token}}, "unknown action")
	// A bundle of two messages: both answered.
	m1, _ := OSCMessage{Address: "/studiodesk/resume", Args: []any{ctrl.Token}}.MarshalBinary()
	m2, _ := OSCMessage{Address: "/studiodesk/next", Args: []any{ctrl.Token}}.MarshalBinary()
	bundle := append([]byte("#bundle\x00"), make([]byte, 8)...)
	for _, m := range [][]byte{m1, m2} {
		bundle = append(bundle, byte(len(m)>>24), byte(len(m)>>16), byte(len(m)>>8), byte(len(m)))
		bundle = append(bundle, m...)
	}
	if _, err := conn.Write(bundle); err != nil {
		t.Fatal(err)
	}
	eventually(t, "bundle applied", func() bool { return r.segment() == 3 })
	// Garbage is logged and dropped.
	_, _ = conn.Write([]byte("garbage!"))
	eventually(t, "garbage logged", func() bool { return r.log.has("malformed OSC") })
}

func TestOSCCodecRoundTrip(t *testing.T) {
	m := OSCMessage{Address: "/studiodesk/jump", Args: []any{"tok", int32(-7), float32(1.5), int64(1) << 40, 2.25, []byte{1, 2, 3}, true, false, nil}}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseOSC(b)
	if err != nil || len(got) != 1 {
		t.Fatalf("%v %v", got, err)
	}
	g := got[0]
	if g.Address != m.Address || len(g.Args) != len(m.Args) || g.Args[0] != "tok" || g.Args[1] != int32(-7) ||
		g.Args[2] != float32(1.5) || g.Args[3] != int64(1)<<40 || g.Args[4] != 2.25 || string(g.Args[5].([]byte)) != "\x01\x02\x03" ||
		g.Args[6] != true || g.Args[7] != false || g.Args[8] != nil {
		t.Fatalf("round trip: %#v", g)
	}
	for _, bad := range [][]byte{nil, []byte("/a"), []byte("/a\x00\x00,z\x00\x00"), []byte("#bundle\x00"), []byte("/a\x00\x00,b\x00\x00\xff\xff\xff\xff")} {
		if _, err := ParseOSC(bad); !errors.Is(err, ErrOSC) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
