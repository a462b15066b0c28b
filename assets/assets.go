// Package assets embeds what ships inside the binary: the CJK font, icons,
// cue sounds, the demo show and the overlay pages.
package assets

import (
	"embed"
	"io/fs"
)

// FS holds every asset; paths are relative to this directory.
//
//go:embed icons/icon.png demo sounds
var FS embed.FS

// font is embedded as a byte slice rather than read from FS: FS.ReadFile
// would copy its 2 MB onto the heap.
//
//go:embed fonts/DroidSansFallbackStudio.otf
var font []byte

// Font is Droid Sans Fallback (Apache-2.0, see fonts/) cut to what the desk
// shows and stored with CFF outlines (fonts/make_studio_font.py says which
// characters and why): a single-face OpenType font with CJK glyphs, so
// Chinese renders on machines with no CJK system font (Fyne cannot use .ttc
// collections), at a sixth of the full font's parsed size.
// The slice is shared: callers must not modify it.
func Font() []byte { return font }

// Icon is the application icon (PNG).
func Icon() []byte { return mustRead("icons/icon.png") }

// DemoShow is the demo script (YAML).
func DemoShow() []byte { return mustRead("demo/show.yaml") }

// Read returns an embedded file.
func Read(name string) ([]byte, error) { return FS.ReadFile(name) }

// mustRead is only used for files the embed directive guarantees exist.
func mustRead(name string) []byte {
	b, err := FS.ReadFile(name)
	if err != nil {
		return nil
	}
	return b
}

// Sounds is the directory of cue sounds (WAV).
func Sounds() fs.FS {
	sub, err := fs.Sub(FS, "sounds")
	if err != nil {
		return FS
	}
	return sub
}
