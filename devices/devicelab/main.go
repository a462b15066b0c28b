// Command devicelab runs loopback peers for every device driver, each in a
// chosen health state, and writes a device list pointing at them into a
// desk data directory. Run the desk on that directory with
// --rehearsal=false to see (and screenshot) the devices page with real
// drivers talking to real-wire peers, no hardware and no network:
//
//	go run ./devices/devicelab -data /tmp/lab -for 60s &
//	studiodesk --data /tmp/lab --rehearsal=false --view devices
//
// The peers are the test emulators written from the published protocol
// documents; everything binds 127.0.0.1.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"time"

	"studiodesk/devices"
	"studiodesk/devices/artnet/artnettest"
	"studiodesk/devices/keylight/keylighttest"
	"studiodesk/devices/obs/obstest"
	"studiodesk/devices/visca/viscatest"
	"studiodesk/studio"
	"studiodesk/studio/store"
)

func main() {
	data := flag.String("data", "", "desk data directory to write the device list into (required)")
	hold := flag.Duration("for", time.Minute, "how long to keep the peers running")
	flag.Parse()
	if *data == "" {
		fmt.Fprintln(os.Stderr, "devicelab: -data is required")
		os.Exit(2)
	}
	if err := run(*data, *hold); err != nil {
		fmt.Fprintln(os.Stderr, "devicelab:", err)
		os.Exit(1)
	}
}

func run(dir string, hold time.Duration) error {
	camOK, err := viscatest.Start()
	if err != nil {
		return err
	}
	defer camOK.Stop()
	camRefusing, err := viscatest.Start()
	if err != nil {
		return err
	}
	defer camRefusing.Stop()
	camRefusing.FailNext(0x90, 0x61, 0x41, 0xFF) // the first inquiry: not executable
	rx, err := artnettest.NewReceiver()
	if err != nil {
		return err
	}
	defer rx.Close()
	go func() { // keep the receiver's queue drained
		for {
			if _, err := rx.Next(time.Hour); err != nil {
				return
			}
		}
	}()
	klBusy := keylighttest.NewServer()
	defer klBusy.Close()
	klBusy.SetMode(keylighttest.Unavailable) // answers 503: degraded
	obsSilent := obstest.NewServer(obstest.Config{Scenes: studio.DemoScenes})
	defer obsSilent.Close()
	obsSilent.SetSilent(true) // accepts, never greets: connecting
	closed, err := freeTCPPort()
	if err != nil {
		return err
	}

	cfgs := []studio.DeviceConfig{
		{ID: "cam-a", Name: "A机位 主机位", Kind: devices.KindCamera, Driver: studio.DriverVISCA, Addr: camOK.Addr()},
		{ID: "cam-b", Name: "B机位 特写", Kind: devices.KindCamera, Driver: studio.DriverVISCA, Addr: camRefusing.Addr()},
		{ID: "light-main", Name: "主光", Kind: devices.KindLight, Driver: studio.DriverArtNet, Addr: rx.Addr(), Fixture: "bicolor", Start: 1},
		{ID: "light-rim", Name: "轮廓光", Kind: devices.KindLight, Driver: studio.DriverArtNet, Addr: rx.Addr(), Fixture: "bicolor", Start: 3},
		{ID: "keylight", Name: "补光 Key Light", Kind: devices.KindLight, Driver: studio.DriverKeyLight, Addr: klBusy.Addr()},
		{ID: "keylight-2", Name: "备用 Key Light", Kind: devices.KindLight, Driver: studio.DriverKeyLight, Addr: closed},
		{ID: "obs", Name: "OBS", Kind: devices.KindOBS, Driver: studio.DriverOBS, Addr: obsSilent.Addr()},
		{ID: "cam-sim", Name: "C机位（未到货）", Kind: devices.KindCamera, Driver: studio.DriverSim},
	}
	st, err := store.Open(dir, store.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	err = studio.SaveDeviceConfigs(st, cfgs)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Printf("devicelab: %d devices written to %s; peers up for %v\n", len(cfgs), dir, hold)
	time.Sleep(hold)
	return nil
}

// freeTCPPort is a loopback address nothing listens on.
func freeTCPPort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}
