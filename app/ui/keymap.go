package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"studiodesk/studio"
)

// keyBinding is one live action's key. Every action of the catalogue
// (studio.Actions) has one; recall_preset uses each preset's own key.
type keyBinding struct {
	action string
	keys   []fyne.KeyName // plain keys; the first one is shown
	ctrl   bool           // with Ctrl (⌘ on macOS)
	text   string         // as shown on buttons and in the help
}

// keymap is the one table of live-action keys: the desk's key handler,
// its buttons, the shortcut help line and docs/control-api.md read it.
var keymap = []keyBinding{
	{action: studio.ActStart, keys: []fyne.KeyName{fyne.KeyF5}, text: "F5"},
	{action: studio.ActTogglePause, keys: []fyne.KeyName{fyne.KeySpace}, text: "Space"},
	{action: studio.ActPause, keys: []fyne.KeyName{fyne.KeyLeftBracket}, text: "["},
	{action: studio.ActResume, keys: []fyne.KeyName{fyne.KeyRightBracket}, text: "]"},
	{action: studio.ActPrevious, keys: []fyne.KeyName{fyne.KeyLeft, fyne.KeyPageUp}, text: "←"},
	{action: studio.ActNext, keys: []fyne.KeyName{fyne.KeyRight, fyne.KeyPageDown}, text: "→"},
	{action: studio.ActJump, keys: []fyne.KeyName{fyne.KeyJ}, text: "J"},
	{action: studio.ActExtend, keys: []fyne.KeyName{fyne.KeyEqual, fyne.KeyUp}, text: "+"},
	{action: studio.ActShorten, keys: []fyne.KeyName{fyne.KeyMinus, fyne.KeyDown}, text: "−"},
	{action: studio.ActUseWindow, keys: []fyne.KeyName{fyne.KeyW}, text: "W"},
	{action: studio.ActEnd, keys: []fyne.KeyName{fyne.KeyE}, text: "E"},
	{action: studio.ActRewind, keys: []fyne.KeyName{fyne.KeyR}, text: "R"},
	{action: studio.ActFireCoupon, keys: []fyne.KeyName{fyne.KeyC}, text: "C"},
	{action: studio.ActStartVote, keys: []fyne.KeyName{fyne.KeyV}, text: "V"},
	{action: studio.ActEndVote, keys: []fyne.KeyName{fyne.KeyX}, text: "X"},
	{action: studio.ActCancelInteraction, keys: []fyne.KeyName{fyne.KeyK}, text: "K"},
	{action: studio.ActPin, keys: []fyne.KeyName{fyne.KeyP}, ctrl: true, text: "Ctrl+P"},
	{action: studio.ActHide, keys: []fyne.KeyName{fyne.KeyDelete}, text: "Del"},
	{action: studio.ActBlock, keys: []fyne.KeyName{fyne.KeyB}, ctrl: true, text: "Ctrl+B"},
	{action: studio.ActAnswerQuestion, keys: []fyne.KeyName{fyne.KeyA}, text: "A"},
	{action: studio.ActPauseDanmaku, keys: []fyne.KeyName{fyne.KeyP}, text: "P"},
	{action: studio.ActTakeOver, keys: []fyne.KeyName{fyne.KeyT}, ctrl: true, text: "Ctrl+T"},
}

// presetKeyText is how recall_preset's keys are shown.
const presetKeyText = "1-9, F1-F12"

// uiKeys are keys of the desk's own (not live actions): H opens the host
// screen.
var uiKeys = map[fyne.KeyName]string{fyne.KeyH: "view.streamer"}

// actionLabels are the i18n keys of each action's name.
var actionLabels = map[string]string{
	studio.ActStart: "btn.start", studio.ActTogglePause: "btn.pause", studio.ActPause: "act.pause",
	studio.ActResume: "btn.resume", studio.ActPrevious: "btn.prev", studio.ActNext: "btn.next",
	studio.ActJump: "btn.jump", studio.ActExtend: "btn.extend", studio.ActShorten: "btn.shorten",
	studio.ActUseWindow: "btn.window", studio.ActEnd: "btn.end", studio.ActRewind: "btn.rewind",
	studio.ActRecallPreset: "act.recall", studio.ActFireCoupon: "ix.fire", studio.ActStartVote: "ix.start_vote",
	studio.ActEndVote: "ix.end_vote", studio.ActCancelInteraction: "ix.cancel", studio.ActPin: "dm.pin",
	studio.ActHide: "dm.hide", studio.ActBlock: "dm.block", studio.ActAnswerQuestion: "act.answer",
	studio.ActPauseDanmaku: "dm.pause", studio.ActTakeOver: "act.take_over",
}

