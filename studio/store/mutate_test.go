package store

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestRandomDamageNeverPanics damages a real desk.db 300 times (bytes
// changed, inserted, cut out or copied over): the open-time check,
// salvage, a read-only open with verify, and a read-write open with an
// append and a close all return (no panic, no hang); a file Open refuses
// is left unchanged.
func TestRandomDamageNeverPanics(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{Now: testClock(1)})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 40; i++ {
		if _, err := s.AppendBatch(show, []Entry{{Kind: "cue", Payload: map[string]int{"i": i}}}); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.Close()
	seed, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	refused := 0
	for n := 0; n < 300; n++ {
		data := append([]byte(nil), seed...)
		switch rng.IntN(4) {
		case 0: // bytes inserted (every page after shifts)
			at := rng.IntN(len(data))
			ins := make([]byte, 1+rng.IntN(64))
			for i := range ins {
				ins[i] = byte(rng.Uint32())
			}
			data = append(data[:at], append(ins, data[at:]...)...)
		case 1: // a range cut out
			at := rng.IntN(len(data))
			data = append(data[:at], data[min(len(data), at+1+rng.IntN(4096)):]...)
		case 2: // one range copied over another (a misplaced write)
			a, b := rng.IntN(len(data)), rng.IntN(len(data))
			l := min(len(data)-a, len(data)-b, 1+rng.IntN(512))
			copy(data[a:a+l], data[b:b+l])
		default: // random bytes changed
			for k := 0; k < 1+rng.IntN(6); k++ {
				data[rng.IntN(len(data))] = byte(rng.Uint32())
			}
		}
		d := t.TempDir()
		path := filepath.Join(d, FileName)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		done := make(chan string, 1)
		go func() {
			step := "salvage"
			defer func() {
				if r := recover(); r != nil {
					step += " panicked"
				}
				done <- step
			}()
			_, _ = Salvage(path)
			step = "check"
			checkErr := CheckFile(path)
			step = "read-only"
			if ro, err := OpenReadOnly(path, Options{}); err == nil {
				if shows, err := ro.Shows(); err == nil {
					for _, sh := range shows {
						_, _ = ro.Verify(sh)
					}
				}
				_ = ro.Close()
			}
			step = "open"
			st, err := Open(d, Options{})
			if err == nil {
				_, _ = st.Append(show, "cue", 1)
				_ = st.Close()
			} else if checkErr != nil {
				refused++
				if got, _ := os.ReadFile(path); string(got) != string(data) {
					step = "refused file changed"
					return
				}
			}
			step = "ok"
		}()
		select {
		case s := <-done:
			if s != "ok" {
				t.Fatalf("case %d: %s", n, s)
			}
		case <-time.After(20 * time.Second):
			_ = os.WriteFile(filepath.Join(os.TempDir(), "studiodesk-hang.db"), data, 0o600)
			t.Fatalf("case %d hangs (input kept in %s)", n, filepath.Join(os.TempDir(), "studiodesk-hang.db"))
		}
	}
	t.Logf("300 damaged files: %d refused at open, none panicked or hung", refused)
}
