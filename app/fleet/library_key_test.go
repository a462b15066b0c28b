package fleet

import (
	"regexp"
	"strings"
	"testing"

	"studiodesk/studio"
)

// Library keys are valid KV keys for any id (the engine's key grammar),
// one to one, and <kind>.<one token> so the kind filters cannot match
// across kinds.
func TestItemKeyRoundTripsAnyID(t *testing.T) {
	valid := regexp.MustCompile(`^[-/_=\.a-zA-Z0-9]+$`)
	seen := map[string]string{}
	for _, id := range []string{"cam-wide", "p1", "开场全景", "a.b", "a=2Eb", "x~conflict~desk-1~12", "with space", "=", "A_b-C", "🎥", "a/b"} {
		key := ItemKey(KindPreset, id)
		if !valid.MatchString(key) || strings.Count(key, ".") != 1 || !strings.HasPrefix(key, "preset.") {
			t.Errorf("id %q: key %q is not a single-token KV key", id, key)
		}
		kind, back, err := ParseItemKey(key)
		if err != nil || kind != KindPreset || back != id {
			t.Errorf("id %q: key %q parses to %q %q %v", id, key, kind, back, err)
		}
		if other, dup := seen[key]; dup {
			t.Errorf("ids %q and %q share key %q", id, other, key)
		}
		seen[key] = id
	}
	for _, bad := range []string{"", "preset", "preset.", ".x", "preset.a=4", "preset.a=ZZb"} {
		if _, _, err := ParseItemKey(bad); err == nil {
			t.Errorf("ParseItemKey(%q) accepted", bad)
		}
	}
}

func TestConflictIDFitsAPresetID(t *testing.T) {
	long := strings.Repeat("x", studio.MaxPresetIDLen)
	for _, id := range []string{"cam-wide", long} {
		c := ConflictID(id, "desk-0123abcd", 123456)
		if len(c) > studio.MaxPresetIDLen || !strings.Contains(c, conflictMark+"desk-0123abcd~123456") {
			t.Errorf("ConflictID(%q) = %q (%d bytes)", id, c, len(c))
		}
	}
	if plainName(copyName("开场", "desk-1")) != "开场" || keptName(copyName("开场", "desk-1")) != "开场 (desk-1)" {
		t.Error("conflict copy labels do not round-trip")
	}
}
