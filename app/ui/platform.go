package ui

import (
	"flag"

	"studiodesk/app/platformcfg"
	"studiodesk/studio/platform"
	"studiodesk/studio/platform/rehearsal"
)

// platformFlags configure the live platform; the builder is Fyne-free
// (app/platformcfg) and shared with tests.
type platformFlags struct{ platformcfg.Flags }

func (p *platformFlags) register(fs *flag.FlagSet) { p.Flags.Register(fs) }

// open builds the platform; sim is the rehearsal simulator's config.
func (p *platformFlags) open(sim rehearsal.Config) (platform.Platform, error) {
	return p.Flags.Open(sim)
}
