//go:build !windows

package ui

// showStartError: elsewhere stderr is where a desktop launcher logs.
func showStartError(title, text string) {}
