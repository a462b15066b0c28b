package sim

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"studiodesk/devices"
	"studiodesk/devices/obs"
)

// OBS is a simulated OBS program scene switcher.
type OBS struct {
	base
	scenes  []string
	current string
}

// NewOBS returns a reachable OBS with the given scenes (top first), showing
// the first one, with 5 ms latency.
func NewOBS(id, name string, scenes []string) *OBS {
	o := &OBS{scenes: slices.Clone(scenes)}
	o.init(id, name, devices.KindOBS, 5*time.Millisecond)
	if len(o.scenes) > 0 {
		o.current = o.scenes[0]
	}
	return o
}

// CurrentScene is the program scene.
func (o *OBS) CurrentScene() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.current
}

// Scenes returns the scene list without simulated latency.
func (o *OBS) Scenes() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.scenes)
}

// SetScenes replaces the scene list; the program scene stays even if it is
// no longer listed, as in OBS until someone switches.
func (o *OBS) SetScenes(scenes []string) {
	o.mu.Lock()
	o.scenes = slices.Clone(scenes)
	o.mu.Unlock()
	o.changed()
}

// SceneList mirrors obs.Client.SceneList, with latency and failures.
func (o *OBS) SceneList(ctx context.Context) ([]string, error) {
	if err := o.begin(ctx, "GetSceneList", false); err != nil {
		return nil, err
	}
	return o.Scenes(), nil
}

// Apply implements devices.Device. An unknown scene fails as the real
// client does: a *obs.RequestError with code 600.
func (o *OBS) Apply(ctx context.Context, t devices.Target) error {
	if t.Scene == nil || t.Camera != nil || t.Light != nil {
		return o.wrongKind()
	}
	name := t.Scene.Name
	if name == "" {
		return fmt.Errorf("%s: scene name: %w: empty", o.prefix, devices.ErrOutOfRange)
	}
	what := "SetCurrentProgramScene " + strconv.Quote(name)
	if err := o.begin(ctx, what, true); err != nil {
		return err
	}
	o.mu.Lock()
	if !slices.Contains(o.scenes, name) {
		o.mu.Unlock()
		return fmt.Errorf("%s: %s: %w", o.prefix, what, &obs.RequestError{
			RequestType: "SetCurrentProgramScene",
			Code:        obs.StatusResourceNotFound,
			Comment:     fmt.Sprintf("No source was found by the name of `%s`.", name),
		})
	}
	o.current = name
	o.mu.Unlock()
	o.succeeded()
	return nil
}

// Capture implements devices.Capturer.
func (o *OBS) Capture(ctx context.Context) (devices.Target, error) {
	if err := o.begin(ctx, "GetCurrentProgramScene", false); err != nil {
		return devices.Target{}, err
	}
	return devices.Target{Scene: &devices.SceneTarget{Name: o.CurrentScene()}}, nil
}
