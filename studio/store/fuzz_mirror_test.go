package store

import (
	"bytes"
	"testing"
)

// FuzzImportCanonical: a standby imports records that come over the
// network, so no input may panic, and whatever it accepts leaves a log
// that verifies.
func FuzzImportCanonical(f *testing.F) {
	src, err := Open(f.TempDir(), Options{Now: testClock(1)})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := src.AppendBatch(show, []Entry{{Kind: "ev", Payload: map[string]string{"t": "弹幕 <b>"}}, {Kind: "cue"}}); err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := src.ExportJSONL(show, &buf, nil); err != nil {
		f.Fatal(err)
	}
	_ = src.Close()
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	f.Add(lines[0], lines[1])
	f.Add(lines[1], lines[0])
	f.Add([]byte(`{"seq":1,"time":"x","kind":"k","payload":null,"prev":"0"}`), []byte{})
	f.Add([]byte{}, []byte(`{}`))
	dst, err := Open(f.TempDir(), Options{Now: testClock(1)})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = dst.Close() })
	f.Fuzz(func(t *testing.T, a, b []byte) {
		name := "fz"
		n, err := dst.ImportCanonical(name, [][]byte{a, b})
		if err != nil {
			return
		}
		if res, verr := dst.Verify(name); verr != nil || !res.OK() {
			t.Fatalf("imported %d records, the log no longer verifies: %+v %v", n, res, verr)
		}
	})
}
