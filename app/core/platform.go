package core

import (
	"flag"
	"fmt"
	"os"
	"time"

	"studiodesk/studio/platform"
	"studiodesk/studio/platform/bilibili"
	studiobridge "studiodesk/studio/platform/bridge"
	"studiodesk/studio/platform/rehearsal"
)

// PlatformFlags configure the live platform. Rehearsal (the simulator) is
// the default and needs nothing; real platforms are configured, never
// required. Secrets may come from the environment instead of the command
// line (STUDIODESK_BILI_KEY_SECRET, STUDIODESK_BRIDGE_TOKEN).
type PlatformFlags struct {
	kind                                string
	biliAPI, biliKeyID, biliKey, biliID string
	biliApp                             int64
	bridgeURL, bridgeToken              string
}

func (p *PlatformFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.kind, "platform", "rehearsal", "live platform: rehearsal, bilibili or bridge")
	fs.StringVar(&p.biliAPI, "bili-api", "", "Bilibili open-platform API base URL (default: the official one)")
	fs.Int64Var(&p.biliApp, "bili-app-id", 0, "Bilibili project app id")
	fs.StringVar(&p.biliKeyID, "bili-key-id", "", "Bilibili access key id")
	fs.StringVar(&p.biliID, "bili-code", "", "the streamer's identity code (身份码)")
	fs.StringVar(&p.bridgeURL, "bridge-url", "", "studio bridge WebSocket URL (docs/bridge-protocol.md)")
}

// Open builds the platform; sim is the rehearsal simulator's config.
func (p *PlatformFlags) Open(sim rehearsal.Config) (platform.Platform, error) {
	switch p.kind {
	case "", "rehearsal":
		s := rehearsal.New(sim)
		return s, s.Err()
	case "bilibili":
		p.biliKey = os.Getenv("STUDIODESK_BILI_KEY_SECRET")
		if p.biliApp == 0 || p.biliKeyID == "" || p.biliKey == "" || p.biliID == "" {
			return nil, fmt.Errorf("--platform bilibili: needs --bili-app-id, --bili-key-id, --bili-code and STUDIODESK_BILI_KEY_SECRET")
		}
		return bilibili.New(bilibili.Config{APIBase: p.biliAPI, AppID: p.biliApp, AccessKeyID: p.biliKeyID,
			AccessKeySecret: p.biliKey, IdentityCode: p.biliID})
	case "bridge":
		p.bridgeToken = os.Getenv("STUDIODESK_BRIDGE_TOKEN")
		if p.bridgeURL == "" || p.bridgeToken == "" {
			return nil, fmt.Errorf("--platform bridge: needs --bridge-url and STUDIODESK_BRIDGE_TOKEN")
		}
		return studiobridge.New(studiobridge.Config{URL: p.bridgeURL, Token: p.bridgeToken, Timeout: 5 * time.Second})
	}
	return nil, fmt.Errorf("--platform %q: want rehearsal, bilibili or bridge", p.kind)
}

// Kind is the configured platform ("rehearsal", "bilibili", "bridge").
func (p *PlatformFlags) Kind() string {
	if p.kind == "" {
		return "rehearsal"
	}
	return p.kind
}
