package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"time"

	"studiodesk/studio"
)

// Action names: one set served over the data channel, HTTP and OSC.
const (
	ActionStart       = "start"
	ActionPause       = "pause"
	ActionResume      = "resume"
	ActionTogglePause = "toggle_pause"
	ActionNext        = "next"
	ActionPrev        = "prev"
	ActionJump        = "jump"
	ActionExtend      = "extend"
	ActionShorten     = "shorten"
	ActionEnd         = "end"
)

// Actions lists every action in display order.
var Actions = []string{ActionStart, ActionPause, ActionResume, ActionTogglePause,
	ActionPrev, ActionNext, ActionJump, ActionExtend, ActionShorten, ActionEnd}

// Sentinel errors callers branch on.
var (
	ErrBadRequest    = errors.New("bad request")
	ErrUnknownAction = errors.New("unknown action")
	ErrReplay        = errors.New("command id already used")
	ErrForbidden     = errors.New("viewer role may not change the show")
	ErrUnauthorized  = errors.New("missing, wrong or revoked token")
	ErrDisconnected  = errors.New("remote: disconnected from the desk")
	ErrAckTimeout    = errors.New("remote: no acknowledgement from the desk")
)

// Limits on untrusted input.
const (
	maxCommandBytes = 4 << 10
	maxIDLen        = 64
	maxAdjust       = time.Hour
	defaultAdjust   = 30 * time.Second
	maxJumpIndex    = 100_000
)

// Args are an action's optional arguments.
type Args struct {
	// Index is the 0-based segment for jump.
	Index *int `json:"index,omitempty"`
	// Seconds is the amount for extend/shorten (default 30).
	Seconds *float64 `json:"seconds,omitempty"`
	// Window spends one of the show's adjustment windows.
	Window bool `json:"window,omitempty"`
}

// CommandMsg is a command on the cmd data channel.
type CommandMsg struct {
	ID     string `json:"id"`
	Action string `json:"action"`
	Args   Args   `json:"args"`
}

// AckMsg answers a CommandMsg. Code classifies a failure: bad_request,
// unknown_action, forbidden, unauthorized, replay, timeout or refused (the
// desk said no in the current show state).
type AckMsg struct {
	ID    string `json:"id"`
	OK    bool   `json:"ok"`
	Code  string `json:"code,omitempty"`
	Error string `json:"error,omitempty"`
}

// errorCode classifies err for an AckMsg.
func errorCode(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrUnknownAction):
		return "unknown_action"
	case errors.Is(err, ErrBadRequest):
		return "bad_request"
	case errors.Is(err, ErrForbidden):
		return "forbidden"
	case errors.Is(err, ErrUnauthorized):
		return "unauthorized"
	case errors.Is(err, ErrReplay):
		return "replay"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "timeout"
	}
	return "refused"
}

// CommandError is a command the desk side did not apply.
type CommandError struct {
	ID, Action, Code, Msg string
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("remote: %s (%s): %s", e.Action, e.ID, e.Msg)
}

// Is lets callers test a CommandError against the sentinel errors.
func (e *CommandError) Is(target error) bool {
	switch e.Code {
	case "bad_request":
		return target == ErrBadRequest
	case "unknown_action":
		return target == ErrUnknownAction
	case "forbidden":
		return target == ErrForbidden
	case "unauthorized":
		return target == ErrUnauthorized
	case "replay":
		return target == ErrReplay
	}
	return false
}

// normalizeAction accepts the spellings used by the three transports:
// "toggle-pause" (HTTP paths), "previous", any letter case.
func normalizeAction(a string) (string, error) {
	if len(a) > 32 {
		return "", fmt.Errorf("%w: action name too long", ErrUnknownAction)
	}
	a = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(a)), "-", "_")
	switch a {
	case "previous":
		return ActionPrev, nil
	case "togglepause":
		return ActionTogglePause, nil
	}
	for _, k := range Actions {
		if a == k {
			return a, nil
		}
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownAction, a)
}

