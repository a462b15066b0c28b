package ui

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// The launcher must match what the app does: the taskbar groups a window
// with its launcher by StartupWMClass, which GLFW takes on X11 from the
// title the window is created with (wmClass); Exec is the installed binary.
func TestDesktopEntryMatchesTheApp(t *testing.T) {
	f, err := os.Open("../../packaging/linux/com.studiodesk.desk.desktop")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			got[k] = v
		}
	}
	for k, want := range map[string]string{
		"Name":           "StudioDesk",
		"Name[zh_CN]":    "直播中控台",
		"Exec":           "studiodesk",
		"Categories":     "AudioVideo;Video;",
		"StartupWMClass": wmClass,
		"Icon":           "com.studiodesk.desk",
	} {
		if got[k] != want {
			t.Errorf("%s=%q, want %q", k, got[k], want)
		}
	}
	for _, k := range []string{"Comment", "Comment[zh_CN]"} {
		if got[k] == "" {
			t.Errorf("no %s", k)
		}
	}
}
