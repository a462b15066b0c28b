package ui

import (
	"strings"
	"testing"

	"studiodesk/app/sound"
)

func TestSoundLightSaysWhy(t *testing.T) {
	text, c := soundText(sound.State{Status: sound.Down, Err: "pulse: connection refused"})
	if c != colOvertime || !strings.Contains(text, "pulse: connection refused") {
		t.Fatalf("down light %q %v", text, c)
	}
	if text, c := soundText(sound.State{Status: sound.OK}); c != colNormal || strings.Contains(text, "·  ·") {
		t.Fatalf("ok light %q %v", text, c)
	}
	if _, c := soundText(sound.State{Status: sound.Connecting}); c != colWarning {
		t.Fatalf("connecting light %v", c)
	}
	// no player at all (cue files unreadable): a red light, not a blank
	l := newSoundLight(nil)
	if l.dot.FillColor != colOvertime || l.label.Text == "" {
		t.Fatalf("no player: %v %q", l.dot.FillColor, l.label.Text)
	}
}
