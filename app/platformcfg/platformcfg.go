// Package platformcfg builds the live platform from the app's flags. It is
// Fyne-free so the GUI, the CLI and headless runs share it, and so tests
// drive the adapters exactly as the app builds them.
package platformcfg

import (
	"flag"
	"fmt"
	"os"

	"studiodesk/studio/platform"
	"studiodesk/studio/platform/bilibili"
	studiobridge "studiodesk/studio/platform/bridge"
	"studiodesk/studio/platform/rehearsal"
)

// Flags configure the live platform. Rehearsal (the simulator) is the
// default and needs nothing; real platforms are configured, never required.
// Secrets may come from the environment instead of the command line
// (STUDIODESK_BILI_KEY_SECRET, STUDIODESK_BRIDGE_TOKEN).
type Flags struct {
	Kind                                string
	BiliAPI, BiliKeyID, biliKey, BiliID string
	BiliApp                             int64
	BridgeURL, bridgeToken              string

	// BridgeClock runs the bridge heartbeat and silence timeout (the real
	// clock if nil); tests set a fake one.
	BridgeClock studiobridge.Clock
}

// Register adds the platform flags to fs.
func (p *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&p.Kind, "platform", "rehearsal", "live platform: rehearsal, bilibili or bridge")
	fs.StringVar(&p.BiliAPI, "bili-api", "", "Bilibili open-platform API base URL (default: the official one)")
	fs.Int64Var(&p.BiliApp, "bili-app-id", 0, "Bilibili project app id")
	fs.StringVar(&p.BiliKeyID, "bili-key-id", "", "Bilibili access key id")
	fs.StringVar(&p.BiliID, "bili-code", "", "the streamer's identity code (身份码)")
	fs.StringVar(&p.BridgeURL, "bridge-url", "", "studio bridge WebSocket URL (docs/bridge-protocol.md)")
}

// BridgeConfig is the adapter configuration the app uses for a bridge: the
// heartbeat and silence timeout are the protocol's own numbers
// (docs/bridge-protocol.md: ping every 10 s, close after 30 s of silence).
func BridgeConfig(url, token string, clock studiobridge.Clock) studiobridge.Config {
	return studiobridge.Config{URL: url, Token: token, Clock: clock,
		PingEvery: studiobridge.ProtocolPingEvery, Timeout: studiobridge.ProtocolSilence}
}

// Open builds the platform; sim is the rehearsal simulator's config.
func (p *Flags) Open(sim rehearsal.Config) (platform.Platform, error) {
	switch p.Kind {
	case "", "rehearsal":
		s := rehearsal.New(sim)
		return s, s.Err()
	case "bilibili":
		p.biliKey = os.Getenv("STUDIODESK_BILI_KEY_SECRET")
		if p.BiliApp == 0 || p.BiliKeyID == "" || p.biliKey == "" || p.BiliID == "" {
			return nil, fmt.Errorf("--platform bilibili: needs --bili-app-id, --bili-key-id, --bili-code and STUDIODESK_BILI_KEY_SECRET")
		}
		return bilibili.New(bilibili.Config{APIBase: p.BiliAPI, AppID: p.BiliApp, AccessKeyID: p.BiliKeyID,
			AccessKeySecret: p.biliKey, IdentityCode: p.BiliID})
	case "bridge":
		p.bridgeToken = os.Getenv("STUDIODESK_BRIDGE_TOKEN")
		if p.BridgeURL == "" || p.bridgeToken == "" {
			return nil, fmt.Errorf("--platform bridge: needs --bridge-url and STUDIODESK_BRIDGE_TOKEN")
		}
		return studiobridge.New(BridgeConfig(p.BridgeURL, p.bridgeToken, p.BridgeClock))
	}
	return nil, fmt.Errorf("--platform %q: want rehearsal, bilibili or bridge", p.Kind)
}
