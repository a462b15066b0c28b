package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"studiodesk/app/core"
	"studiodesk/app/fleet"
	"studiodesk/app/fleet/fleettest"
	"studiodesk/app/fleet/overview"
	"studiodesk/studio/remote"
)

// startChild runs `studiodesk ARGS…` as a real child process (this test
// binary re-executed; TestMain runs Run(args) as main does).
func startChild(t *testing.T, args ...string) *serveProc {
	t.Helper()
	raw, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(raw))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProc{cmd: cmd, line: make(chan string, 256), done: make(chan error, 1)}
	go func() {
		buf := make([]byte, 4096)
		var pending string
		for {
			n, err := stderr.Read(buf)
			pending += string(buf[:n])
			for {
				i := strings.IndexByte(pending, '\n')
				if i < 0 {
					break
				}
				l := pending[:i]
				pending = pending[i+1:]
				p.mu.Lock()
				p.log.WriteString(l + "\n")
				p.mu.Unlock()
				select {
				case p.line <- l:
				default:
				}
			}
			if err != nil {
				break
			}
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	return p
}

func writeHubConfig(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "hub.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// `studiodesk hub --config FILE` as a real process: it starts, serves a
// real desk that joins with its studio's user (the desk's status reaches
// the hub's overview), and stops cleanly on SIGTERM.
func TestHubCommandServesADeskAndStopsOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	port, web := fleettest.FreePort(t), fleettest.FreePort(t)
	cfgPath := writeHubConfig(t, dir, fmt.Sprintf(`name: hub-t
listen: 127.0.0.1:%d
http: 127.0.0.1:%d
store: %s
agency: {user: agency, password: agency-pw}
studios:
  - {id: s1, user: studio-s1, password: pw-s1}
  - {id: s2, user: studio-s2, password: pw-s2}
`, port, web, filepath.Join(dir, "store")))
	p := startChild(t, "hub", "--config", cfgPath)
	url := p.await(t, regexp.MustCompile(`serving desks on (\S+)`), 30*time.Second)
	p.await(t, regexp.MustCompile(`(library and 2 studios ready)`), 30*time.Second)

	// A real desk joins as studio s1 with its own user.
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var o core.Options
	o.Register(fs)
	if err := fs.Parse([]string{"--data", t.TempDir(), "--overlay", "127.0.0.1:0", "--remote-addr", "127.0.0.1:0",
		"--fleet", url, "--studio", "s1", "--fleet-user", "studio-s1", "--fleet-password", "pw-s1"}); err != nil {
		t.Fatal(err)
	}
	o.OSCAddr = remote.OSCOff
	a, err := core.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	deadline := time.Now().Add(15 * time.Second)
	var up overview.Update
	for {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/api/studios", web))
		if err == nil {
			up = overview.Update{}
			_ = json.NewDecoder(resp.Body).Decode(&up)
			resp.Body.Close()
			if len(up.Rows) == 2 && up.Rows[0].Status != nil && up.Rows[0].Status.Desk == a.Boot.Key.Fingerprint() && up.Rows[1].Level == overview.LevelNever {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hub's overview never showed desk s1 (last %+v, %v); log:\n%s", up, err, p.logText())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The same user cannot speak for studio s2.
	nc, err := nats.Connect(url, nats.UserInfo("studio-s1", "pw-s1"))
	if err != nil {
		t.Fatal(err)
	}
	perm := make(chan error, 1)
	nc.SetErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { perm <- err })
	_ = nc.Publish(fleet.Studio{ID: "s2"}.Heartbeat(), []byte(`{}`))
	_ = nc.Flush()
	select {
	case err := <-perm:
		if !strings.Contains(strings.ToLower(err.Error()), "permissions violation") {
			t.Fatalf("publish as s2: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("studio s1's user published on studio s2's status unchallenged")
	}
	nc.Close()

	a.Close()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("hub exit: %v; log:\n%s", err, p.logText())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("hub did not stop within 15 s of SIGTERM; log:\n%s", p.logText())
	}
	if log := p.logText(); !strings.Contains(log, "hub hub-t: stopped") {
		t.Fatalf("no clean stop in the log:\n%s", log)
	}
	// Stopped means stopped: the ports are free again.
	if _, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", web)); err == nil {
		t.Fatal("the overview still answers after SIGTERM")
	}
}

// A bad hub config is refused, naming the file and the field.
func TestHubCommandBadConfigNamesFileAndField(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, body, want string }{
		{"bad studio id", "store: " + dir + "\nagency: {user: a, password: b}\nstudios:\n  - {id: Studio One, user: u, password: p}\n", "studios[0]"},
		{"unknown field", "store: " + dir + "\nlisen: 127.0.0.1:4222\nagency: {user: a, password: b}\n", "lisen"},
		{"no store", "agency: {user: a, password: b}\n", "store:"},
		{"bad listen", "listen: nowhere\nstore: " + dir + "\nagency: {user: a, password: b}\n", "listen"},
	} {
		path := writeHubConfig(t, t.TempDir(), tc.body)
		p := startChild(t, "hub", "--config", path)
		var err error
		select {
		case err = <-p.done:
		case <-time.After(15 * time.Second):
			t.Fatalf("%s: the hub did not exit", tc.name)
		}
		var ee *exec.ExitError
		if err == nil || !errors.As(err, &ee) || ee.ExitCode() != ExitError {
			t.Fatalf("%s: exit %v, want %d", tc.name, err, ExitError)
		}
		log := p.logText()
		if !strings.Contains(log, path) || !strings.Contains(log, tc.want) {
			t.Fatalf("%s: %q does not name the file %s and %q", tc.name, log, path, tc.want)
		}
	}
}

// `studiodesk fleet --once` prints every studio: those that report (a
// real desk and a publisher on the same wire) and the configured one
// that never did; bad flags are named.
func TestFleetCommandOnce(t *testing.T) {
	c := fleettest.Start(t, 1, "s1", "s2", "s3")
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var o core.Options
	o.Register(fs)
	if err := fs.Parse([]string{"--data", t.TempDir(), "--overlay", "127.0.0.1:0", "--remote-addr", "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	o.OSCAddr = remote.OSCOff
	o.Fleet = c.Desk("s1")
	a, err := core.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	nc, _, err := c.Desk("s2").Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	st := fleet.Status{V: fleet.StatusVersion, Studio: "s2", Role: fleet.RolePrimary, Show: "茶叶溯源直播", State: fleet.StateRunning, Segment: 2, Segments: 9, SegmentTitle: "龙井 · 对比", OverUnder: 95, DanmakuPerMin: 640,
		Devices: []fleet.StatusDevice{{ID: "cam", Name: "A机位", Kind: "camera", Health: fleet.HealthDown}}}
	raw, _ := json.Marshal(st)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			_ = nc.Publish(fleet.Studio{ID: "s2"}.Heartbeat(), raw)
			select {
			case <-stop:
				return
			case <-time.After(300 * time.Millisecond):
			}
		}
	}()
	time.Sleep(time.Second) // the desk's first heartbeat
	var out, errb bytes.Buffer
	handled, code := Run([]string{"fleet", "--fleet", c.URL(), "--fleet-user", fleettest.AgencyUser, "--fleet-password", fleettest.AgencyPassword, "--once", "--lang", "en"}, &out, &errb)
	if !handled || code != ExitOK {
		t.Fatalf("fleet --once: %v %d: %s", handled, code, errb.String())
	}
	text := out.String()
	t.Logf("\n%s", text)
	title := a.Desk.Snapshot().Show.Title
	for _, want := range []string{"3 studios · 2 live", "1 never seen", "s1", title, "idle", "s2", "3/9 龙井 · 对比", "on air", "+1:35", "640", "0/1 A机位 down", "s3", "never seen", "HEARTBEAT"} {
		if !strings.Contains(text, want) {
			t.Errorf("table lacks %q", want)
		}
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) != 6 { // summary, blank, head, three studios
		t.Errorf("%d lines, want 6", len(lines))
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"fleet", "--once"}, "--fleet nats://HOST:4222 is required"},
		{[]string{"fleet", "--fleet", "http://x:1", "--once"}, `scheme "http"`},
		{[]string{"fleet", "--fleet", c.URL(), "--lang", "fr"}, `--lang "fr"`},
		{[]string{"fleet", "--fleet", c.URL(), "--fleet-user", "agency", "--fleet-password", "wrong", "--once"}, "fleet"},
		{[]string{"fleet", "stray"}, `unexpected argument "stray"`},
	} {
		var out, errb bytes.Buffer
		_, code := Run(tc.args, &out, &errb)
		if code != ExitError || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, %q; want %q", tc.args, code, errb.String(), tc.want)
		}
	}
}

