package overview_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"studiodesk/app/fleet"
	"studiodesk/app/fleet/fleettest"
	"studiodesk/app/fleet/overview"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func statusJSON(t *testing.T, s fleet.Status) []byte {
	t.Helper()
	s.V = fleet.StatusVersion
	if s.Role == "" {
		s.Role = fleet.RolePrimary
	}
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// The board ages heartbeats by its own clock: live, amber at 3 s, red at
// 10 s; configured studios never heard from are "never"; bad messages
// are counted and change nothing; the row's colour is the worst of
// heartbeat, devices and schedule.
func TestBoardLevelsAndAlerts(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC)}
	b := overview.NewBoard([]string{"a", "b"}, clk.now)
	var changed []string
	b.OnChange(func(id string) { changed = append(changed, id) })
	if err := b.Apply("sd.a.status", statusJSON(t, fleet.Status{Studio: "a", State: fleet.StateRunning, OverUnder: 10, Devices: []fleet.StatusDevice{{Name: "cam", Health: fleet.HealthOK}}})); err != nil {
		t.Fatal(err)
	}
	rows := b.Rows()
	if len(rows) != 2 || rows[0].Studio != "a" || rows[0].Level != overview.LevelLive || rows[0].Alert != overview.AlertOK || rows[1].Level != overview.LevelNever || rows[1].Alert != overview.AlertBad {
		t.Fatalf("rows %+v", rows)
	}
	for _, step := range []struct {
		d     time.Duration
		level string
		alert string
	}{{2900 * time.Millisecond, overview.LevelLive, overview.AlertOK}, {200 * time.Millisecond, overview.LevelStale, overview.AlertWarn}, {7 * time.Second, overview.LevelLost, overview.AlertBad}} {
		clk.add(step.d)
		changed = nil
		b.Sweep()
		r := b.RowsOf([]string{"a"})[0]
		if r.Level != step.level || r.Alert != step.alert || r.Health != overview.AlertOK {
			t.Fatalf("after +%v: %s/%s/%s, want %s/%s", step.d, r.Level, r.Alert, r.Health, step.level, step.alert)
		}
		if want := step.level != overview.LevelLive; (len(changed) == 1) != want {
			t.Fatalf("after +%v: changed %v", step.d, changed)
		}
	}
	// Devices and schedule colour the row.
	for _, tc := range []struct {
		s    fleet.Status
		want string
	}{
		{fleet.Status{Studio: "a", State: fleet.StateRunning, OverUnder: 45}, overview.AlertWarn},
		{fleet.Status{Studio: "a", State: fleet.StateRunning, OverUnder: 150}, overview.AlertBad},
		{fleet.Status{Studio: "a", State: fleet.StateEnded, OverUnder: 150}, overview.AlertOK},
		{fleet.Status{Studio: "a", State: fleet.StateIdle, Devices: []fleet.StatusDevice{{Health: fleet.HealthDegraded}}}, overview.AlertWarn},
		{fleet.Status{Studio: "a", State: fleet.StateIdle, Devices: []fleet.StatusDevice{{Health: fleet.HealthDegraded}, {Health: fleet.HealthDown}}}, overview.AlertBad},
	} {
		if err := b.Apply("sd.a.status", statusJSON(t, tc.s)); err != nil {
			t.Fatal(err)
		}
		if r := b.RowsOf([]string{"a"})[0]; r.Alert != tc.want || r.Level != overview.LevelLive {
			t.Fatalf("%+v: alert %s level %s, want %s", tc.s, r.Alert, r.Level, tc.want)
		}
	}
	// A standby's report goes beside the row, not over it.
	if err := b.Apply("sd.a.status.standby", statusJSON(t, fleet.Status{Studio: "a", Role: fleet.RoleStandby, Desk: "sb"})); err != nil {
		t.Fatal(err)
	}
	if r := b.RowsOf([]string{"a"})[0]; r.Standby == nil || r.Standby.Desk != "sb" || r.Status.Role != fleet.RolePrimary {
		t.Fatalf("standby: %+v", r)
	}
	// Bad messages are counted, named, and change nothing.
	before := b.Rows()
	for _, m := range [][2]string{{"sd.a.status", "{"}, {"sd.b.status", string(statusJSON(t, fleet.Status{Studio: "a"}))}} {
		if err := b.Apply(m[0], []byte(m[1])); err == nil {
			t.Fatalf("%s %s accepted", m[0], m[1])
		}
	}
	if n, last := b.Bad(); n != 2 || !strings.Contains(last, `names studio "a"`) {
		t.Fatalf("bad %d %q", n, last)
	}
	if after := b.Rows(); len(after) != len(before) || after[1].Status != nil {
		t.Fatalf("a bad message changed the board: %+v", after)
	}
}

