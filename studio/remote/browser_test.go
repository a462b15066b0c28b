package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"studiodesk/studio"
	"studiodesk/studio/browsertest"
	"studiodesk/studio/danmaku"
)

// remoteArgs are the flags of the remote page's Chromium: WebRTC on
// loopback only (real IPs instead of mDNS names, and the loopback
// interface offered as an ICE candidate: the desk's side accepts only
// 127.0.0.1), a tablet-sized window.
var remoteArgs = []string{
	"--disable-quic", "--disable-default-apps", "--disable-extensions", "--no-default-browser-check",
	"--disable-features=WebRtcHideLocalIpsWithMdns",
	"--allow-loopback-in-peer-connection",
	"--window-size=1280,860",
}

func TestBrowserRemote(t *testing.T) {
	browsertest.Need(t)
	sr := newStudioRig(t, "off")
	r := sr.rig
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	// Each command waits for its reply as long as the test's deadline.
	b := browsertest.Launch(t, browsertest.Options{Args: remoteArgs, CallTimeout: 90 * time.Second})
	c := b.NewPage(t, 1180, 820, "").WithContext(ctx)
	if err := c.Call("Log.enable", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Call("Page.navigate", map[string]any{"url": r.url("/remote")}, nil); err != nil {
		t.Fatal(err)
	}
	waitJS := func(what, expr string) {
		t.Helper()
		if _, err := c.Poll(expr, 30*time.Second); err != nil {
			t.Fatalf("browser: %s: %v", what, err)
		}
	}
	shot := func(name string) {
		t.Helper()
		png, err := c.ScreenshotAll()
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
	if err := c.Eval(fmt.Sprintf(`(() => {
		document.getElementById('code').value = %q;
		document.getElementById('name').value = '场控平板';
		document.getElementById('pair-btn').click();
		return true; })()`, code), nil); err != nil {
		t.Fatal(err)
	}
	waitJS("token kept", `!!localStorage.getItem('studiodesk.remote.token')`)
	waitJS("link up", `document.body.dataset.link === 'up' && !document.getElementById('btn-next').disabled`)
	if len(r.srv.Devices()) != 1 || r.srv.Devices()[0].Name != "场控平板" {
		t.Fatalf("devices %+v", r.srv.Devices())
	}
	waitJS("state shown", `document.getElementById('segment-title').textContent === '开场'`)

	if err := c.Eval(`document.getElementById('btn-next').click(), true`, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "desk moved by the browser's Next", func() bool { return r.segment() == 1 })
	waitJS("page shows the new segment", `document.getElementById('segment-title').textContent === '精华液'`)
	if err := c.Eval(`document.getElementById('btn-plus').click(), true`, nil); err != nil {
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
	if err := c.Eval(`document.getElementById('preset-wide').click(), true`, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "light moved by the browser", func() bool { return sr.light.count() == 1 })
	waitJS("recall result shown", `document.getElementById('preset-result').textContent.includes('✓')`)

	// Fire the armed coupon: the page asks first; the platform issues it
	// once after the confirmation.
	waitJS("coupon card", `!!document.getElementById('fire-coupon-1')`)
	if err := c.Eval(`document.getElementById('fire-coupon-1').click(), true`, nil); err != nil {
		t.Fatal(err)
	}
	waitJS("confirmation asked", `!document.getElementById('confirm').hidden`)
	time.Sleep(100 * time.Millisecond)
	if n := sr.sim.IssuedCount("coupon-1"); n != 0 {
		t.Fatalf("coupon issued %d times before the confirmation", n)
	}
	shot("remote-confirm.png")
	if err := c.Eval(`document.getElementById('confirm-yes').click(), true`, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "coupon issued from the browser", func() bool { return sr.sim.IssuedCount("coupon-1") == 1 })
	waitJS("coupon shown live", `!!document.getElementById('ix-coupon-1') && document.getElementById('ix-coupon-1').className === 'live'`)

	// Pin a comment from the danmaku list.
	sr.pipe.Ingest(danmaku.Message{ID: "m1", ViewerID: "v1", ViewerName: "小米", Text: "这个精华液适合油皮吗？", Time: r.clk.Now()})
	deadline := time.Now().Add(20 * time.Second)
	for {
		r.srv.PublishDanmaku([]DanmakuLine{{ID: "m1", User: "小米", Text: "这个精华液适合油皮吗？"}, {User: "阿珍", Text: "上链接！"}})
		var v json.RawMessage
		_ = c.Eval(`!!document.querySelector('#danmaku button[title=pin]')`, &v)
		if string(v) == "true" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("danmaku never reached the page")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := c.Eval(`document.querySelector('#danmaku button[title=pin]').click(), true`, nil); err != nil {
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
	for _, l := range b.Console() {
		if strings.Contains(l, "Content Security Policy") || strings.Contains(l, "exceptionThrown") {
			t.Errorf("browser: %s", l)
		}
	}
	if err := ctx.Err(); errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("browser test ran out of time")
	}
}
