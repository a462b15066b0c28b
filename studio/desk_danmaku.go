package studio

import (
	"fmt"
	"time"

	"studiodesk/studio/danmaku"
)

// Danmaku commands: the controller curates what the host and the broadcast
// see. Each goes to the show log.
type (
	// PinDanmaku puts a line on the review wall.
	PinDanmaku struct{ ID string }
	// UnpinDanmaku takes a line off the wall.
	UnpinDanmaku struct{ ID string }
	// HideDanmaku removes a line from the stream.
	HideDanmaku struct{ ID string }
	// BlockViewer drops everything a viewer sends from now on.
	BlockViewer struct{ ViewerID, ViewerName string }
	// DismissQuestion takes a question group off the host's queue (answered).
	DismissQuestion struct{ ID string }
	// LogFigures records the per-minute live figures in the show log.
	LogFigures struct{ Figures Figures }
)

// Figures are one minute of live numbers.
type Figures struct {
	Minute    time.Time `json:"minute"`
	Received  int64     `json:"received"`
	Shown     int64     `json:"shown"`
	Filtered  int64     `json:"filtered"`
	Questions int64     `json:"questions"`
	Viewers   int       `json:"viewers"`
	Likes     int64     `json:"likes"`
}

// Name implementations: the show-log kind.
func (PinDanmaku) Name() string      { return "pin_danmaku" }
func (UnpinDanmaku) Name() string    { return "unpin_danmaku" }
func (HideDanmaku) Name() string     { return "hide_danmaku" }
func (BlockViewer) Name() string     { return "block_viewer" }
func (DismissQuestion) Name() string { return "dismiss_question" }
func (LogFigures) Name() string      { return "figures" }

// EventWall announces a change of the review wall (pin, unpin, hide).
const EventWall EventKind = "wall"

// ErrNoDanmaku: the desk runs without a danmaku pipeline.
var ErrNoDanmaku = fmt.Errorf("no danmaku feed")

// ErrUnknownLine: the line is no longer held (it scrolled out of memory).
var ErrUnknownLine = fmt.Errorf("no such line")

func (d *Desk) applyDanmakuCommand(cmd Command) (handled bool, err error) {
	p := d.cfg.Danmaku
	var op danmaku.ModOp
	var id string
	var payload any
	switch c := cmd.(type) {
	case PinDanmaku:
		op, id, payload = danmaku.ModPin, c.ID, map[string]string{"id": c.ID}
	case UnpinDanmaku:
		op, id, payload = danmaku.ModUnpin, c.ID, map[string]string{"id": c.ID}
	case HideDanmaku:
		op, id, payload = danmaku.ModHide, c.ID, map[string]string{"id": c.ID}
	case BlockViewer:
		op, id, payload = danmaku.ModBlock, c.ViewerID, map[string]string{"viewer": c.ViewerID, "name": c.ViewerName}
	case DismissQuestion:
		op, id, payload = danmaku.ModDismiss, c.ID, map[string]string{"id": c.ID}
	case LogFigures:
		if err := d.cfg.Journal.Append(d.run.ID, cmd.Name(), c.Figures); err != nil {
			d.noteStorage(err)
			return true, fmt.Errorf("%s: show log: %w", cmd.Name(), err)
		}
		return true, nil
	default:
		return false, nil
	}
	if p == nil {
		return true, fmt.Errorf("%s: %w", cmd.Name(), ErrNoDanmaku)
	}
	// The record is written first and the feed changes only once it is
	// durable: a record exists if and only if the action took effect.
	found, err := p.Moderate(op, id, func() error { return d.cfg.Journal.Append(d.run.ID, cmd.Name(), payload) })
	if !found {
		return true, fmt.Errorf("%s: %w", cmd.Name(), ErrUnknownLine)
	}
	d.noteStorage(err)
	if err != nil {
		return true, fmt.Errorf("%s: show log: %w", cmd.Name(), err)
	}
	d.hub.publish(Event{Kind: EventWall, At: d.cfg.Clock.Now()})
	return true, nil
}
