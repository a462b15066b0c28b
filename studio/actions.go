package studio

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"studiodesk/studio/danmaku"
	"studiodesk/studio/interact"
)

// The action catalogue: every live action the field controller uses, in
// one table behind one dispatch path (Ontime's pattern). The keys, the desk
// buttons, the WebRTC data channel, the HTTP API and OSC all look an action
// up here, decode its arguments here and build the desk Command here, so an
// action means the same thing and fails the same way on every surface.

// Action names.
const (
	ActStart             = "start"
	ActPause             = "pause"
	ActResume            = "resume"
	ActTogglePause       = "toggle_pause"
	ActNext              = "next"
	ActPrevious          = "previous"
	ActJump              = "jump"
	ActExtend            = "extend"
	ActShorten           = "shorten"
	ActUseWindow         = "use_window"
	ActEnd               = "end"
	ActRewind            = "rewind"
	ActRecallPreset      = "recall_preset"
	ActFireCoupon        = "fire_coupon"
	ActStartVote         = "start_vote"
	ActEndVote           = "end_vote"
	ActCancelInteraction = "cancel_interaction"
	ActPin               = "pin"
	ActHide              = "hide"
	ActBlock             = "block"
	ActAnswerQuestion    = "answer_question"
	ActPauseDanmaku      = "pause_danmaku"
	ActTakeOver          = "take_over"
)

// ArgType is the type of an action argument.
type ArgType string

// Argument types. Numbers are accepted as JSON numbers, OSC int/float
// arguments or numeric strings ("60"); ids as strings or whole numbers.
const (
	ArgInt    ArgType = "int"    // a whole number
	ArgNumber ArgType = "number" // any finite number
	ArgString ArgType = "string" // an id or a short text
	ArgBool   ArgType = "bool"   // true/false, 1/0, "yes"/"no", "on"/"off"
)

// ActionArg describes one argument.
type ActionArg struct {
	Name     string  `json:"name"`
	Type     ArgType `json:"type"`
	Required bool    `json:"required,omitempty"`
	// Min and Max bound numbers (both 0: unbounded).
	Min  float64 `json:"min,omitempty"`
	Max  float64 `json:"max,omitempty"`
	Help string  `json:"help"`
}

// Confirm says whether an action asks before it acts.
type Confirm string

// Confirmation needs.
const (
	ConfirmNone        Confirm = ""
	ConfirmMoney       Confirm = "money"       // moves money: fire a coupon
	ConfirmDestructive Confirm = "destructive" // cannot be taken back: end, rewind, cancel an interaction
)

// Action is one catalogue entry.
type Action struct {
	Name    string      `json:"name"`
	Group   string      `json:"group"` // timer, preset, interaction, danmaku
	Args    []ActionArg `json:"args"`
	Confirm Confirm     `json:"confirm,omitempty"`
	Help    string      `json:"help"`

	build func(v ArgValues, env ActionEnv) (Command, error)
}

// ArgValues are an action's decoded arguments: int, float64, string or bool
// by ActionArg.Type. Absent optional arguments are not in the map.
type ArgValues map[string]any

// ActionEnv is what building a command may look at: the preset book to
// resolve a key number, the interactions to find the armed coupon, the
// recent danmaku to find a line's viewer. The Desk implements it.
type ActionEnv interface {
	Snapshot() *Snapshot
	Interactions() Interactions
	DanmakuLine(id string) (danmaku.Item, bool)
}

// Catalogue errors.
var (
	ErrUnknownAction = errors.New("unknown action")
	ErrBadArgument   = errors.New("bad argument")
)

// ArgError is a bad or missing argument, naming the action and argument.
// It matches ErrBadArgument.
type ArgError struct {
	Action, Arg, Msg string
}

func (e *ArgError) Error() string {
	if e.Arg == "" {
		return e.Action + ": " + e.Msg
	}
	return e.Action + ": " + e.Arg + ": " + e.Msg
}

// Is matches ErrBadArgument.
func (e *ArgError) Is(target error) bool { return target == ErrBadArgument }

