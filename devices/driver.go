package devices

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Config is one configured studio device, as the producer enters it and
// the desk stores it. The common fields are typed; a driver's own fields
// are read and written by key (Get, Set), so a new driver needs no change
// here: keys this type does not know live in Options.
type Config struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Kind   Kind   `json:"kind"`
	Driver string `json:"driver"`
	Addr   string `json:"addr,omitempty"` // host[:port]; the driver's default port when omitted
	// Password is stored in the desk's database in clear: the database
	// file is the user's own, in their config directory.
	Password   string `json:"password,omitempty"`
	Universe   int    `json:"universe,omitempty"`    // Art-Net port-address
	Fixture    string `json:"fixture,omitempty"`     // Art-Net fixture profile
	Start      int    `json:"start,omitempty"`       // Art-Net 1-based DMX start address
	SourcePort int    `json:"source_port,omitempty"` // Art-Net UDP source port; 0 = any
	// Scenes is the scene list an OBS simulator offers in rehearsal (the
	// real OBS reports its own).
	Scenes  []string          `json:"scenes,omitempty"`
	Options map[string]string `json:"options,omitempty"` // other drivers' fields, by key
}

// Label is how errors name the device: its name, else its id.
func (c Config) Label() string {
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}

// Validate checks the configuration against its driver's declaration:
// id, kind, that the driver drives that kind, and every declared field.
// Each problem names the device and the field and matches ErrBadConfig.
func (c Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("device %q: %s: %s: %w", c.Label(), field, fmt.Sprintf(format, args...), ErrBadConfig)
	}
	if c.ID == "" {
		return bad("id", "empty")
	}
	switch c.Kind {
	case KindCamera, KindLight, KindOBS:
	default:
		return bad("kind", "%q is not camera, light or obs", c.Kind)
	}
	d, ok := LookupDriver(c.Driver)
	if !ok {
		var names []string
		for _, d := range Drivers() {
			names = append(names, d.Name)
		}
		return bad("driver", "%q is not one of %s", c.Driver, strings.Join(names, ", "))
	}
	if d.Kind != "" && d.Kind != c.Kind {
		return bad("driver", "%s drives a %s, not a %s", c.Driver, d.Kind, c.Kind)
	}
	if err := d.Check(c); err != nil {
		return fmt.Errorf("device %q: %w", c.Label(), err)
	}
	return nil
}

// Field keys Config stores in typed fields.
const (
	FieldAddr       = "addr"
	FieldPassword   = "password"
	FieldUniverse   = "universe"
	FieldFixture    = "fixture"
	FieldStart      = "start"
	FieldSourcePort = "source_port"
	FieldScenes     = "scenes" // comma-separated in Get and Set
)

// Get returns a field's value as text ("" when unset; ints print as
// numbers, 0 included only when the field is set in Options).
func (c Config) Get(key string) string {
	itoa := func(v int) string {
		if v == 0 {
			return ""
		}
		return strconv.Itoa(v)
	}
	switch key {
	case FieldAddr:
		return c.Addr
	case FieldPassword:
		return c.Password
	case FieldUniverse:
		return itoa(c.Universe)
	case FieldFixture:
		return c.Fixture
	case FieldStart:
		return itoa(c.Start)
	case FieldSourcePort:
		return itoa(c.SourcePort)
	case FieldScenes:
		return strings.Join(c.Scenes, ", ")
	}
	return c.Options[key]
}

// Int returns an integer field (0 when unset or not a number).
func (c Config) Int(key string) int {
	switch key {
	case FieldUniverse:
		return c.Universe
	case FieldStart:
		return c.Start
	case FieldSourcePort:
		return c.SourcePort
	}
	v, _ := strconv.Atoi(strings.TrimSpace(c.Options[key]))
	return v
}

// Set stores a field from text, as a form hands it over. An integer field
// that does not parse is an error naming the field.
func (c *Config) Set(key, value string) error {
	value = strings.TrimSpace(value)
	atoi := func(dst *int) error {
		if value == "" {
			*dst = 0
			return nil
		}
		v, err := strconv.Atoi(value)
		if err != nil {
			return fmt.Errorf("%s %q: not a whole number", key, value)
		}
		*dst = v
		return nil
	}
	switch key {
	case FieldAddr:
		c.Addr = value
	case FieldPassword:
		c.Password = value
	case FieldUniverse:
		return atoi(&c.Universe)
	case FieldFixture:
		c.Fixture = value
	case FieldStart:
		return atoi(&c.Start)
	case FieldSourcePort:
		return atoi(&c.SourcePort)
	case FieldScenes:
		c.Scenes = nil
		for _, s := range strings.Split(value, ",") {
			if s = strings.TrimSpace(s); s != "" {
				c.Scenes = append(c.Scenes, s)
			}
		}
	default:
		if value == "" {
			delete(c.Options, key)
			return nil
		}
		if c.Options == nil {
			c.Options = map[string]string{}
		}
		c.Options[key] = value
	}
	return nil
}

// FieldType says how a configuration field is entered and checked.
type FieldType int

// Field types.
const (
	Text   FieldType = iota // free text
	Secret                  // free text, shown masked
	Int                     // a whole number within Min..Max
	Choice                  // one of Choices
	List                    // comma-separated names
)