// ToCommand turns an action and its arguments into a desk command,
// validating the arguments.
func ToCommand(action string, args Args) (studio.Command, error) {
	a, err := normalizeAction(action)
	if err != nil {
		return nil, err
	}
	switch a {
	case ActionStart:
		return studio.Start{}, nil
	case ActionPause:
		return studio.Pause{}, nil
	case ActionResume:
		return studio.Resume{}, nil
	case ActionTogglePause:
		return studio.TogglePause{}, nil
	case ActionNext:
		return studio.Next{}, nil
	case ActionPrev:
		return studio.Previous{}, nil
	case ActionEnd:
		return studio.End{}, nil
	case ActionJump:
		if args.Index == nil {
			return nil, fmt.Errorf("%w: jump: missing index", ErrBadRequest)
		}
		if *args.Index < 0 || *args.Index > maxJumpIndex {
			return nil, fmt.Errorf("%w: jump: index %d out of range", ErrBadRequest, *args.Index)
		}
		return studio.Jump{Index: *args.Index}, nil
	case ActionExtend, ActionShorten:
		d := defaultAdjust
		if args.Seconds != nil {
			s := *args.Seconds
			if math.IsNaN(s) || math.IsInf(s, 0) || s <= 0 || s > maxAdjust.Seconds() {
				return nil, fmt.Errorf("%w: %s: seconds must be in (0, %d]", ErrBadRequest, a, int(maxAdjust.Seconds()))
			}
			d = time.Duration(s * float64(time.Second)).Round(time.Millisecond)
			if d <= 0 {
				return nil, fmt.Errorf("%w: %s: seconds too small", ErrBadRequest, a)
			}
		}
		if a == ActionShorten {
			d = -d
		}
		return studio.Adjust{Delta: d, Window: args.Window}, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownAction, a)
}

// validID reports whether a command or request id is acceptable:
// 1–64 characters of [A-Za-z0-9._:-].
func validID(id string) bool {
	if id == "" || len(id) > maxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// DecodeCommand parses one message from the cmd data channel. It never
// panics; anything but a single well-formed command object is an error.
func DecodeCommand(b []byte) (CommandMsg, studio.Command, error) {
	var m CommandMsg
	if len(b) > maxCommandBytes {
		return m, nil, fmt.Errorf("%w: command of %d bytes (max %d)", ErrBadRequest, len(b), maxCommandBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return CommandMsg{}, nil, fmt.Errorf("%w: command: %w", ErrBadRequest, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return CommandMsg{}, nil, fmt.Errorf("%w: command: trailing data", ErrBadRequest)
	}
	if !validID(m.ID) {
		return CommandMsg{}, nil, fmt.Errorf("%w: command id must be 1-%d characters of [A-Za-z0-9._:-]", ErrBadRequest, maxIDLen)
	}
	cmd, err := ToCommand(m.Action, m.Args)
	if err != nil {
		return m, nil, fmt.Errorf("command %s: %w", m.ID, err)
	}
	return m, cmd, nil
}

// replayGuard remembers the ids each device used, so a command is never
// applied twice. Per device it keeps the most recent replayWindow ids.
type replayGuard struct {
	mu      sync.Mutex
	devices map[string]*idRing
}

const replayWindow = 8192

type idRing struct {
	seen  map[string]struct{}
	order []string
	next  int
}

func newReplayGuard() *replayGuard { return &replayGuard{devices: make(map[string]*idRing)} }

// first records id for device and reports whether it was new.
func (g *replayGuard) first(device, id string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.devices[device]
	if r == nil {
		r = &idRing{seen: make(map[string]struct{})}
		g.devices[device] = r
	}
	if _, dup := r.seen[id]; dup {
		return false
	}
	if len(r.order) < replayWindow {
		r.order = append(r.order, id)
	} else {
		delete(r.seen, r.order[r.next])
		r.order[r.next] = id
		r.next = (r.next + 1) % replayWindow
	}
	r.seen[id] = struct{}{}
	return true
}

func (g *replayGuard) forget(device string) {
	g.mu.Lock()
	delete(g.devices, device)
	g.mu.Unlock()
}
