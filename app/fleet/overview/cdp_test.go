package overview_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"studiodesk/studio/browsertest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The overview is tested in Debian's Chromium, headless, driven over the
// Chrome DevTools Protocol (as the remote and overlay pages are).
const chromiumPath = "/usr/bin/chromium"

func needChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("STUDIODESK_NO_BROWSER") == "1" {
			t.Skip("STUDIODESK_NO_BROWSER=1: skipping the headless browser test")
		}
		t.Fatalf("%s missing (apt-get install -y chromium, or set STUDIODESK_NO_BROWSER=1): %v", chromiumPath, err)
	}
}

type cdp struct {
	ws      *websocket.Conn
	mu      sync.Mutex
	next    atomic.Int64
	waiting sync.Map // id → chan reply
	session string
	console chan string
}

type reply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// openBrowser starts headless Chromium and opens one tab of w×h.
func openBrowser(t *testing.T, w, h int) *cdp {
	t.Helper()
	needChromium(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, chromiumPath,
		"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+browsertest.Profile(t), "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
		fmt.Sprintf("--window-size=%d,%d", w, h), "about:blank")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if l := sc.Text(); strings.Contains(l, "DevTools listening") {
				if i := strings.Index(l, "ws://"); i >= 0 {
					found <- strings.TrimSpace(l[i:])
					break
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	var wsURL string
	select {
	case wsURL = <-found:
	case <-time.After(30 * time.Second):
		t.Fatal("chromium did not start DevTools within 30 s")
	}
	ws, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.SetReadLimit(64 << 20)
	c := &cdp{ws: ws, console: make(chan string, 256)}
	t.Cleanup(func() { _ = ws.Close() })
	go c.read()
	var target struct {
		TargetID string `json:"targetId"`
	}
	c.must(t, "Target.createTarget", map[string]any{"url": "about:blank"}, &target)
	var att struct {
		SessionID string `json:"sessionId"`
	}
	c.must(t, "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att)
	c.session = att.SessionID
	for _, m := range []string{"Page.enable", "Runtime.enable"} {
		c.must(t, m, map[string]any{}, nil)
	}
	c.must(t, "Emulation.setDeviceMetricsOverride", map[string]any{"width": w, "height": h, "deviceScaleFactor": 1, "mobile": false}, nil)
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for {
			select {
			case l := <-c.console:
				t.Logf("browser: %s", l)
			default:
				return
			}
		}
	})
	return c
}

func (c *cdp) read() {
	for {
		var m struct {
			ID     int64           `json:"id"`
			Method string          `json:"method"`
			Params json.RawMessage `json:"params"`
			reply
		}
		if err := c.ws.ReadJSON(&m); err != nil {
			c.waiting.Range(func(k, v any) bool {
				close(v.(chan reply))
				c.waiting.Delete(k)
				return true
			})
			return
		}
		if m.ID != 0 {
			if ch, ok := c.waiting.LoadAndDelete(m.ID); ok {
				ch.(chan reply) <- m.reply
			}
			continue
		}
		if m.Method == "Runtime.consoleAPICalled" || m.Method == "Runtime.exceptionThrown" {
			select {
			case c.console <- m.Method + " " + string(m.Params):
			default:
			}
		}
	}
}

func (c *cdp) call(method string, params, out any) error {
	id := c.next.Add(1)
	ch := make(chan reply, 1)
	c.waiting.Store(id, ch)
	msg := map[string]any{"id": id, "method": method, "params": params}
	if c.session != "" && !strings.HasPrefix(method, "Target.") {
		msg["sessionId"] = c.session
	}
	c.mu.Lock()
	err := c.ws.WriteJSON(msg)
	c.mu.Unlock()
	if err != nil {
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
	case <-time.After(20 * time.Second):
		c.waiting.Delete(id)
		return fmt.Errorf("cdp %s: no reply in 20 s", method)
	}
}

func (c *cdp) must(t *testing.T, method string, params, out any) {
	t.Helper()
	if err := c.call(method, params, out); err != nil {
		t.Fatal(err)
	}
}

// eval runs expr in the page and decodes its value into out (may be nil).
func (c *cdp) eval(expr string, out any) error {
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
	if err := c.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &res); err != nil {
		return err
	}
	if res.ExceptionDetails != nil {
		return fmt.Errorf("js %q: %s %s", expr, res.ExceptionDetails.Text, res.ExceptionDetails.Exception.Description)
	}
	if out != nil {
		return json.Unmarshal(res.Result.Value, out)
	}
	return nil
}

// waitJS waits until expr is true in the page and returns how long it took.
func (c *cdp) waitJS(t *testing.T, what, expr string, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		var ok bool
		err := c.eval(expr, &ok)
		if err == nil && ok {
			return time.Since(start)
		}
		if time.Since(start) > d {
			var body string
			_ = c.eval(`document.getElementById('rows') ? document.getElementById('rows').innerText : document.body.innerText`, &body)
			t.Fatalf("browser: %s not within %v (%s): %v\npage:\n%s", what, d, expr, err, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (c *cdp) navigate(t *testing.T, url string) {
	t.Helper()
	c.must(t, "Page.navigate", map[string]any{"url": url}, nil)
}
