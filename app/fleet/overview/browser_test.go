package overview_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"studiodesk/studio/browsertest"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"studiodesk/app/core"
	"studiodesk/app/fleet"
	"studiodesk/app/fleet/fleettest"
	"studiodesk/app/fleet/overview"
	"studiodesk/studio"
	"studiodesk/studio/remote"
)

// openDesk opens a real headless desk (core.Open, as serve does) in the
// fleet as studio id.
func openDesk(t *testing.T, cfg fleet.Config) *core.App {
	t.Helper()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var o core.Options
	o.Register(fs)
	if err := fs.Parse([]string{"--data", t.TempDir(), "--overlay", "127.0.0.1:0", "--remote-addr", "127.0.0.1:0", "--sim-rate", "15"}); err != nil {
		t.Fatal(err)
	}
	o.OSCAddr = remote.OSCOff
	o.Fleet = cfg
	a, err := core.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { a.Close() }) })
	return a
}

// simStudio speaks the status format for a studio with no desk: it
// connects with the studio's own credentials and publishes what a desk
// would, once a second and on every change.
type simStudio struct {
	id      string
	subject string
	nc      *nats.Conn
	mu      sync.Mutex
	st      fleet.Status
	stop    chan struct{}
	done    chan struct{}
}

func startSim(t *testing.T, c *fleettest.Cluster, st fleet.Status, standby bool) *simStudio {
	t.Helper()
	cfg := c.Desk(st.Studio)
	nc, _, err := cfg.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	st.V = fleet.StatusVersion
	st.Role = fleet.RolePrimary
	subject := fleet.Studio{ID: st.Studio}.Heartbeat()
	if standby {
		st.Role = fleet.RoleStandby
		subject = fleet.Studio{ID: st.Studio}.StandbyStatus()
	}
	s := &simStudio{id: st.Studio, subject: subject, nc: nc, st: st, stop: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	t.Cleanup(s.halt)
	return s
}

func (s *simStudio) publish() {
	s.mu.Lock()
	s.st.Seq++
	s.st.SentAt = time.Now().UTC()
	raw, _ := json.Marshal(s.st)
	s.mu.Unlock()
	_ = s.nc.Publish(s.subject, raw)
}

func (s *simStudio) run() {
	defer close(s.done)
	tk := time.NewTicker(time.Second)
	defer tk.Stop()
	s.publish()
	for {
		select {
		case <-s.stop:
			return
		case <-tk.C:
			s.publish()
		}
	}
}

// set changes the status and sends it at once, as a desk does on change.
func (s *simStudio) set(f func(*fleet.Status)) {
	s.mu.Lock()
	f(&s.st)
	s.mu.Unlock()
	s.publish()
}

func (s *simStudio) halt() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
}

func devs(health ...string) []fleet.StatusDevice {
	names := []struct{ id, name, kind string }{{"cam-a", "A机位 主机位", "camera"}, {"cam-b", "B机位 特写", "camera"}, {"light-main", "主光", "light"}, {"obs", "OBS", "obs"}}
	out := make([]fleet.StatusDevice, len(health))
	for i, h := range health {
		n := names[i%len(names)]
		out[i] = fleet.StatusDevice{ID: n.id, Name: n.name, Kind: n.kind, Health: h}
	}
	return out
}

