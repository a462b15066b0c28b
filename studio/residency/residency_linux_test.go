package residency

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"os"
	"testing"
	"unsafe"
)

//go:embed testdata/blob.bin
var blob []byte

// present counts the pages of b mapped in this process (/proc/self/pagemap
// bit 63).
func present(t *testing.T, b []byte) int {
	t.Helper()
	f, err := os.Open("/proc/self/pagemap")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	page := uintptr(os.Getpagesize())
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b))) / page
	n := (uintptr(len(b)) + page - 1) / page
	buf := make([]byte, 8*n)
	if _, err := f.ReadAt(buf, int64(start*8)); err != nil {
		t.Fatal(err)
	}
	count := 0
	for i := range n {
		if binary.LittleEndian.Uint64(buf[8*i:])>>63 == 1 {
			count++
		}
	}
	return count
}

func TestReleaseDropsEmbeddedPagesAndTheyComeBack(t *testing.T) {
	want := sha256.Sum256(blob) // touches every page
	before := present(t, blob)
	if before < len(blob)/os.Getpagesize()-1 {
		t.Fatalf("only %d pages present after reading the blob", before)
	}
	got := Release(blob)
	if got < len(blob)-2*os.Getpagesize() {
		t.Fatalf("released %d bytes of %d", got, len(blob))
	}
	if after := present(t, blob); after > 2 {
		t.Fatalf("%d pages still present after Release (before: %d)", after, before)
	}
	if sha256.Sum256(blob) != want {
		t.Fatal("the data changed after Release")
	}
	if present(t, blob) < before-2 {
		t.Fatalf("pages did not come back on reading: %d", present(t, blob))
	}
}

func TestReleaseRefusesWhatIsNotTheProgramsFile(t *testing.T) {
	if Release(nil) != 0 || Release(blob[:100]) != 0 {
		t.Fatal("nothing to release in less than a page")
	}
	heap := bytes.Repeat([]byte{7}, 1<<20)
	if n := Release(heap); n != 0 {
		t.Fatalf("released %d bytes of heap", n)
	}
	if bytes.Count(heap, []byte{7}) != len(heap) {
		t.Fatal("heap data was zeroed")
	}
}
