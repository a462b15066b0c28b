package ui

import (
	"fmt"
	"log"
	"net"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"studiodesk/app/core"
	"studiodesk/studio"
	"studiodesk/studio/remote"
)

// boltTokens persists paired devices in the desk's bbolt file.
type boltTokens = core.StoreTokens

// remotePage is the desk's pairing screen: it turns remote control on and
// off, shows the address and the one-time code, and lists paired devices
// with a revoke button each. Off by default.
type remotePage struct {
	root    fyne.CanvasObject
	desk    *studio.Desk
	tokens  remote.TokenStore
	addr    string
	srv     *remote.Server
	enable  *widget.Check
	code    *canvas.Text
	info    *widget.Label
	devices *fyne.Container
	// onServer is told when the server starts (and nil when it stops), so
	// the live feed can send danmaku down the remote's lossy channel.
	onServer func(*remote.Server)
	// now is the desk's clock: remote state is computed at it.
	now func() time.Time
	// startServer and stopServer, when set, hand the server's lifecycle to
	// the composition root (app/core), which also feeds it the danmaku.
	startServer func(addr string) (*remote.Server, error)
	stopServer  func(*remote.Server)
}

func newRemotePage(desk *studio.Desk, tokens remote.TokenStore, addr string) *remotePage {
	p := &remotePage{desk: desk, tokens: tokens, addr: addr, now: time.Now, code: newText(72, colText, true),
		info: widget.NewLabel(T("remote.off")), devices: container.NewVBox()}
	p.info.Wrapping = fyne.TextWrapWord
	p.enable = widget.NewCheck(T("remote.enable"), func(on bool) {
		if on {
			p.start()
		} else {
			p.stop()
		}
	})
	newCode := widget.NewButton(T("remote.new_code"), p.refresh)
	p.root = container.NewVScroll(container.NewVBox(
		widget.NewLabelWithStyle(T("remote.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		p.enable, p.info, p.code, newCode,
		widget.NewLabelWithStyle(T("remote.devices"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), p.devices,
	))
	return p
}

func (p *remotePage) start() {
	if p.srv != nil {
		return
	}
	var srv *remote.Server
	var err error
	if p.startServer != nil {
		srv, err = p.startServer(p.addr)
	} else {
		srv, err = remote.NewServer(remote.Config{Desk: p.desk, Addr: p.addr, Tokens: p.tokens, Now: p.now, Logf: log.Printf})
		if err == nil {
			err = srv.Start()
		}
	}
	if err != nil {
		p.info.SetText("⚠ " + err.Error())
		p.enable.SetChecked(false)
		return
	}
	p.srv = srv
	if p.onServer != nil {
		p.onServer(srv)
	}
	p.refresh()
}

func (p *remotePage) stop() {
	if p.srv != nil {
		if p.onServer != nil {
			p.onServer(nil)
		}
		if p.stopServer != nil {
			p.stopServer(p.srv)
		} else {
			_ = p.srv.Close()
		}
		p.srv = nil
	}
	p.code.Text = ""
	p.code.Refresh()
	p.info.SetText(T("remote.off"))
	p.devices.RemoveAll()
}

// refresh shows the current code, the addresses to use, and the devices.
func (p *remotePage) refresh() {
	if p.srv == nil {
		return
	}
	code, expires := p.srv.PairingCode()
	p.code.Text = code
	p.code.Refresh()
	_, port, _ := net.SplitHostPort(p.srv.Addr())
	var urls []string
	for _, ip := range lanAddrs() {
		urls = append(urls, fmt.Sprintf("http://%s/remote", net.JoinHostPort(ip, port)))
	}
	p.info.SetText(fmt.Sprintf(T("remote.info"), strings.Join(urls, "  "), expires.Local().Format("15:04:05"), p.srv.OSCAddr()))
	p.devices.RemoveAll()
	for _, d := range p.srv.Devices() {
		id := d.ID
		p.devices.Add(container.NewBorder(nil, nil, nil,
			widget.NewButton(T("remote.revoke"), func() {
				if err := p.srv.Revoke(id); err != nil {
					p.info.SetText("⚠ " + err.Error())
				}
				p.refresh()
			}),
			widget.NewLabel(fmt.Sprintf("%s · %s · %s", d.Name, d.Role, d.Paired.Local().Format("01-02 15:04")))))
	}
}

func (p *remotePage) close() { p.stop() }

// lanAddrs lists this machine's IPv4 LAN addresses for the pairing screen.
func lanAddrs() []string {
	var out []string
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return []string{"127.0.0.1"}
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			out = append(out, n.IP.String())
		}
	}
	if len(out) == 0 {
		out = []string{"127.0.0.1"}
	}
	return out
}
