package ui

import (
	"fmt"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"studiodesk/app/overlaycfg"
	"studiodesk/studio/overlay"
)

// overlayMessages are the overlays page's strings.
var overlayMessages = map[string][2]string{
	"view.overlays":     {"OBS 叠加层", "OBS overlays"},
	"ovl.help":          {"在 OBS 中添加「浏览器」来源，粘贴下面的地址；宽高设为 OBS 画布大小（推荐 1920×1080 或 1280×720），页面会按来源大小自动缩放。四个页面可以叠在同一个场景里，位置互不重叠。", "In OBS add a Browser source and paste an address below; set its width and height to the OBS canvas (1920×1080 or 1280×720 recommended): the page scales to the source. The four pages can be stacked in one scene without overlapping."},
	"ovl.page.danmaku":  {"弹幕", "Danmaku"},
	"ovl.page.wall":     {"评价墙", "Review wall"},
	"ovl.page.coupon":   {"优惠券卡片", "Coupon card"},
	"ovl.page.vote":     {"投票", "Vote"},
	"ovl.copy":          {"复制", "Copy"},
	"ovl.copied":        {"已复制：", "Copied: "},
	"ovl.box":           {"位置和大小（设计画布像素 X, Y, 宽, 高）", "Place and size (design-canvas pixels X, Y, W, H)"},
	"ovl.apply":         {"应用布局", "Apply layout"},
	"ovl.reset":         {"恢复默认布局", "Default layout"},
	"ovl.applied":       {"布局已应用并保存", "Layout applied and saved"},
	"ovl.lan":           {"在局域网提供叠加层（供另一台电脑上的 OBS 使用，重启后生效）", "Serve the overlays on the LAN (for OBS on another PC; takes effect after a restart)"},
	"ovl.lan.on":        {"局域网模式：地址含本机专用令牌，请勿公开。", "LAN mode: the addresses carry this desk's secret token; do not share them."},
	"ovl.lan.saved":     {"已保存，重启中控台后生效", "Saved; restart the desk to apply"},
	"ovl.off":           {"叠加层未启动（端口被占用？）", "Overlays are off (address in use?)"},
	"ovl.err.settings":  {"叠加层设置：", "Overlay settings: "},
	"ovl.err.layout":    {"布局未应用（页面不能重叠，也不能超出画布）：", "Layout not applied (pages may not overlap or leave the canvas): "},
	"ovl.err.number":    {"请输入整数：", "Enter a whole number: "},
	"ovl.canvas":        {"设计画布", "Design canvas"},
	"ovl.sizes.example": {"推荐来源大小：1920×1080、1280×720（800×600 也可，画面在上方 450 像素内）", "Recommended source sizes: 1920×1080, 1280×720 (800×600 works too: the overlay fills its top 450 pixels)"},
}

func init() {
	for k, v := range overlayMessages {
		if _, ok := messages[k]; !ok {
			messages[k] = v
		}
	}
}

// overlaysPage lists every overlay page with its OBS address and a copy
// button, places each page on the canvas, and switches LAN serving.
type overlaysPage struct {
	root   *fyne.Container
	body   *fyne.Container
	status *widget.Label
	copy   func(string)
}

func newOverlaysPage(copyText func(string)) *overlaysPage {
	p := &overlaysPage{body: container.NewVBox(), status: widget.NewLabel(""), copy: copyText}
	p.status.Wrapping = fyne.TextWrapWord
	help := widget.NewLabel(T("ovl.help"))
	help.Wrapping = fyne.TextWrapWord
	p.root = container.NewBorder(help, p.status, nil, nil, container.NewVScroll(p.body))
	p.body.Add(widget.NewLabel(T("ovl.off")))
	return p
}

