package store

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDamagedFile: any bytes in place of desk.db. The open-time check,
// the salvage reader, a read-only open and its reads never panic; a file
// the check refuses is never changed by Open.
func FuzzDamagedFile(f *testing.F) {
	dir := f.TempDir()
	s, err := Open(dir, Options{Now: testClock(1)})
	if err != nil {
		f.Fatal(err)
	}
	for i := 0; i < 40; i++ {
		if _, err := s.AppendBatch(show, []Entry{{Kind: "cue", Payload: map[string]int{"i": i}}}); err != nil {
			f.Fatal(err)
		}
	}
	_ = s.Put(BucketSettings, "k", "v")
	_ = s.Close()
	seed, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		d := t.TempDir()
		path := filepath.Join(d, FileName)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, _ = Salvage(path)
		checkErr := CheckFile(path)
		if ro, err := OpenReadOnly(path, Options{}); err == nil {
			if shows, err := ro.Shows(); err == nil {
				for _, sh := range shows {
					_, _ = ro.Verify(sh)
				}
			}
			_ = ro.Close()
		}
		st, err := Open(d, Options{})
		if err == nil {
			_, _ = st.Append(show, "cue", 1)
			_ = st.Close()
			return
		}
		if checkErr != nil {
			got, _ := os.ReadFile(path)
			if string(got) != string(data) {
				t.Fatal("a refused file was changed")
			}
		}
	})
}
