package main

import (
	"os"
	"syscall"
)

// The Windows build is a GUI program (no console window on a double
// click), so its standard output goes nowhere by default. Started with
// arguments from cmd or PowerShell (a subcommand such as verify, or
// --help), it attaches to the caller's console so the output is seen.
func init() {
	if len(os.Args) < 2 {
		return
	}
	attach := syscall.NewLazyDLL("kernel32.dll").NewProc("AttachConsole")
	const attachParentProcess = ^uintptr(0) // ATTACH_PARENT_PROCESS, (DWORD)-1
	if ok, _, _ := attach.Call(attachParentProcess); ok == 0 {
		return // started from Explorer: no console to attach to
	}
	f, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0)
	if err != nil {
		return
	}
	if !isRedirected(syscall.STD_OUTPUT_HANDLE) {
		os.Stdout = f
	}
	if !isRedirected(syscall.STD_ERROR_HANDLE) {
		os.Stderr = f
	}
}

// isRedirected reports whether a standard handle already leads to a file
// or a pipe, which attaching must not override.
func isRedirected(std int) bool {
	h, err := syscall.GetStdHandle(std)
	if err != nil || h == 0 || h == syscall.InvalidHandle {
		return false
	}
	t, err := syscall.GetFileType(h)
	return err == nil && (t == syscall.FILE_TYPE_DISK || t == syscall.FILE_TYPE_PIPE)
}
