package ui

import (
	"context"
	"fmt"
	"image/color"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"studiodesk/app/fleet"
)

// Strings of the producer's shared-library page and the fleet light.
func init() {
	for k, v := range map[string][2]string{
		"lib.tab":            {"共享库", "Library"},
		"lib.fleet":          {"联网", "Fleet"},
		"lib.connected":      {"已连接", "Connected"},
		"lib.offline":        {"离线（本机照常工作，重连后同步）", "Offline (this desk works on; syncs on reconnect)"},
		"lib.syncing":        {"同步中", "Syncing"},
		"lib.offline.short":  {"离线（照常工作）", "Offline (working on)"},
		"lib.studio":         {"直播间 %s · 本机 %s", "Studio %s · this desk %s"},
		"lib.counts":         {"共享 %d · 本直播间 %d · 本地 %d · 已修改 %d · 冲突 %d", "shared %d · studio %d · local %d · changed %d · conflict %d"},
		"lib.sync":           {"立即同步", "Sync now"},
		"lib.publish":        {"发布到共享库", "Publish to library"},
		"lib.keep_item":      {"保留当前", "Keep current"},
		"lib.keep_copy":      {"采用副本的修改", "Use the copy's edit"},
		"lib.keep_both":      {"两者都保留", "Keep both"},
		"lib.pick":           {"选择一项查看同步状态；冲突副本可在此处理。", "Pick an item to see its sync state; resolve conflict copies here."},
		"lib.conflict_of":    {"“%s” 的冲突副本：%s 的修改（%s）。当前版本保留 %s 的修改。", "Conflict copy of “%s”: the edit of %s (%s). The current item keeps the edit of %s."},
		"lib.has_copy":       {"有冲突副本，请在副本上选择保留哪一个。", "Has a conflict copy: choose on the copy which edit to keep."},
		"lib.edited":         {"%s 修改于 %s", "edited by %s at %s"},
		"lib.pending":        {"待上传", "to upload"},
		"lib.lib_newer":      {"共享库有新版本", "newer in the library"},
		"lib.none":           {"未加入联网（--fleet）：所有内容只在本机。", "Not in a fleet (--fleet): everything is local to this desk."},
		"lib.state.shared":   {"共享", "Shared"},
		"lib.state.local":    {"本地", "Local"},
		"lib.state.studio":   {"本直播间", "Studio"},
		"lib.state.changed":  {"已修改", "Changed"},
		"lib.state.conflict": {"冲突", "Conflict"},
		"lib.kind.preset":    {"预设", "Preset"},
		"lib.kind.device":    {"设备模板", "Device"},
		"lib.kind.show":      {"脚本", "Show"},
		"lib.kind.words":     {"词表", "Word list"},
		"lib.legend":         {"共享＝来自总部共享库且未改；本直播间＝本直播间自有，各台电脑已同步；本地＝只在本机，尚未进入联网；已修改＝同步后本机又改过（待上传），或与共享库版本不同；冲突＝两台电脑同时改过，两份都保留。", "Shared = from the agency library, unchanged; Studio = this studio's own, in step on its desks; Local = only on this desk, not yet in the fleet; Changed = edited here since the last sync (to upload), or differs from the library; Conflict = edited on two desks at once, both kept."},
		"lib.resolved":       {"已处理冲突：%s", "Conflict resolved: %s"},
		"lib.published":      {"已发布到共享库：%s", "Published to the library: %s"},
	} {
		if _, ok := messages[k]; !ok {
			messages[k] = v
		}
	}
}

// libraryPage lists the fleet library's items with their sync state and
// lets the producer resolve conflict copies and publish items.
type libraryPage struct {
	root   fyne.CanvasObject
	lib    *fleet.Library
	studio string
	win    fyne.Window
	light  *fleetLight

	items  []fleet.ItemView
	list   *widget.List
	sel    string
	head   *widget.Label
	counts *widget.Label
	detail *widget.Label
	status *widget.Label
	acts   *fyne.Container
	do     func(func())
}

// fleetLight is the fleet status light (connected / syncing / offline).
type fleetLight struct {
	short bool // the controller's: one short line
	root  fyne.CanvasObject
	dot   *canvas.Circle
	label *widget.Label
}

func newFleetLight(short bool) *fleetLight {
	l := &fleetLight{short: short, dot: canvas.NewCircle(colIdle), label: widget.NewLabel("")}
	if short {
		l.label.Truncation = fyne.TextTruncateEllipsis
	}
	dot := container.NewGridWrap(fyne.NewSize(14, 14), l.dot)
	l.root = container.NewBorder(nil, nil, container.NewCenter(dot), nil, l.label)
	return l
}

func (l *fleetLight) show(s fleet.LinkState, errText string) {
	text, c := T("lib.fleet")+" · "+T("lib."+string(s)), color.Color(colIdle)
	switch s {
	case fleet.LinkConnected:
		c = colNormal
	case fleet.LinkSyncing:
		c = colWarning
		if errText != "" {
			text += " · " + firstLine(errText)
		}
	case fleet.LinkOffline:
		c = colOvertime
		if l.short {
			text = T("lib.fleet") + " · " + T("lib.offline.short")
		}
	}
	l.dot.FillColor = c
	l.dot.Refresh()
	l.label.SetText(text)
}

