//go:build !(linux || darwin || freebsd)

package ui

// execSelf: Windows has no exec; the GUI runs with Fyne's default texture
// lifetime there unless FYNE_CACHE is set in the environment.
func execSelf([]string) {}