// simulated are eight studios in the states an agency sees on a busy
// evening: on time, running over, far over with a camera down, paused
// during a vote, before and after the show, ahead of plan, rehearsing.
func simulated() []fleet.Status {
	ok4 := func() []fleet.StatusDevice { return devs("ok", "ok", "ok", "ok") }
	seg := func(i, n int, title string) (int, int, string) { return i, n, title }
	mk := func(id, show string, state string, ou float64, dm float64, i, n int, title string) fleet.Status {
		return fleet.Status{Studio: id, Desk: fmt.Sprintf("%04x %04x 1a2b 3c4d", len(id)*4099, int(dm)), Show: show, State: state, OverUnder: ou, DanmakuPerMin: dm, Segment: i, Segments: n, SegmentTitle: title, Run: "run-" + id, Devices: ok4(), Interactions: []fleet.StatusInteraction{}, Fleet: fleet.StatusFleet{Connected: true, Server: "hub-1"}}
	}
	a, b, c := seg(3, 9, "面霜 · 限时秒杀")
	s1 := mk("sh-03", "双11美妆专场", fleet.StateRunning, 45, 1840, a, b, c)
	s1.Interactions = []fleet.StatusInteraction{{ID: "c1", Kind: "coupon", Label: "满299减50", State: "live", Claims: 312, StockLeft: 188}}
	s2 := mk("sh-04", "男士护肤夜", fleet.StateRunning, 160, 960, 6, 8, "剃须刀对比")
	s2.Devices = devs("down", "ok", "ok", "ok")
	s2.Devices[0].Error = "VISCA 192.168.1.20: no reply in time"
	s3 := mk("sh-05", "母婴好物", fleet.StatePaused, -30, 410, 2, 10, "奶粉 · 互动投票")
	s3.Interactions = []fleet.StatusInteraction{{ID: "v1", Kind: "vote", Label: "下一款想看哪个？", State: "live", Options: []string{"A 纸尿裤", "B 奶瓶"}, Counts: []int{120, 340}, Total: 460}}
	s3.Devices = devs("ok", "ok", "degraded")
	s4 := mk("gz-06", "家居清洁专场", fleet.StateIdle, 0, 35, 0, 7, "开场")
	s5 := mk("gz-07", "零食大礼包", fleet.StateEnded, 0, 120, 11, 12, "结束语")
	s6 := mk("gz-08", "运动鞋服", fleet.StateRunning, -70, 2210, 5, 11, "跑鞋 · 场景演示")
	s6.Interactions = []fleet.StatusInteraction{{ID: "c2", Kind: "coupon", Label: "跑鞋立减100", State: "live", Claims: 1204, StockLeft: 796}, {ID: "v2", Kind: "vote", Label: "颜色投票", State: "armed"}}
	s7 := mk("bj-09", "数码新品首发", fleet.StateRunning, 3, 3120, 1, 6, "手机 · 核心卖点")
	s7.Rehearsal = true
	n := 12
	s7.Unpublished = &n
	s8 := mk("bj-10", "茶叶溯源直播", fleet.StateRunning, 12, 640, 4, 9, "龙井 · 对比")
	return []fleet.Status{s1, s2, s3, s4, s5, s6, s7, s8}
}

