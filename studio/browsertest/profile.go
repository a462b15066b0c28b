// Package browsertest holds what the tests that drive a headless Chromium
// share (the overlay pages, the browser remote, the agency overview).
package browsertest

import (
	"os"
	"testing"
	"time"
)

// Profile is a profile directory for a headless Chromium that is removed
// after the browser: its helper processes may still write there for a
// moment after the main process is killed, which t.TempDir's cleanup
// reports as a failure. Register it before starting the browser (cleanups
// run last-registered first). A profile that cannot be removed within
// 5 s is logged and left in the temp dir.
func Profile(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "studiodesk-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			err := os.RemoveAll(dir)
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Logf("chromium profile %s left behind: %v", dir, err)
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	return dir
}
