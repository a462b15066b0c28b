package studio

import (
	"errors"
	"fmt"
	"time"

	"studiodesk/scripts"
)

// Command is one request to change the show. Every change goes through
// Desk.Do: one place to validate, log, persist and publish.
type Command interface {
	// Name is the show-log kind of the command.
	Name() string
}

// Timer commands. Live actions; each has a keyboard shortcut in the UI.
type (
	// Start puts the show on air at segment 0.
	Start struct{}
	// Pause freezes the clock.
	Pause struct{}
	// Resume continues after Pause.
	Resume struct{}
	// TogglePause pauses a running show or resumes a paused one.
	TogglePause struct{}
	// Next moves to the next segment (past the last one: ends the show).
	Next struct{}
	// Previous moves back one segment.
	Previous struct{}
	// Jump moves to segment Index.
	Jump struct{ Index int }
	// Adjust lengthens (+) or shortens (−) the current segment. With Window
	// the change uses one of the show's adjustment windows.
	Adjust struct {
		Delta  time.Duration
		Window bool
	}
	// End takes the show off air.
	End struct{}
	// Rewind discards the anchors of the current run (a new rehearsal run).
	// Destructive: the UI confirms first.
	Rewind struct{}
	// LoadShow replaces the script. Refused while the show is on air.
	LoadShow struct{ Show *scripts.Show }
)

// Name implementations: the show-log kind.
func (Start) Name() string       { return "start" }
func (Pause) Name() string       { return "pause" }
func (Resume) Name() string      { return "resume" }
func (TogglePause) Name() string { return "toggle_pause" }
func (Next) Name() string        { return "next" }
func (Previous) Name() string    { return "previous" }
func (Jump) Name() string        { return "jump" }
func (Adjust) Name() string      { return "adjust" }
func (End) Name() string         { return "end" }
func (Rewind) Name() string      { return "rewind" }
func (LoadShow) Name() string    { return "load_show" }

// Sentinel errors callers branch on.
var (
	ErrNoShow         = errors.New("no show loaded")
	ErrNotStarted     = errors.New("the show has not started")
	ErrAlreadyStarted = errors.New("the show is already on air")
	ErrEnded          = errors.New("the show has ended")
	ErrOnAir          = errors.New("not allowed while the show is on air")
	ErrNoWindows      = errors.New("no adjustment windows left")
	ErrBadCommand     = errors.New("invalid command")
	ErrClosed         = errors.New("desk closed")
	ErrNotPaused      = errors.New("the show is not paused")
	ErrPaused         = errors.New("the show is already paused")
)

// anchorFor turns a timer command into the anchor to persist, validating it
// against the state at now.
func anchorFor(cmd Command, show *scripts.Show, st scripts.State, now time.Time) (scripts.Anchor, error) {
	n := len(show.Segments)
	needLive := func() error {
		switch {
		case !st.Started:
			return ErrNotStarted
		case st.Ended:
			return ErrEnded
		}
		return nil
	}
	switch c := cmd.(type) {
	case Start:
		if st.Started && !st.Ended {
			return scripts.Anchor{}, ErrAlreadyStarted
		}
		if st.Ended {
			return scripts.Anchor{}, fmt.Errorf("%w: rewind for a new run", ErrEnded)
		}
		if n == 0 {
			return scripts.Anchor{}, fmt.Errorf("%w: the script has no segments", ErrBadCommand)
		}
		return scripts.Anchor{Kind: scripts.AnchorStart, At: now}, nil
	case Pause:
		if err := needLive(); err != nil {
			return scripts.Anchor{}, err
		}
		if st.Paused {
			return scripts.Anchor{}, ErrPaused
		}
		return scripts.Anchor{Kind: scripts.AnchorPause, At: now}, nil
	case Resume:
		if err := needLive(); err != nil {
			return scripts.Anchor{}, err
		}
		if !st.Paused {
			return scripts.Anchor{}, ErrNotPaused
		}
		return scripts.Anchor{Kind: scripts.AnchorResume, At: now}, nil
	case TogglePause:
		if st.Paused {
			return anchorFor(Resume{}, show, st, now)
		}
		return anchorFor(Pause{}, show, st, now)
	case Next:
		if err := needLive(); err != nil {
			return scripts.Anchor{}, err
		}
		return scripts.Anchor{Kind: scripts.AnchorGoto, At: now, Segment: st.Segment + 1}, nil
	case Previous:
		if err := needLive(); err != nil {
			return scripts.Anchor{}, err
		}
		if st.Segment == 0 {
			return scripts.Anchor{}, fmt.Errorf("%w: already at the first segment", ErrBadCommand)
		}
		return scripts.Anchor{Kind: scripts.AnchorGoto, At: now, Segment: st.Segment - 1}, nil
	case Jump:
		if err := needLive(); err != nil {
			return scripts.Anchor{}, err
		}
		if c.Index < 0 || c.Index >= n {
			return scripts.Anchor{}, fmt.Errorf("%w: jump to segment %d: the script has %d segments", ErrBadCommand, c.Index+1, n)
		}
		return scripts.Anchor{Kind: scripts.AnchorGoto, At: now, Segment: c.Index}, nil
	case Adjust:
		if err := needLive(); err != nil {
			return scripts.Anchor{}, err
		}
		if c.Delta == 0 && !c.Window {
			return scripts.Anchor{}, fmt.Errorf("%w: adjust by 0", ErrBadCommand)
		}
		if c.Window && st.WindowsLeft <= 0 {
			return scripts.Anchor{}, ErrNoWindows
		}
		return scripts.Anchor{Kind: scripts.AnchorAdjust, At: now, Delta: c.Delta, Window: c.Window}, nil
	case End:
		if err := needLive(); err != nil {
			return scripts.Anchor{}, err
		}
		return scripts.Anchor{Kind: scripts.AnchorEnd, At: now}, nil
	}
	return scripts.Anchor{}, fmt.Errorf("%w: %T", ErrBadCommand, cmd)
}
