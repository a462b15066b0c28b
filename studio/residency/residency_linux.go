package residency

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

func release(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	page := uintptr(os.Getpagesize())
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	end := start + uintptr(len(b))
	first := (start + page - 1) &^ (page - 1) // only pages b covers whole
	last := end &^ (page - 1)
	if last <= first {
		return 0
	}
	if !inExecutable(first, last) {
		return 0
	}
	off := first - start
	region := b[off : off+(last-first)]
	if err := unix.Madvise(region, unix.MADV_DONTNEED); err != nil {
		return 0
	}
	return len(region)
}

// inExecutable reports whether [from, to) lies inside one mapping of this
// program's own file. Anything else — the heap above all, where dropping
// pages would zero them — is refused.
func inExecutable(from, to uintptr) bool {
	exe, err := os.Executable()
	if err != nil {
		return false
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[5] != exe {
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		a, err1 := strconv.ParseUint(lo, 16, 64)
		z, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 == nil && err2 == nil && uintptr(a) <= from && to <= uintptr(z) {
			return true
		}
	}
	return false
}
