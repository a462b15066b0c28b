package studio

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"sync"

	"studiodesk/devices"
	"studiodesk/devices/artnet"
	"studiodesk/devices/keylight"
	"studiodesk/devices/obs"
	"studiodesk/devices/sim"
	"studiodesk/devices/visca"
	"studiodesk/studio/store"
)

// Drivers a DeviceConfig may name.
const (
	DriverVISCA    = "visca"
	DriverArtNet   = "artnet"
	DriverKeyLight = "keylight"
	DriverOBS      = "obs"
	DriverSim      = "sim"
)

// ErrBadDeviceConfig marks a device configuration that cannot be opened.
var ErrBadDeviceConfig = errors.New("invalid device configuration")

// deviceOrderKey is the document in store.BucketDevices holding the order.
const deviceOrderKey = "_order"

// DeviceConfig is one configured studio device, as the producer enters it.
// The password is stored in the desk's database in clear: the database file
// is the user's own, in their config directory.
type DeviceConfig struct {
	ID       string       `json:"id"`
	Name     string       `json:"name"`
	Kind     devices.Kind `json:"kind"`
	Driver   string       `json:"driver"`             // visca, artnet, keylight, obs, sim
	Addr     string       `json:"addr,omitempty"`     // host[:port]; the driver's default port when omitted
	Password string       `json:"password,omitempty"` // obs-websocket
	Universe int          `json:"universe,omitempty"` // Art-Net port-address (0-32767)
	Fixture  string       `json:"fixture,omitempty"`  // Art-Net fixture profile: dimmer, bicolor, rgb, rgbw
	Start    int          `json:"start,omitempty"`    // Art-Net 1-based DMX start address
	// Scenes is the scene list an OBS simulator offers in rehearsal (the
	// real OBS reports its own).
	Scenes []string `json:"scenes,omitempty"`
}

func (c DeviceConfig) label() string {
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}

func (c DeviceConfig) bad(field, format string, args ...any) error {
	return fmt.Errorf("device %q: %s: %s: %w", c.label(), field, fmt.Sprintf(format, args...), ErrBadDeviceConfig)
}

// Validate checks the fields the factory needs for the configured driver.
func (c DeviceConfig) Validate() error {
	if c.ID == "" {
		return c.bad("id", "empty")
	}
	if c.ID == deviceOrderKey {
		return c.bad("id", "%q is reserved", c.ID)
	}
	want := map[string]devices.Kind{
		DriverVISCA: devices.KindCamera, DriverArtNet: devices.KindLight,
		DriverKeyLight: devices.KindLight, DriverOBS: devices.KindOBS,
	}
	switch c.Kind {
	case devices.KindCamera, devices.KindLight, devices.KindOBS:
	default:
		return c.bad("kind", "%q is not camera, light or obs", c.Kind)
	}
	if c.Driver == DriverSim {
		return nil
	}
	k, ok := want[c.Driver]
	if !ok {
		return c.bad("driver", "%q is not visca, artnet, keylight, obs or sim", c.Driver)
	}
	if k != c.Kind {
		return c.bad("driver", "%s drives a %s, not a %s", c.Driver, k, c.Kind)
	}
	if c.Addr == "" {
		return c.bad("addr", "empty")
	}
	if c.Driver == DriverArtNet {
		if c.Universe < 0 || c.Universe > artnet.MaxPortAddress {
			return c.bad("universe", "%d: %v", c.Universe, rangeErr(0, artnet.MaxPortAddress, ""))
		}
		if c.Fixture == "" {
			return c.bad("fixture", "empty (one of %v)", artnet.Profiles())
		}
		if c.Start < 1 || c.Start > artnet.MaxSlots {
			return c.bad("start", "%d: %v", c.Start, rangeErr(1, artnet.MaxSlots, ""))
		}
	}
	return nil
}

