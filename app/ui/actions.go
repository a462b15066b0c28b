package ui

import (
	"context"
	"errors"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"

	"studiodesk/studio"
)

// actionRunner runs catalogue actions (studio.Actions) for the desk's keys
// and buttons, and reports refusals: the same dispatch path the remote
// surfaces use, with a confirmation dialog for money-moving and
// destructive actions.
type actionRunner struct {
	desk    *studio.Desk
	win     fyne.Window
	report  func(error)
	refresh func()
	// confirmations can be bypassed in tests; live UI always asks.
	skipConfirm bool
}

// label is an action's button text with its key.
func (r *actionRunner) label(action string) string {
	return fmt.Sprintf("%s  [%s]", T(actionLabels[action]), keyText(action))
}

// action decodes, builds and applies one catalogue action, asking first
// when the catalogue says it moves money or cannot be undone.
func (r *actionRunner) action(name string, raw map[string]any) {
	a, cmd, err := studio.BuildAction(name, raw, r.desk)
	if err != nil {
		r.fail(err)
		return
	}
	if a.Confirm == studio.ConfirmNone || r.skipConfirm || r.win == nil {
		r.do(cmd)
		return
	}
	dialog.ShowConfirm(T(actionLabels[a.Name]), r.confirmText(cmd), func(ok bool) {
		if ok {
			r.do(cmd)
		}
	}, r.win)
}

// actionConfirmed is action for a caller that has already asked (the
// interactions card's own confirmation) or that needs no question.
func (r *actionRunner) actionConfirmed(name string, raw map[string]any) {
	_, cmd, err := studio.BuildAction(name, raw, r.desk)
	if err != nil {
		r.fail(err)
		return
	}
	r.do(cmd)
}

func (r *actionRunner) confirmText(cmd studio.Command) string {
	switch c := cmd.(type) {
	case studio.End:
		return T("confirm.end")
	case studio.Rewind:
		return T("confirm.rewind")
	case studio.FireCoupon:
		v, ok := r.desk.Interactions().Get(c.ID)
		if ok && v.Coupon != nil {
			return fmt.Sprintf(T("ix.confirm_fire_detail"), v.Label, v.Coupon.Discount, v.Coupon.Stock, clock(v.Coupon.Window))
		}
		return fmt.Sprintf(T("ix.confirm_fire"), c.ID)
	case studio.CancelInteraction:
		label := c.ID
		if v, ok := r.desk.Interactions().Get(c.ID); ok {
			label = v.Label
		}
		return fmt.Sprintf(T("ix.confirm_cancel"), label)
	}
	return T("confirm.generic")
}

// fail reports a refused action, saying in the user's language what
// kind of error it is (the catalogue's message names the action and the
// argument).
func (r *actionRunner) fail(err error) {
	switch {
	case errors.Is(err, studio.ErrBadArgument):
		err = fmt.Errorf("%s：%w", T("err.bad_argument"), err)
	case errors.Is(err, studio.ErrUnknownAction):
		err = fmt.Errorf("%s：%w", T("err.unknown_action"), err)
	}
	if r.report != nil {
		r.report(err)
	}
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
