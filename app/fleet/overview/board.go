// Package overview is the agency's view of its fleet: every studio's
// live status (show, segment, over/under, danmaku per minute,
// interactions, device health, last heartbeat) as the desks publish it
// on sd.<id>.status. The hub serves it as a read-only web page that the
// hub pushes changes to (server-sent events); `studiodesk fleet` prints
// the same board in a terminal. Both read the same Board.
package overview

import (
	"sort"
	"sync"
	"time"

	"studiodesk/app/fleet"
)

// Heartbeat ages at which a studio turns amber, then red.
const (
	StaleAfter = 3 * time.Second
	LostAfter  = 10 * time.Second
)

// Heartbeat levels of a row.
const (
	LevelLive  = "live"  // a message within StaleAfter
	LevelStale = "stale" // amber: no message for StaleAfter
	LevelLost  = "lost"  // red: no message for LostAfter
	LevelNever = "never" // configured, never heard from
)

// Alerts: the worst of a row's heartbeat, device health, fleet link and
// schedule, for the row's colour.
const (
	AlertOK   = "ok"
	AlertWarn = "warn"
	AlertBad  = "bad"
)

// Over/under thresholds for the schedule colour (running over).
const (
	OverWarn = 30 * time.Second
	OverBad  = 2 * time.Minute
)

// Row is one studio on the board.
type Row struct {
	Studio string `json:"studio"`
	// Configured is true for a studio the hub has a user for.
	Configured bool `json:"configured"`
	// Status is the primary's last message (nil: never seen).
	Status *fleet.Status `json:"status,omitempty"`
	// AgeMS is the time since that message arrived, by the board's
	// clock (never the desk's: desks' clocks may be wrong).
	AgeMS int64  `json:"age_ms"`
	Level string `json:"level"`
	Alert string `json:"alert"`
	// Health is the alert without the heartbeat (devices and schedule):
	// the page ages the heartbeat itself between messages.
	Health string `json:"health"`
	// Standby is the studio's standby desk, if one reports.
	Standby *Standby `json:"standby,omitempty"`
}

// Standby is a standby desk's last report.
type Standby struct {
	Desk  string `json:"desk"`
	AgeMS int64  `json:"age_ms"`
	Level string `json:"level"`
}

// Board is every studio's latest status. It is safe for concurrent use.
type Board struct {
	now func() time.Time

	mu       sync.Mutex
	entries  map[string]*entry
	bad      int
	lastBad  string
	onChange func(id string)
}

type entry struct {
	configured bool
	status     *fleet.Status
	at         time.Time
	standby    *fleet.Status
	standbyAt  time.Time
	level      string // the level last reported by Changed/Sweep
}

// NewBoard is a board of the configured studios (they show as never seen
// until they report); now is the board's clock (nil: time.Now).
func NewBoard(configured []string, now func() time.Time) *Board {
	if now == nil {
		now = time.Now
	}
	b := &Board{now: now, entries: map[string]*entry{}}
	for _, id := range configured {
		b.entries[id] = &entry{configured: true, level: LevelNever}
	}
	return b
}

// Configure adds studios the fleet is known to have (shown as never seen
// until they report); studios already on the board stay as they are.
func (b *Board) Configure(ids []string) {
	var added []string
	b.mu.Lock()
	for _, id := range ids {
		if e := b.entries[id]; e != nil {
			e.configured = true
			continue
		}
		b.entries[id] = &entry{configured: true, level: LevelNever}
		added = append(added, id)
	}
	f := b.onChange
	b.mu.Unlock()
	if f != nil {
		for _, id := range added {
			f(id)
		}
	}
}

// OnChange sets f to be called (outside the board's lock) with the id of
// every studio whose row changed.
func (b *Board) OnChange(f func(id string)) {
	b.mu.Lock()
	b.onChange = f
	b.mu.Unlock()
}

