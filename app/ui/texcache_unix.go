//go:build linux || darwin || freebsd

package ui

import (
	"log"
	"os"
	"syscall"
)

// execSelf runs this binary again in place (same pid, same arguments) with
// env. It returns only if that failed.
func execSelf(env []string) {
	exe, err := os.Executable()
	if err != nil {
		log.Printf("studiodesk: texture cache: %v (running with Fyne's default)", err)
		return
	}
	if err := syscall.Exec(exe, os.Args, env); err != nil {
		log.Printf("studiodesk: texture cache: exec %s: %v (running with Fyne's default)", exe, err)
	}
}
