package remote

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"studiodesk/studio/browsertest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"studiodesk/studio"
	"studiodesk/studio/danmaku"
)

const chromiumPath = "/usr/bin/chromium"

// cdp is a minimal Chrome DevTools Protocol client: enough to open a tab,
// run JavaScript, and take a screenshot. One reader goroutine routes
// replies; writes are serialised by mu (one writer at a time).
type cdp struct {
	ws      *websocket.Conn
	mu      sync.Mutex
	nextID  atomic.Int64
	waiting sync.Map // id → chan cdpReply
	session string
	console chan string
}

type cdpReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

func dialCDP(wsURL string) (*cdp, error) {
	ws, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
	if err != nil {
		return nil, fmt.Errorf("cdp: dial %s: %w", wsURL, err)
	}
	ws.SetReadLimit(64 << 20)
	c := &cdp{ws: ws, console: make(chan string, 256)}
	go c.read()
	return c, nil
}

func (c *cdp) read() {
	for {
		var m struct {
			ID     int64           `json:"id"`
			Method string          `json:"method"`
			Params json.RawMessage `json:"params"`
			cdpReply
		}
		if err := c.ws.ReadJSON(&m); err != nil {
			c.waiting.Range(func(k, v any) bool {
				close(v.(chan cdpReply))
				c.waiting.Delete(k)
				return true
			})
			return
		}
		if m.ID != 0 {
			if ch, ok := c.waiting.LoadAndDelete(m.ID); ok {
				ch.(chan cdpReply) <- m.cdpReply
			}
			continue
		}
		switch m.Method {
		case "Runtime.consoleAPICalled", "Log.entryAdded", "Runtime.exceptionThrown":
			select {
			case c.console <- m.Method + " " + string(m.Params):
			default:
			}
		}
	}
}

func (c *cdp) call(ctx context.Context, method string, params any, out any) error {
	id := c.nextID.Add(1)
	ch := make(chan cdpReply, 1)
	c.waiting.Store(id, ch)
	msg := map[string]any{"id": id, "method": method, "params": params}
	if c.session != "" && !strings.HasPrefix(method, "Target.") {
		msg["sessionId"] = c.session
	}
	c.mu.Lock()
	err := c.ws.WriteJSON(msg)
	c.mu.Unlock()
	if err != nil {
		c.waiting.Delete(id)
		return fmt.Errorf("cdp %s: %w", method, err)
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return fmt.Errorf("cdp %s: connection closed", method)
		}
		if r.Error != nil {
			return fmt.Errorf("cdp %s: %s", method, r.Error.Message)
		}
		if out != nil {
			return json.Unmarshal(r.Result, out)
		}
		return nil
	case <-ctx.Done():
		c.waiting.Delete(id)
		return fmt.Errorf("cdp %s: %w", method, ctx.Err())
	}
}

// eval runs expression in the page and returns its JSON value.
func (c *cdp) eval(ctx context.Context, expr string) (json.RawMessage, error) {
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := c.call(ctx, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &res); err != nil {
		return nil, err
	}
	if res.ExceptionDetails != nil {
		return nil, fmt.Errorf("js %q: %s %s", expr, res.ExceptionDetails.Text, res.ExceptionDetails.Exception.Description)
	}
	return res.Result.Value, nil
}

