package browsertest

// One Chrome DevTools Protocol client for every test that drives Debian's
// headless Chromium: it starts the browser, reads the DevTools WebSocket
// URL from its stderr, and speaks CDP over gorilla/websocket. Each tab is
// a page target attached as a flat session (Target.attachToTarget with
// flatten), so one connection carries the browser's and every page's
// commands; one reader goroutine routes the replies and keeps the events
// the tests look at, writes go one at a time.

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Chromium is where the tests find the browser (Debian's chromium package,
// in the Makefile's APT list): a wrapper script that execs the real binary.
const Chromium = "/usr/bin/chromium"

// Off reports whether STUDIODESK_NO_BROWSER=1 asks for the browser tests
// to be skipped.
func Off() bool { return os.Getenv("STUDIODESK_NO_BROWSER") == "1" }

// Need fails the test when Chromium is missing, or skips it when
// STUDIODESK_NO_BROWSER=1 says a missing browser is expected. With
// Chromium installed the test runs whatever the variable says (a package
// that skips its browser tests whenever the variable is set checks Off
// itself first).
func Need(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(Chromium); err != nil {
		if Off() {
			t.Skip("STUDIODESK_NO_BROWSER=1: skipping the headless browser test")
		}
		t.Fatalf("%s missing (apt-get install -y chromium, or set STUDIODESK_NO_BROWSER=1): %v", Chromium, err)
	}
}

// BaseArgs are the flags every test's Chromium gets: headless, offline
// (no background or component traffic), DevTools on a loopback port the
// browser picks. Launch adds the profile directory and Options.Args.
var BaseArgs = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
}

// Options are what differs between the packages' browsers.
type Options struct {
	// Args are flags added after BaseArgs (window size, font hinting,
	// WebRTC on loopback, ...).
	Args []string
	// CallTimeout bounds how long one command waits for its reply (a
	// page's context may end it sooner). Zero means 30 s.
	CallTimeout time.Duration
}

// maxStderr is how much of Chromium's stderr is kept for failure messages.
const maxStderr = 256 << 10

// maxConsole is how many console entries are kept until Console reads them.
const maxConsole = 4096

// Browser is one headless Chromium and the DevTools connection to it.
type Browser struct {
	t    testing.TB
	opts Options
	cmd  *exec.Cmd
	ws   *websocket.Conn
	wmu  sync.Mutex // one writer at a time

	mu         sync.Mutex // guards what follows
	nextID     int64
	wait       map[int64]chan reply
	closed     error    // set once the reader stops; calls then fail at once
	exceptions []string // Runtime.exceptionThrown params, until Exceptions
	console    []string // console/log entries and exceptions, until Console
	stderr     strings.Builder
}

type replyError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type reply struct {
	Result json.RawMessage `json:"result"`
	Error  *replyError     `json:"error"`
}

