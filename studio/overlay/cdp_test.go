package overlay

// A small Chrome DevTools Protocol client for the browser tests: it starts
// Debian's headless Chromium, attaches to one page target and sends
// commands over gorilla/websocket (one writer at a time).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"studiodesk/studio/browsertest"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

const chromiumPath = "/usr/bin/chromium"

type browser struct {
	cmd    *exec.Cmd
	ws     *websocket.Conn
	wmu    sync.Mutex // one writer at a time
	mu     sync.Mutex
	nextID int64
	wait   map[int64]chan cdpReply
	events []string // uncaught page exceptions, for diagnostics
	stderr bytes.Buffer
	done   chan struct{}
}

type cdpReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

type cdpFrame struct {
	ID        int64           `json:"id"`
	Method    string          `json:"method"`
	Params    json.RawMessage `json:"params"`
	SessionID string          `json:"sessionId"`
	cdpReply
}

// launchBrowser starts Chromium or fails the test; with
// STUDIODESK_NO_BROWSER=1 it skips instead.
func launchBrowser(t *testing.T) *browser {
	t.Helper()
	if os.Getenv("STUDIODESK_NO_BROWSER") == "1" {
		t.Skip("STUDIODESK_NO_BROWSER=1: browser tests skipped")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("browser test needs Chromium at %s (apt-get install -y chromium), or set STUDIODESK_NO_BROWSER=1 to skip: %v", chromiumPath, err)
	}
	profile := browsertest.Profile(t)
	cmd := exec.Command(chromiumPath,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+profile, "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
		"--hide-scrollbars", "--font-render-hinting=none", "about:blank")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatalf("chromium stderr: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	b := &browser{cmd: cmd, wait: make(map[int64]chan cdpReply), done: make(chan struct{})}
	t.Cleanup(b.stop)

	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(errPipe)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			b.mu.Lock()
			b.stderr.WriteString(line + "\n")
			b.mu.Unlock()
			if i := strings.Index(line, "DevTools listening on "); i >= 0 && !sent {
				urlc <- strings.TrimSpace(line[i+len("DevTools listening on "):])
				sent = true
			}
		}
	}()
	var wsURL string
	select {
	case wsURL = <-urlc:
	case <-time.After(30 * time.Second):
		t.Fatalf("chromium: no DevTools URL after 30s; stderr:\n%s", b.stderrText())
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

// exceptions returns the uncaught exceptions reported so far and forgets them.
func (b *browser) exceptions() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.events
	b.events = nil
	return e
}

func (b *browser) stderrText() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stderr.String()
}

func (b *browser) readLoop() {
	defer close(b.done)
	for {
		_, data, err := b.ws.ReadMessage()
		if err != nil {
			b.mu.Lock()
			for id, ch := range b.wait {
				ch <- cdpReply{Error: &struct {
					Code    int    `json:"code"`
					Message string `json:"message"`
				}{-1, "connection closed: " + err.Error()}}
				delete(b.wait, id)
			}
			b.mu.Unlock()
			return
		}
		var f cdpFrame
		if json.Unmarshal(data, &f) != nil {
			continue
		}
		if f.ID != 0 {
			b.mu.Lock()
			ch := b.wait[f.ID]
			delete(b.wait, f.ID)
			b.mu.Unlock()
			if ch != nil {
				ch <- f.cdpReply
			}
			continue
		}
		if f.Method == "Runtime.exceptionThrown" {
			b.mu.Lock()
			b.events = append(b.events, string(f.Params))
			b.mu.Unlock()
		}
	}
}

func (b *browser) stop() {
	if b.ws != nil {
		b.ws.Close()
	}
	if b.cmd.Process != nil {
		// The wrapper script and Chromium share the process group we made.
		_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
		_ = b.cmd.Wait()
	}
}

// call sends method to the browser (session "") or a page session.
func (b *browser) call(session, method string, params any, result any) error {
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan cdpReply, 1)
	b.wait[id] = ch
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method, "params": params}
	if session != "" {
		msg["sessionId"] = session
	}
	if params == nil {
		msg["params"] = struct{}{}
	}
	b.wmu.Lock()
	_ = b.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	err := b.ws.WriteJSON(msg)
	b.wmu.Unlock()
	if err != nil {
		return fmt.Errorf("cdp %s: write: %w", method, err)
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			return fmt.Errorf("cdp %s: %d %s", method, r.Error.Code, r.Error.Message)
		}
		if result != nil {
			if err := json.Unmarshal(r.Result, result); err != nil {
				return fmt.Errorf("cdp %s: decode result: %w", method, err)
			}
		}
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("cdp %s: no reply in 30s", method)
	}
}

type page struct {
	b       *browser
	t       *testing.T
	session string
}

// newPage opens a fresh tab of width×height. init runs in every document
// before the page's own scripts (DevTools-injected, so not subject to CSP).
func (b *browser) newPage(t *testing.T, width, height int, init string) *page {
	t.Helper()
	var created struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call("", "Target.createTarget", map[string]any{"url": "about:blank"}, &created); err != nil {
		t.Fatal(err)
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call("", "Target.attachToTarget", map[string]any{"targetId": created.TargetID, "flatten": true}, &attached); err != nil {
		t.Fatal(err)
	}
	p := &page{b: b, t: t, session: attached.SessionID}
	t.Cleanup(func() { _ = b.call("", "Target.closeTarget", map[string]any{"targetId": created.TargetID}, nil) })
	p.must("Page.enable", nil, nil)
	p.must("Runtime.enable", nil, nil)
	p.must("Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}, nil)
	if init != "" {
		p.must("Page.addScriptToEvaluateOnNewDocument", map[string]any{"source": init}, nil)
	}
	return p
}

func (p *page) must(method string, params, result any) {
	p.t.Helper()
	if err := p.b.call(p.session, method, params, result); err != nil {
		p.t.Fatal(err)
	}
}

// navigate loads url and waits for the load to finish.
func (p *page) navigate(url string) {
	p.t.Helper()
	var r struct {
		ErrorText string `json:"errorText"`
	}
	p.must("Page.navigate", map[string]any{"url": url}, &r)
	if r.ErrorText != "" {
		p.t.Fatalf("navigate %s: %s", url, r.ErrorText)
	}
	p.waitFor("document.readyState === 'complete'", 10*time.Second)
}

// eval runs expr (awaiting a promise) and decodes its value into out.
func (p *page) eval(expr string, out any) error {
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
	err := p.b.call(p.session, "Runtime.evaluate", map[string]any{
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
	return json.Unmarshal(r.Result.Value, out)
}

func (p *page) mustEval(expr string, out any) {
	p.t.Helper()
	if err := p.eval(expr, out); err != nil {
		p.t.Fatal(err)
	}
}

// waitFor polls a boolean expression until it is true.
func (p *page) waitFor(expr string, d time.Duration) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for {
		var ok bool
		err := p.eval(expr, &ok)
		if err == nil && ok {
			return
		}
		select {
		case <-ctx.Done():
			p.t.Fatalf("waiting for %s: %v (last error %v)", expr, ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// screenshot returns a PNG of the viewport.
func (p *page) screenshot() ([]byte, error) {
	var r struct {
		Data string `json:"data"`
	}
	if err := p.b.call(p.session, "Page.captureScreenshot", map[string]any{"format": "png"}, &r); err != nil {
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
