package ui

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestTextureCacheEnv(t *testing.T) {
	env := []string{"A=1", "FYNE_CACHE=", "DISPLAY=:5"}
	got := textureCacheEnv(func(string) string { return "" }, env)
	if strings.Join(got, " ") != "A=1 DISPLAY=:5 FYNE_CACHE=20s" {
		t.Fatalf("env = %q", got)
	}
	if env[len(env)-1] != "DISPLAY=:5" || len(env) != 3 {
		t.Fatalf("the caller's slice was changed: %q", env)
	}
	user := func(k string) string {
		if k == "FYNE_CACHE" {
			return "30s"
		}
		return ""
	}
	if got := textureCacheEnv(user, env); got != nil {
		t.Fatalf("a FYNE_CACHE the user set must win, got %q", got)
	}
}

// The GUI's start really runs again with FYNE_CACHE: the child re-execs
// itself (the test binary, same arguments) and reports what it sees.
func TestWithTextureLifetimeExecsOnce(t *testing.T) {
	if os.Getenv("STUDIODESK_TEXCACHE_CHILD") == "1" {
		withTextureLifetime()
		// only reached after the exec (or on a platform without it)
		os.Stdout.WriteString("FYNE_CACHE=" + os.Getenv("FYNE_CACHE") + "\n")
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestWithTextureLifetimeExecsOnce$")
	cmd.Env = append(os.Environ(), "STUDIODESK_TEXCACHE_CHILD=1", "FYNE_CACHE=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "FYNE_CACHE=20s\n") {
		t.Fatalf("child output %q, want FYNE_CACHE=20s", out)
	}
}