// Registry holds the live devices by id. It is safe for concurrent use: the
// recall fan-out reads it from its own goroutines while the desk or the UI
// reads statuses.
type Registry struct {
	mu     sync.RWMutex
	devs   map[string]devices.Device
	order  []string
	nodes  map[string]*artnet.Node // one per Art-Net node address and universe
	nodeOf map[string]string       // Art-Net light id → its key in nodes
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{devs: make(map[string]devices.Device), nodes: make(map[string]*artnet.Node), nodeOf: make(map[string]string)}
}

// Add registers a live device under its id.
func (r *Registry) Add(dev devices.Device) error {
	if dev == nil {
		return errors.New("registry: add: nil device")
	}
	id := dev.ID()
	if id == "" {
		return fmt.Errorf("registry: add: device %q has an empty id", dev.Name())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.devs[id]; ok {
		return fmt.Errorf("registry: add: device id %q: %w", id, ErrIDInUse)
	}
	r.devs[id] = dev
	r.order = append(r.order, id)
	return nil
}

// Get returns the device with this id.
func (r *Registry) Get(id string) (devices.Device, bool) {
	if r == nil {
		return nil, false
	}
	r.mu.RLock()
	d, ok := r.devs[id]
	r.mu.RUnlock()
	return d, ok
}

// List returns the devices in the order they were added.
func (r *Registry) List() []devices.Device {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]devices.Device, len(r.order))
	for i, id := range r.order {
		out[i] = r.devs[id]
	}
	return out
}

// position is a device's place in List order, or -1.
func (r *Registry) position(id string) int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Index(r.order, id)
}

// Statuses returns every device's health by id.
func (r *Registry) Statuses() map[string]devices.Status {
	out := make(map[string]devices.Status)
	for _, d := range r.List() {
		out[d.ID()] = d.Status()
	}
	return out
}

// Remove closes and forgets one device. An Art-Net node is closed with the
// last of its lights; while other lights still use it, the node keeps the
// removed fixture patched (its id cannot be opened again on that node until
// the node closes).
func (r *Registry) Remove(id string) error {
	r.mu.Lock()
	d, ok := r.devs[id]
	var node *artnet.Node
	if ok {
		delete(r.devs, id)
		r.order = slices.DeleteFunc(r.order, func(s string) bool { return s == id })
		if key, isLight := r.nodeOf[id]; isLight {
			delete(r.nodeOf, id)
			inUse := false
			for _, k := range r.nodeOf {
				inUse = inUse || k == key
			}
			if !inUse {
				node = r.nodes[key]
				delete(r.nodes, key)
			}
		}
	}
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("registry: remove: device id %q: %w", id, ErrUnknownDevice)
	}
	err := d.Close()
	if node != nil {
		err = errors.Join(err, node.Close())
	}
	return err
}

// CloseAll closes every device (and the Art-Net nodes behind the lights)
// and empties the registry. It returns the close errors joined.
func (r *Registry) CloseAll() error {
	r.mu.Lock()
	devs := make([]devices.Device, len(r.order))
	for i, id := range r.order {
		devs[i] = r.devs[id]
	}
	nodes := r.nodes
	r.devs, r.order, r.nodes = make(map[string]devices.Device), nil, make(map[string]*artnet.Node)
	r.nodeOf = make(map[string]string)
	r.mu.Unlock()
	var errs []error
	for _, d := range devs {
		if err := d.Close(); err != nil {
			errs = append(errs, fmt.Errorf("device %q: close: %w", deviceLabel(d), err))
		}
	}
	for _, k := range sortedKeys(nodes) {
		if err := nodes[k].Close(); err != nil {
			errs = append(errs, fmt.Errorf("art-net node %s: close: %w", k, err))
		}
	}
	return errors.Join(errs...)
}