// colStudio marks the studio's own items.
var colStudio = color.NRGBA{0x15, 0x65, 0xC0, 0xFF}

func stateColor(s fleet.SyncState) color.Color {
	switch s {
	case fleet.StateShared:
		return colNormal
	case fleet.StateChanged:
		return colWarning
	case fleet.StateConflict:
		return colOvertime
	case fleet.StateStudio:
		return colStudio
	}
	return colIdle
}

// displayName shows a conflict copy's label in the UI's language (the
// stored name, the same on every desk, carries it in English).
func displayName(name string) string {
	if lang == "zh" {
		return strings.Replace(name, " (conflict copy, ", "（冲突副本，", 1)
	}
	return name
}

// stateRank puts what needs the producer first.
func stateRank(s fleet.SyncState) int {
	switch s {
	case fleet.StateConflict:
		return 0
	case fleet.StateChanged:
		return 1
	case fleet.StateLocal:
		return 2
	case fleet.StateShared:
		return 3
	}
	return 4
}

// libRow is one item's row: state badge, kind, name, who edited it when.
type libRow struct {
	badge            *canvas.Rectangle
	state            *canvas.Text
	kind, name, meta *widget.Label
}

func (r *libRow) show(it fleet.ItemView) {
	r.badge.FillColor = stateColor(it.State)
	r.badge.Refresh()
	r.state.Text = T("lib.state." + string(it.State))
	r.state.Refresh()
	r.kind.SetText(T("lib.kind." + it.Kind))
	r.name.SetText(displayName(it.Name))
	m := ""
	if it.EditedBy != "" {
		m = fmt.Sprintf(T("lib.edited"), it.EditedBy, it.EditedAt.Local().Format("01-02 15:04:05"))
	}
	if it.Pending {
		m = T("lib.pending") + " · " + m
	}
	if it.LibNewer {
		m = T("lib.lib_newer") + " · " + m
	}
	if it.Err != "" {
		m = "⚠ " + firstLine(it.Err)
	}
	r.meta.SetText(m)
}

// newLibraryPage builds the page; do runs a function on the UI goroutine
// (fyne.Do; tests pass their own).
func newLibraryPage(lib *fleet.Library, studioID string, win fyne.Window, do func(func())) *libraryPage {
	p := &libraryPage{lib: lib, studio: studioID, win: win, do: do, light: newFleetLight(false),
		head: widget.NewLabel(""), counts: widget.NewLabel(""), detail: widget.NewLabel(T("lib.pick")),
		status: widget.NewLabel(""), acts: container.NewHBox()}
	p.detail.Wrapping = fyne.TextWrapWord
	p.status.Wrapping = fyne.TextWrapWord
	rows := map[fyne.CanvasObject]*libRow{}
	p.list = widget.NewList(func() int { return len(p.items) }, func() fyne.CanvasObject {
		r := &libRow{badge: canvas.NewRectangle(colIdle), state: canvas.NewText("", color.White),
			kind: widget.NewLabel(""), name: widget.NewLabel(""), meta: widget.NewLabel("")}
		r.badge.CornerRadius = 4
		r.state.TextStyle.Bold = true
		r.name.Truncation = fyne.TextTruncateEllipsis
		r.meta.Truncation = fyne.TextTruncateEllipsis
		tag := container.NewStack(r.badge, container.NewPadded(r.state))
		left := container.NewHBox(container.NewGridWrap(fyne.NewSize(84, 34), container.NewCenter(tag)), container.NewGridWrap(fyne.NewSize(90, 34), r.kind))
		o := container.NewBorder(nil, nil, left, container.NewGridWrap(fyne.NewSize(380, 34), r.meta), r.name)
		rows[o] = r
		return o
	}, func(i widget.ListItemID, o fyne.CanvasObject) {
		r := rows[o]
		if i >= len(p.items) || r == nil {
			return
		}
		r.show(p.items[i])
	})
	p.list.OnSelected = func(i widget.ListItemID) {
		if i < len(p.items) {
			p.sel = p.items[i].Key
			p.showDetail()
		}
	}
	syncBtn := widget.NewButton(T("lib.sync"), func() {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = lib.Sync(ctx)
		}()
	})
	top := container.NewVBox(
		container.NewBorder(nil, nil, p.light.root, syncBtn, p.head),
		p.counts,
	)
	legend := widget.NewLabel(T("lib.legend"))
	legend.Wrapping = fyne.TextWrapWord
	bottom := container.NewVBox(widget.NewSeparator(), p.detail, p.acts, p.status, legend)
	p.root = container.NewBorder(top, bottom, nil, nil, p.list)
	lib.OnChange(coalesce(do, p.refresh))
	p.refresh()
	return p
}