// UnknownActionError names an action the catalogue does not hold. It
// matches ErrUnknownAction.
type UnknownActionError struct{ Name string }

func (e *UnknownActionError) Error() string {
	return fmt.Sprintf("unknown action %q (GET /api/v1/actions lists them)", e.Name)
}

// Is matches ErrUnknownAction.
func (e *UnknownActionError) Is(target error) bool { return target == ErrUnknownAction }

// Limits on arguments.
const (
	MaxJumpSegment = 100_000
	MaxAdjustSecs  = 3600
	DefaultAdjust  = 30 * time.Second
	maxArgString   = 128
	maxActionName  = 32
)

func fixed(c Command) func(ArgValues, ActionEnv) (Command, error) {
	return func(ArgValues, ActionEnv) (Command, error) { return c, nil }
}

var (
	argSeconds = ActionArg{Name: "seconds", Type: ArgNumber, Min: 0.001, Max: MaxAdjustSecs,
		Help: "seconds to add or take away (default 30)"}
	argWindow = ActionArg{Name: "window", Type: ArgBool, Help: "spend one of the show's adjustment windows"}
	argID     = func(what string, required bool) ActionArg {
		return ActionArg{Name: "id", Type: ArgString, Required: required, Help: what}
	}
)

var catalogue = []Action{
	{Name: ActStart, Group: "timer", Help: "put the show on air at segment 1", build: fixed(Start{})},
	{Name: ActPause, Group: "timer", Help: "freeze the clock", build: fixed(Pause{})},
	{Name: ActResume, Group: "timer", Help: "continue after a pause", build: fixed(Resume{})},
	{Name: ActTogglePause, Group: "timer", Help: "pause a running show, resume a paused one", build: fixed(TogglePause{})},
	{Name: ActNext, Group: "timer", Help: "next segment (after the last one: end the show)", build: fixed(Next{})},
	{Name: ActPrevious, Group: "timer", Help: "previous segment", build: fixed(Previous{})},
	{Name: ActJump, Group: "timer", Help: "go to a segment, numbered from 1 as the desk shows it",
		Args:  []ActionArg{{Name: "segment", Type: ArgInt, Required: true, Min: 1, Max: MaxJumpSegment, Help: "segment number, 1 = the first"}},
		build: buildJump},
	{Name: ActExtend, Group: "timer", Help: "lengthen the current segment", Args: []ActionArg{argSeconds, argWindow},
		build: buildAdjust(1)},
	{Name: ActShorten, Group: "timer", Help: "shorten the current segment", Args: []ActionArg{argSeconds, argWindow},
		build: buildAdjust(-1)},
	{Name: ActUseWindow, Group: "timer", Help: "spend an adjustment window (re-plan the rest of the show)",
		build: fixed(Adjust{Window: true})},
	{Name: ActEnd, Group: "timer", Confirm: ConfirmDestructive, Help: "take the show off air", build: fixed(End{})},
	{Name: ActRewind, Group: "timer", Confirm: ConfirmDestructive, Help: "discard this run's timing for a new run",
		build: fixed(Rewind{})},
	{Name: ActRecallPreset, Group: "preset", Help: "recall a scene preset by its key (1-9, F1-F12) or id",
		Args:  []ActionArg{{Name: "preset", Type: ArgString, Required: true, Help: "key number (3), key (F2) or preset id"}},
		build: buildRecall},
	{Name: ActFireCoupon, Group: "interaction", Confirm: ConfirmMoney, Help: "issue a coupon on the platform",
		Args: []ActionArg{argID("coupon id (default: the armed coupon)", false)}, build: buildInteraction(interact.KindCoupon, interact.Armed, "armed coupon",
			func(id string) Command { return FireCoupon{ID: id} })},
	{Name: ActStartVote, Group: "interaction", Help: "start a vote",
		Args: []ActionArg{argID("vote id (default: the armed vote)", false)}, build: buildInteraction(interact.KindVote, interact.Armed, "armed vote",
			func(id string) Command { return StartVote{ID: id} })},
	{Name: ActEndVote, Group: "interaction", Help: "end the live vote early",
		Args: []ActionArg{argID("vote id (default: the live vote)", false)}, build: buildInteraction(interact.KindVote, interact.Live, "live vote",
			func(id string) Command { return EndVote{ID: id} })},
	{Name: ActCancelInteraction, Group: "interaction", Confirm: ConfirmDestructive, Help: "call off a coupon or vote",
		Args: []ActionArg{argID("coupon or vote id", true), {Name: "reason", Type: ArgString, Help: "why (show log)"}},
		build: func(v ArgValues, _ ActionEnv) (Command, error) {
			reason, _ := v["reason"].(string)
			if reason == "" {
				reason = "operator"
			}
			return CancelInteraction{ID: v["id"].(string), Reason: reason}, nil
		}},
	{Name: ActPin, Group: "danmaku", Help: "pin a comment on the review wall", Args: []ActionArg{argID("comment id", true)},
		build: func(v ArgValues, _ ActionEnv) (Command, error) { return PinDanmaku{ID: v["id"].(string)}, nil }},
	{Name: ActHide, Group: "danmaku", Help: "hide a comment", Args: []ActionArg{argID("comment id", true)},
		build: func(v ArgValues, _ ActionEnv) (Command, error) { return HideDanmaku{ID: v["id"].(string)}, nil }},
	{Name: ActBlock, Group: "danmaku", Help: "block the viewer who sent a comment", Args: []ActionArg{argID("comment id", true)},
		build: buildBlock},
	{Name: ActAnswerQuestion, Group: "danmaku", Help: "mark a question group answered (off the host's queue)",
		Args:  []ActionArg{argID("question group id", true)},
		build: func(v ArgValues, _ ActionEnv) (Command, error) { return DismissQuestion{ID: v["id"].(string)}, nil }},
	{Name: ActPauseDanmaku, Group: "danmaku", Help: "freeze the comment feed on the controller's screens (toggle)",
		Args: []ActionArg{{Name: "paused", Type: ArgBool, Help: "true: freeze, false: run (default: toggle)"}},
		build: func(v ArgValues, _ ActionEnv) (Command, error) {
			if p, ok := v["paused"].(bool); ok {
				return PauseDanmaku{Paused: &p}, nil
			}
			return PauseDanmaku{}, nil
		}},
	{Name: ActTakeOver, Group: "fleet", Confirm: ConfirmDestructive,
		Help: "hot standby: make this desk the studio's primary now (the primary becomes read-only)", build: fixed(TakeOver{})},
}