// Open builds the device cfg describes and registers it. In rehearsal mode
// every device, whatever its driver, is the simulator of its kind; so is a
// device whose driver is "sim". Art-Net lights on the same node address and
// universe share one node (one socket, one DMX frame).
func (r *Registry) Open(cfg DeviceConfig, rehearsal bool) (devices.Device, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if _, ok := r.Get(cfg.ID); ok {
		return nil, fmt.Errorf("device %q: id %q: %w", cfg.label(), cfg.ID, ErrIDInUse)
	}
	var (
		dev devices.Device
		err error
	)
	if rehearsal || cfg.Driver == DriverSim {
		dev = newSim(cfg)
	} else {
		dev, err = r.openDriver(cfg)
		if err != nil {
			return nil, err
		}
	}
	if err := r.Add(dev); err != nil {
		_ = dev.Close()
		return nil, err
	}
	return dev, nil
}

// OpenAll opens every configuration, going on past failures; the errors
// come back joined, each naming its device.
func (r *Registry) OpenAll(cfgs []DeviceConfig, rehearsal bool) error {
	var errs []error
	for _, c := range cfgs {
		if _, err := r.Open(c, rehearsal); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func newSim(cfg DeviceConfig) devices.Device {
	switch cfg.Kind {
	case devices.KindCamera:
		return sim.NewCamera(cfg.ID, cfg.Name)
	case devices.KindLight:
		return sim.NewLight(cfg.ID, cfg.Name)
	default:
		return sim.NewOBS(cfg.ID, cfg.Name, cfg.Scenes)
	}
}

func (r *Registry) openDriver(cfg DeviceConfig) (devices.Device, error) {
	switch cfg.Driver {
	case DriverVISCA:
		c, err := visca.New(visca.Config{ID: cfg.ID, Name: cfg.Name, Addr: cfg.Addr})
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadDeviceConfig, err)
		}
		return c, nil
	case DriverKeyLight:
		l, err := keylight.New(keylight.Config{ID: cfg.ID, Name: cfg.Name, Addr: cfg.Addr})
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadDeviceConfig, err)
		}
		return l, nil
	case DriverOBS:
		return obs.New(obs.Config{ID: cfg.ID, Name: cfg.Name, Addr: cfg.Addr, Password: cfg.Password}), nil
	case DriverArtNet:
		fx, err := artnet.NewFixture(cfg.ID, cfg.Name, cfg.Fixture, cfg.Start)
		if err != nil {
			return nil, fmt.Errorf("device %q: %w: %w", cfg.label(), ErrBadDeviceConfig, err)
		}
		node, key, err := r.artnetNode(cfg)
		if err != nil {
			return nil, fmt.Errorf("device %q: %w", cfg.label(), err)
		}
		dev, err := node.AddFixture(fx)
		if err != nil {
			return nil, err
		}
		r.mu.Lock()
		r.nodeOf[cfg.ID] = key
		r.mu.Unlock()
		return dev, nil
	}
	return nil, cfg.bad("driver", "%q", cfg.Driver)
}

// artnetNode returns the shared node for cfg's address and universe,
// creating it on first use.
func (r *Registry) artnetNode(cfg DeviceConfig) (*artnet.Node, string, error) {
	hostport := cfg.Addr
	if _, _, err := net.SplitHostPort(hostport); err != nil {
		hostport = net.JoinHostPort(hostport, strconv.Itoa(artnet.DefaultPort))
	}
	key := hostport + " universe " + strconv.Itoa(cfg.Universe)
	r.mu.Lock()
	defer r.mu.Unlock()
	if n, ok := r.nodes[key]; ok {
		return n, key, nil
	}
	n, err := artnet.NewNode(artnet.NodeConfig{Name: hostport, Addr: hostport, Universe: uint16(cfg.Universe)})
	if err != nil {
		return nil, "", err
	}
	r.nodes[key] = n
	return n, key, nil
}

// DemoScenes are the OBS scenes of the demo studio.
var DemoScenes = []string{"开场", "主播全景", "产品特写", "场景演示", "对比", "互动抽奖"}

