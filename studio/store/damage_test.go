package store

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var seedOnce struct {
	sync.Once
	data []byte
	err  error
}

// seedDB writes a database with a few thousand records over several runs
// (many pages, branch pages in the log), closed; built once, copied after.
func seedDB(t *testing.T) (dir, path string) {
	t.Helper()
	seedOnce.Do(func() {
		d, err := os.MkdirTemp("", "studiodesk-seed")
		if err != nil {
			seedOnce.err = err
			return
		}
		defer os.RemoveAll(d)
		if seedOnce.err = buildSeed(d); seedOnce.err == nil {
			seedOnce.data, seedOnce.err = os.ReadFile(filepath.Join(d, FileName))
		}
	})
	if seedOnce.err != nil {
		t.Fatal(seedOnce.err)
	}
	dir = t.TempDir()
	path = filepath.Join(dir, FileName)
	if err := os.WriteFile(path, seedOnce.data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

func buildSeed(dir string) error {
	s, err := Open(dir, Options{})
	if err != nil {
		return err
	}
	for run := 0; run < 3; run++ {
		show := []string{"a@1", "b@2", "c@3"}[run]
		for i := 0; i < 20; i++ {
			items := make([]Entry, 100)
			for k := range items {
				items[k] = Entry{Kind: "cue", Payload: map[string]any{"run": show, "i": i*100 + k, "text": strings.Repeat("讲解要点", 8)}}
			}
			if _, err := s.AppendBatch(show, items); err != nil {
				return err
			}
		}
	}
	if err := s.Put(BucketSettings, "lang", "zh"); err != nil {
		return err
	}
	return s.Close()
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func mutate(t *testing.T, path string, fn func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, fn(b), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Every kind of damaged file is refused at open with a clear error naming
// it, without a panic and without a single byte written.
func TestDamagedFilesAreRefusedUnchanged(t *testing.T) {
	cases := []struct {
		name string
		hurt func([]byte) []byte
		want string
	}{
		{"truncated to half", func(b []byte) []byte { return b[:len(b)/2/4096*4096] }, "truncated"},
		{"truncated mid-page", func(b []byte) []byte { return b[:len(b)/2+123] }, "truncated"},
		{"byte flipped every 64 KiB", func(b []byte) []byte {
			for i := 0; i < len(b); i += 64 << 10 {
				b[i] ^= 0xFF
			}
			return b
		}, "damaged"},
		{"4 KiB flipped in the middle", func(b []byte) []byte {
			mid := len(b) / 2 / 4096 * 4096
			for i := mid; i < mid+4096; i++ {
				b[i] ^= 0xFF
			}
			return b
		}, "damaged"},
		{"4 KiB flipped off a page boundary", func(b []byte) []byte {
			mid := len(b)/2/4096*4096 + 1000
			for i := mid; i < mid+4096; i++ {
				b[i] ^= 0xFF
			}
			return b
		}, "damaged"},
		{"zeroed header", func(b []byte) []byte { clear(b[:4096]); return b }, "header page 0"},
		{"zeroed both headers", func(b []byte) []byte { clear(b[:8192]); return b }, "both header pages"},
		{"0 bytes", func([]byte) []byte { return nil }, "empty (0 bytes)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, path := seedDB(t)
			mutate(t, path, tc.hurt)
			before := fileSum(t, path)
			s, err := Open(dir, Options{})
			if err == nil {
				_ = s.Close()
				t.Fatal("damaged file opened for writing")
			}
			var de *DamagedError
			if !errors.As(err, &de) || !errors.Is(err, ErrDamaged) {
				t.Fatalf("error %T %v, want a *DamagedError", err, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, path) || !strings.Contains(msg, "studiodesk restore") || !strings.Contains(msg, tc.want) {
				t.Fatalf("message does not name the file, the damage and the remedy: %v", msg)
			}
			if _, err := OpenReadOnly(path, Options{}); !errors.Is(err, ErrDamaged) {
				t.Fatalf("read-only open: %v", err)
			}
			if fileSum(t, path) != before {
				t.Fatal("the damaged file was written to")
			}
			// Reading what survives never panics either.
			res, _ := Salvage(path)
			if fileSum(t, path) != before {
				t.Fatal("salvage wrote to the file")
			}
			t.Logf("%s: %v; salvage: %d runs", tc.name, err, len(res))
		})
	}
}

func TestDirectoryInPlaceOfTheFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, FileName), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir, Options{})
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "directory") {
		t.Fatalf("directory as desk.db: %v", err)
	}
}