// Field is one configuration field a driver asks for.
type Field struct {
	Key      string // Config key, e.g. "addr", "universe"
	Label    string // English label
	LabelZH  string // Chinese label
	Type     FieldType
	Required bool
	Min, Max int      // Int: the accepted range
	Choices  []string // Choice: the accepted values
	Hint     string   // placeholder, e.g. "192.168.1.20:52381"
}

// Limit is the range a driver accepts for one target value, named like
// the preset fields: "camera.preset", "light.temperature", …
type Limit struct {
	Field    string
	Min, Max int
	Unit     string
}

// Check returns a *RangeError naming the field when v is outside the limit.
func (l Limit) Check(v int) error { return CheckRange(l.Field, v, l.Min, l.Max, l.Unit) }

// Host is what the registry lends a driver while it opens a device.
type Host interface {
	// Share returns the resource under key (e.g. an Art-Net node's socket
	// and frame, one per node address and universe), opening it with open
	// on first use. release gives this device's hold back; the last
	// release closes the resource.
	Share(key string, open func() (io.Closer, error)) (res io.Closer, release func() error, err error)
}

// Driver is a driver package's declaration of itself: the registry opens
// devices with it, the devices page builds its form from it, and preset
// validation checks targets against its limits. A driver package calls
// Register from init; devices/all imports every driver package.
type Driver struct {
	Name    string // as stored in Config.Driver, e.g. "visca"
	Kind    Kind   // the kind it drives; "" = any kind (the simulator)
	Title   string // English, e.g. "PTZ camera, VISCA over IP (UDP 52381)"
	TitleZH string
	Fields  []Field
	// Limits are the target values Apply accepts at most. A target field
	// of the driver's kind with no limit here is not supported.
	Limits []Limit
	// Open builds a device from a checked configuration. It does no
	// blocking I/O: a device that is off must still open.
	Open func(cfg Config, host Host) (Device, error)
}

// Limit returns the driver's limit for a target field.
func (d *Driver) Limit(field string) (Limit, bool) {
	i := slices.IndexFunc(d.Limits, func(l Limit) bool { return l.Field == field })
	if i < 0 {
		return Limit{}, false
	}
	return d.Limits[i], true
}

// ErrBadConfig marks a configuration a driver cannot open.
var ErrBadConfig = errors.New("invalid device configuration")

// Check checks cfg's driver fields against the declaration; each problem
// names the field. It does not check id, name or kind.
func (d *Driver) Check(cfg Config) error {
	var errs []error
	for _, f := range d.Fields {
		raw := strings.TrimSpace(cfg.Get(f.Key))
		if raw == "" && f.Required && (f.Type != Int || f.Min > 0) {
			errs = append(errs, fmt.Errorf("%s: empty: %w", f.Key, ErrBadConfig))
			continue
		}
		switch {
		case f.Type == Int:
			if err := CheckRange(f.Key, cfg.Int(f.Key), f.Min, f.Max, ""); err != nil {
				errs = append(errs, fmt.Errorf("%w: %w", err, ErrBadConfig))
			}
		case f.Type == Choice && raw != "":
			if !slices.Contains(f.Choices, raw) {
				errs = append(errs, fmt.Errorf("%s: %q is not one of %s: %w: %w", f.Key, raw, strings.Join(f.Choices, ", "), ErrUnsupported, ErrBadConfig))
			}
		}
	}
	return errors.Join(errs...)
}

var (
	driversMu sync.RWMutex
	drivers   = map[string]*Driver{}
)

// Register adds a driver; a driver package calls it from init. A second
// driver of the same name, or one without a name or Open, is a programming
// error and panics at start-up.
func Register(d Driver) {
	if d.Name == "" || d.Open == nil {
		panic("devices: Register: driver without a name or Open")
	}
	driversMu.Lock()
	defer driversMu.Unlock()
	if _, dup := drivers[d.Name]; dup {
		panic("devices: Register: driver " + strconv.Quote(d.Name) + " registered twice")
	}
	drivers[d.Name] = &d
}

// LookupDriver returns the registered driver of that name.
func LookupDriver(name string) (*Driver, bool) {
	driversMu.RLock()
	defer driversMu.RUnlock()
	d, ok := drivers[name]
	return d, ok
}

// Drivers returns every registered driver: those of one kind first in the
// order camera, light, obs, then by name; the any-kind simulator last.
func Drivers() []*Driver {
	driversMu.RLock()
	out := make([]*Driver, 0, len(drivers))
	for _, d := range drivers {
		out = append(out, d)
	}
	driversMu.RUnlock()
	rank := func(k Kind) int {
		switch k {
		case KindCamera:
			return 0
		case KindLight:
			return 1
		case KindOBS:
			return 2
		case "":
			return 4
		}
		return 3
	}
	sort.Slice(out, func(i, j int) bool {
		if ri, rj := rank(out[i].Kind), rank(out[j].Kind); ri != rj {
			return ri < rj
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// KindLimit is the widest range any registered driver of kind k (or of
// any kind) accepts for a target field: what a preset may hold before it
// is tied to a device. ok is false when no driver accepts the field.
func KindLimit(k Kind, field string) (Limit, bool) {
	var out Limit
	found := false
	for _, d := range Drivers() {
		if d.Kind != k && d.Kind != "" {
			continue
		}
		l, ok := d.Limit(field)
		if !ok {
			continue
		}
		if !found {
			out, found = l, true
			continue
		}
		out.Min, out.Max = min(out.Min, l.Min), max(out.Max, l.Max)
	}
	return out, found
}