// DemoDevices is the demo studio: two PTZ cameras, two Art-Net lights on
// one node, an Elgato Key Light and OBS, at typical studio addresses. In
// rehearsal mode they are all simulators.
func DemoDevices() []DeviceConfig {
	return []DeviceConfig{
		{ID: "cam-a", Name: "A机位 主机位", Kind: devices.KindCamera, Driver: DriverVISCA, Addr: "192.168.1.20:52381"},
		{ID: "cam-b", Name: "B机位 特写", Kind: devices.KindCamera, Driver: DriverVISCA, Addr: "192.168.1.21:52381"},
		{ID: "light-main", Name: "主光", Kind: devices.KindLight, Driver: DriverArtNet, Addr: "192.168.1.30:6454", Universe: 0, Fixture: "bicolor", Start: 1},
		{ID: "light-rim", Name: "轮廓光", Kind: devices.KindLight, Driver: DriverArtNet, Addr: "192.168.1.30:6454", Universe: 0, Fixture: "bicolor", Start: 3},
		{ID: "keylight", Name: "补光 Key Light", Kind: devices.KindLight, Driver: DriverKeyLight, Addr: "192.168.1.40:9123"},
		{ID: "obs", Name: "OBS", Kind: devices.KindOBS, Driver: DriverOBS, Addr: "192.168.1.10:4455", Scenes: slices.Clone(DemoScenes)},
	}
}

// SaveDeviceConfigs writes the configurations to store.BucketDevices, one
// document per device plus the order, and removes documents of devices no
// longer listed.
func SaveDeviceConfigs(st *store.Store, cfgs []DeviceConfig) error {
	if st == nil {
		return errors.New("save devices: no store")
	}
	keys, err := st.Keys(store.BucketDevices)
	if err != nil {
		return fmt.Errorf("save devices: %w", err)
	}
	order := make([]string, 0, len(cfgs))
	for _, c := range cfgs {
		if c.ID == "" || c.ID == deviceOrderKey {
			return fmt.Errorf("save devices: %w", c.Validate())
		}
		if slices.Contains(order, c.ID) {
			return fmt.Errorf("save devices: device %q: id %q: %w", c.label(), c.ID, ErrIDInUse)
		}
		order = append(order, c.ID)
	}
	for _, c := range cfgs {
		if err := st.Put(store.BucketDevices, c.ID, c); err != nil {
			return fmt.Errorf("save devices: device %q: %w", c.label(), err)
		}
	}
	if err := st.Put(store.BucketDevices, deviceOrderKey, order); err != nil {
		return fmt.Errorf("save devices: order: %w", err)
	}
	for _, k := range keys {
		if k != deviceOrderKey && !slices.Contains(order, k) {
			if err := st.Delete(store.BucketDevices, k); err != nil {
				return fmt.Errorf("save devices: remove %q: %w", k, err)
			}
		}
	}
	return nil
}

// LoadDeviceConfigs reads the configurations in their saved order. Like
// LoadPresets, undecodable documents are skipped and named in the error
// while the rest are returned.
func LoadDeviceConfigs(st *store.Store) ([]DeviceConfig, error) {
	if st == nil {
		return nil, errors.New("load devices: no store")
	}
	var order []string
	if _, err := st.Get(store.BucketDevices, deviceOrderKey, &order); err != nil {
		return nil, fmt.Errorf("load devices: order: %w", err)
	}
	docs := make(map[string]DeviceConfig)
	var problems []error
	err := st.All(store.BucketDevices, func(key string, raw json.RawMessage) error {
		if key == deviceOrderKey {
			return nil
		}
		var c DeviceConfig
		if err := json.Unmarshal(raw, &c); err != nil || c.ID != key {
			problems = append(problems, fmt.Errorf("load devices: document %q: %w", key, store.ErrCorrupt))
			return nil
		}
		docs[key] = c
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load devices: %w", err)
	}
	rank := func(id string) int {
		if i := slices.Index(order, id); i >= 0 {
			return i
		}
		return len(order)
	}
	ids := sortedKeys(docs)
	sort.SliceStable(ids, func(i, j int) bool { return rank(ids[i]) < rank(ids[j]) })
	out := make([]DeviceConfig, len(ids))
	for i, id := range ids {
		out[i] = docs[id]
	}
	return out, errors.Join(problems...)
}