// coalesce returns a change hook (called on the library's goroutine,
// often in bursts) that runs f on the UI goroutine at most every 100 ms.
func coalesce(do func(func()), f func()) func() {
	pending := make(chan struct{}, 1)
	return func() {
		select {
		case pending <- struct{}{}:
		default:
			return
		}
		go func() {
			time.Sleep(100 * time.Millisecond)
			<-pending
			do(f)
		}()
	}
}

func (p *libraryPage) refresh() {
	p.items = p.lib.Items()
	sort.SliceStable(p.items, func(i, j int) bool { return stateRank(p.items[i].State) < stateRank(p.items[j].State) })
	n := map[fleet.SyncState]int{}
	for _, it := range p.items {
		n[it.State]++
	}
	s, errText := p.lib.Link()
	p.light.show(s, errText)
	p.head.SetText(fmt.Sprintf(T("lib.studio"), p.studio, p.lib.Self()))
	p.counts.SetText(fmt.Sprintf(T("lib.counts"), n[fleet.StateShared], n[fleet.StateStudio], n[fleet.StateLocal], n[fleet.StateChanged], n[fleet.StateConflict]))
	p.list.Refresh()
	p.showDetail()
}

func (p *libraryPage) selected() (fleet.ItemView, bool) {
	for _, it := range p.items {
		if it.Key == p.sel {
			return it, true
		}
	}
	return fleet.ItemView{}, false
}

func (p *libraryPage) nameOf(key string) string {
	for _, it := range p.items {
		if it.Key == key {
			return it.Name
		}
	}
	return key
}

// selectFirstConflict selects the first conflict copy, if any, so the
// producer opening the page sees what waits for an answer.
func (p *libraryPage) selectFirstConflict() {
	for i, it := range p.items {
		if it.ConflictOf != "" {
			p.list.Select(i)
			return
		}
	}
}

func (p *libraryPage) showDetail() {
	it, ok := p.selected()
	p.acts.RemoveAll()
	if !ok {
		p.detail.SetText(T("lib.pick"))
		return
	}
	text := T("lib.kind."+it.Kind) + " · " + displayName(it.Name) + " · " + T("lib.state."+string(it.State))
	if it.ConflictOf != "" {
		cur, _ := p.lib.Get(it.ConflictOf)
		text += "\n" + fmt.Sprintf(T("lib.conflict_of"), displayName(p.nameOf(it.ConflictOf)), it.EditedBy,
			it.EditedAt.Local().Format("15:04:05"), cur.EditedBy)
		key := it.Key
		for _, r := range []struct {
			label string
			res   fleet.Resolution
		}{{T("lib.keep_item"), fleet.ResolveKeepItem}, {T("lib.keep_copy"), fleet.ResolveKeepCopy}, {T("lib.keep_both"), fleet.ResolveKeepBoth}} {
			r := r
			p.acts.Add(widget.NewButton(r.label, func() { p.resolve(key, r.res) }))
		}
	} else if it.State == fleet.StateConflict {
		text += "\n" + T("lib.has_copy")
	}
	if it.Err != "" {
		text += "\n⚠ " + it.Err
	}
	p.detail.SetText(text)
	if it.ConflictOf == "" {
		key := it.Key
		p.acts.Add(widget.NewButton(T("lib.publish"), func() { p.publish(key) }))
	}
}

func (p *libraryPage) resolve(key string, r fleet.Resolution) {
	name := p.nameOf(key)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := p.lib.Resolve(ctx, key, r)
		p.do(func() {
			if err != nil {
				dialog.ShowError(err, p.win)
				return
			}
			p.sel = ""
			p.status.SetText(fmt.Sprintf(T("lib.resolved"), name))
			p.refresh()
		})
	}()
}

func (p *libraryPage) publish(key string) {
	name := p.nameOf(key)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := p.lib.Publish(ctx, key)
		p.do(func() {
			if err != nil {
				p.status.SetText("⚠ " + err.Error())
				dialog.ShowError(err, p.win)
				return
			}
			p.status.SetText(fmt.Sprintf(T("lib.published"), name))
			p.refresh()
		})
	}()
}

// attachFleetLibrary adds the shared-library page to the producer's tabs
// and the fleet light to the controller when the desk is in a fleet.
func (d *deskUI) attachFleetLibrary(l *fleet.Link, view string) {
	lib := fleet.LibraryOf(l)
	if lib == nil || d.producerTabs == nil {
		return
	}
	p := newLibraryPage(lib, l.Studio.ID, d.win, fyne.Do)
	light := newFleetLight(true)
	lib.OnChange(coalesce(fyne.Do, func() {
		s, e := lib.Link()
		light.show(s, e)
	}))
	s, e := lib.Link()
	light.show(s, e)
	d.controller.addStatusLight(light.root)
	d.producerTabs.Append(container.NewTabItem(T("lib.tab"), p.root))
	if view == libraryView {
		d.producerTabs.SelectIndex(len(d.producerTabs.Items) - 1)
		p.selectFirstConflict()
	}
}
