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
	oscAddr string // --osc-addr ("" = the remote address's host, port 8888)
	srv     *remote.Server
	expiry  *time.Timer
	codeTTL time.Duration // 0: the server's default (5 min)
	// uiDo runs f on the UI goroutine (fyne.Do; tests queue it).
	uiDo    func(f func())
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
	startServer func(addr string, tune func(*remote.Config)) (*remote.Server, error)
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
	tune := func(c *remote.Config) {
		c.CodeTTL = p.codeTTL
		// A new device shows in the list at once (the code is spent too).
		c.OnPair = func(remote.Device) { p.onUI(p.refresh) }
	}
	if p.startServer != nil {
		srv, err = p.startServer(p.addr, tune)
	} else {
		cfg := remote.Config{Desk: p.desk, Addr: p.addr, OSCAddr: p.oscAddr, Tokens: p.tokens, Now: p.now, Logf: log.Printf}
		tune(&cfg)
		srv, err = remote.NewServer(cfg)
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
	if p.expiry != nil {
		p.expiry.Stop()
	}
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

// refresh shows the current code, the addresses the server is bound to
// (and why a transport is not), and the devices. It runs again when the
// code expires and after every pairing.
func (p *remotePage) refresh() {
	if p.srv == nil {
		return
	}
	code, expires := p.srv.PairingCode()
	p.code.Text = code
	p.code.Refresh()
	if p.expiry != nil {
		p.expiry.Stop()
	}
	// The code's expiry is on the desk's clock (accelerated in a fast
	// rehearsal): look again at least every 10 s.
	wait := min(max(expires.Sub(p.now()), 0)+200*time.Millisecond, 10*time.Second)
	srv := p.srv
	p.expiry = time.AfterFunc(wait, func() {
		p.onUI(func() {
			if p.srv == srv {
				p.refresh()
			}
		})
	})
	var lines []string
	for _, tr := range p.srv.Transports() {
		switch {
		case tr.Err != nil && tr.Name == "osc":
			lines = append(lines, fmt.Sprintf(T("remote.osc_failed"), tr.Err))
		case tr.Err != nil:
			lines = append(lines, fmt.Sprintf(T("remote.http_failed"), tr.Err))
		case tr.Addr == "":
		case tr.Name == "osc":
			lines = append(lines, fmt.Sprintf(T("remote.osc_bound"), strings.Join(boundAddrs(tr.Addr, ""), "  ")))
		default:
			lines = append(lines, fmt.Sprintf(T("remote.http_bound"), strings.Join(boundAddrs(tr.Addr, "http://%s/remote"), "  ")))
		}
	}
	lines = append(lines, fmt.Sprintf(T("remote.info"), expires.Local().Format("15:04:05")))
	p.info.SetText(strings.Join(lines, "\n"))
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

// boundAddrs lists where a listener bound to addr is reached: the bound
// host itself, or each LAN address when it listens on all of them.
func boundAddrs(addr, format string) []string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return []string{addr}
	}
	hosts := []string{host}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		hosts = lanAddrs()
	}
	out := make([]string, len(hosts))
	for i, h := range hosts {
		out[i] = net.JoinHostPort(h, port)
		if format != "" {
			out[i] = fmt.Sprintf(format, out[i])
		}
	}
	return out
}

func (p *remotePage) close() { p.stop() }

func (p *remotePage) onUI(f func()) {
	if p.uiDo != nil {
		p.uiDo(f)
		return
	}
	fyne.Do(f)
}

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
