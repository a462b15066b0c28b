package overview_test

// The overview is tested in Debian's Chromium, headless, driven over the
// Chrome DevTools Protocol by studio/browsertest (as the remote and
// overlay pages are).

import (
	"fmt"
	"testing"
	"time"

	"studiodesk/studio/browsertest"
)

// openBrowser starts headless Chromium and opens one tab of w×h.
func openBrowser(t *testing.T, w, h int) *browsertest.Page {
	t.Helper()
	b := browsertest.Launch(t, browsertest.Options{
		Args:        []string{"--disable-extensions", fmt.Sprintf("--window-size=%d,%d", w, h)},
		CallTimeout: 20 * time.Second,
	})
	return b.NewPage(t, w, h, "")
}

// waitJS waits until expr is true in page p and returns how long it took;
// when it is not within d the test fails with what the rows (or the page)
// show.
func waitJS(t *testing.T, p *browsertest.Page, what, expr string, d time.Duration) time.Duration {
	t.Helper()
	took, err := p.Poll(expr, d)
	if err != nil {
		var body string
		_ = p.Eval(`document.getElementById('rows') ? document.getElementById('rows').innerText : document.body.innerText`, &body)
		t.Fatalf("browser: %s: %v\npage:\n%s", what, err, body)
	}
	return took
}
