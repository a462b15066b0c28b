package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"studiodesk/app/sound"
)

// soundMessages are the cue sound light's strings.
var soundMessages = map[string][2]string{
	"sound.title":      {"提示音", "Cue sound"},
	"sound.ok":         {"正常", "OK"},
	"sound.connecting": {"连接中", "Connecting"},
	"sound.down":       {"无声（重连中）", "Silent (reconnecting)"},
	"sound.closed":     {"已关闭", "Closed"},
	"sound.none":       {"不可用", "Unavailable"},
}

func init() {
	for k, v := range soundMessages {
		if _, ok := messages[k]; !ok {
			messages[k] = v
		}
	}
}

// soundDevice is what the light needs from the cue player.
type soundDevice interface {
	State() sound.State
	OnState(func(sound.State))
}

// soundLight is the cue sound output's status light on the controller
// view: green when cues are heard, amber while connecting, red while the
// sound server is gone (with the reason; the player keeps reconnecting).
type soundLight struct {
	root  fyne.CanvasObject
	dot   *canvas.Circle
	label *widget.Label
}

func newSoundLight(p cuePlayer) *soundLight {
	l := &soundLight{dot: canvas.NewCircle(colIdle), label: widget.NewLabel("")}
	l.label.Truncation = fyne.TextTruncateEllipsis
	dot := container.NewGridWrap(fyne.NewSize(14, 14), l.dot)
	l.root = container.NewBorder(nil, nil, container.NewCenter(dot), nil, l.label)
	dev, ok := p.(soundDevice)
	if !ok || dev == nil {
		l.show(sound.State{Status: sound.Down, Err: T("sound.none")})
		return l
	}
	dev.OnState(func(st sound.State) { fyne.Do(func() { l.show(st) }) })
	l.show(dev.State())
	return l
}

// soundText is the light's label for st.
func soundText(st sound.State) (string, color.Color) {
	text := T("sound.title") + " · " + T("sound."+st.Status.String())
	c := color.Color(colNormal)
	switch st.Status {
	case sound.Connecting:
		c = colWarning
	case sound.Down:
		c = colOvertime
	case sound.Closed:
		c = colIdle
	}
	if st.Err != "" && st.Status != sound.OK {
		text += " · " + st.Err
	}
	return text, c
}

func (l *soundLight) show(st sound.State) {
	text, c := soundText(st)
	l.dot.FillColor = c
	l.dot.Refresh()
	l.label.SetText(text)
}

// addStatusLight puts a status light at the top of the controller's live
// column, above the clock, where the operator looks first.
func (v *controllerView) addStatusLight(o fyne.CanvasObject) {
	// Lights go above the clock row, after any earlier ones.
	objs := v.right.Objects
	at := len(objs)
	for i, x := range objs {
		if x == v.clockRow {
			at = i
			break
		}
	}
	v.right.Objects = append(objs[:at:at], append([]fyne.CanvasObject{o}, objs[at:]...)...)
	v.right.Refresh()
}