// A flipped page in the middle of a run's log: the read-only tools still
// read every record before it and name the first one they cannot read.
func TestSalvageNamesTheFirstUnreadableRecord(t *testing.T) {
	dir, path := seedDB(t)
	s, err := OpenReadOnly(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := s.Verify("b@2")
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	// Damage the leaf page holding record 1000 of run b@2.
	p := findRecordPage(t, path, "b@2", 1000)
	t.Logf("record 1000 of b@2 is on page %d", p)
	mutate(t, path, func(b []byte) []byte {
		for i := p * 4096; i < p*4096+4096; i++ {
			b[i] ^= 0xFF
		}
		return b
	})
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrDamaged) {
		t.Fatalf("open: %v", err)
	}
	res, err := Salvage(path)
	if err != nil {
		t.Fatal(err)
	}
	var got *SalvageResult
	for i := range res {
		if res[i].Show == "b@2" {
			got = &res[i]
		}
		if res[i].Show == "a@1" && (res[i].Records != 2000 || res[i].Unreadable != "" || !res[i].OK()) {
			t.Fatalf("undamaged run a@1: %+v", res[i])
		}
	}
	if got == nil || got.Unreadable == "" || got.Records >= 1000 || got.Records < 900 || !got.OK() {
		t.Fatalf("damaged run: %+v (whole run: %d records)", got, want.Records)
	}
	if !strings.Contains(got.Unreadable, "record") {
		t.Fatalf("unreadable: %q", got.Unreadable)
	}
	t.Logf("b@2: %d records read, %s", got.Records, got.Unreadable)
}

// findRecordPage returns the page holding the record with seq in run.
func findRecordPage(t *testing.T, path, run string, seq uint64) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	p, err := openPages(f, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	key := seqKey(seq)
	for id := uint64(2); id < p.meta.pgid; id++ {
		buf, n, err := p.page(id, 0)
		if err != nil || buf[8] != flagLeaf {
			continue
		}
		elems, err := leafElems(buf, n, id)
		if err != nil {
			continue
		}
		for _, e := range elems {
			if bytes.Equal(e.key, key) && bytes.Contains(e.val, []byte(`"run":"`+run+`"`)) {
				return int(id)
			}
		}
	}
	t.Fatalf("record %d not found", seq)
	return 0
}

// Read-only: a write-protected file is refused for writing with a clear
// message and verifies read-only. As root (CI), permissions do not stop
// writes, so the file sits on a read-only bind mount.
func TestReadOnlyFile(t *testing.T) {
	dir, path := seedDB(t)
	before := fileSum(t, path)
	roDir := dir
	if os.Geteuid() == 0 {
		roDir = t.TempDir()
		if out, err := exec.Command("mount", "--bind", "-o", "ro", dir, roDir).CombinedOutput(); err != nil {
			t.Skipf("this machine refuses a read-only bind mount even to root (%v %s); run as root where mount(8) works", err, out)
		}
		// Older mount(8) ignores ro on the first bind; remount to be sure.
		_, _ = exec.Command("mount", "-o", "remount,bind,ro", roDir).CombinedOutput()
		t.Cleanup(func() { _ = exec.Command("umount", roDir).Run() })
	} else {
		if err := os.Chmod(path, 0o400); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(dir, 0o700); _ = os.Chmod(path, 0o600) })
	}
	roPath := filepath.Join(roDir, FileName)
	if err := os.WriteFile(filepath.Join(roDir, "probe"), nil, 0o600); err == nil {
		t.Fatal("the read-only place accepts writes; the test would prove nothing")
	}
	_, err := Open(roDir, Options{})
	if err == nil || !strings.Contains(err.Error(), "read-only") || !strings.Contains(err.Error(), roPath) {
		t.Fatalf("open read-write on read-only media: %v", err)
	}
	s, err := OpenReadOnly(roPath, Options{})
	if err != nil {
		t.Fatalf("read-only open: %v", err)
	}
	for _, show := range []string{"a@1", "b@2", "c@3"} {
		res, err := s.Verify(show)
		if err != nil || res.Records != 2000 {
			t.Fatalf("verify %s read-only: %+v %v", show, res, err)
		}
	}
	if err := s.Put(BucketSettings, "x", 1); !errors.Is(err, ErrStorage) {
		t.Fatalf("write through a read-only store: %v", err)
	}
	_ = s.Close()
	if fileSum(t, path) != before {
		t.Fatal("file changed")
	}
}

// Above fullScanMax the check takes log leaves from their branch pages by
// id; leaves with overflow pages (large records) are still accounted for,
// and damage to a branch page or a run's last leaf is still refused.
func TestLazyLeafCheck(t *testing.T) {
	defer func(v int64) { fullScanMax = v }(fullScanMax)
	fullScanMax = 0
	dir, path := seedDB(t)
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("长", 6000) // 18 KB: a leaf with overflow pages
	for i := 0; i < 30; i++ {
		if _, err := s.Append("b@2", "note", map[string]string{"text": big}); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.Close()
	if err := CheckFile(path); err != nil {
		t.Fatalf("lazy check of a sound file: %v", err)
	}
	// The last leaf of run a@1 is read in full: damage there is refused.
	p := findRecordPage(t, path, "a@1", 2000)
	mutate(t, path, func(b []byte) []byte {
		for i := p * 4096; i < p*4096+16; i++ {
			b[i] ^= 0xFF
		}
		return b
	})
	if err := CheckFile(path); !errors.Is(err, ErrDamaged) {
		t.Fatalf("damaged last leaf in lazy mode: %v", err)
	}
}