// aliases are other spellings transports accept.
var aliases = map[string]string{"prev": ActPrevious, "togglepause": ActTogglePause, "answer": ActAnswerQuestion,
	"recall": ActRecallPreset, "window": ActUseWindow}

// Actions returns the catalogue in display order.
func Actions() []Action { return slices.Clone(catalogue) }

// LookupAction finds an action by name: any letter case, '-' for '_'.
func LookupAction(name string) (*Action, error) {
	if len(name) > maxActionName || !utf8.ValidString(name) {
		return nil, &UnknownActionError{Name: clipText(name)}
	}
	n := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(name)), "-", "_")
	if a, ok := aliases[n]; ok {
		n = a
	}
	for i := range catalogue {
		if catalogue[i].Name == n {
			return &catalogue[i], nil
		}
	}
	return nil, &UnknownActionError{Name: clipText(name)}
}

// Arg returns the named argument's description.
func (a *Action) Arg(name string) (ActionArg, bool) {
	for _, x := range a.Args {
		if x.Name == name {
			return x, true
		}
	}
	return ActionArg{}, false
}

func clipText(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

// Decode validates raw arguments (from JSON decoded with UseNumber, from
// OSC, or from a key) into typed values. Unknown names, missing required
// arguments and values of the wrong type or out of range are ArgErrors.
func (a *Action) Decode(raw map[string]any) (ArgValues, error) {
	v := make(ArgValues, len(raw))
	names := make([]string, 0, len(raw))
	for k := range raw {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		spec, ok := a.Arg(k)
		if !ok {
			return nil, &ArgError{Action: a.Name, Arg: clipText(k), Msg: "unknown argument" + a.argList()}
		}
		if raw[k] == nil {
			continue // JSON null / OSC nil: absent
		}
		x, err := decodeValue(spec, raw[k])
		if err != nil {
			return nil, &ArgError{Action: a.Name, Arg: k, Msg: err.Error()}
		}
		v[k] = x
	}
	for _, spec := range a.Args {
		if _, ok := v[spec.Name]; spec.Required && !ok {
			return nil, &ArgError{Action: a.Name, Arg: spec.Name, Msg: "missing (" + spec.Help + ")"}
		}
	}
	return v, nil
}

func (a *Action) argList() string {
	if len(a.Args) == 0 {
		return " (takes none)"
	}
	names := make([]string, len(a.Args))
	for i, x := range a.Args {
		names[i] = x.Name
	}
	return " (takes " + strings.Join(names, ", ") + ")"
}

// Build turns decoded arguments into the desk command.
func (a *Action) Build(v ArgValues, env ActionEnv) (Command, error) {
	return a.build(v, env)
}

// BuildAction looks an action up, decodes raw and builds its command: the
// one dispatch path every surface uses.
func BuildAction(name string, raw map[string]any, env ActionEnv) (*Action, Command, error) {
	a, err := LookupAction(name)
	if err != nil {
		return nil, nil, err
	}
	v, err := a.Decode(raw)
	if err != nil {
		return a, nil, err
	}
	cmd, err := a.Build(v, env)
	return a, cmd, err
}

func decodeValue(spec ActionArg, x any) (any, error) {
	switch spec.Type {
	case ArgInt, ArgNumber:
		f, err := number(x)
		if err != nil {
			return nil, err
		}
		if spec.Type == ArgInt && f != math.Trunc(f) {
			return nil, fmt.Errorf("want a whole number, got %v", f)
		}
		if (spec.Min != 0 || spec.Max != 0) && (f < spec.Min || f > spec.Max) {
			return nil, fmt.Errorf("%v out of range %v-%v", f, spec.Min, spec.Max)
		}
		if spec.Type == ArgInt {
			return int(f), nil
		}
		return f, nil
	case ArgBool:
		return boolean(x)
	case ArgString:
		return text(x)
	}
	return nil, fmt.Errorf("argument type %q", spec.Type)
}

// number accepts JSON numbers, Go/OSC numeric types and numeric strings.
func number(x any) (float64, error) {
	var f float64
	switch n := x.(type) {
	case json.Number:
		return parseNumber(string(n))
	case string:
		return parseNumber(n)
	case float64:
		f = n
	case float32:
		f = float64(n)
	case int:
		f = float64(n)
	case int32:
		f = float64(n)
	case int64:
		f = float64(n)
	default:
		return 0, fmt.Errorf("want a number, got %s", typeName(x))
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("want a finite number, got %v", f)
	}
	return f, nil
}

func parseNumber(s string) (float64, error) {
	t := strings.TrimSpace(s)
	ok := t != "" && len(t) <= 24
	for i := 0; ok && i < len(t); i++ {
		c := t[i]
		ok = c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E'
	}
	if !ok {
		return 0, fmt.Errorf("want a number, got %q", clipText(s))
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("want a number, got %q", clipText(s))
	}
	return f, nil
}

func boolean(x any) (bool, error) {
	switch b := x.(type) {
	case bool:
		return b, nil
	case string, json.Number:
		var s string
		if n, ok := b.(json.Number); ok {
			s = string(n)
		} else {
			s = b.(string)
		}
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true", "1", "yes", "on":
			return true, nil
		case "false", "0", "no", "off":
			return false, nil
		}
		return false, fmt.Errorf("want true or false, got %q", clipText(s))
	}
	f, err := number(x)
	if err != nil || (f != 0 && f != 1) {
		return false, fmt.Errorf("want true or false, got %s", typeName(x))
	}
	return f == 1, nil
}

