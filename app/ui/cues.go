package ui

import (
	"log"

	"studiodesk/app/sound"
	"studiodesk/assets"
)

// newCuePlayer loads the shipped cue sounds. With no audio device the
// player logs once and plays nothing; visual cues go on.
func newCuePlayer() cuePlayer {
	cues, err := sound.LoadCues(assets.Sounds())
	if err != nil {
		log.Printf("studiodesk: %v; visual cues only", err)
		return nil
	}
	p, err := sound.New(log.Printf, cues)
	if err != nil {
		log.Printf("studiodesk: %v; visual cues only", err)
		return nil
	}
	return p
}
