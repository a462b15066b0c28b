// Package all links every device driver into the program: each driver
// package registers itself (devices.Register) from init. Adding a driver
// is one new package under devices/ and one line here.
package all

import (
	_ "studiodesk/devices/artnet"   // DMX fixtures on Art-Net nodes
	_ "studiodesk/devices/keylight" // Elgato Key Light
	_ "studiodesk/devices/obs"      // OBS Studio, obs-websocket 5
	_ "studiodesk/devices/sim"      // simulators, and rehearsal mode
	_ "studiodesk/devices/visca"    // PTZ cameras, VISCA over IP
)
