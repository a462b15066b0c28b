package core

import (
	"flag"

	"studiodesk/app/platformcfg"
	"studiodesk/studio/platform"
	"studiodesk/studio/platform/rehearsal"
)

// PlatformFlags configure the live platform. The builder itself lives in
// app/platformcfg (bridge timeouts from docs/bridge-protocol.md), shared
// with its conformance test.
type PlatformFlags struct{ platformcfg.Flags }

func (p *PlatformFlags) register(fs *flag.FlagSet) { p.Flags.Register(fs) }

// Open builds the platform; sim is the rehearsal simulator's config.
func (p *PlatformFlags) Open(sim rehearsal.Config) (platform.Platform, error) {
	return p.Flags.Open(sim)
}

// Kind is the configured platform ("rehearsal", "bilibili", "bridge").
func (p *PlatformFlags) Kind() string {
	if p.Flags.Kind == "" {
		return "rehearsal"
	}
	return p.Flags.Kind
}