// binding returns an action's key binding.
func binding(action string) (keyBinding, bool) {
	for _, b := range keymap {
		if b.action == action {
			return b, true
		}
	}
	return keyBinding{}, false
}

// keyText is the key shown for an action ("" when none).
func keyText(action string) string {
	if action == studio.ActRecallPreset {
		return presetKeyText
	}
	b, _ := binding(action)
	return b.text
}

// plainKeyAction returns the live action bound to a key typed without a
// modifier.
func plainKeyAction(k fyne.KeyName) (string, bool) {
	for _, b := range keymap {
		if b.ctrl {
			continue
		}
		for _, x := range b.keys {
			if x == k {
				return b.action, true
			}
		}
	}
	return "", false
}

// checkPresetKey refuses a preset key that a live action or the desk
// already uses: F5 cannot be both Start and a preset.
func checkPresetKey(key string) error {
	if key == "" {
		return nil
	}
	if a, ok := plainKeyAction(fyne.KeyName(key)); ok {
		return fmt.Errorf(T("keys.conflict"), key, T(actionLabels[a]))
	}
	if l, ok := uiKeys[fyne.KeyName(key)]; ok {
		return fmt.Errorf(T("keys.conflict"), key, T(l))
	}
	return nil
}

// freePresetKeys filters the keys a preset may take.
func freePresetKeys(all []string) []string {
	out := make([]string, 0, len(all))
	for _, k := range all {
		if checkPresetKey(k) == nil {
			out = append(out, k)
		}
	}
	return out
}

// shortcutHelp is the help line under the controller: every live key.
func shortcutHelp() string {
	parts := make([]string, 0, len(keymap)+2)
	for _, b := range keymap {
		parts = append(parts, "["+b.text+"] "+T(actionLabels[b.action]))
	}
	parts = append(parts, "["+presetKeyText+"] "+T("act.recall"), "[H] "+T("view.streamer"))
	return T("shortcuts") + "：" + strings.Join(parts, " · ")
}

// typedKey dispatches a key typed on the desk's windows: a live action
// first, then a preset's key, then the desk's own keys.
func (d *deskUI) typedKey(k *fyne.KeyEvent) {
	if a, ok := plainKeyAction(k.Name); ok {
		d.liveAction(a)
		return
	}
	if id, ok := d.presets.presetForKey(k.Name); ok {
		d.runner.action(studio.ActRecallPreset, map[string]any{"preset": id})
		return
	}
	if k.Name == fyne.KeyH {
		d.openHostWindow()
	}
}

// addShortcuts registers the keymap's Ctrl bindings on a canvas.
func (d *deskUI) addShortcuts(c fyne.Canvas) {
	for _, b := range keymap {
		if !b.ctrl {
			continue
		}
		action := b.action
		for _, k := range b.keys {
			c.AddShortcut(&desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault},
				func(fyne.Shortcut) { d.liveAction(action) })
		}
	}
}

// liveAction runs an action from its key, taking its arguments from what
// the controller selected (a segment, an interaction, a comment).
func (d *deskUI) liveAction(action string) {
	// The interactions card picks its target (the highlighted one) and asks
	// once for money-moving actions; it then dispatches through the
	// catalogue.
	switch action {
	case studio.ActFireCoupon:
		d.ix.fire()
		return
	case studio.ActStartVote:
		d.ix.startVote()
		return
	case studio.ActEndVote:
		d.ix.endVote()
		return
	case studio.ActCancelInteraction:
		d.ix.cancel()
		return
	}
	args, ok := d.keyArgs(action)
	if ok {
		d.runner.action(action, args)
	}
}

func (d *deskUI) keyArgs(action string) (map[string]any, bool) {
	report := func(key string) (map[string]any, bool) {
		d.runner.report(fmt.Errorf("%s", T(key)))
		return nil, false
	}
	switch action {
	case studio.ActJump:
		if d.controller.selected < 0 {
			return report("keys.select_segment")
		}
		return map[string]any{"segment": d.controller.selected + 1}, true
	case studio.ActPin, studio.ActHide, studio.ActBlock:
		if it, ok := d.danmaku.current(); ok {
			return map[string]any{"id": it.ID}, true
		}
		return nil, false
	case studio.ActPauseDanmaku:
		return d.danmaku.pauseArgs(), true
	case studio.ActAnswerQuestion:
		if len(d.danmaku.groups) == 0 {
			return report("keys.no_question")
		}
		return map[string]any{"id": d.danmaku.groups[0].ID}, true
	}
	return nil, true
}

// shortcutLabel shows the help line, wrapped so it never widens the window.
func shortcutLabel() *widget.Label {
	l := widget.NewLabel(shortcutHelp())
	l.Wrapping = fyne.TextWrapWord
	return l
}
