// Package residency hands back to the kernel the pages of embedded data
// the desk has finished with.
//
// The desk's embedded assets — the CJK font, the segmentation dictionary —
// live in the binary's data segment. They are read once at start (parsed
// into the structures actually used) and their pages then stay resident,
// counted in the process's memory for the rest of the show, although
// nothing reads them again. Release drops those pages from the process:
// they are clean copies of the file, so they stay in the system's page
// cache and a later read (a re-parse after a theme change, say) simply
// faults them back in, unchanged.
package residency

// Release drops from this process the whole pages inside b, which must be
// data embedded in the program that nobody writes (embedded files are).
// Memory that is not part of the program's own file mapping is left alone.
// It returns how many bytes it released: 0 where the platform has no way
// to do it, for memory outside the program's file, or for a slice smaller
// than a page.
func Release(b []byte) int { return release(b) }