// The overview page, served by a hub of a 3-node cluster, in headless
// Chromium: ten studios publishing (two real desks, eight simulated
// publishers on the same wire), one configured but never seen. It lists
// them all, shows a change within 2 s, turns a stopped studio amber then
// red, and refuses every method but GET.
func TestOverviewPageInChromium(t *testing.T) {
	browsertest.Need(t)
	sims := simulated()
	ids := []string{"hz-01", "hz-02", "bj-11"}
	for _, s := range sims {
		ids = append(ids, s.Studio)
	}
	c := fleettest.Start(t, 3, ids...)
	// Hub 1 serves the page: restart it with an http address (the
	// cluster keeps its streams meanwhile).
	c.Kill(0)
	c.Configs[0].HTTP = "127.0.0.1:0"
	c.Restart(0)
	c.WaitReady(30 * time.Second)
	srv := overview.Of(c.Hubs[0])
	if srv == nil {
		t.Fatal("hub 1 serves no overview")
	}
	base := srv.URL()

	a1 := openDesk(t, c.Desk("hz-01"))
	a2 := openDesk(t, c.Desk("hz-02"))
	if err := a1.Desk.Do(context.Background(), studio.Start{}); err != nil {
		t.Fatal(err)
	}
	simBy := map[string]*simStudio{}
	for _, s := range sims {
		simBy[s.Studio] = startSim(t, c, s, false)
	}
	startSim(t, c, fleet.Status{Studio: "bj-09", Desk: "9f3e 0c11 77aa 02bd", Show: "数码新品首发", State: fleet.StateRunning, Devices: devs("ok", "ok"), Interactions: []fleet.StatusInteraction{}}, true)

	b := openBrowser(t, 1366, 768)
	b.Navigate(base + "?lang=en")
	rows := `document.querySelectorAll('#rows tr')`
	waitJS(t, b, "11 rows", rows+`.length === 11`, 20*time.Second)
	waitJS(t, b, "the event stream is up", `document.body.dataset.link === 'up'`, 10*time.Second)
	waitJS(t, b, "10 studios live", `[...`+rows+`].filter(tr => tr.dataset.level === 'live').length === 10`, 15*time.Second)
	waitJS(t, b, "bj-11 never seen", `document.getElementById('studio-bj-11').dataset.level === 'never' && document.getElementById('studio-bj-11').innerText.includes('never seen')`, 5*time.Second)
	title := a1.Desk.Snapshot().Show.Title
	fp := a1.Boot.Key.Fingerprint()[:9]
	waitJS(t, b, "hz-01 shows its desk's show", fmt.Sprintf(`(r => r.innerText.includes(%q) && r.innerText.includes(%q) && r.dataset.state === 'running' && r.dataset.segment === '0')(document.getElementById('studio-hz-01'))`, title, fp), 10*time.Second)
	waitJS(t, b, "sh-04 red for a device down and far over", `(r => r.dataset.alert === 'bad' && r.innerText.includes('+2:40') && r.innerText.includes('down'))(document.getElementById('studio-sh-04'))`, 5*time.Second)
	waitJS(t, b, "sh-03 amber for running over", `document.getElementById('studio-sh-03').dataset.alert === 'warn'`, 5*time.Second)
	waitJS(t, b, "bj-09 has a standby", `document.getElementById('studio-bj-09').innerText.includes('Standby')`, 5*time.Second)
	waitJS(t, b, "gz-08's coupon and vote", `(r => r.innerText.includes('1,204 / 2,000') && r.innerText.includes('armed'))(document.getElementById('studio-gz-08'))`, 5*time.Second)

	// Pushed, not polled: no request leaves the page while it updates. The
	// CJK font file (fetched when the browser has no local copy, once a
	// glyph needs it) and the event stream itself (an entry appears when a
	// stream ends and the page reconnects) are not polls; anything else is.
	const resources = `performance.getEntriesByType('resource').map(e => e.initiatorType + ' ' + e.name).filter(n => !/\/(cjk\.ttf|events)(\?.*)?$/.test(n))`
	var before, after []string
	if err := b.Eval(resources, &before); err != nil {
		t.Fatal(err)
	}
	// A real desk moves on: the page shows it within 2 s.
	t0 := time.Now()
	if err := a1.Desk.Do(context.Background(), studio.Next{}); err != nil {
		t.Fatal(err)
	}
	seg1 := a1.Desk.Snapshot().Show.Segments[1].Title
	waitJS(t, b, "hz-01 on segment 2", fmt.Sprintf(`(r => r.dataset.segment === '1' && r.innerText.includes(%q))(document.getElementById('studio-hz-01'))`, seg1), 5*time.Second)
	if lag := time.Since(t0); lag > 2*time.Second {
		t.Fatalf("the page showed a real desk's next segment after %v, want ≤ 2 s", lag)
	} else {
		t.Logf("real desk's segment change on the page after %v", lag)
	}
	// A simulated studio changes segment and its coupon count.
	t0 = time.Now()
	simBy["bj-10"].set(func(s *fleet.Status) { s.Segment, s.SegmentTitle = 5, "红茶 · 冲泡演示" })
	waitJS(t, b, "bj-10 on segment 6", `document.getElementById('studio-bj-10').innerText.includes('6/9 红茶')`, 5*time.Second)
	if lag := time.Since(t0); lag > 2*time.Second {
		t.Fatalf("the page showed a segment change after %v, want ≤ 2 s", lag)
	} else {
		t.Logf("simulated studio's segment change on the page after %v", lag)
	}
	if err := b.Eval(resources, &after); err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("the page made %d requests while updating (it must be pushed, not poll): %q", len(after)-len(before), after[min(len(before), len(after)):])
	}

	// What a desk says is shown as text, never run as markup.
	simBy["gz-06"].set(func(s *fleet.Status) { s.Show = `<img src=x onerror="document.body.dataset.owned=1">家居` })
	waitJS(t, b, "markup shown as text", `document.getElementById('studio-gz-06').innerText.includes('<img src=x')`, 5*time.Second)
	var owned bool
	if err := b.Eval(`document.querySelectorAll('#rows img').length > 0 || document.body.dataset.owned === '1'`, &owned); err != nil || owned {
		t.Fatalf("a show title became markup (%v)", err)
	}
	simBy["gz-06"].set(func(s *fleet.Status) { s.Show = "家居清洁专场" })

	// A studio whose desk stops: amber after 3 s, red after 10 s.
	stopped := time.Now()
	a2.Close()
	waitJS(t, b, "hz-02 stale", `document.getElementById('studio-hz-02').dataset.level === 'stale'`, 6*time.Second)
	if d := time.Since(stopped); d < overview.StaleAfter-time.Second {
		t.Fatalf("hz-02 stale %v after it stopped, want ≈ 3 s", d)
	}
	waitJS(t, b, "hz-02 lost (red)", `(r => r.dataset.level === 'lost' && r.dataset.alert === 'bad' && getComputedStyle(r.querySelector('.c-hb')).backgroundColor === 'rgb(255, 77, 79)')(document.getElementById('studio-hz-02'))`, 12*time.Second)
	if d := time.Since(stopped); d < overview.LostAfter-time.Second {
		t.Fatalf("hz-02 lost %v after it stopped, want ≈ 10 s", d)
	}
	waitJS(t, b, "summary counts one lost", `document.getElementById('summary').innerText.includes('1 lost')`, 3*time.Second)

	// Read-only: nothing but GET and HEAD.
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		for _, p := range []string{"", "events", "api/studios"} {
			req, _ := http.NewRequest(m, base+p, strings.NewReader("{}"))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Fatalf("%s /%s: %d, want 405", m, p, resp.StatusCode)
			}
		}
	}

	resp, err := http.Head(base + "events")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("HEAD /events: %v %v", resp, err)
	}
	resp.Body.Close()

	// The screenshots for the docs (STUDIODESK_FLEET_SHOTS=DIR): Chromium's
	// own --screenshot at both sizes in both languages.
	if dir := os.Getenv("STUDIODESK_FLEET_SHOTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		// gz-07 stops publishing before each shot and is shown late
		// (amber), then comes back; hz-02 stays lost (red).
		var gz07 fleet.Status
		for _, s := range sims {
			if s.Studio == "gz-07" {
				gz07 = s
			}
		}
		late := simBy["gz-07"]
		for _, lang := range []string{"zh", "en"} {
			for _, size := range [][2]int{{1366, 768}, {1920, 1080}} {
				late.halt()
				waitJS(t, b, "gz-07 late", `document.getElementById('studio-gz-07').dataset.level === 'stale'`, 6*time.Second)
				time.Sleep(600 * time.Millisecond)
				p := filepath.Join(dir, fmt.Sprintf("fleet-overview-%s-%dx%d.png", lang, size[0], size[1]))
				cmd := exec.Command(browsertest.Chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
					"--user-data-dir="+browsertest.Profile(t), fmt.Sprintf("--window-size=%d,%d", size[0], size[1]),
					"--screenshot="+p, base+"?lang="+lang)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("screenshot %s: %v\n%s", p, err, out)
				}
				late = startSim(t, c, gz07, false)
				waitJS(t, b, "gz-07 back", `document.getElementById('studio-gz-07').dataset.level === 'live'`, 6*time.Second)
				t.Logf("screenshot %s", p)
			}
		}
	}
}
