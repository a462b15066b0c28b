// Package interact holds the live interactions of a show — coupons and
// votes — as pure data and logic: definitions with validation, a state
// machine per interaction (draft → armed → live → closed, or cancelled),
// coupon claims and the danmaku digit vote tally. It does no I/O and starts
// no goroutines; the desk drives it with explicit times.
package interact

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Defaults and limits.
const (
	// DefaultWindow is a coupon's decision window (3 minutes).
	DefaultWindow = 3 * time.Minute
	// MaxWindow bounds a coupon window and a vote duration.
	MaxWindow = time.Hour
	// MaxStock bounds a coupon's stock.
	MaxStock = 1_000_000
	// MaxPerViewer bounds a coupon's per-viewer limit.
	MaxPerViewer = 100
	// MinOptions and MaxOptions bound a vote's options.
	MinOptions = 2
	MaxOptions = 5
	// MaxIDLen bounds an interaction id (the platform key limit).
	MaxIDLen = 64
)

// Vote modes and change rules.
const (
	ModeDigits   = "digits"   // viewers vote by danmaku digits ("1", "扣1")
	ModePlatform = "platform" // the platform runs the poll
	RuleFirst    = "first"    // a viewer's first vote counts
	RuleLast     = "last"     // a viewer's last vote counts
)

// ErrInvalid is wrapped by every validation error.
var ErrInvalid = errors.New("invalid")

// Coupon is a coupon the controller can fire. Money is in cents.
type Coupon struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Discount is the shown rule, e.g. "满199减30".
	Discount string `json:"discount,omitempty"`
	// FaceValue is the amount off, Threshold the minimum order (0: none).
	FaceValue int64 `json:"face_value"`
	Threshold int64 `json:"threshold"`
	Stock     int   `json:"stock"`
	PerViewer int   `json:"per_viewer"`
	// Window is the decision window (DefaultWindow via WithDefaults).
	Window time.Duration `json:"window"`
	// PriceProtection describes the time-limited price protection shown
	// with the coupon, e.g. "7天价保".
	PriceProtection string `json:"price_protection,omitempty"`
}

// Vote is a vote the controller can start.
type Vote struct {
	ID       string        `json:"id"`
	Question string        `json:"question"`
	Options  []string      `json:"options"`
	Duration time.Duration `json:"duration"`
	// Mode is ModeDigits ("" means digits) or ModePlatform.
	Mode string `json:"mode,omitempty"`
	// ChangeRule is RuleFirst ("" means first) or RuleLast.
	ChangeRule string `json:"change_rule,omitempty"`
}

// Label names the coupon in messages: its name, else its id.
func (c Coupon) Label() string {
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}

// WithDefaults fills a zero Window (3 min) and a zero PerViewer (1).
func (c Coupon) WithDefaults() Coupon {
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.PerViewer == 0 {
		c.PerViewer = 1
	}
	return c
}

// FieldError is a definition problem in one field, e.g.
// `coupon "满199减30": stock: 0: must be at least 1`. It matches ErrInvalid;
// loaders use Field to name the line or cell.
type FieldError struct {
	Kind  string // "coupon" or "vote"
	Label string
	// Field is the field as written in a script: "stock", "face_value",
	// "per_viewer", "window", "options", "change_rule"...
	Field string
	Value any // nil when the value is not shown
	Why   string
}

func (e *FieldError) Error() string {
	name := strings.ReplaceAll(e.Field, "_", " ")
	if e.Value == nil {
		return fmt.Sprintf("%s %q: %s: %s", e.Kind, e.Label, name, e.Why)
	}
	return fmt.Sprintf("%s %q: %s: %v: %s", e.Kind, e.Label, name, e.Value, e.Why)
}

// Unwrap returns ErrInvalid.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func fieldErr(kind, label, field string, value any, why string) error {
	return &FieldError{Kind: kind, Label: label, Field: field, Value: value, Why: why}
}

