package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"studiodesk/studio"
)

// Sentinel errors callers branch on. Bad arguments are the catalogue's
// (studio.ErrBadArgument), so every surface reports them alike.
var (
	ErrBadRequest      = errors.New("bad request")
	ErrUnknownAction   = studio.ErrUnknownAction
	ErrReplay          = errors.New("command id already used")
	ErrForbidden       = errors.New("viewer role may not change the show")
	ErrUnauthorized    = errors.New("missing, wrong or revoked token")
	ErrDisconnected    = errors.New("remote: disconnected from the desk")
	ErrAckTimeout      = errors.New("remote: no acknowledgement from the desk")
	ErrConfirmRequired = errors.New("confirmation required")
)

// Limits on untrusted input.
const (
	maxCommandBytes = 4 << 10
	maxIDLen        = 64
)

// Args are an action's arguments by name, as in the catalogue
// (studio.Actions): numbers as JSON numbers or numeric strings. The
// reserved name "confirm" (true) confirms a money-moving or destructive
// action in the same request.
type Args map[string]any

// ArgConfirm is the reserved argument that confirms an action at once.
const ArgConfirm = "confirm"

// CommandMsg is a command on the cmd data channel.
type CommandMsg struct {
	ID     string `json:"id"`
	Action string `json:"action"`
	Args   Args   `json:"args,omitempty"`
}

// AckMsg answers a CommandMsg. Code classifies a failure: bad_request,
// unknown_action, forbidden, unauthorized, replay, confirm_required,
// timeout or refused (the desk said no in the current show state).
type AckMsg struct {
	ID    string `json:"id"`
	OK    bool   `json:"ok"`
	Code  string `json:"code,omitempty"`
	Error string `json:"error,omitempty"`
}

// errorCode classifies err for an AckMsg, an HTTP answer or an OSC reply.
func errorCode(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrUnknownAction):
		return "unknown_action"
	case errors.Is(err, ErrBadRequest), errors.Is(err, studio.ErrBadArgument):
		return "bad_request"
	case errors.Is(err, ErrForbidden):
		return "forbidden"
	case errors.Is(err, ErrUnauthorized):
		return "unauthorized"
	case errors.Is(err, ErrReplay):
		return "replay"
	case errors.Is(err, ErrConfirmRequired):
		return "confirm_required"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "timeout"
	case errors.Is(err, studio.ErrStorage):
		return "storage"
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
		return target == ErrBadRequest || target == studio.ErrBadArgument
	case "unknown_action":
		return target == ErrUnknownAction
	case "forbidden":
		return target == ErrForbidden
	case "unauthorized":
		return target == ErrUnauthorized
	case "replay":
		return target == ErrReplay
	case "confirm_required":
		return target == ErrConfirmRequired
	}
	return false
}

// call is one decoded action request from any surface.
type call struct {
	action  *studio.Action
	values  studio.ArgValues
	confirm bool
	id      string // request id ("" = none)
}

// parseCall looks the action up in the catalogue and decodes its
// arguments; "confirm" is taken out first. raw may be nil.
func parseCall(name string, raw map[string]any) (call, error) {
	a, err := studio.LookupAction(name)
	if err != nil {
		return call{}, err
	}
	c := call{action: a}
	if x, ok := raw[ArgConfirm]; ok {
		rest := make(map[string]any, len(raw))
		for k, v := range raw {
			if k != ArgConfirm {
				rest[k] = v
			}
		}
		raw = rest
		b, err := confirmValue(x)
		if err != nil {
			return c, &studio.ArgError{Action: a.Name, Arg: ArgConfirm, Msg: err.Error()}
		}
		c.confirm = b
	}
	c.values, err = a.Decode(raw)
	return c, err
}

func confirmValue(x any) (bool, error) {
	spec := studio.ActionArg{Name: ArgConfirm, Type: studio.ArgBool}
	a := studio.Action{Name: "confirm", Args: []studio.ActionArg{spec}}
	v, err := a.Decode(map[string]any{ArgConfirm: x})
	if err != nil {
		var ae *studio.ArgError
		if errors.As(err, &ae) {
			return false, errors.New(ae.Msg)
		}
		return false, err
	}
	b, _ := v[ArgConfirm].(bool)
	return b, nil
}

// key is the action and its arguments as text: a second press confirms
// only the same action with the same arguments.
func (c call) key() string {
	names := make([]string, 0, len(c.values))
	for k := range c.values {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString(c.action.Name)
	for _, k := range names {
		fmt.Fprintf(&b, " %s=%v", k, c.values[k])
	}
	return b.String()
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
func DecodeCommand(b []byte) (CommandMsg, call, error) {
	var m CommandMsg
	if len(b) > maxCommandBytes {
		return m, call{}, fmt.Errorf("%w: command of %d bytes (max %d)", ErrBadRequest, len(b), maxCommandBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return CommandMsg{}, call{}, fmt.Errorf("%w: command: %w", ErrBadRequest, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return CommandMsg{}, call{}, fmt.Errorf("%w: command: trailing data", ErrBadRequest)
	}
	if !validID(m.ID) {
		return CommandMsg{}, call{}, fmt.Errorf("%w: command id must be 1-%d characters of [A-Za-z0-9._:-]", ErrBadRequest, maxIDLen)
	}
	c, err := parseCall(m.Action, m.Args)
	if err != nil {
		return m, call{}, err
	}
	c.id = m.ID
	return m, c, nil
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

// DefaultConfirmWindow is how long a first press of a money-moving or
// destructive action waits for the second press that confirms it.
const DefaultConfirmWindow = 5 * time.Second

// confirmGuard holds, per device, the action awaiting its second press.
type confirmGuard struct {
	mu      sync.Mutex
	pending map[string]pendingConfirm
}

type pendingConfirm struct {
	key   string
	until time.Time
}

func newConfirmGuard() *confirmGuard {
	return &confirmGuard{pending: make(map[string]pendingConfirm)}
}

// press records a press of key by device at now and reports whether it is
// the confirming second press (same action and arguments within window).
func (g *confirmGuard) press(device, key string, now time.Time, window time.Duration) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p, ok := g.pending[device]; ok && p.key == key && !now.After(p.until) {
		delete(g.pending, device)
		return true
	}
	g.pending[device] = pendingConfirm{key: key, until: now.Add(window)}
	return false
}

func (g *confirmGuard) forget(device string) {
	g.mu.Lock()
	delete(g.pending, device)
	g.mu.Unlock()
}
