package store

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzVerifyJSONL: an export comes from outside, so no input may panic, and
// anything that verifies must carry a consistent closing line.
func FuzzVerifyJSONL(f *testing.F) {
	s, err := Open(f.TempDir(), Options{Now: testClock(1)})
	if err != nil {
		f.Fatal(err)
	}
	entries := []Entry{{Kind: "ev", Payload: map[string]string{"t": "弹幕 <b>"}}, {Kind: "cue", Payload: nil}, {Kind: "x", Payload: []int{1, 2}}}
	if _, err := s.AppendBatch(show, entries); err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := s.ExportJSONL(show, &buf, nil); err != nil {
		f.Fatal(err)
	}
	_ = s.Close()
	f.Add(buf.Bytes())
	f.Add([]byte(`{"final_hash":"","records":0}`))
	f.Add([]byte(`{"seq":1}` + "\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := VerifyJSONL(bytes.NewReader(data))
		if err != nil && !errors.Is(err, ErrTampered) {
			t.Fatalf("non-chain error from an in-memory reader: %v", err)
		}
		if err == nil && res.Records > 0 && !strings.Contains(string(data), res.FinalHash) {
			t.Fatalf("verified without its final hash in the input")
		}
	})
}
