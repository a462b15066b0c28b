package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// testClock returns a clock that starts at a fixed instant and advances by
// step on every call, so record times are deterministic and distinct.
func testClock(step time.Duration) func() time.Time {
	var mu sync.Mutex
	t := time.Date(2025, 3, 1, 15, 0, 0, 0, time.FixedZone("CST", 8*3600))
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(step)
		return t
	}
}

func openTest(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir, Options{Now: testClock(time.Millisecond)})
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestOpenCreatesDirAndFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	s := openTest(t, dir)
	if want := filepath.Join(dir, FileName); s.Path() != want {
		t.Fatalf("Path = %q, want %q", s.Path(), want)
	}
	if _, err := os.Stat(s.Path()); err != nil {
		t.Fatalf("desk.db not created: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestSecondOpenFailsFastWithErrLocked(t *testing.T) {
	dir := t.TempDir()
	first := openTest(t, dir)

	start := time.Now()
	second, err := Open(dir, Options{})
	took := time.Since(start)
	if err == nil {
		_ = second.Close()
		t.Fatal("second Open succeeded while the first is open")
	}
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("err = %v, want ErrLocked", err)
	}
	want := "desk.db at " + first.Path() + " is in use by another StudioDesk (close it first)"
	if err.Error() != want {
		t.Fatalf("message = %q, want %q", err.Error(), want)
	}
	if took > 1500*time.Millisecond {
		t.Fatalf("second Open took %v, want about the 1s default timeout", took)
	}

	// Once the first closes, the file opens again.
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir, Options{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	_ = s.Close()
}

func TestResolveDir(t *testing.T) {
	def, err := DefaultDir()
	if err != nil {
		t.Skipf("no user config dir here: %v", err)
	}
	if filepath.Base(def) != "studiodesk" {
		t.Fatalf("DefaultDir = %q, want .../studiodesk", def)
	}
	flagDir, envDir := t.TempDir(), t.TempDir()

	t.Setenv(EnvDataDir, "")
	if got, _ := ResolveDir(""); got != def {
		t.Errorf("no flag, no env: %q, want default %q", got, def)
	}
	t.Setenv(EnvDataDir, envDir)
	if got, _ := ResolveDir(""); got != envDir {
		t.Errorf("env only: %q, want %q", got, envDir)
	}
	if got, _ := ResolveDir(flagDir); got != flagDir {
		t.Errorf("flag and env: %q, want flag %q", got, flagDir)
	}
	got, err := ResolveDir("relative/data")
	if err != nil || !filepath.IsAbs(got) || !strings.HasSuffix(got, filepath.Join("relative", "data")) {
		t.Errorf("relative flag: %q, %v; want an absolute path", got, err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	if err := s.Put(BucketSettings, "lang", "zh-CN"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append("show-1", "cue", map[string]int{"segment": 2}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openTest(t, dir)
	var lang string
	if found, err := s.Get(BucketSettings, "lang", &lang); err != nil || !found || lang != "zh-CN" {
		t.Fatalf("Get after reopen = %q, %v, %v", lang, found, err)
	}
	last, found, err := s.Last("show-1")
	if err != nil || !found || last.Seq != 1 || last.Kind != "cue" {
		t.Fatalf("Last after reopen = %+v, %v, %v", last, found, err)
	}
}

func schemaOf(t *testing.T, path string) string {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	_ = db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket([]byte(metaBucket)); b != nil {
			v = string(b.Get([]byte(schemaKey)))
		}
		return nil
	})
	return v
}

func TestFreshFileGetsCurrentSchema(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	_ = s.Close()
	if got := schemaOf(t, s.Path()); got != "1" {
		t.Fatalf("schema = %q, want \"1\"", got)
	}
}

func TestMigrationRunsOnOlderFile(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir) // schema 1
	if err := s.Put(BucketPresets, "wide", map[string]int{"zoom": 10}); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()

	// A build with schema 2 whose migration renames "presets" to "scenes".
	calls := 0
	restore := setMigrations([]func(*bolt.Tx) error{
		0: nil,
		1: func(tx *bolt.Tx) error {
			calls++
			old := tx.Bucket([]byte("presets"))
			if old == nil {
				return errors.New("no presets bucket")
			}
			nb, err := tx.CreateBucket([]byte("scenes"))
			if err != nil {
				return err
			}
			if err := old.ForEach(func(k, v []byte) error { return nb.Put(k, v) }); err != nil {
				return err
			}
			return tx.DeleteBucket([]byte("presets"))
		},
	})
	defer restore()

	s = openTest(t, dir)
	if calls != 1 {
		t.Fatalf("migration ran %d times, want 1", calls)
	}
	var p map[string]int
	if found, err := s.Get("scenes", "wide", &p); err != nil || !found || p["zoom"] != 10 {
		t.Fatalf("migrated doc = %v, %v, %v", p, found, err)
	}
	if keys, _ := s.Keys(BucketPresets); len(keys) != 0 {
		t.Fatalf("old bucket still has %v", keys)
	}
	_ = s.Close()
	if got := schemaOf(t, s.Path()); got != "2" {
		t.Fatalf("schema after migration = %q, want \"2\"", got)
	}

	// Reopening at schema 2 runs nothing.
	s = openTest(t, dir)
	_ = s.Close()
	if calls != 1 {
		t.Fatalf("migration ran again on reopen (%d calls)", calls)
	}
}

func TestFailedMigrationLeavesFileUntouched(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	if err := s.Put(BucketScripts, "demo", "v1"); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()

	restore := setMigrations([]func(*bolt.Tx) error{
		0: nil,
		1: func(tx *bolt.Tx) error {
			if err := tx.DeleteBucket([]byte(BucketScripts)); err != nil {
				return err
			}
			return errors.New("disk says no")
		},
	})
	_, err := Open(dir, Options{})
	restore()
	if err == nil || !strings.Contains(err.Error(), "migrate schema 1 to 2") || !strings.Contains(err.Error(), "disk says no") {
		t.Fatalf("err = %v, want the failing step named", err)
	}

	s = openTest(t, dir)
	var v string
	if found, err := s.Get(BucketScripts, "demo", &v); err != nil || !found || v != "v1" {
		t.Fatalf("data after failed migration = %q, %v, %v", v, found, err)
	}
	_ = s.Close()
	if got := schemaOf(t, s.Path()); got != "1" {
		t.Fatalf("schema = %q, want \"1\"", got)
	}
}

func TestNewerSchemaRefusedAndUntouched(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	_ = s.Close()
	db, err := bolt.Open(s.Path(), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(metaBucket)).Put([]byte(schemaKey), []byte("7"))
	})
	_ = db.Close()

	_, err = Open(dir, Options{})
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("err = %v, want ErrNewerSchema", err)
	}
	if !strings.Contains(err.Error(), "schema 7") || !strings.Contains(err.Error(), "up to 1") {
		t.Fatalf("message %q should name both versions", err)
	}
	if got := schemaOf(t, s.Path()); got != "7" {
		t.Fatalf("schema rewritten to %q", got)
	}
}

func TestCorruptSchemaIsAnError(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	_ = s.Close()
	db, err := bolt.Open(s.Path(), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(metaBucket)).Put([]byte(schemaKey), []byte("one"))
	})
	_ = db.Close()
	_, err = Open(dir, Options{})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `"meta"`) {
		t.Fatalf("err = %v, want ErrCorrupt naming the meta bucket", err)
	}
}

func TestUseAfterCloseIsAnError(t *testing.T) {
	s := openTest(t, t.TempDir())
	_ = s.Close()
	var v any
	if err := s.Put(BucketSettings, "k", 1); err == nil {
		t.Error("Put after Close succeeded")
	}
	if _, err := s.Get(BucketSettings, "k", &v); err == nil {
		t.Error("Get after Close succeeded")
	}
	if _, err := s.Append(show, "ev", 1); err == nil {
		t.Error("Append after Close succeeded")
	}
	if _, err := s.Verify(show); err == nil {
		t.Error("Verify after Close succeeded")
	}
	if err := s.OutboxAdd(OutboxItem{Key: "k", Kind: "x"}); err == nil {
		t.Error("OutboxAdd after Close succeeded")
	}
}
