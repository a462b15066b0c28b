package studio

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"studiodesk/devices"
	"studiodesk/devices/artnet/artnettest"
	"studiodesk/devices/keylight/keylighttest"
	"studiodesk/devices/obs/obstest"
	"studiodesk/devices/sim"
	"studiodesk/devices/visca/viscatest"
)

// BenchmarkRecall16Devices recalls a preset across 16 devices on loopback:
// 8 VISCA cameras against emulators, OBS against the obs-websocket
// emulator, 2 Art-Net lights on one node against a receiver, a Key Light
// against its HTTP emulator (all real drivers), and 4 zero-latency sims.
// sent-ms is trigger → last command handed to a device (SentAt − Started),
// acked-ms trigger → every device answered (Took); both are the median
// over the iterations, with p99 alongside.
func BenchmarkRecall16Devices(b *testing.B) {
	reg := NewRegistry()
	defer reg.CloseAll()
	var cfgs []DeviceConfig
	for i := range 8 {
		emu, err := viscatest.Start()
		if err != nil {
			b.Fatal(err)
		}
		defer emu.Stop()
		emu.StorePreset(1, 100, 10, 1000)
		emu.StorePreset(2, 200, 20, 2000)
		cfgs = append(cfgs, DeviceConfig{ID: fmt.Sprintf("cam-%d", i), Name: fmt.Sprintf("机位%d", i+1),
			Kind: devices.KindCamera, Driver: DriverVISCA, Addr: emu.Addr()})
	}
	ob := obstest.NewServer(obstest.Config{Scenes: []string{"主播全景", "产品特写"}})
	defer ob.Close()
	rx, err := artnettest.NewReceiver()
	if err != nil {
		b.Fatal(err)
	}
	defer rx.Close()
	kl := keylighttest.NewServer()
	defer kl.Close()
	cfgs = append(cfgs,
		DeviceConfig{ID: "obs", Name: "OBS", Kind: devices.KindOBS, Driver: DriverOBS, Addr: ob.Addr()},
		DeviceConfig{ID: "main", Name: "主光", Kind: devices.KindLight, Driver: DriverArtNet, Addr: rx.Addr(), Fixture: "bicolor", Start: 1},
		DeviceConfig{ID: "rim", Name: "轮廓光", Kind: devices.KindLight, Driver: DriverArtNet, Addr: rx.Addr(), Fixture: "rgb", Start: 10},
		DeviceConfig{ID: "key", Name: "补光", Kind: devices.KindLight, Driver: DriverKeyLight, Addr: kl.Addr()},
	)
	if err := reg.OpenAll(cfgs, false); err != nil {
		b.Fatal(err)
	}
	for i := range 4 {
		l := sim.NewLight(fmt.Sprintf("sim-%d", i), fmt.Sprintf("氛围灯%d", i+1))
		l.SetLatency(0)
		if err := reg.Add(l); err != nil {
			b.Fatal(err)
		}
	}
	if n := len(reg.List()); n != 16 {
		b.Fatalf("%d devices", n)
	}

	presets := [2]*Preset{}
	for k := range presets {
		p := &Preset{ID: fmt.Sprintf("p%d", k), Name: fmt.Sprintf("场景%d", k), Targets: map[string]devices.Target{}}
		bright := 40 + 20*k
		for _, d := range reg.List() {
			switch d.Kind() {
			case devices.KindCamera:
				p.Targets[d.ID()] = devices.Target{Camera: &devices.CameraTarget{Preset: k + 1}}
			case devices.KindLight:
				p.Targets[d.ID()] = devices.Target{Light: &devices.LightTarget{On: devices.Ptr(true), Brightness: devices.Ptr(bright)}}
			case devices.KindOBS:
				p.Targets[d.ID()] = devices.Target{Scene: &devices.SceneTarget{Name: []string{"主播全景", "产品特写"}[k]}}
			}
		}
		presets[k] = p
	}
	ctx := context.Background()
	// Warm up: OBS identifies, cameras reset their sequence, HTTP connects.
	for k := range 2 {
		if err := Recall(ctx, reg, presets[k], 5*time.Second).Err(); err != nil {
			b.Fatal(err)
		}
	}

	sent := make([]time.Duration, 0, b.N)
	acked := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		res := Recall(ctx, reg, presets[i%2], DefaultPerDevice)
		if err := res.Err(); err != nil {
			b.Fatal(err)
		}
		sent = append(sent, res.SentAt.Sub(res.Started))
		acked = append(acked, res.Took)
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(percentile(sent, 50)), "sent-ms")
	b.ReportMetric(ms(percentile(acked, 50)), "acked-ms")
	b.ReportMetric(ms(percentile(sent, 99)), "p99-sent-ms")
	b.ReportMetric(ms(percentile(acked, 99)), "p99-acked-ms")
}

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}
