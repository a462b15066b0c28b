package ui

import (
	"os"
	"strings"
	"time"
)

// textureLifetime is how long Fyne keeps a text's texture (and a hidden
// widget's renderer) after it was last drawn. Fyne's default is a minute,
// read once from FYNE_CACHE when the process starts. The desk draws new
// strings every second — the danmaku rows, the figures — so a minute of
// them is kept for nothing: at 2,000 danmaku/s under software GL, some
// 9 MB of texture memory (make bench-app). Twenty seconds keeps most of
// that; ten seconds saved a little more but cost the controller 1.4 % of
// a core in the GL thread (per-thread CPU from /proc, 3 runs each; the
// mechanism inside Fyne's clean-up was not pinned down), while 20 s and
// 30 s cost nothing measurable.
// Anything on screen is drawn at least once a second and never expires.
const textureLifetime = 20 * time.Second

// textureCacheEnv is the environment to start the GUI with so Fyne reads
// textureLifetime, or nil when the process already has it or the user set
// FYNE_CACHE themselves (then theirs wins).
func textureCacheEnv(getenv func(string) string, environ []string) []string {
	if getenv("FYNE_CACHE") != "" {
		return nil
	}
	// An empty FYNE_CACHE= already there is dropped: the first of two
	// equal keys is the one a Go process reads, and the new process must
	// see the lifetime (or it would start itself again, and again).
	env := make([]string, 0, len(environ)+1)
	for _, kv := range environ {
		if !strings.HasPrefix(kv, "FYNE_CACHE=") {
			env = append(env, kv)
		}
	}
	return append(env, "FYNE_CACHE="+textureLifetime.String())
}

// withTextureLifetime replaces the process with itself, same arguments, and
// FYNE_CACHE set, where the platform can (execSelf); elsewhere, or if that
// fails, the GUI runs on with Fyne's default.
func withTextureLifetime() {
	env := textureCacheEnv(os.Getenv, os.Environ())
	if env == nil {
		return
	}
	execSelf(env)
}