func text(x any) (string, error) {
	var s string
	switch v := x.(type) {
	case string:
		s = strings.TrimSpace(v)
	case json.Number, int, int32, int64, float32, float64:
		f, err := number(v)
		if err != nil || f != math.Trunc(f) || math.Abs(f) > 1e15 {
			return "", fmt.Errorf("want an id, got %s", typeName(x))
		}
		s = strconv.FormatInt(int64(f), 10)
	default:
		return "", fmt.Errorf("want text, got %s", typeName(x))
	}
	if s == "" {
		return "", errors.New("empty")
	}
	if !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "", errors.New("holds control characters or invalid UTF-8")
	}
	if len(s) > maxArgString {
		return "", fmt.Errorf("%d bytes, at most %d", len(s), maxArgString)
	}
	return s, nil
}

func typeName(x any) string {
	switch v := x.(type) {
	case string:
		return strconv.Quote(clipText(v))
	case bool:
		return strconv.FormatBool(v)
	case json.Number:
		return string(v)
	case float64, float32, int, int32, int64:
		return fmt.Sprint(v)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	case []byte:
		return "a blob"
	}
	return fmt.Sprintf("%T", x)
}

func buildJump(v ArgValues, env ActionEnv) (Command, error) {
	seg := v["segment"].(int)
	if env != nil {
		if s := env.Snapshot(); s != nil && s.Show != nil && seg > len(s.Show.Segments) {
			return nil, &ArgError{Action: ActJump, Arg: "segment", Msg: fmt.Sprintf("%d: the script has %d segments", seg, len(s.Show.Segments))}
		}
	}
	return Jump{Index: seg - 1}, nil
}