// startChromium launches headless Chromium with DevTools on a loopback
// port and returns the browser's DevTools WebSocket URL.
func startChromium(t *testing.T) string {
	t.Helper()
	dir := browsertest.Profile(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, chromiumPath,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-default-apps", "--disable-extensions", "--no-default-browser-check",
		"--user-data-dir="+dir,
		"--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
		// WebRTC on loopback only: real IPs instead of mDNS names, and the
		// loopback interface offered as an ICE candidate (the desk's side
		// accepts only 127.0.0.1).
		"--disable-features=WebRtcHideLocalIpsWithMdns",
		"--allow-loopback-in-peer-connection",
		"--window-size=1280,860",
		"about:blank")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	found := make(chan string, 1)
	var tail strings.Builder
	var tailMu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			tailMu.Lock()
			if tail.Len() < 8000 {
				tail.WriteString(line + "\n")
			}
			tailMu.Unlock()
			if i := strings.Index(line, "ws://"); i >= 0 && !sent && strings.Contains(line, "DevTools listening") {
				found <- strings.TrimSpace(line[i:])
				sent = true
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	select {
	case u := <-found:
		return u
	case <-time.After(30 * time.Second):
		tailMu.Lock()
		defer tailMu.Unlock()
		t.Fatalf("chromium did not start DevTools:\n%s", tail.String())
	}
	return ""
}

func TestBrowserRemote(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("STUDIODESK_NO_BROWSER") == "1" {
			t.Skip("STUDIODESK_NO_BROWSER=1: skipping the headless browser test")
		}
		t.Fatalf("%s missing (apt-get install -y chromium, or set STUDIODESK_NO_BROWSER=1): %v", chromiumPath, err)
	}
	sr := newStudioRig(t, "off")
	r := sr.rig
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	c, err := dialCDP(startChromium(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.ws.Close()
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := c.call(ctx, "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		t.Fatal(err)
	}
	var att struct {
		SessionID string `json:"sessionId"`
	}
	if err := c.call(ctx, "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att); err != nil {
		t.Fatal(err)
	}
	c.session = att.SessionID
	for _, m := range []string{"Page.enable", "Runtime.enable", "Log.enable"} {
		if err := c.call(ctx, m, map[string]any{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{"width": 1180, "height": 820, "deviceScaleFactor": 1, "mobile": false}, nil); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			for {
				select {
				case l := <-c.console:
					t.Logf("browser: %s", l)
				default:
					return
				}
			}
		}
	}()
	if err := c.call(ctx, "Page.navigate", map[string]any{"url": r.url("/remote")}, nil); err != nil {
		t.Fatal(err)
	}
	waitJS := func(what, expr string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			v, err := c.eval(ctx, expr)
			if err == nil && string(v) == "true" {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("browser: %s: %s (last %s, %v)", what, expr, v, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	shot := func(name string) {
		t.Helper()
		var res struct {
			Data string `json:"data"`
		}
		if err := c.call(ctx, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}, &res); err != nil {
			t.Fatal(err)
		}
		png, err := base64.StdEncoding.DecodeString(res.Data)
		if err != nil {
			t.Fatal(err)
		}
		dir := "/tmp/remote-shots"
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s (%d bytes)", p, len(png))
	}
	waitJS("pairing form shown", `!!document.getElementById('pair-form') && !document.getElementById('pair-view').hidden`)
	code, _ := r.srv.PairingCode()
	if _, err := c.eval(ctx, fmt.Sprintf(`(() => {
		document.getElementById('code').value = %q;
		document.getElementById('name').value = '场控平板';
		document.getElementById('pair-btn').click();
		return true; })()`, code)); err != nil {
		t.Fatal(err)
	}
	waitJS("token kept", `!!localStorage.getItem('studiodesk.remote.token')`)
	waitJS("link up", `document.body.dataset.link === 'up' && !document.getElementById('btn-next').disabled`)
	if len(r.srv.Devices()) != 1 || r.srv.Devices()[0].Name != "场控平板" {
		t.Fatalf("devices %+v", r.srv.Devices())
	}
	waitJS("state shown", `document.getElementById('segment-title').textContent === '开场'`)

	if _, err := c.eval(ctx, `document.getElementById('btn-next').click(), true`); err != nil {
		t.Fatal(err)
	}
	eventually(t, "desk moved by the browser's Next", func() bool { return r.segment() == 1 })
	waitJS("page shows the new segment", `document.getElementById('segment-title').textContent === '精华液'`)
	if _, err := c.eval(ctx, `document.getElementById('btn-plus').click(), true`); err != nil {
		t.Fatal(err)
	}
	eventually(t, "desk extended by +30 s", func() bool {
		return r.desk.Snapshot().State(r.clk.Now()).SegmentPlanned == 5*time.Minute+30*time.Second
	})
	r.clk.Advance(75 * time.Second)
	r.mustDo(t, studio.Adjust{Delta: -time.Second}) // publish a fresh state at the new time
	waitJS("clock shows the desk's time", `['04:14', '04:13', '04:12'].includes(document.getElementById('clock').textContent)`)

	// Recall a preset from the grid: the light moves once, the page shows
	// the result.
	waitJS("preset grid", `!!document.getElementById('preset-wide') && !document.getElementById('preset-wide').disabled`)
	if _, err := c.eval(ctx, `document.getElementById('preset-wide').click(), true`); err != nil {
		t.Fatal(err)
	}
	eventually(t, "light moved by the browser", func() bool { return sr.light.count() == 1 })
	waitJS("recall result shown", `document.getElementById('preset-result').textContent.includes('✓')`)

	// Fire the armed coupon: the page asks first; the platform issues it
	// once after the confirmation.
	waitJS("coupon card", `!!document.getElementById('fire-coupon-1')`)
	if _, err := c.eval(ctx, `document.getElementById('fire-coupon-1').click(), true`); err != nil {
		t.Fatal(err)
	}
	waitJS("confirmation asked", `!document.getElementById('confirm').hidden`)
	time.Sleep(100 * time.Millisecond)
	if n := sr.sim.IssuedCount("coupon-1"); n != 0 {
		t.Fatalf("coupon issued %d times before the confirmation", n)
	}
	shot("remote-confirm.png")
	if _, err := c.eval(ctx, `document.getElementById('confirm-yes').click(), true`); err != nil {
		t.Fatal(err)
	}
	eventually(t, "coupon issued from the browser", func() bool { return sr.sim.IssuedCount("coupon-1") == 1 })
	waitJS("coupon shown live", `!!document.getElementById('ix-coupon-1') && document.getElementById('ix-coupon-1').className === 'live'`)

	// Pin a comment from the danmaku list.
	sr.pipe.Ingest(danmaku.Message{ID: "m1", ViewerID: "v1", ViewerName: "小米", Text: "这个精华液适合油皮吗？", Time: r.clk.Now()})
	deadline := time.Now().Add(20 * time.Second)
	for {
		r.srv.PublishDanmaku([]DanmakuLine{{ID: "m1", User: "小米", Text: "这个精华液适合油皮吗？"}, {User: "阿珍", Text: "上链接！"}})
		v, _ := c.eval(ctx, `!!document.querySelector('#danmaku button[title=pin]')`)
		if string(v) == "true" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("danmaku never reached the page")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := c.eval(ctx, `document.querySelector('#danmaku button[title=pin]').click(), true`); err != nil {
		t.Fatal(err)
	}
	eventually(t, "comment pinned from the browser", func() bool { w := sr.pipe.Wall(); return len(w) == 1 && w[0].ID == "m1" })
	time.Sleep(300 * time.Millisecond)

	shot("remote.png")

	// The link drops: buttons disabled, "disconnected" shown; then back.
	r.srv.mu.Lock()
	var sessions []*session
	for ss := range r.srv.sessions {
		sessions = append(sessions, ss)
	}
	r.srv.mu.Unlock()
	for _, ss := range sessions {
		ss.close("test drop")
	}
	waitJS("shows disconnected", `document.body.dataset.link === 'down' && document.getElementById('btn-next').disabled && document.getElementById('link').textContent.includes('disconnected')`)
	shot("remote-disconnected.png")
	waitJS("reconnects", `document.body.dataset.link === 'up' && !document.getElementById('btn-next').disabled`)

	// No CSP violation or script error on the page.
	for {
		select {
		case l := <-c.console:
			if strings.Contains(l, "Content Security Policy") || strings.Contains(l, "exceptionThrown") {
				t.Errorf("browser: %s", l)
			}
			continue
		default:
		}
		break
	}
	if err := ctx.Err(); errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("browser test ran out of time")
	}
}
