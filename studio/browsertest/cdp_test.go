package browsertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// testPage logs to the console, counts ticks and, once loaded, throws an
// exception nobody catches.
const testPage = `<!doctype html><html><head><title>browsertest</title></head>
<body style="margin:0;background:#ff0000">
<script>
window.__ticks = 0;
setInterval(function () { window.__ticks++; }, 10);
console.log('console-marker');
window.addEventListener('load', function () {
  setTimeout(function () { throw new Error('uncaught-marker'); }, 0);
});
</script></body></html>`

func serve(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(testPage))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/"
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// One browser, two tabs on flat sessions: each command reaches its own
// tab, values, promises and page exceptions come back, events are kept
// until read, screenshots are PNGs of the asked size.
func TestPages(t *testing.T) {
	b := Launch(t, Options{Args: []string{"--hide-scrollbars"}})
	url := serve(t)
	p := b.NewPage(t, 320, 240, `window.__init = 'ran';`)
	q := b.NewPage(t, 200, 100, "")
	p.Navigate(url)
	q.Navigate(url)

	var init string
	p.MustEval(`window.__init`, &init)
	if init != "ran" {
		t.Fatalf("init script: window.__init = %q, want \"ran\"", init)
	}
	var none any = "untouched"
	q.MustEval(`window.__init`, &none)
	if none != "untouched" {
		t.Fatalf("the other tab ran the init script: %v", none)
	}
	var w, h int
	p.MustEval(`innerWidth`, &w)
	q.MustEval(`innerHeight`, &h)
	if w != 320 || h != 100 {
		t.Fatalf("viewports %d (want 320) and %d (want 100): commands reached the wrong tab", w, h)
	}
	var n int
	p.MustEval(`new Promise(function (r) { setTimeout(function () { r(7); }, 50); })`, &n)
	if n != 7 {
		t.Fatalf("awaited promise gave %d, want 7", n)
	}
	if err := p.Eval(`(function () { throw new Error('eval-boom'); })()`, nil); err == nil || !strings.Contains(err.Error(), "eval-boom") {
		t.Fatalf("an exception in Eval: err %v, want one naming eval-boom", err)
	}
	if err := p.Call("No.suchMethod", nil, nil); err == nil || !strings.Contains(err.Error(), "No.suchMethod") {
		t.Fatalf("unknown method: err %v, want a CDP error naming it", err)
	}

	// Both tabs, from several goroutines at once (one writer at a time).
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		pg := p
		if i%2 == 1 {
			pg = q
		}
		wg.Go(func() {
			var got int
			if err := pg.Eval(fmt.Sprintf(`%d * 2`, i), &got); err != nil || got != 2*i {
				errs <- fmt.Errorf("eval %d*2 = %d, %v", i, got, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	if took := p.WaitFor(`window.__ticks >= 5`, 5*time.Second); took > 5*time.Second {
		t.Fatalf("WaitFor returned after %v", took)
	}
	start := time.Now()
	if _, err := p.Poll(`false`, 200*time.Millisecond); err == nil || !strings.Contains(err.Error(), "not within") {
		t.Fatalf("Poll of a false expression: err %v", err)
	}
	if d := time.Since(start); d < 200*time.Millisecond || d > 5*time.Second {
		t.Fatalf("Poll of a false expression gave up after %v, want ≈ 200ms", d)
	}

	deadline := time.Now().Add(10 * time.Second)
	var ex []string
	for len(ex) < 2 && time.Now().Before(deadline) { // one a tab
		ex = append(ex, b.Exceptions()...)
		time.Sleep(20 * time.Millisecond)
	}
	if len(ex) != 2 || !contains(ex, "uncaught-marker") {
		t.Fatalf("exceptions %q, want the two tabs' uncaught-marker", ex)
	}
	if again := b.Exceptions(); len(again) != 0 {
		t.Fatalf("exceptions read twice: %q", again)
	}
	c := b.Console()
	if !contains(c, "Runtime.consoleAPICalled") || !contains(c, "console-marker") || !contains(c, "Runtime.exceptionThrown") {
		t.Fatalf("console %q lacks the log line or the exception", c)
	}
	if again := b.Console(); len(again) != 0 {
		t.Fatalf("console read twice: %q", again)
	}

	for _, shot := range []func() ([]byte, error){p.Screenshot, p.ScreenshotAll} {
		raw, err := shot()
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("screenshot is no PNG: %v", err)
		}
		if sz := img.Bounds().Size(); sz.X != 320 || sz.Y != 240 {
			t.Fatalf("screenshot %v, want 320×240", sz)
		}
		if r, g, bl, _ := img.At(10, 10).RGBA(); r>>8 != 255 || g>>8 != 0 || bl>>8 != 0 {
			t.Fatalf("screenshot pixel %d,%d,%d, want the page's red", r>>8, g>>8, bl>>8)
		}
	}
	if !strings.Contains(b.Stderr(), "DevTools listening on ws://127.0.0.1:") {
		t.Fatalf("stderr kept no DevTools line:\n%s", b.Stderr())
	}
}

// A command ends with the page's context, with Options.CallTimeout, and at
// once when the connection is gone, whatever the browser does.
func TestCallEnds(t *testing.T) {
	b := Launch(t, Options{CallTimeout: 2 * time.Second})
	p := b.NewPage(t, 200, 100, "")
	const never = `new Promise(function () {})`

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.WithContext(ctx).Eval(`1`, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: err %v, want context.Canceled", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := p.WithContext(ctx).Eval(never, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("context deadline: err %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("context deadline of 100ms ended the call after %v", d)
	}
	start = time.Now()
	if err := p.Eval(never, nil); err == nil || !strings.Contains(err.Error(), "no reply in 2s") {
		t.Fatalf("call timeout: err %v", err)
	}
	if d := time.Since(start); d < 2*time.Second || d > 5*time.Second {
		t.Fatalf("call timeout of 2s ended the call after %v", d)
	}
	var one int
	p.MustEval(`1`, &one) // the page still answers after abandoned calls
	if one != 1 {
		t.Fatalf("eval 1 = %d", one)
	}

	done := make(chan error, 1)
	go func() { done <- p.WithContext(context.Background()).Eval(never, nil) }()
	time.Sleep(100 * time.Millisecond)
	b.ws.Close()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "connection closed") {
			t.Fatalf("pending call when the connection went: err %v", err)
		}
	case <-time.After(time.Second):
		t.Fatal("a pending call outlived the connection by 1s (its timeout is 2s)")
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		err := p.Eval(`1`, nil)
		if err != nil && strings.Contains(err.Error(), "connection closed") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("call after the connection went: err %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestOff(t *testing.T) {
	t.Setenv("STUDIODESK_NO_BROWSER", "1")
	if !Off() {
		t.Fatal("Off() false with STUDIODESK_NO_BROWSER=1")
	}
	t.Setenv("STUDIODESK_NO_BROWSER", "")
	if Off() {
		t.Fatal("Off() true without STUDIODESK_NO_BROWSER")
	}
}
