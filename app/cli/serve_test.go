package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"studiodesk/studio/store"
)

// The serve test runs the desk as a real child process: this test binary
// re-executed with STUDIODESK_SERVE_CHILD set runs Run(args) exactly as
// main does, so flags, signal handling and shutdown are the real ones.
const childEnv = "STUDIODESK_SERVE_CHILD"

func TestMain(m *testing.M) {
	if raw := os.Getenv(childEnv); raw != "" {
		var args []string
		if err := json.Unmarshal([]byte(raw), &args); err != nil {
			fmt.Fprintln(os.Stderr, "bad child args:", err)
			os.Exit(3)
		}
		handled, code := Run(args, os.Stdout, os.Stderr)
		if !handled {
			fmt.Fprintln(os.Stderr, "child: not handled")
			os.Exit(4)
		}
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// serveProc is a running `studiodesk serve`.
type serveProc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	log  bytes.Buffer
	line chan string
	done chan error
}

func startServe(t *testing.T, args ...string) *serveProc {
	t.Helper()
	raw, _ := json.Marshal(append([]string{"serve"}, args...))
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
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.log.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			select {
			case p.line <- sc.Text():
			default:
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

func (p *serveProc) logText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// await returns the first submatch of re in a log line, waiting up to d.
func (p *serveProc) await(t *testing.T, re *regexp.Regexp, d time.Duration) string {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case l := <-p.line:
			if m := re.FindStringSubmatch(l); m != nil {
				return m[1]
			}
		case <-deadline:
			t.Fatalf("no log line matching %s in %v; log:\n%s", re, d, p.logText())
		}
	}
}

// apiCall is a control API request as docs/control-api.md describes it.
func apiCall(t *testing.T, method, url, token string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: status %d, body %q: %v", method, url, resp.StatusCode, raw, err)
	}
	return resp.StatusCode, out
}

