package sound

import (
	"bytes"
	"fmt"
	"sync"
	"time"

	"github.com/ebitengine/oto/v3"
)

// readyTimeout is how long opening the output waits for the audio driver.
const readyTimeout = 2 * time.Second

// The process-wide oto context: oto supports creating only one.
var (
	otoOnce  sync.Once
	otoCtx   *oto.Context
	otoReady chan struct{}
	otoErr   error
)

func sharedContext() (*oto.Context, chan struct{}, error) {
	otoOnce.Do(func() {
		otoCtx, otoReady, otoErr = oto.NewContext(&oto.NewContextOptions{
			SampleRate:      SampleRate,
			ChannelCount:    Channels,
			Format:          oto.FormatSignedInt16LE,
			ApplicationName: "StudioDesk",
		})
	})
	return otoCtx, otoReady, otoErr
}

// openOto opens the real audio output. It blocks for at most readyTimeout.
func openOto() (output, error) {
	ctx, ready, err := sharedContext()
	if err != nil {
		return nil, err
	}
	t := time.NewTimer(readyTimeout)
	defer t.Stop()
	select {
	case <-ready:
	case <-t.C:
		return nil, fmt.Errorf("audio driver not ready after %v", readyTimeout)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &otoOutput{ctx: ctx}, nil
}

type otoOutput struct {
	ctx *oto.Context
}

func (o *otoOutput) Start(pcm PCM) (voice, error) {
	if err := o.ctx.Err(); err != nil {
		return nil, err
	}
	pl := o.ctx.NewPlayer(bytes.NewReader(pcm))
	pl.Play()
	return otoVoice{pl}, nil
}

// Close has nothing to release: the Player stops its current voice first,
// and the context lives as long as the process.
func (o *otoOutput) Close() {}

// otoVoice keeps its oto.Player reachable (oto stops a player that is
// garbage collected) until it is stopped.
type otoVoice struct {
	p *oto.Player
}

// Stop pauses the player; once the Player drops this voice, oto releases
// the player when it is garbage collected.
func (v otoVoice) Stop() {
	v.p.Pause()
}
