package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"sync/atomic"
	"testing"
)

// The primary's mirror is one consistent read; a standby's store holds
// exactly the mirrored documents and pending commands after applying it,
// keeps what only it has in other buckets and its show logs, marks done
// what the primary had acknowledged, and writes nothing of a bad mirror.
func TestMirrorReadApply(t *testing.T) {
	prim := openTest(t, t.TempDir())
	var commits atomic.Int64
	prim.OnCommit(func() { commits.Add(1) })
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(prim.Put(BucketAnchors, "current", map[string]any{"id": "run-1", "anchors": []int{1, 2}}))
	must(prim.Put(BucketInteractions, "coupon-1", map[string]any{"state": "live"}))
	must(prim.Put(BucketInteractions, "vote-1", map[string]any{"state": "draft"}))
	for _, k := range []string{"coupon:a", "coupon:b", "coupon:c"} {
		must(prim.OutboxAdd(OutboxItem{Key: k, Kind: "coupon.issue", Payload: json.RawMessage(`{"id":"` + k + `"}`)}))
	}
	must(prim.OutboxAttempt("coupon:a"))
	must(prim.OutboxDone("coupon:b", map[string]bool{"ok": true}))
	if n := commits.Load(); n != 8 {
		t.Fatalf("commit hook ran %d times for 8 commits", n)
	}
	prim.OnCommit(nil)
	must(prim.Put(BucketSettings, "x", 1))
	if n := commits.Load(); n != 8 {
		t.Fatal("commit hook ran after it was removed")
	}

	m, err := prim.ReadMirror([]string{BucketAnchors, BucketInteractions, BucketPresets})
	must(err)
	if len(m.Docs[BucketInteractions]) != 2 || len(m.Docs[BucketPresets]) != 0 || m.Docs[BucketPresets] == nil {
		t.Fatalf("docs: %v", m.Docs)
	}
	if len(m.Outbox) != 2 || m.Outbox[0].Key != "coupon:a" || m.Outbox[0].Attempts != 1 || m.Outbox[1].Key != "coupon:c" {
		t.Fatalf("pending: %+v", m.Outbox)
	}

	sb := openTest(t, t.TempDir())
	must(sb.Put(BucketInteractions, "old-coupon", map[string]any{"state": "closed"}))
	must(sb.Put(BucketPresets, "p1", map[string]any{"id": "p1"}))
	must(sb.Put(BucketSettings, "lang", "zh"))
	must(sb.OutboxAdd(OutboxItem{Key: "coupon:c", Kind: "coupon.issue"}))
	must(sb.OutboxAdd(OutboxItem{Key: "coupon:old", Kind: "coupon.issue"}))
	if _, err := sb.Append("run-0", "start", map[string]int{"n": 1}); err != nil {
		t.Fatal(err)
	}
	must(sb.ApplyMirror(m))

	got, err := sb.ReadMirror([]string{BucketAnchors, BucketInteractions, BucketPresets})
	must(err)
	if !reflect.DeepEqual(got.Docs, m.Docs) {
		t.Fatalf("standby docs %v, primary's %v", got.Docs, m.Docs)
	}
	keys := map[string]bool{}
	for _, it := range got.Outbox {
		keys[it.Key] = true
	}
	if len(keys) != 2 || !keys["coupon:a"] || !keys["coupon:c"] {
		t.Fatalf("standby pending %+v", got.Outbox)
	}
	if it, _, _ := sb.OutboxGet("coupon:a"); string(it.Payload) != `{"id":"coupon:a"}` || it.Kind != "coupon.issue" {
		t.Fatalf("mirrored item %+v", it)
	}
	if it, found, _ := sb.OutboxGet("coupon:old"); !found || !it.Done || string(it.Result) != string(mirrorDone) {
		t.Fatalf("item acknowledged on the primary: %+v", it)
	}
	var lang string
	if ok, _ := sb.Get(BucketSettings, "lang", &lang); !ok || lang != "zh" {
		t.Fatal("a bucket outside the mirror changed")
	}
	if last, ok, _ := sb.Last("run-0"); !ok || last.Seq != 1 {
		t.Fatal("the show log changed")
	}

	// A bad mirror writes nothing.
	bad := Mirror{Docs: map[string]map[string]json.RawMessage{
		BucketAnchors:      {"current": json.RawMessage(`{"id":"run-2"}`)},
		BucketInteractions: {"x": json.RawMessage(`{not json`)},
	}}
	if err := sb.ApplyMirror(bad); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("bad document: %v", err)
	}
	if err := sb.ApplyMirror(Mirror{Docs: map[string]map[string]json.RawMessage{"outbox": {}}}); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("reserved bucket: %v", err)
	}
	if err := sb.ApplyMirror(Mirror{Outbox: []OutboxItem{{Key: "", Kind: "x"}}}); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("empty key: %v", err)
	}
	var run map[string]any
	if _, err := sb.Get(BucketAnchors, "current", &run); err != nil || run["id"] != "run-1" {
		t.Fatalf("a refused mirror was written: %v %v", run, err)
	}
}

// A standby's log imported from another desk's canonical records is the
// same chain, byte for byte, and goes on from it; a re-delivery is
// skipped; a gap, a changed or non-canonical record writes nothing.
func TestImportCanonicalContinuesTheChain(t *testing.T) {
	a := openTest(t, t.TempDir())
	for i := range 6 {
		if _, err := a.Append("run-1", "cue", map[string]any{"n": i, "text": "<b>&"}); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := a.ExportJSONL("run-1", &buf, nil); err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		if !bytes.HasPrefix(l, finalPrefix) {
			lines = append(lines, l)
		}
	}
	if len(lines) != 6 {
		t.Fatalf("%d lines", len(lines))
	}
	b := openTest(t, t.TempDir())
	if n, err := b.ImportCanonical("run-1", lines[:4]); err != nil || n != 4 {
		t.Fatalf("import: %d %v", n, err)
	}
	if n, err := b.ImportCanonical("run-1", lines[2:]); err != nil || n != 2 {
		t.Fatalf("import with a re-delivery: %d %v", n, err)
	}
	changed := bytes.Replace(lines[3], []byte(`"n":3`), []byte(`"n":9`), 1)
	if _, err := b.ImportCanonical("run-1", [][]byte{changed}); !errors.Is(err, ErrTampered) {
		t.Fatalf("changed record: %v", err)
	}
	if _, err := b.ImportCanonical("run-2", lines[1:2]); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("gap: %v", err)
	}
	spaced := bytes.Replace(lines[0], []byte(`,`), []byte(`, `), 1)
	if _, err := b.ImportCanonical("run-2", [][]byte{lines[0], spaced}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("not canonical: %v", err)
	}
	if _, ok, _ := b.Last("run-2"); ok {
		t.Fatal("a refused batch was written in part")
	}
	la, _, _ := a.Last("run-1")
	lb, _, _ := b.Last("run-1")
	if la.Hash != lb.Hash || la.Seq != lb.Seq {
		t.Fatalf("heads differ: %+v %+v", la, lb)
	}
	r, err := b.Append("run-1", "load_show", map[string]string{"show": "x"})
	if err != nil || r.Seq != 7 || r.Prev != la.Hash {
		t.Fatalf("continued: %+v %v", r, err)
	}
	if res, err := b.Verify("run-1"); err != nil || !res.OK() || res.Records != 7 {
		t.Fatalf("verify: %+v %v", res, err)
	}
}
