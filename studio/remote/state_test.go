package remote

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"studiodesk/studio"
)

func TestStateDiffsMergeToWholeState(t *testing.T) {
	r := newRig(t)
	var enc encoder
	var dec decoder
	var cache stateCache
	step := func(full bool) (string, StateData) {
		t.Helper()
		f, err := cache.get(r.desk.Snapshot(), r.clk.Now(), r.srv.extras.version(), r.srv.stateAt)
		if err != nil {
			t.Fatal(err)
		}
		b := enc.encode(f, true, full)
		if b == nil {
			return "", StateData{}
		}
		m, err := dec.decode(b)
		if err != nil {
			t.Fatalf("decode %s: %v", b, err)
		}
		want := r.srv.stateAt(r.desk.Snapshot(), r.clk.Now())
		want.CanControl = true
		if !reflect.DeepEqual(m.Data, want) {
			t.Fatalf("merged %+v\nwant   %+v", m.Data, want)
		}
		return string(b), m.Data
	}
	first, _ := step(false)
	if !strings.HasPrefix(first, `{"type":"snapshot","seq":1,`) {
		t.Fatalf("first message %s", first)
	}
	if b, _ := step(false); b != "" {
		t.Fatalf("unchanged state sent %s", b)
	}
	r.mustDo(t, studio.Start{})
	r.clk.Advance(10 * time.Second)
	r.mustDo(t, studio.Next{})
	diff, d := step(false)
	if !strings.HasPrefix(diff, `{"type":"diff","seq":2,`) || strings.Contains(diff, `"show_title"`) || d.Segment != 1 {
		t.Fatalf("diff %s", diff)
	}
	r.mustDo(t, studio.Adjust{Delta: time.Minute})
	step(false)
	if b, _ := step(true); !strings.Contains(b, `"type":"snapshot"`) {
		t.Fatalf("forced snapshot %s", b)
	}
	// A diff out of sequence is refused.
	if _, err := dec.decode([]byte(`{"type":"diff","seq":99,"data":{}}`)); err == nil {
		t.Fatal("gap accepted")
	}
}
