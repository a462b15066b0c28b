package ui

import (
	"os"
	"syscall"
	"unsafe"
)

// showStartError shows a message box unless stderr is a console, a file or
// a pipe that someone reads.
func showStartError(title, text string) {
	if t, err := syscall.GetFileType(syscall.Handle(os.Stderr.Fd())); err == nil &&
		(t == syscall.FILE_TYPE_CHAR || t == syscall.FILE_TYPE_DISK || t == syscall.FILE_TYPE_PIPE) {
		return
	}
	t, err1 := syscall.UTF16PtrFromString(title)
	m, err2 := syscall.UTF16PtrFromString(text)
	if err1 != nil || err2 != nil {
		return
	}
	const mbOK, mbIconError = 0x0, 0x10
	box := syscall.NewLazyDLL("user32.dll").NewProc("MessageBoxW")
	box.Call(0, uintptr(unsafe.Pointer(m)), uintptr(unsafe.Pointer(t)), mbOK|mbIconError)
}
