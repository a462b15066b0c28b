package store

import (
	"bytes"
	"testing"
)

// FuzzAppendCanonical: an evidence message comes from the hub, so no
// bytes may panic; what is accepted is exactly canonical and rebuilds a
// log that verifies with the same hash.
func FuzzAppendCanonical(f *testing.F) {
	s, err := Open(f.TempDir(), Options{Now: testClock(1)})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := s.AppendBatch(show, []Entry{{Kind: "ev", Payload: map[string]string{"t": "弹幕 <b>\u2028"}}, {Kind: "cue"}}); err != nil {
		f.Fatal(err)
	}
	_ = s.Canonical(show, 1, 1, func(r CanonicalRecord) error { f.Add(r.Bytes); return nil })
	_ = s.Close()
	f.Add([]byte(`{"seq":1,"time":"2025-01-01T00:00:00Z","kind":"x","payload":null,"prev":"` + GenesisPrev + `"}`))
	f.Add([]byte(`{"seq":1}`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseCanonical(data)
		if err != nil {
			return
		}
		if !bytes.Equal(r.Bytes, data) {
			t.Fatalf("accepted %q as %q", data, r.Bytes)
		}
		if r.Seq != 1 || r.Prev != GenesisPrev {
			return
		}
		st, err := Open(t.TempDir(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if err := st.AppendCanonical("f", [][]byte{data}); err != nil {
			t.Fatalf("canonical first record refused: %v", err)
		}
		res, err := st.Verify("f")
		if err != nil || res.FinalHash != r.Hash {
			t.Fatalf("rebuilt record does not verify: %+v %v", res, err)
		}
	})
}