func buildAdjust(sign time.Duration) func(ArgValues, ActionEnv) (Command, error) {
	return func(v ArgValues, _ ActionEnv) (Command, error) {
		d := DefaultAdjust
		if s, ok := v["seconds"].(float64); ok {
			d = time.Duration(s * float64(time.Second)).Round(time.Millisecond)
		}
		w, _ := v["window"].(bool)
		return Adjust{Delta: sign * d, Window: w}, nil
	}
}

func buildRecall(v ArgValues, env ActionEnv) (Command, error) {
	ref := v["preset"].(string)
	var presets []Preset
	if env != nil {
		if s := env.Snapshot(); s != nil {
			presets = s.Presets
		}
	}
	for _, p := range presets {
		if p.ID == ref {
			return RecallPreset{ID: p.ID}, nil
		}
	}
	for _, p := range presets {
		if p.Key != "" && strings.EqualFold(p.Key, ref) {
			return RecallPreset{ID: p.ID}, nil
		}
	}
	return nil, &ArgError{Action: ActRecallPreset, Arg: "preset", Msg: fmt.Sprintf("no preset with id or key %q", ref)}
}

func buildInteraction(kind interact.Kind, state interact.State, what string, mk func(string) Command) func(ArgValues, ActionEnv) (Command, error) {
	return func(v ArgValues, env ActionEnv) (Command, error) {
		if id, ok := v["id"].(string); ok {
			return mk(id), nil
		}
		var found []string
		if env != nil {
			for _, it := range env.Interactions().Items {
				if it.Kind == kind && it.State == state {
					found = append(found, it.ID)
				}
			}
		}
		name := mk("").Name()
		switch len(found) {
		case 0:
			return nil, &ArgError{Action: name, Arg: "id", Msg: "no " + what + ": name one"}
		case 1:
			return mk(found[0]), nil
		}
		return nil, &ArgError{Action: name, Arg: "id", Msg: fmt.Sprintf("%d of them (%s): name one", len(found), strings.Join(found, ", "))}
	}
}

func buildBlock(v ArgValues, env ActionEnv) (Command, error) {
	id := v["id"].(string)
	if env != nil {
		if it, ok := env.DanmakuLine(id); ok && it.ViewerID != "" {
			return BlockViewer{ViewerID: it.ViewerID, ViewerName: it.ViewerName}, nil
		}
	}
	return nil, &ArgError{Action: ActBlock, Arg: "id", Msg: fmt.Sprintf("no comment %q held (it may have scrolled out)", clipText(id))}
}
