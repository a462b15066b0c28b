package ui

import (
	"fmt"
	"os"
)

// startError reports an error that keeps the desk from starting: on
// stderr, and where stderr leads nowhere (a double-clicked Windows
// program) in a message box too, so a second start on data in use, or an
// unreadable data folder, is never a silent no-op.
func startError(err error) {
	fmt.Fprintln(os.Stderr, "studiodesk:", err)
	showStartError(T("start.failed"), err.Error())
}
