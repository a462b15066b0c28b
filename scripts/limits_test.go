package scripts

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// A million segments under the byte limit is refused by structure, fast
// and without building the node tree (it used to take 12 s and 2 GB).
func TestMillionSegmentYAMLRefusedEarly(t *testing.T) {
	var b strings.Builder
	b.WriteString("id: big\ntitle: big\nsegments:\n")
	for b.Len() < maxFileSize-64 {
		b.WriteString("- {t: a, d: 1m}\n")
	}
	data := []byte(b.String())
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := LoadYAML("big.yaml", data)
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "big.yaml") {
		t.Fatalf("error %v", err)
	}
	// Memory is the real bound; the time only has to be far below the
	// 12 s the full decode took (race detector on, a loaded CI machine).
	if took > 5*time.Second || alloc > 16<<20 {
		t.Fatalf("refusing %d bytes took %v and %d MB", len(data), took, alloc>>20)
	}
	t.Logf("%.1f MB, ~%d segments: refused in %v, %d KB allocated", float64(len(data))/1e6, strings.Count(b.String(), "\n- "), took, alloc>>10)
}

func TestSegmentCountLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("id: many\ntitle: many\nsegments: [")
	for i := 0; i <= MaxSegments; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("{title: a, kind: talk, duration: 1m}")
	}
	b.WriteString("]\n")
	if _, err := LoadYAML("many.yaml", []byte(b.String())); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("%d segments: %v", MaxSegments+1, err)
	}
}

// A run sheet is bounded by its structure too: a sheet with more segments
// than MaxSegments is refused by the importer, not built.
func TestSheetSegmentCountLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("环节,时长\r\n")
	for i := 0; i <= MaxSegments; i++ {
		fmt.Fprintf(&b, "段%d,1分钟\r\n", i)
	}
	_, err := ImportCSV("big.csv", strings.NewReader(b.String()))
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "big.csv") {
		t.Fatalf("%d segments: error %v, want ErrTooLarge naming the file", MaxSegments+1, err)
	}
	b.Reset()
	b.WriteString("环节,时长\r\n")
	for i := 0; i < 3; i++ {
		fmt.Fprintf(&b, "段%d,1分钟\r\n", i)
	}
	if _, err := ImportCSV("ok.csv", strings.NewReader(b.String())); err != nil {
		t.Fatalf("3 segments: %v", err)
	}
}