func checkID(kind, label, id string) error {
	switch {
	case id == "":
		return fieldErr(kind, label, "id", nil, "empty")
	case len(id) > MaxIDLen:
		return fieldErr(kind, label, "id", len(id), fmt.Sprintf("must be at most %d bytes", MaxIDLen))
	case !utf8.ValidString(id):
		return fieldErr(kind, label, "id", nil, "not valid UTF-8")
	}
	return nil
}

// Validate reports the first problem, e.g.
// `coupon "满199减30": stock: 0: must be at least 1`.
func (c Coupon) Validate() error {
	l := c.Label()
	if err := checkID("coupon", l, c.ID); err != nil {
		return err
	}
	switch {
	case c.Stock < 1:
		return fieldErr("coupon", l, "stock", c.Stock, "must be at least 1")
	case c.Stock > MaxStock:
		return fieldErr("coupon", l, "stock", c.Stock, fmt.Sprintf("must be at most %d", MaxStock))
	case c.FaceValue < 0:
		return fieldErr("coupon", l, "face_value", c.FaceValue, "must not be negative")
	case c.Threshold < 0:
		return fieldErr("coupon", l, "threshold", c.Threshold, "must not be negative")
	case c.Threshold > 0 && c.FaceValue >= c.Threshold:
		return fieldErr("coupon", l, "face_value", c.FaceValue, fmt.Sprintf("must be below the threshold %d", c.Threshold))
	case c.PerViewer < 1:
		return fieldErr("coupon", l, "per_viewer", c.PerViewer, "must be at least 1")
	case c.PerViewer > MaxPerViewer:
		return fieldErr("coupon", l, "per_viewer", c.PerViewer, fmt.Sprintf("must be at most %d", MaxPerViewer))
	case c.Window <= 0:
		return fieldErr("coupon", l, "window", c.Window, "must be positive (default 3m0s)")
	case c.Window < time.Second:
		return fieldErr("coupon", l, "window", c.Window, "must be at least 1s")
	case c.Window > MaxWindow:
		return fieldErr("coupon", l, "window", c.Window, "must be at most 1h0m0s")
	}
	return nil
}

// Validate reports the first problem, e.g. `vote "v1": options: 1: must be 2 to 5`.
func (v Vote) Validate() error {
	l := v.ID
	if err := checkID("vote", l, v.ID); err != nil {
		return err
	}
	switch {
	case v.Question == "":
		return fieldErr("vote", l, "question", nil, "empty")
	case len(v.Options) < MinOptions || len(v.Options) > MaxOptions:
		return fieldErr("vote", l, "options", len(v.Options), fmt.Sprintf("must be %d to %d", MinOptions, MaxOptions))
	case v.Duration <= 0:
		return fieldErr("vote", l, "duration", v.Duration, "must be positive")
	case v.Duration < time.Second:
		return fieldErr("vote", l, "duration", v.Duration, "must be at least 1s")
	case v.Duration > MaxWindow:
		return fieldErr("vote", l, "duration", v.Duration, "must be at most 1h0m0s")
	}
	for i, o := range v.Options {
		if o == "" {
			return fieldErr("vote", l, "options", nil, fmt.Sprintf("option %d: empty", i+1))
		}
	}
	switch v.Mode {
	case "", ModeDigits, ModePlatform:
	default:
		return fieldErr("vote", l, "mode", fmt.Sprintf("%q", v.Mode), `must be "digits" or "platform"`)
	}
	switch v.ChangeRule {
	case "", RuleFirst, RuleLast:
	default:
		return fieldErr("vote", l, "change_rule", fmt.Sprintf("%q", v.ChangeRule), `must be "first" or "last"`)
	}
	return nil
}

// clone copies the vote's options so a definition held by the book is not
// shared with the caller.
func (v Vote) clone() Vote {
	v.Options = append([]string(nil), v.Options...)
	return v
}
