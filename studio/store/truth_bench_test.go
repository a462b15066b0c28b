package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkCheckpoint: one signed checkpoint of a run's head (read the
// last record, Ed25519 sign, append) in its own transaction, plus the
// desk.head file the desk writes beside it.
func BenchmarkCheckpoint(b *testing.B) {
	s := benchStore(b)
	dir := filepath.Dir(s.Path())
	k, err := LoadOrCreateKey(dir)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Append(show, "start", map[string]int{"i": 0}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var cp Checkpoint
		if err := s.Commit(func(tx *Tx) error {
			var err error
			cp, _, err = tx.Checkpoint(show, "minute", k)
			return err
		}); err != nil {
			b.Fatal(err)
		}
		if err := WriteHead(dir, cp); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenCheck1GB builds a ~1 GB desk.db of show-log records (once,
// in $STUDIODESK_BENCH_1GB_DIR or a temp dir removed afterwards) and times
// the open-time check. Gated: STUDIODESK_BENCH_1GB=1.
func BenchmarkOpenCheck1GB(b *testing.B) {
	if os.Getenv("STUDIODESK_BENCH_1GB") == "" {
		b.Skip("set STUDIODESK_BENCH_1GB=1 (writes a 1 GB file, removed afterwards)")
	}
	dir := os.Getenv("STUDIODESK_BENCH_1GB_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	path := filepath.Join(dir, FileName)
	if fi, err := os.Stat(path); err != nil || fi.Size() < 1<<30 {
		build1GB(b, dir)
	}
	fi, _ := os.Stat(path)
	b.ResetTimer()
	for b.Loop() {
		if err := CheckFile(path); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(fi.Size())/1e9, "GB")
}

func build1GB(b *testing.B, dir string) {
	b.Helper()
	start := time.Now()
	s, err := Open(dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	text := strings.Repeat("这个颜色有现货吗？第二件半价吗", 10)
	const batch = 20000
	items := make([]Entry, batch)
	for run := 0; ; run++ {
		for i := range items {
			items[i] = Entry{Kind: "danmaku", Payload: danmakuEvent{UID: int64(run*batch + i), Name: "观众", Text: text, Class: "question"}}
		}
		if _, err := s.AppendBatch("big@"+string(rune('a'+run%8)), items); err != nil {
			b.Fatal(err)
		}
		if fi, err := os.Stat(s.Path()); err == nil && fi.Size() >= 1<<30 {
			b.Logf("built %d MB in %v", fi.Size()>>20, time.Since(start).Round(time.Second))
			return
		}
	}
}
