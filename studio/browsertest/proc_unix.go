//go:build unix

package browsertest

import (
	"os/exec"
	"syscall"
)

// ownGroup starts the browser in a process group of its own, so that
// killGroup reaches its helper processes too.
func ownGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// killGroup kills the browser and its helpers (SIGKILL to the group).
func killGroup(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