// `studiodesk fleet` without --once, as a real process: it redraws the
// table as status arrives (a studio's segment change shows within 2 s)
// and stops on SIGTERM.
func TestFleetCommandRedrawsAsStatusArrives(t *testing.T) {
	c := fleettest.Start(t, 1, "s1", "s2")
	nc, _, err := c.Desk("s1").Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	send := func(seg int, title string) {
		raw, _ := json.Marshal(fleet.Status{V: fleet.StatusVersion, Studio: "s1", Role: fleet.RolePrimary, Show: "茶叶溯源直播", State: fleet.StateRunning, Segment: seg, Segments: 9, SegmentTitle: title})
		if err := nc.Publish(fleet.Studio{ID: "s1"}.Heartbeat(), raw); err != nil {
			t.Fatal(err)
		}
		_ = nc.Flush()
	}
	f := startFleetScreens(t, c.URL())
	waitScreen := f.wait
	waitScreen("s2 never seen", func(s string) bool { return strings.Contains(s, "s2") && strings.Contains(s, "never seen") })
	send(1, "开场")
	waitScreen("s1 on segment 2", func(s string) bool { return strings.Contains(s, "2/9 开场") })
	send(2, "龙井 · 对比")
	d := waitScreen("s1 on segment 3", func(s string) bool { return strings.Contains(s, "3/9 龙井 · 对比") })
	t.Logf("segment change on the terminal after %v", d)
	if d > 2*time.Second {
		t.Fatalf("segment change shown after %v, want ≤ 2 s", d)
	}
	// Silence: the studio turns late, then lost, with the time.
	waitScreen("s1 late", func(s string) bool { return strings.Contains(s, "late ") && strings.Contains(s, "1 late") })
	f.stop()
}

