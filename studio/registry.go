package studio

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"

	"studiodesk/devices"
	_ "studiodesk/devices/all" // every driver registers itself
	"studiodesk/devices/artnet"
	"studiodesk/devices/keylight"
	"studiodesk/devices/obs"
	"studiodesk/devices/sim"
	"studiodesk/devices/visca"
	"studiodesk/studio/store"
)

// Names of the drivers the demo studio uses. The list of drivers is the
// registered one (devices.Drivers); these are only names.
const (
	DriverVISCA    = visca.DriverName
	DriverArtNet   = artnet.DriverName
	DriverKeyLight = keylight.DriverName
	DriverOBS      = obs.DriverName
	DriverSim      = sim.DriverName
)

// ErrBadDeviceConfig marks a device configuration that cannot be opened.
var ErrBadDeviceConfig = devices.ErrBadConfig

// deviceOrderKey is the document in store.BucketDevices holding the order.
const deviceOrderKey = "_order"

// DeviceConfig is one configured studio device, as the producer enters it
// (devices.Config: common fields typed, the driver's own fields by key).
type DeviceConfig = devices.Config

// ValidateDevice checks a configuration against its driver's declaration
// (devices.Config.Validate) and that its id is not one the store reserves.
func ValidateDevice(c DeviceConfig) error {
	if c.ID == deviceOrderKey {
		return fmt.Errorf("device %q: id: %q is reserved: %w", c.Label(), c.ID, ErrBadDeviceConfig)
	}
	return c.Validate()
}

// Registry holds the live devices by id. It is safe for concurrent use: the
// recall fan-out reads it from its own goroutines while the desk or the UI
// reads statuses. It is the drivers' devices.Host: resources drivers share
// (an Art-Net node) live here, closed with the last device using them.
type Registry struct {
	mu     sync.RWMutex
	devs   map[string]devices.Device
	order  []string
	cfgs   map[string]DeviceConfig // how devices opened by Open were configured
	shared map[string]*sharedRes
}

type sharedRes struct {
	res  io.Closer
	refs int
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{devs: make(map[string]devices.Device), cfgs: make(map[string]DeviceConfig), shared: make(map[string]*sharedRes)}
}

// Share implements devices.Host.
func (r *Registry) Share(key string, open func() (io.Closer, error)) (io.Closer, func() error, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.shared[key]
	if !ok {
		res, err := open()
		if err != nil {
			return nil, nil, err
		}
		s = &sharedRes{res: res}
		r.shared[key] = s
	}
	s.refs++
	var once sync.Once
	release := func() error {
		var err error
		once.Do(func() {
			r.mu.Lock()
			s.refs--
			last := s.refs == 0 && r.shared[key] == s
			if last {
				delete(r.shared, key)
			}
			r.mu.Unlock()
			if last {
				err = s.res.Close()
			}
		})
		return err
	}
	return s.res, release, nil
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

// Driver returns the declaration of the driver a device was configured
// with (the real one even in rehearsal, where the device is a simulator).
// A device added with Add has none.
func (r *Registry) Driver(id string) (*devices.Driver, bool) {
	if r == nil {
		return nil, false
	}
	r.mu.RLock()
	c, ok := r.cfgs[id]
	r.mu.RUnlock()
	if !ok {
		return nil, false
	}
	return devices.LookupDriver(c.Driver)
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

// Remove closes and forgets one device. A shared resource (an Art-Net
// node) is closed with the last device using it.
func (r *Registry) Remove(id string) error {
	r.mu.Lock()
	d, ok := r.devs[id]
	if ok {
		delete(r.devs, id)
		delete(r.cfgs, id)
		r.order = slices.DeleteFunc(r.order, func(s string) bool { return s == id })
	}
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("registry: remove: device id %q: %w", id, ErrUnknownDevice)
	}
	return d.Close()
}

// CloseAll closes every device (and the resources they share) and empties
// the registry. It returns the close errors joined.
func (r *Registry) CloseAll() error {
	r.mu.Lock()
	devs := make([]devices.Device, len(r.order))
	for i, id := range r.order {
		devs[i] = r.devs[id]
	}
	r.devs, r.order, r.cfgs = make(map[string]devices.Device), nil, make(map[string]DeviceConfig)
	r.mu.Unlock()
	var errs []error
	for _, d := range devs {
		if err := d.Close(); err != nil {
			errs = append(errs, fmt.Errorf("device %q: close: %w", deviceLabel(d), err))
		}
	}
	r.mu.Lock()
	left := r.shared
	r.shared = make(map[string]*sharedRes)
	r.mu.Unlock()
	for _, k := range sortedKeys(left) {
		if err := left[k].res.Close(); err != nil {
			errs = append(errs, fmt.Errorf("%s: close: %w", k, err))
		}
	}
	return errors.Join(errs...)
}

// Open builds the device cfg describes with its registered driver and
// registers it. In rehearsal mode every device, whatever its driver, is
// the simulator of its kind, accepting what the configured driver accepts.
func (r *Registry) Open(cfg DeviceConfig, rehearsal bool) (devices.Device, error) {
	if err := ValidateDevice(cfg); err != nil {
		return nil, err
	}
	if _, ok := r.Get(cfg.ID); ok {
		return nil, fmt.Errorf("device %q: id %q: %w", cfg.Label(), cfg.ID, ErrIDInUse)
	}
	drv, _ := devices.LookupDriver(cfg.Driver)
	if rehearsal {
		drv, _ = devices.LookupDriver(DriverSim)
	}
	dev, err := drv.Open(cfg, r)
	if err != nil {
		if !errors.Is(err, ErrBadDeviceConfig) {
			err = fmt.Errorf("device %q: %w", cfg.Label(), err)
		}
		return nil, err
	}
	if err := r.Add(dev); err != nil {
		_ = dev.Close()
		return nil, err
	}
	r.mu.Lock()
	r.cfgs[cfg.ID] = cfg
	r.mu.Unlock()
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
			return fmt.Errorf("save devices: %w", ValidateDevice(c))
		}
		if slices.Contains(order, c.ID) {
			return fmt.Errorf("save devices: device %q: id %q: %w", c.Label(), c.ID, ErrIDInUse)
		}
		order = append(order, c.ID)
	}
	for _, c := range cfgs {
		if err := st.Put(store.BucketDevices, c.ID, c); err != nil {
			return fmt.Errorf("save devices: device %q: %w", c.Label(), err)
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