// Apply takes one message from subject. A message that is no valid
// status is counted and kept as the last error (shown on the page), and
// changes nothing else.
func (b *Board) Apply(subject string, data []byte) error {
	s, err := fleet.ParseStatus(subject, data)
	b.mu.Lock()
	if err != nil {
		b.bad++
		b.lastBad = err.Error()
		b.mu.Unlock()
		return err
	}
	e := b.entries[s.Studio]
	if e == nil {
		e = &entry{}
		b.entries[s.Studio] = e
	}
	now := b.now()
	if s.Role != fleet.RolePrimary {
		e.standby, e.standbyAt = &s, now
	} else {
		e.status, e.at = &s, now
		e.level = LevelLive
	}
	f := b.onChange
	b.mu.Unlock()
	if f != nil {
		f(s.Studio)
	}
	return nil
}

// Sweep reports (through OnChange) every studio whose heartbeat level
// changed with time alone: live → stale → lost. Call it a few times a
// second.
func (b *Board) Sweep() {
	now := b.now()
	var changed []string
	b.mu.Lock()
	for id, e := range b.entries {
		if lv := level(e.status != nil, now.Sub(e.at)); lv != e.level {
			e.level = lv
			changed = append(changed, id)
		}
	}
	f := b.onChange
	b.mu.Unlock()
	sort.Strings(changed)
	if f != nil {
		for _, id := range changed {
			f(id)
		}
	}
}

// Bad is the count of refused messages and the last refusal.
func (b *Board) Bad() (int, string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.bad, b.lastBad
}

// Rows is the board in studio order.
func (b *Board) Rows() []Row { return b.RowsOf(nil) }

// RowsOf is the rows of ids (all of them for nil), in studio order.
func (b *Board) RowsOf(ids []string) []Row {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Row
	add := func(id string, e *entry) {
		out = append(out, e.row(id, now))
	}
	if ids == nil {
		for id, e := range b.entries {
			add(id, e)
		}
	} else {
		for _, id := range ids {
			if e := b.entries[id]; e != nil {
				add(id, e)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Studio < out[j].Studio })
	return out
}

func level(seen bool, age time.Duration) string {
	switch {
	case !seen:
		return LevelNever
	case age >= LostAfter:
		return LevelLost
	case age >= StaleAfter:
		return LevelStale
	}
	return LevelLive
}

func (e *entry) row(id string, now time.Time) Row {
	r := Row{Studio: id, Configured: e.configured, Level: LevelNever, Alert: AlertBad, Health: AlertOK}
	if e.status != nil {
		s := *e.status
		r.Status = &s
		age := now.Sub(e.at)
		r.AgeMS, r.Level = age.Milliseconds(), level(true, age)
		r.Alert, r.Health = alertOf(r.Level, &s), alertOf(LevelLive, &s)
	}
	if e.standby != nil {
		age := now.Sub(e.standbyAt)
		r.Standby = &Standby{Desk: e.standby.Desk, AgeMS: age.Milliseconds(), Level: level(true, age)}
	}
	return r
}

// alertOf is the row's colour: red when the heartbeat is lost, a device
// is down or the show runs far over; amber when the heartbeat is late, a
// device is degraded or the show runs over.
func alertOf(lv string, s *fleet.Status) string {
	alert := AlertOK
	worse := func(a string) {
		if a == AlertBad || (a == AlertWarn && alert == AlertOK) {
			alert = a
		}
	}
	switch lv {
	case LevelLost, LevelNever:
		worse(AlertBad)
	case LevelStale:
		worse(AlertWarn)
	}
	for _, d := range s.Devices {
		switch d.Health {
		case fleet.HealthDown:
			worse(AlertBad)
		case fleet.HealthDegraded:
			worse(AlertWarn)
		}
	}
	if s.State == fleet.StateRunning || s.State == fleet.StatePaused {
		ou := time.Duration(s.OverUnder * float64(time.Second))
		switch {
		case ou >= OverBad:
			worse(AlertBad)
		case ou >= OverWarn:
			worse(AlertWarn)
		}
	}
	return alert
}
