//go:build !unix

package browsertest

import "os/exec"

// ownGroup: elsewhere the browser keeps the test's process group.
func ownGroup(*exec.Cmd) {}

// killGroup kills the browser process itself.
func killGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