// TestServeRunsAShowThroughTheControlAPIAndStopsOnSIGTERM pairs with a
// headless desk, runs the demo show through the HTTP control API (start,
// next, extend, end), stops the desk with SIGTERM and checks that it said
// so, exited 0, and left a show log whose hash chain verifies and holds
// what was done.
func TestServeRunsAShowThroughTheControlAPIAndStopsOnSIGTERM(t *testing.T) {
	data := t.TempDir()
	p := startServe(t, "--data", data, "--overlay", "127.0.0.1:0", "--remote-addr", "127.0.0.1:0", "--osc-addr", "off", "--sim-rate", "50")
	addr := p.await(t, regexp.MustCompile(`remote control on (127\.0\.0\.1:\d+)`), 15*time.Second)
	code := p.await(t, regexp.MustCompile(`pairing code (\d{6})`), 5*time.Second)
	if !strings.Contains(p.logText(), "studiodesk: ready in") {
		t.Fatalf("no ready line before the pairing code:\n%s", p.logText())
	}
	base := "http://" + addr

	st, pair := apiCall(t, http.MethodPost, base+"/pair", "", map[string]string{"code": code, "name": "serve test", "role": "controller"})
	token, _ := pair["token"].(string)
	if st != http.StatusOK || token == "" {
		t.Fatalf("pair: %d %v", st, pair)
	}
	if st, _ := apiCall(t, http.MethodPost, base+"/api/v1/start", "", nil); st != http.StatusUnauthorized {
		t.Fatalf("start without a token: %d, want 401", st)
	}
	state := func() map[string]any {
		st, s := apiCall(t, http.MethodGet, base+"/api/v1/state", token, nil)
		if st != http.StatusOK {
			t.Fatalf("state: %d %v", st, s)
		}
		return s
	}
	if s := state(); s["started"] != false || s["show_title"] == "" {
		t.Fatalf("before start: %v", s)
	}
	for _, step := range []struct {
		action string
		body   any
		check  func(map[string]any) bool
	}{
		{"start", nil, func(s map[string]any) bool { return s["started"] == true && s["segment"] == 0.0 }},
		{"next", nil, func(s map[string]any) bool { return s["segment"] == 1.0 }},
		{"extend", map[string]any{"seconds": 60}, func(s map[string]any) bool { return s["segment_left_ms"].(float64) > 60_000 }},
		// end cannot be undone: the control API takes it with confirm=true.
		{"end", map[string]any{"confirm": true}, func(s map[string]any) bool { return s["ended"] == true }},
	} {
		st, res := apiCall(t, http.MethodPost, base+"/api/v1/"+step.action, token, step.body)
		if st != http.StatusOK || res["ok"] != true {
			t.Fatalf("%s: %d %v", step.action, st, res)
		}
		if s := state(); !step.check(s) {
			t.Fatalf("after %s the state is %v", step.action, s)
		}
	}
	run, _ := state()["run"].(string)
	if run == "" {
		t.Fatal("no run id in the state")
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("serve exited with %v; log:\n%s", err, p.logText())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("serve did not stop within 10 s of SIGTERM; log:\n%s", p.logText())
	}
	logText := p.logText()
	for _, want := range []string{"studiodesk: stopping", "studiodesk: stopped; show log closed"} {
		if !strings.Contains(logText, want) {
			t.Fatalf("log lacks %q:\n%s", want, logText)
		}
	}
	if strings.Contains(logText, "panic") || strings.Contains(logText, "goroutine ") {
		t.Fatalf("log shows a panic:\n%s", logText)
	}

	// The store was closed: it opens at once (no lock left), the run's
	// chain verifies, and the log holds what the API did.
	s, err := store.Open(data, store.Options{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("reopen after SIGTERM: %v", err)
	}
	res, err := s.Verify(run)
	if err != nil || res.Records < 4 {
		t.Fatalf("verify %s: %+v %v", run, res, err)
	}
	var kinds []string
	if err := s.Records(run, 0, func(r store.Record) error { kinds = append(kinds, r.Kind); return nil }); err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(kinds, " ")
	for _, want := range []string{"start", "next", "end"} {
		if !strings.Contains(joined, want) {
			t.Fatalf("show log %s lacks %q: %v", run, want, kinds)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run2(env{stdout: &out, stderr: &errb, now: time.Now}, "verify", "--data", data, run); code != ExitOK || !strings.HasPrefix(out.String(), "OK "+run) {
		t.Fatalf("studiodesk verify after serve: %d %q %q", code, out.String(), errb.String())
	}
}

func run2(e env, args ...string) int {
	_, code := run(args, e)
	return code
}

func TestServeRefusesNonLoopbackPprofAndStrayArguments(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--data", t.TempDir(), "--pprof", "0.0.0.0:6060"},
		{"serve", "--data", t.TempDir(), "--pprof", "192.168.1.10:6060"},
		{"serve", "--data", t.TempDir(), "stray"},
	} {
		var out, errb bytes.Buffer
		if code := run2(env{stdout: &out, stderr: &errb, now: time.Now}, args...); code != ExitError {
			t.Errorf("%v: exit %d, want %d", args, code, ExitError)
		}
		if !strings.Contains(errb.String(), "loopback") && !strings.Contains(errb.String(), "stray") {
			t.Errorf("%v: error %q names neither loopback nor the argument", args, errb.String())
		}
	}
}

func TestUnknownCommandListsTheCommands(t *testing.T) {
	for _, args := range [][]string{{"serv"}, {"bogus", "--help"}, {"runs"}} {
		var out, errb bytes.Buffer
		handled, code := run(args, env{stdout: &out, stderr: &errb, now: time.Now})
		if !handled || code != ExitError {
			t.Fatalf("%v: handled %v code %d: an unknown command must be an error, not the GUI", args, handled, code)
		}
		for _, want := range []string{"unknown command", "serve", "verify", "export", "report", "shows"} {
			if !strings.Contains(errb.String(), want) {
				t.Errorf("%v: error output lacks %q:\n%s", args, want, errb.String())
			}
		}
	}
	// Flags alone go on to the GUI.
	if handled, _ := run([]string{"--view", "streamer"}, env{stdout: io.Discard, stderr: io.Discard, now: time.Now}); handled {
		t.Fatal("flags were taken for a command")
	}
}