// fleetScreens is a running `studiodesk fleet` child whose screens (each
// redraw) the test reads.
type fleetScreens struct {
	t       *testing.T
	cmd     *exec.Cmd
	stderr  *bytes.Buffer
	screens chan string
}

func startFleetScreens(t *testing.T, url string) *fleetScreens {
	t.Helper()
	raw, _ := json.Marshal([]string{"fleet", "--fleet", url, "--fleet-user", fleettest.AgencyUser, "--lang", "en"})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(raw), "STUDIODESK_FLEET_PASSWORD="+fleettest.AgencyPassword)
	f := &fleetScreens{t: t, cmd: cmd, stderr: &bytes.Buffer{}, screens: make(chan string, 1024)}
	cmd.Stderr = f.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	go func() {
		buf := make([]byte, 64<<10)
		var acc string
		for {
			n, err := out.Read(buf)
			acc += string(buf[:n])
			// Each redraw starts by clearing the screen and is written
			// at once: the text after the last clear is the screen now.
			if i := strings.LastIndex(acc, "\x1b[H\x1b[2J"); i >= 0 {
				acc = acc[i:]
			}
			if err != nil {
				f.screens <- acc
				close(f.screens)
				return
			}
			if n > 0 {
				select {
				case f.screens <- acc:
				default:
				}
			}
		}
	}()
	return f
}

// wait returns how long it took until a screen satisfied ok.
func (f *fleetScreens) wait(what string, ok func(string) bool) time.Duration {
	t := f.t
	t.Helper()
	start := time.Now()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case s, open := <-f.screens:
			if !open {
				t.Fatalf("fleet exited waiting for %s: %s", what, f.stderr.String())
			}
			if ok(s) {
				return time.Since(start)
			}
		case <-deadline:
			t.Fatalf("no screen with %s within 15 s", what)
		}
	}
}

// stop sends SIGTERM and expects a clean exit.
func (f *fleetScreens) stop() {
	t := f.t
	t.Helper()
	if err := f.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		for range f.screens {
		}
		done <- f.cmd.Wait()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("fleet exit: %v: %s", err, f.stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("fleet did not stop on SIGTERM")
	}
}

// Started while the hub is down, `studiodesk fleet` says so, keeps
// trying, and lists the fleet's studios once the hub is up.
func TestFleetCommandWaitsForTheHub(t *testing.T) {
	c := fleettest.Start(t, 1, "s1", "s2")
	c.Kill(0)
	f := startFleetScreens(t, c.URL())
	f.wait("offline", func(s string) bool { return strings.Contains(s, "offline, reconnecting") })
	c.Restart(0)
	c.WaitReady(20 * time.Second)
	f.wait("both studios listed", func(s string) bool {
		return strings.Contains(s, "2 studios") && strings.Contains(s, "s1") && strings.Contains(s, "s2") && !strings.Contains(s, "offline, reconnecting")
	})
	f.stop()
}