// attach shows the running server's pages (srv nil: the overlays are off);
// dir is where the settings live.
func (p *overlaysPage) attach(srv *overlay.Server, dir string) {
	p.body.RemoveAll()
	if srv == nil {
		p.body.Add(widget.NewLabel(T("ovl.off")))
		return
	}
	st := srv.Style()
	p.body.Add(widget.NewLabel(fmt.Sprintf("%s %d×%d · %s", T("ovl.canvas"), st.Width, st.Height, T("ovl.sizes.example"))))
	type row struct{ x, y, w, h *widget.Entry }
	rows := map[string]row{}
	fixed := func(w float32, o fyne.CanvasObject) fyne.CanvasObject {
		return container.NewGridWrap(fyne.NewSize(w, o.MinSize().Height), o)
	}
	p.body.Add(container.NewHBox(fixed(120, widget.NewLabel("")), fixed(80, widget.NewLabel("")),
		widget.NewLabel(T("ovl.box"))))
	for _, pg := range overlay.Pages {
		u := srv.URL(pg)
		url := widget.NewLabel(u)
		url.Truncation = fyne.TextTruncateEllipsis
		btn := widget.NewButton(T("ovl.copy"), func() {
			p.copy(u)
			p.status.SetText(T("ovl.copied") + u)
		})
		b := st.Layout.Box(pg)
		r := row{entry(b.X), entry(b.Y), entry(b.W), entry(b.H)}
		rows[pg] = r
		boxes := fixed(320, container.NewGridWithColumns(4, r.x, r.y, r.w, r.h))
		name := widget.NewLabelWithStyle(T("ovl.page."+pg), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		p.body.Add(container.NewBorder(nil, nil, container.NewHBox(fixed(120, name), fixed(80, btn), boxes), nil, url))
	}
	read := func() (overlay.Layout, error) {
		var l overlay.Layout
		for _, pg := range overlay.Pages {
			r := rows[pg]
			var vals [4]int
			for i, e := range []*widget.Entry{r.x, r.y, r.w, r.h} {
				n, err := strconv.Atoi(e.Text)
				if err != nil {
					return l, fmt.Errorf("%s%s %q", T("ovl.err.number"), T("ovl.page."+pg), e.Text)
				}
				vals[i] = n
			}
			b := overlay.Box{X: vals[0], Y: vals[1], W: vals[2], H: vals[3]}
			switch pg {
			case overlay.TopicDanmaku:
				l.Danmaku = b
			case overlay.TopicWall:
				l.Wall = b
			case overlay.TopicCoupon:
				l.Coupon = b
			case overlay.TopicVote:
				l.Vote = b
			}
		}
		return l, nil
	}
	apply := func(l overlay.Layout) {
		s := srv.Style()
		s.Layout = l
		if err := srv.SetStyle(s); err != nil {
			p.status.SetText("⚠ " + T("ovl.err.layout") + err.Error())
			return
		}
		set, err := overlaycfg.Load(dir)
		if err == nil {
			set.Layout = l
			err = overlaycfg.Save(dir, set)
		}
		if err != nil {
			p.status.SetText("⚠ " + T("ovl.err.settings") + err.Error())
			return
		}
		p.status.SetText(T("ovl.applied"))
	}
	p.body.Add(container.NewHBox(
		widget.NewButton(T("ovl.apply"), func() {
			l, err := read()
			if err != nil {
				p.status.SetText("⚠ " + err.Error())
				return
			}
			apply(l)
		}),
		widget.NewButton(T("ovl.reset"), func() {
			l := overlay.DefaultLayoutFor(st.Width, st.Height)
			for _, pg := range overlay.Pages {
				b, r := l.Box(pg), rows[pg]
				r.x.SetText(strconv.Itoa(b.X))
				r.y.SetText(strconv.Itoa(b.Y))
				r.w.SetText(strconv.Itoa(b.W))
				r.h.SetText(strconv.Itoa(b.H))
			}
			apply(l)
		}),
	))
	lan := widget.NewCheck(T("ovl.lan"), nil)
	lan.SetChecked(srv.LAN())
	lan.OnChanged = func(on bool) {
		set, err := overlaycfg.Load(dir)
		if err == nil {
			set.LAN = on
			err = overlaycfg.Save(dir, set)
		}
		if err != nil {
			p.status.SetText("⚠ " + T("ovl.err.settings") + err.Error())
			return
		}
		p.status.SetText(T("ovl.lan.saved"))
	}
	p.body.Add(lan)
	if srv.LAN() {
		p.body.Add(widget.NewLabel(T("ovl.lan.on")))
	}
}

func entry(v int) *widget.Entry {
	e := widget.NewEntry()
	e.SetText(strconv.Itoa(v))
	return e
}