func TestLang(t *testing.T) {
	for _, tc := range []struct{ query, accept, want string }{
		{"?lang=en", "zh-CN", "en"},
		{"?lang=zh", "en-US", "zh"},
		{"", "en-US,en;q=0.9,zh-CN;q=0.8", "en"},
		{"", "zh-CN,zh;q=0.9,en;q=0.8", "zh"},
		{"", "fr-FR,en;q=0.5,zh;q=0.7", "zh"},
		{"", "fr-FR", "zh"},
		{"", "", "zh"},
		{"?lang=xx", "en", "en"},
	} {
		r := httptest.NewRequest("GET", "/"+tc.query, nil)
		r.Header.Set("Accept-Language", tc.accept)
		if got := overview.Lang(r); got != tc.want {
			t.Errorf("%q %q: %s, want %s", tc.query, tc.accept, got, tc.want)
		}
	}
}

// The event stream sends the whole board, then each change as it comes,
// without being asked again.
func TestEventStreamPushesChanges(t *testing.T) {
	c := fleettest.Start(t, 1, "s1", "s2")
	nc, _ := c.Agency()
	srv, err := overview.Start(overview.Config{Addr: "127.0.0.1:0", Conn: nc, Studios: []string{"s1", "s2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	resp, err := http.Get(srv.URL() + "events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	events := make(chan [2]string, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev string
		for sc.Scan() {
			l := sc.Text()
			if v, ok := strings.CutPrefix(l, "event: "); ok {
				ev = v
			}
			if v, ok := strings.CutPrefix(l, "data: "); ok {
				events <- [2]string{ev, v}
			}
		}
		close(events)
	}()
	next := func() (string, overview.Update) {
		t.Helper()
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatal("stream ended")
			}
			var u overview.Update
			if err := json.Unmarshal([]byte(e[1]), &u); err != nil {
				t.Fatal(err)
			}
			return e[0], u
		case <-time.After(5 * time.Second):
			t.Fatal("no event within 5 s")
		}
		return "", overview.Update{}
	}
	kind, u := next()
	if kind != "board" || len(u.Rows) != 2 || u.Rows[0].Level != overview.LevelNever {
		t.Fatalf("first event %s %+v", kind, u)
	}
	desk, _, err := c.Desk("s2").Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer desk.Close()
	t0 := time.Now()
	if err := desk.Publish("sd.s2.status", statusJSON(t, fleet.Status{Studio: "s2", State: fleet.StateRunning, Segment: 3, Segments: 5})); err != nil {
		t.Fatal(err)
	}
	kind, u = next()
	if kind != "rows" || len(u.Rows) != 1 || u.Rows[0].Studio != "s2" || u.Rows[0].Status.Segment != 3 {
		t.Fatalf("change event %s %+v", kind, u)
	}
	if d := time.Since(t0); d > time.Second {
		t.Fatalf("pushed after %v", d)
	}
	// Silence: the hub pushes the row again when it turns stale.
	kind, u = next()
	if kind != "rows" || u.Rows[0].Level != overview.LevelStale {
		t.Fatalf("stale event %s %+v", kind, u)
	}

	// The page carries the board inline; what a desk sends cannot close
	// the script element it sits in.
	evil := `</script><img src=x onerror=alert(1)>`
	if err := desk.Publish("sd.s2.status", statusJSON(t, fleet.Status{Studio: "s2", Show: evil, State: fleet.StateIdle})); err != nil {
		t.Fatal(err)
	}
	if kind, u = next(); kind != "rows" || u.Rows[0].Status.Show != evil {
		t.Fatalf("evil title event %s %+v", kind, u)
	}
	for _, lang := range []string{"zh", "en"} {
		resp, err := http.Get(srv.URL() + "?lang=" + lang)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page := string(body)
		if strings.Contains(page, "</script><img") || strings.Count(page, "</script>") != 2 || !strings.Contains(page, `\u003c/script\u003e\u003cimg`) {
			t.Fatalf("the inline board is not escaped:\n%s", page)
		}
		if !strings.Contains(page, `data-lang="`+lang+`"`) || resp.Header.Get("Content-Security-Policy") == "" {
			t.Fatalf("page language or CSP: %s %v", lang, resp.Header)
		}
	}
}