type frame struct {
	ID     int64           `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	reply
}

// Launch starts Chromium headless with a Profile of its own, connects to
// its DevTools and stops it (SIGKILL to its whole process group: the
// browser and its helper processes) when the test ends. It fails the test when the browser
// does not come up within 30 s, and goes through Need first. When the test
// has failed by its end, the console entries nobody read are logged.
func Launch(t testing.TB, opts Options) *Browser {
	t.Helper()
	Need(t)
	if opts.CallTimeout == 0 {
		opts.CallTimeout = 30 * time.Second
	}
	profile := Profile(t) // registered first, so removed after the browser stops
	args := append(append(append([]string(nil), BaseArgs...), "--user-data-dir="+profile), opts.Args...)
	args = append(args, "about:blank")
	cmd := exec.Command(Chromium, args...)
	ownGroup(cmd)
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatalf("chromium stderr: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", Chromium, err)
	}
	b := &Browser{t: t, opts: opts, cmd: cmd, wait: make(map[int64]chan reply)}
	t.Cleanup(b.stop)

	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(errPipe)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			b.mu.Lock()
			if b.stderr.Len() < maxStderr {
				b.stderr.WriteString(line + "\n")
			}
			b.mu.Unlock()
			const mark = "DevTools listening on "
			if i := strings.Index(line, mark); i >= 0 && !sent {
				urlc <- strings.TrimSpace(line[i+len(mark):])
				sent = true
			}
		}
	}()
	var wsURL string
	select {
	case wsURL = <-urlc:
	case <-time.After(30 * time.Second):
		t.Fatalf("chromium: no DevTools URL after 30 s; stderr:\n%s", b.Stderr())
	}
	if !strings.HasPrefix(wsURL, "ws://127.0.0.1:") {
		t.Fatalf("chromium: DevTools URL %q is not on loopback", wsURL)
	}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	ws, resp, err := d.Dial(wsURL, nil)
	if err != nil {
		t.Fatalf("chromium: connect DevTools %s: %v", wsURL, err)
	}
	resp.Body.Close()
	ws.SetReadLimit(64 << 20)
	b.ws = ws
	go b.readLoop()
	return b
}

func (b *Browser) stop() {
	if b.t.Failed() {
		for _, l := range b.Console() {
			b.t.Logf("browser: %s", l)
		}
	}
	if b.ws != nil {
		b.ws.Close()
	}
	if b.cmd.Process != nil {
		killGroup(b.cmd)
		_ = b.cmd.Wait()
	}
}

// Stderr is what Chromium has written to its stderr so far (the first
// 256 KiB).
func (b *Browser) Stderr() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stderr.String()
}

// Exceptions returns the uncaught exceptions (Runtime.exceptionThrown
// params) any page reported since the last call, and forgets them.
func (b *Browser) Exceptions() []string { return b.take(&b.exceptions) }

// Console returns the entries any page reported since the last call, each
// "METHOD PARAMS" (Runtime.consoleAPICalled, Runtime.exceptionThrown, and
// Log.entryAdded once a page enabled the Log domain), and forgets them.
// The first 4096 unread entries are kept; later ones are dropped.
func (b *Browser) Console() []string { return b.take(&b.console) }

// take returns *list and empties it.
func (b *Browser) take(list *[]string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := *list
	*list = nil
	return l
}

func (b *Browser) readLoop() {
	for {
		_, data, err := b.ws.ReadMessage()
		if err != nil {
			b.mu.Lock()
			b.closed = fmt.Errorf("connection closed: %w", err)
			for id, ch := range b.wait {
				ch <- reply{Error: &replyError{Code: -1, Message: b.closed.Error()}}
				delete(b.wait, id)
			}
			b.mu.Unlock()
			return
		}
		var f frame
		if json.Unmarshal(data, &f) != nil {
			continue
		}
		if f.ID != 0 {
			b.mu.Lock()
			ch := b.wait[f.ID]
			delete(b.wait, f.ID)
			b.mu.Unlock()
			if ch != nil {
				ch <- f.reply
			}
			continue
		}
		switch f.Method {
		case "Runtime.exceptionThrown", "Runtime.consoleAPICalled", "Log.entryAdded":
			b.mu.Lock()
			if f.Method == "Runtime.exceptionThrown" {
				b.exceptions = append(b.exceptions, string(f.Params))
			}
			if len(b.console) < maxConsole {
				b.console = append(b.console, f.Method+" "+string(f.Params))
			}
			b.mu.Unlock()
		}
	}
}

// Call sends a browser-level command (session "") and decodes its result
// into out (may be nil). It waits for the reply until ctx ends or
// Options.CallTimeout passes.
func (b *Browser) Call(ctx context.Context, method string, params, out any) error {
	return b.call(ctx, "", method, params, out)
}

func (b *Browser) call(ctx context.Context, session, method string, params, out any) error {
	ch := make(chan reply, 1)
	b.mu.Lock()
	if b.closed != nil {
		err := b.closed
		b.mu.Unlock()
		return fmt.Errorf("cdp %s: %w", method, err)
	}
	b.nextID++
	id := b.nextID
	b.wait[id] = ch
	b.mu.Unlock()
	forget := func() {
		b.mu.Lock()
		delete(b.wait, id)
		b.mu.Unlock()
	}
	if params == nil {
		params = struct{}{}
	}
	msg := map[string]any{"id": id, "method": method, "params": params}
	if session != "" {
		msg["sessionId"] = session
	}
	b.wmu.Lock()
	_ = b.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	err := b.ws.WriteJSON(msg)
	b.wmu.Unlock()
	if err != nil {
		forget()
		return fmt.Errorf("cdp %s: write: %w", method, err)
	}
	timer := time.NewTimer(b.opts.CallTimeout)
	defer timer.Stop()
	select {
	case r := <-ch:
		if r.Error != nil {
			return fmt.Errorf("cdp %s: %d %s", method, r.Error.Code, r.Error.Message)
		}
		if out != nil {
			if err := json.Unmarshal(r.Result, out); err != nil {
				return fmt.Errorf("cdp %s: decode result: %w", method, err)
			}
		}
		return nil
	case <-ctx.Done():
		forget()
		return fmt.Errorf("cdp %s: %w", method, ctx.Err())
	case <-timer.C:
		forget()
		return fmt.Errorf("cdp %s: no reply in %v", method, b.opts.CallTimeout)
	}
}

// Page is one tab: a page target attached as a flat session. Its methods
// that take no context use the page's (WithContext), Background by
// default; the ones named Must fail the test that opened it.
type Page struct {
	b       *Browser
	t       testing.TB
	ctx     context.Context
	session string
}

// NewPage opens a fresh tab of width×height CSS pixels (device scale 1)
// with the Page and Runtime domains enabled, and closes it when t ends.
// init, when not empty, runs in every document before the page's own
// scripts (injected by DevTools, so not subject to the page's CSP).
func (b *Browser) NewPage(t testing.TB, width, height int, init string) *Page {
	t.Helper()
	ctx := context.Background()
	var created struct {
		TargetID string `json:"targetId"`
	}
	if err := b.Call(ctx, "Target.createTarget", map[string]any{"url": "about:blank"}, &created); err != nil {
		t.Fatal(err)
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.Call(ctx, "Target.attachToTarget", map[string]any{"targetId": created.TargetID, "flatten": true}, &attached); err != nil {
		t.Fatal(err)
	}
	p := &Page{b: b, t: t, ctx: ctx, session: attached.SessionID}
	t.Cleanup(func() {
		_ = b.Call(ctx, "Target.closeTarget", map[string]any{"targetId": created.TargetID}, nil)
	})
	p.Must("Page.enable", nil, nil)
	p.Must("Runtime.enable", nil, nil)
	p.Must("Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}, nil)
	if init != "" {
		p.Must("Page.addScriptToEvaluateOnNewDocument", map[string]any{"source": init}, nil)
	}
	return p
}

// WithContext returns the same tab whose commands also end with ctx (a
// whole test's deadline, say).
func (p *Page) WithContext(ctx context.Context) *Page {
	q := *p
	q.ctx = ctx
	return &q
}

// Browser is the browser the tab is in.
func (p *Page) Browser() *Browser { return p.b }

// Call sends method to the tab's session and decodes the result into out
// (may be nil).
func (p *Page) Call(method string, params, out any) error {
	return p.b.call(p.ctx, p.session, method, params, out)
}

// Must is Call failing the test on an error.
func (p *Page) Must(method string, params, out any) {
	p.t.Helper()
	if err := p.Call(method, params, out); err != nil {
		p.t.Fatal(err)
	}
}

// Navigate loads url, fails the test when the browser reports a load
// error, and waits (10 s) for document.readyState to be complete.
func (p *Page) Navigate(url string) {
	p.t.Helper()
	var r struct {
		ErrorText string `json:"errorText"`
	}
	p.Must("Page.navigate", map[string]any{"url": url}, &r)
	if r.ErrorText != "" {
		p.t.Fatalf("navigate %s: %s", url, r.ErrorText)
	}
	p.WaitFor("document.readyState === 'complete'", 10*time.Second)
}

// Eval runs expr in the tab (awaiting it when it is a promise) and decodes
// its value into out (may be nil; left alone when the value is undefined).
// An exception in the page is an error naming the expression.
func (p *Page) Eval(expr string, out any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception *struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	err := p.Call("Runtime.evaluate", map[string]any{
		"expression": expr, "returnByValue": true, "awaitPromise": true,
	}, &r)
	if err != nil {
		return err
	}
	if e := r.ExceptionDetails; e != nil {
		msg := e.Text
		if e.Exception != nil {
			msg += " " + e.Exception.Description
		}
		return fmt.Errorf("eval %.60q: %s", expr, msg)
	}
	if out == nil || len(r.Result.Value) == 0 {
		return nil
	}
	if err := json.Unmarshal(r.Result.Value, out); err != nil {
		return fmt.Errorf("eval %.60q: decode %s: %w", expr, r.Result.Value, err)
	}
	return nil
}

// MustEval is Eval failing the test on an error.
func (p *Page) MustEval(expr string, out any) {
	p.t.Helper()
	if err := p.Eval(expr, out); err != nil {
		p.t.Fatal(err)
	}
}

// Poll evaluates the boolean expression expr every 20 ms until it is true
// and returns how long that took, or an error after d (or when the page's
// context ends) naming expr, the last value and the last error.
func (p *Page) Poll(expr string, d time.Duration) (time.Duration, error) {
	start := time.Now()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		var v json.RawMessage
		err := p.Eval(expr, &v)
		if err == nil && string(v) == "true" {
			return time.Since(start), nil
		}
		var why error
		select {
		case <-deadline.C:
			why = fmt.Errorf("not within %v", d)
		case <-p.ctx.Done():
			why = p.ctx.Err()
		case <-time.After(20 * time.Millisecond):
			continue
		}
		return time.Since(start), fmt.Errorf("waiting for %s: %v (last value %s, last error %v)", expr, why, v, err)
	}
}

// WaitFor is Poll failing the test when expr is not true within d.
func (p *Page) WaitFor(expr string, d time.Duration) time.Duration {
	p.t.Helper()
	took, err := p.Poll(expr, d)
	if err != nil {
		p.t.Fatal(err)
	}
	return took
}

// Screenshot brings the tab to the front and returns a PNG of its
// viewport.
func (p *Page) Screenshot() ([]byte, error) {
	return p.screenshot(map[string]any{"format": "png"})
}

// ScreenshotAll is Screenshot of the whole page, beyond the viewport.
func (p *Page) ScreenshotAll() ([]byte, error) {
	return p.screenshot(map[string]any{"format": "png", "captureBeyondViewport": true})
}

func (p *Page) screenshot(params map[string]any) ([]byte, error) {
	// Headless Chromium draws only the tab in front: a tab opened before
	// another one would never answer.
	if err := p.Call("Page.bringToFront", nil, nil); err != nil {
		return nil, err
	}
	var r struct {
		Data string `json:"data"`
	}
	if err := p.Call("Page.captureScreenshot", params, &r); err != nil {
		return nil, err
	}
	png, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		return nil, fmt.Errorf("screenshot: decode: %w", err)
	}
	if len(png) == 0 {
		return nil, errors.New("screenshot: empty")
	}
	return png, nil
}
