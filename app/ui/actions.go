package ui

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"

	"studiodesk/studio"
)

// liveAction is one control the field controller uses on air. Every live
// action has a plain-key shortcut, shown on its button and in the help.
type liveAction struct {
	id      string
	label   string // i18n key
	keys    []fyne.KeyName
	keyText string
	command func() studio.Command
	// confirm, when set, asks before acting (destructive or money-moving).
	confirm string
}

var timerActions = []liveAction{
	{id: "start", label: "btn.start", keys: []fyne.KeyName{fyne.KeyF5}, keyText: "F5",
		command: func() studio.Command { return studio.Start{} }},
	{id: "pause", label: "btn.pause", keys: []fyne.KeyName{fyne.KeySpace}, keyText: "Space",
		command: func() studio.Command { return studio.TogglePause{} }},
	{id: "prev", label: "btn.prev", keys: []fyne.KeyName{fyne.KeyLeft, fyne.KeyPageUp}, keyText: "←",
		command: func() studio.Command { return studio.Previous{} }},
	{id: "next", label: "btn.next", keys: []fyne.KeyName{fyne.KeyRight, fyne.KeyPageDown}, keyText: "→",
		command: func() studio.Command { return studio.Next{} }},
	{id: "extend", label: "btn.extend", keys: []fyne.KeyName{fyne.KeyEqual, fyne.KeyUp}, keyText: "+",
		command: func() studio.Command { return studio.Adjust{Delta: 30 * time.Second} }},
	{id: "shorten", label: "btn.shorten", keys: []fyne.KeyName{fyne.KeyMinus, fyne.KeyDown}, keyText: "−",
		command: func() studio.Command { return studio.Adjust{Delta: -30 * time.Second} }},
	{id: "window", label: "btn.window", keys: []fyne.KeyName{fyne.KeyW}, keyText: "W",
		command: func() studio.Command { return studio.Adjust{Window: true} }},
	{id: "end", label: "btn.end", keys: []fyne.KeyName{fyne.KeyE}, keyText: "E",
		command: func() studio.Command { return studio.End{} }, confirm: "confirm.end"},
	{id: "rewind", label: "btn.rewind", keys: []fyne.KeyName{fyne.KeyR}, keyText: "R",
		command: func() studio.Command { return studio.Rewind{} }, confirm: "confirm.rewind"},
}

// actionRunner sends commands to the desk and reports refusals.
type actionRunner struct {
	desk    *studio.Desk
	win     fyne.Window
	report  func(error)
	refresh func()
	// confirmations can be bypassed in tests; live UI always asks.
	skipConfirm bool
}

func (r *actionRunner) label(a liveAction) string {
	return fmt.Sprintf("%s  [%s]", T(a.label), a.keyText)
}

// run performs a with confirmation when it asks for one.
func (r *actionRunner) run(a liveAction) {
	if a.confirm != "" && !r.skipConfirm && r.win != nil {
		dialog.ShowConfirm(T(a.label), T(a.confirm), func(ok bool) {
			if ok {
				r.do(a.command())
			}
		}, r.win)
		return
	}
	r.do(a.command())
}

// do applies cmd synchronously: the desk answers in milliseconds, and the
// views refresh from the new snapshot at once.
func (r *actionRunner) do(cmd studio.Command) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := r.desk.Do(ctx, cmd)
	if r.report != nil {
		r.report(err)
	}
	if r.refresh != nil {
		r.refresh()
	}
}

// handleKey maps a typed key to its live action; true when handled.
func (r *actionRunner) handleKey(k fyne.KeyName, actions []liveAction) bool {
	for _, a := range actions {
		for _, key := range a.keys {
			if key == k {
				r.run(a)
				return true
			}
		}
	}
	return false
}
