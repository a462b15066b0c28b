package scripts

import (
	"os"
	"reflect"
	"testing"
)

// FuzzLoadYAML checks that any input either fails cleanly or loads into a
// show that saves and loads back unchanged.
func FuzzLoadYAML(f *testing.F) {
	if demo, err := os.ReadFile("../assets/demo/show.yaml"); err == nil {
		f.Add(demo)
	}
	f.Add([]byte(minimalYAML))
	for _, s := range []string{
		"",
		"id: s\ntitle: t\nsegments:\n  - id: a\n    title: A\n    kind: opening\n    duration: 5x\n",
		"id: s\ntitle: t\nsegments:\n  - {id: a, title: A, kind: opening, duration: \"1:30\"}\n  - {id: a, title: B, kind: closing, duration: 1m}\n",
		"id: s\ntitle: \"\xff\"\n",
		"id: &a s\ntitle: *a\n",
		"id: s\ntitle: t\nsegments:\n  - id: p\n    title: P\n    kind: product\n    duration: 2m\n    phases:\n      - {name: x, duration: 1m, points: [a, {text: b, duration: 20s}]}\n",
		"- [\n",
		"id: s\ntitle: \"\\t x \\u2028\"\nsegments: [{id: a, title: \"\\x01\", kind: 收尾, duration: 1h}]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := LoadYAML("fuzz.yaml", data)
		if err != nil {
			if s != nil {
				t.Fatalf("error %v with a non-nil show", err)
			}
			return
		}
		out, err := SaveYAML(s)
		if err != nil {
			t.Fatalf("loaded show does not save: %v", err)
		}
		again, err := LoadYAML("saved.yaml", out)
		if err != nil {
			t.Fatalf("saved show does not load: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(again, s) {
			t.Fatalf("round trip differs:\n got %#v\nwant %#v\n%s", again, s, out)
		}
		_ = Validate(s)
		_ = Lint(s, DefaultBannedTerms)
	})
}
