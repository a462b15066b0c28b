package studio

import (
	"studiodesk/studio/danmaku"
)

// PauseDanmaku freezes (or runs again) the comment feed on the
// controller's screens and paired remotes, so a line can be picked without
// it scrolling away. Paused nil toggles.
type PauseDanmaku struct{ Paused *bool }

// Name is the show-log kind.
func (PauseDanmaku) Name() string { return "pause_danmaku" }

// EventDanmakuPause announces a change of DanmakuPaused; Message is
// "paused" or "running".
const EventDanmakuPause EventKind = "danmaku_pause"

// DanmakuPaused reports whether the comment feed is frozen.
func (d *Desk) DanmakuPaused() bool { return d.feedPaused.Load() }

// DanmakuLine returns a recent comment by id (the catalogue resolves the
// viewer to block from it). Safe from any goroutine.
func (d *Desk) DanmakuLine(id string) (danmaku.Item, bool) {
	if d.cfg.Danmaku == nil || id == "" {
		return danmaku.Item{}, false
	}
	recent := d.cfg.Danmaku.Recent()
	for i := len(recent) - 1; i >= 0; i-- {
		if recent[i].ID == id {
			return recent[i], true
		}
	}
	return danmaku.Item{}, false
}

// Questions returns the top k question groups waiting for an answer
// (answer_question takes their ids). Safe from any goroutine.
func (d *Desk) Questions(k int) []danmaku.QuestionGroup {
	if d.cfg.Danmaku == nil {
		return nil
	}
	return d.cfg.Danmaku.Questions(k)
}

var _ ActionEnv = (*Desk)(nil)

// applyActionCommand handles the commands added with the action catalogue;
// handled is false for any other command.
func (d *Desk) applyActionCommand(cmd Command) (handled bool, err error) {
	c, ok := cmd.(PauseDanmaku)
	if !ok {
		return false, nil
	}
	paused := !d.feedPaused.Load()
	if c.Paused != nil {
		paused = *c.Paused
	}
	d.feedPaused.Store(paused)
	msg := "running"
	if paused {
		msg = "paused"
	}
	if err := d.cfg.Journal.Append(d.run.ID, cmd.Name(), map[string]bool{"paused": paused}); err != nil {
		d.cfg.Logf("desk: show log: %v", err)
	}
	d.hub.publish(Event{Kind: EventDanmakuPause, At: d.cfg.Clock.Now(), Message: msg})
	return true, nil
}
