package overlay

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// The LAN tests listen on loopback only: the server is told that this
// machine's LAN address is 192.0.2.10 (a documentation address), and
// requests to 127.0.0.1 carry that Host, as OBS on another PC would send.
const fakeLANIP = "192.0.2.10"

func startLAN(t *testing.T, token string) *Server {
	t.Helper()
	s := New(Config{Addr: "127.0.0.1:0", LAN: true, Token: token})
	s.hostIPs = func() []net.IP { return []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP(fakeLANIP)} }
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func get(t *testing.T, s *Server, host, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+s.Addr()+path, nil)
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Security-Policy") + "\n" + string(b)
}

func TestLANOffByDefault(t *testing.T) {
	s := startServer(t, Config{})
	if s.LAN() || !strings.HasPrefix(s.URL("danmaku"), "http://127.0.0.1:") {
		t.Fatalf("default server LAN=%v URL %s", s.LAN(), s.URL("danmaku"))
	}
	_, port, _ := net.SplitHostPort(s.Addr())
	if code, _ := get(t, s, net.JoinHostPort(fakeLANIP, port), "/danmaku"); code != http.StatusMisdirectedRequest {
		t.Fatalf("LAN Host without LAN mode: %d, want 421", code)
	}
}

func TestLANNeedsAStrongToken(t *testing.T) {
	for _, tok := range []string{"", "short", strings.Repeat("a", 21), strings.Repeat("a", 21) + "/", strings.Repeat("é", 22)} {
		s := New(Config{Addr: "127.0.0.1:0", LAN: true, Token: tok})
		if err := s.Start(); err == nil || !strings.Contains(err.Error(), "Token") {
			s.Close()
			t.Errorf("token %q: %v, want an error naming Token", tok, err)
		}
	}
	a, b := NewToken(), NewToken()
	if a == b || len(a) < MinTokenLen || validToken(a) != nil {
		t.Fatalf("NewToken %q %q", a, b)
	}
}

func TestLANTokenHostAndOrigin(t *testing.T) {
	tok := NewToken()
	s := startLAN(t, tok)
	_, port, _ := net.SplitHostPort(s.Addr())
	lanHost := net.JoinHostPort(fakeLANIP, port)

	if u := s.URL("coupon"); u != "http://"+s.Addr()+"/"+tok+"/coupon" {
		t.Fatalf("URL %q: want the bound address", u)
	}
	for _, pg := range Pages {
		code, body := get(t, s, lanHost, "/"+tok+"/"+pg)
		if code != 200 || !strings.Contains(body, "connect-src 'self' ws://"+lanHost+";") {
			t.Errorf("%s with the token: %d %.200q", pg, code, body)
		}
	}
	for _, p := range []string{"/" + tok + "/overlay.css", "/" + tok + "/common.js", "/" + tok + "/font.ttf"} {
		if code, _ := get(t, s, lanHost, p); code != 200 {
			t.Errorf("%s: %d", p, code)
		}
	}
	// no token, a wrong one, a prefix of it: nothing there
	for _, p := range []string{"/danmaku", "/overlay.css", "/ws?topic=danmaku", "/" + NewToken() + "/danmaku", "/" + tok[:len(tok)-1] + "/danmaku", "/" + tok, "/" + tok + "x/danmaku"} {
		if code, _ := get(t, s, lanHost, p); code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, code)
		}
	}
	// DNS rebinding: a name pointed at this machine, or another address
	for _, h := range []string{"attacker.example:" + port, "192.0.2.99:" + port, fakeLANIP + ":1", "desk.local:" + port} {
		if code, _ := get(t, s, h, "/"+tok+"/danmaku"); code != http.StatusMisdirectedRequest {
			t.Errorf("Host %s: %d, want 421", h, code)
		}
	}
	// the socket: the token and the Origin check both hold
	dialWS := func(path, origin string) error {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		d := websocket.Dialer{NetDial: func(_, _ string) (net.Conn, error) { return net.Dial("tcp", s.Addr()) }}
		c, resp, err := d.Dial("ws://"+lanHost+path, h)
		if resp != nil {
			resp.Body.Close()
		}
		if err == nil {
			c.Close()
		}
		return err
	}
	if err := dialWS("/"+tok+"/ws?topic=danmaku", "http://"+lanHost); err != nil {
		t.Errorf("page's own socket refused: %v", err)
	}
	if err := dialWS("/ws?topic=danmaku", "http://"+lanHost); err == nil {
		t.Error("socket without the token accepted")
	}
	if err := dialWS("/"+tok+"/ws?topic=danmaku", "http://attacker.example"); err == nil {
		t.Error("cross-origin socket accepted")
	}
}

func TestLayoutDefaultsDoNotOverlap(t *testing.T) {
	for _, size := range [][2]int{{1920, 1080}, {1280, 720}, {800, 600}, {3840, 2160}} {
		st := Style{Width: size[0], Height: size[1]}
		if err := st.Validate(); err != nil {
			t.Errorf("%v: default layout: %v", size, err)
		}
		full := st.withDefaults()
		for i, a := range Pages {
			for _, b := range Pages[:i] {
				if full.Layout.Box(a).overlaps(full.Layout.Box(b)) {
					t.Errorf("%v: %s overlaps %s", size, a, b)
				}
			}
		}
	}
	// an overlapping or outside layout is refused, naming the pages
	st := Style{Layout: DefaultLayout}
	st.Layout.Coupon = DefaultLayout.Wall
	if err := st.Validate(); !errors.Is(err, ErrInvalidStyle) || !strings.Contains(err.Error(), "coupon") || !strings.Contains(err.Error(), "wall") {
		t.Errorf("coupon on the wall: %v", err)
	}
	st = Style{Layout: DefaultLayout}
	st.Layout.Vote.X = 1800
	if err := st.Validate(); !errors.Is(err, ErrInvalidStyle) || !strings.Contains(err.Error(), "vote") {
		t.Errorf("vote off the canvas: %v", err)
	}
}

func TestConfigCarriesThePageBox(t *testing.T) {
	s := startServer(t, Config{})
	for _, pg := range Pages {
		c, resp, err := websocket.DefaultDialer.Dial("ws://"+s.Addr()+"/ws?topic="+pg, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		m := readMsg(t, c)
		c.Close()
		if m.Style == nil || m.Style.Box != wireBox(DefaultLayout.Box(pg)) {
			t.Errorf("%s: config box %+v, want %+v", pg, m.Style, DefaultLayout.Box(pg))
		}
	}
}
