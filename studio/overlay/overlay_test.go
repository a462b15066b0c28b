package overlay

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	overlayassets "studiodesk/assets/overlay"
)

func startServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = ":0"
	}
	s := New(cfg)
	if err := s.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// dial opens topic's socket and reads the config message, so the
// connection is registered when it returns.
func dial(t testing.TB, s *Server, topic string) *websocket.Conn {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial("ws://"+s.Addr()+"/ws?topic="+topic, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", topic, err)
	}
	resp.Body.Close()
	t.Cleanup(func() { c.Close() })
	if m := readMsg(t, c); m.Type != "config" {
		t.Fatalf("%s: first message %q, want config", topic, m.Type)
	}
	return c
}

func readMsg(t testing.TB, c *websocket.Conn) message {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	_, b, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var m message
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return m
}

func wantCSP(addr string) string {
	return "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self' ws://" + addr +
		"; img-src 'none'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

func TestHeaders(t *testing.T) {
	s := startServer(t, Config{})
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") {
		t.Fatalf("Addr %q not on 127.0.0.1", s.Addr())
	}
	csp := wantCSP(s.Addr())
	cases := []struct {
		path, ctype string
		code        int
	}{
		{"/danmaku", "text/html; charset=utf-8", 200},
		{"/wall", "text/html; charset=utf-8", 200},
		{"/coupon", "text/html; charset=utf-8", 200},
		{"/vote", "text/html; charset=utf-8", 200},
		{"/overlay.css", "text/css; charset=utf-8", 200},
		{"/common.js", "text/javascript; charset=utf-8", 200},
		{"/danmaku.js", "text/javascript; charset=utf-8", 200},
		{"/wall.js", "text/javascript; charset=utf-8", 200},
		{"/coupon.js", "text/javascript; charset=utf-8", 200},
		{"/vote.js", "text/javascript; charset=utf-8", 200},
		{"/font.ttf", "font/otf", 200},
		{"/nope", "", 404},
		{"/embed.go", "", 404},
		{"/ws?topic=danmaku", "", 400}, // not an upgrade
		{"/ws?topic=evil", "", 400},
	}
	for _, c := range cases {
		resp, err := http.Get("http://" + s.Addr() + c.path)
		if err != nil {
			t.Fatalf("GET %s: %v", c.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code {
			t.Errorf("GET %s: status %d, want %d", c.path, resp.StatusCode, c.code)
		}
		if got := resp.Header.Get("Content-Security-Policy"); got != csp {
			t.Errorf("GET %s: CSP\n got %q\nwant %q", c.path, got, csp)
		}
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q", c.path, got)
		}
		if got := resp.Header.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("GET %s: Referrer-Policy %q", c.path, got)
		}
		if c.ctype != "" {
			if got := resp.Header.Get("Content-Type"); got != c.ctype {
				t.Errorf("GET %s: Content-Type %q, want %q", c.path, got, c.ctype)
			}
			if len(body) == 0 {
				t.Errorf("GET %s: empty body", c.path)
			}
		}
		if strings.Contains(resp.Header.Get("Content-Security-Policy"), "unsafe") {
			t.Errorf("GET %s: CSP allows unsafe-*", c.path)
		}
	}
	// No inline script or style in the pages (the CSP would block them).
	for _, p := range []string{"/danmaku", "/wall", "/coupon", "/vote"} {
		resp, err := http.Get("http://" + s.Addr() + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		html := string(b)
		if strings.Contains(html, "<style") || strings.Contains(html, "style=") ||
			strings.Count(html, "<script") != strings.Count(html, "<script src=") {
			t.Errorf("%s has inline script or style:\n%s", p, html)
		}
	}
}

func TestHostAndMethodChecks(t *testing.T) {
	s := startServer(t, Config{})
	req, _ := http.NewRequest("GET", "http://"+s.Addr()+"/danmaku", nil)
	req.Host = "attacker.example:80"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("foreign Host: status %d, want 421", resp.StatusCode)
	}
	resp, err = http.Post("http://"+s.Addr()+"/danmaku", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d, want 405", resp.StatusCode)
	}
	// A page from another origin may not open the socket.
	h := http.Header{"Origin": {"http://attacker.example"}}
	c, resp, err := websocket.DefaultDialer.Dial("ws://"+s.Addr()+"/ws?topic=danmaku", h)
	if err == nil {
		c.Close()
		t.Fatal("cross-origin WebSocket accepted")
	}
	if resp != nil {
		resp.Body.Close()
	}
}

func TestLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "192.168.1.20:8787", "[::]:0", "example.com:80", "nonsense"} {
		s := New(Config{Addr: addr})
		err := s.Start()
		if err == nil {
			s.Close()
			t.Errorf("Addr %q accepted", addr)
			continue
		}
		if !strings.Contains(err.Error(), "Addr") {
			t.Errorf("Addr %q: error %q does not name Addr", addr, err)
		}
	}
	s := New(Config{Addr: "0.0.0.0:0"})
	if err := s.Start(); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("0.0.0.0: %v, want ErrNotLoopback", err)
	}
}

func TestInvalidStyle(t *testing.T) {
	cases := []struct {
		field string
		st    Style
	}{
		{"Width", Style{Width: -1}},
		{"Width", Style{Width: 100000}},
		{"Height", Style{Height: -5}},
		{"FontSize", Style{FontSize: 3}},
		{"FontSize", Style{FontSize: 1000}},
		{"TextColor", Style{TextColor: "red"}},
		{"TextColor", Style{TextColor: "red;background:url(//x)"}},
		{"TextColor", Style{TextColor: "#fff"}},
		{"TextColor", Style{TextColor: "#ffffff;x:y"}},
		{"TextColor", Style{TextColor: "#ffffff\n"}},
		{"Background", Style{Background: "#12345"}},
		{"Background", Style{Background: "expression(alert(1))"}},
		{"Background", Style{Background: "url(//127.0.0.1/x)"}},
		{"MaxLines", Style{MaxLines: -1}},
		{"MaxLines", Style{MaxLines: 201}},
	}
	for _, c := range cases {
		s := New(Config{Addr: ":0", Style: c.st})
		err := s.Start()
		if err == nil {
			s.Close()
			t.Errorf("%+v accepted", c.st)
			continue
		}
		if !errors.Is(err, ErrInvalidStyle) || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%+v: error %q, want ErrInvalidStyle naming %s", c.st, err, c.field)
		}
	}
	s := startServer(t, Config{Style: Style{TextColor: "#FFD166", Background: "#00000080", MaxLines: 5}})
	if err := s.SetStyle(Style{Background: "blue"}); err == nil || !strings.Contains(err.Error(), "Background") {
		t.Errorf("SetStyle(Background blue): %v", err)
	}
	c := dial(t, s, TopicDanmaku)
	if err := s.SetStyle(Style{FontSize: 48, TextColor: "#112233AA"}); err != nil {
		t.Fatal(err)
	}
	m := readMsg(t, c)
	if m.Type != "config" || m.Style.FontSize != 48 || m.Style.TextColor != "#112233AA" || m.Style.MaxLines != 12 {
		t.Errorf("config after SetStyle: %+v %+v", m, m.Style)
	}
}

func TestPushesInOrder(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s, TopicDanmaku)
	c2 := dial(t, s, TopicDanmaku)
	const batches, per = 50, 20
	go func() {
		for b := range batches {
			ls := make([]Line, per)
			for i := range ls {
				ls[i] = Line{ID: fmt.Sprint(b*per + i), Name: "观众", Text: fmt.Sprintf("第%d条", b*per+i), Class: "question"}
			}
			s.PushDanmaku(ls)
		}
	}()
	for _, conn := range []*websocket.Conn{c, c2} {
		next := 0
		for next < batches*per {
			m := readMsg(t, conn)
			if m.Type != "lines" {
				t.Fatalf("message %q, want lines", m.Type)
			}
			for _, l := range m.Lines {
				if l.ID != fmt.Sprint(next) || l.Text != fmt.Sprintf("第%d条", next) || l.Class != "question" || l.Merged != 1 {
					t.Fatalf("line %+v, want #%d", l, next)
				}
				next++
			}
		}
	}
	if d := s.Stats().Dropped; d != 0 {
		t.Errorf("dropped %d lines for readers that kept up", d)
	}

	// State topics: every message is a newer state than the one before.
	cc := dial(t, s, TopicCoupon)
	if m := readMsg(t, cc); m.Type != "coupon" || m.Coupon != nil {
		t.Fatalf("initial coupon %+v", m)
	}
	go func() {
		for i := 1; i <= 200; i++ {
			s.SetCoupon(&CouponCard{Name: "面霜", Discount: "满199减50", Stock: 200, Left: 200 - i})
		}
	}()
	last := 200
	for last > 0 {
		m := readMsg(t, cc)
		if m.Type != "coupon" || m.Coupon == nil || m.Coupon.Left >= last { // strictly newer, never repeated
			t.Fatalf("coupon message %+v after left=%d", m.Coupon, last)
		}
		last = m.Coupon.Left
	}
}

func TestStalledClientDoesNotBlock(t *testing.T) {
	s := startServer(t, Config{})
	// A page that never reads, with a tiny receive buffer.
	d := websocket.Dialer{NetDial: func(network, addr string) (net.Conn, error) {
		nc, err := net.Dial(network, addr)
		if err == nil {
			_ = nc.(*net.TCPConn).SetReadBuffer(4096)
		}
		return nc, err
	}}
	stalled, resp, err := d.Dial("ws://"+s.Addr()+"/ws?topic=danmaku", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	defer stalled.Close()
	healthy := dial(t, s, TopicDanmaku)
	for s.Stats().Clients < 2 {
		time.Sleep(time.Millisecond)
	}

	text := strings.Repeat("这款面霜真的很好用", 20) // 180 runes, ~540 bytes
	const total, per = 100_000, 100
	batches := make([][]Line, total/per)
	for i := range batches {
		batches[i] = make([]Line, per)
		for j := range batches[i] {
			batches[i][j] = Line{ID: fmt.Sprint(i*per + j), Name: "观众", Text: text}
		}
	}
	start := time.Now()
	for _, b := range batches {
		s.PushDanmaku(b)
	}
	s.PushDanmaku([]Line{{ID: "last", Text: "最后一条"}})
	took := time.Since(start)
	// A push that waited for the socket would take writeWait (5 s) per
	// batch; the race detector slows the bookkeeping about tenfold.
	limit := time.Second
	if raceEnabled {
		limit = 10 * time.Second
	}
	if took > limit {
		t.Errorf("pushing %d lines with a stalled page took %v", total, took)
	}
	st := s.Stats()
	if st.Dropped == 0 {
		t.Errorf("no drops counted for a stalled page: %+v", st)
	}
	t.Logf("pushed %d lines in %v; dropped %d", total+1, took, st.Dropped)

	// The healthy page still gets the newest line.
	for {
		m := readMsg(t, healthy)
		if n := len(m.Lines); n > 0 && m.Lines[n-1].ID == "last" {
			break
		}
	}
}

func TestNewConnectionGetsState(t *testing.T) {
	clock := time.Date(2026, 5, 1, 20, 0, 0, 0, time.FixedZone("CST", 8*3600))
	s := startServer(t, Config{Now: func() time.Time { return clock }, Style: Style{MaxLines: 3}})
	ends := clock.Add(3 * time.Minute)
	s.SetWall([]Line{{ID: "w1", Name: "小红", Text: "保湿效果很好", Class: "praise"}, {ID: "w2", Name: "阿明", Text: "回购第三次了", Class: "nonsense"}})
	s.SetCoupon(&CouponCard{Name: "玻尿酸面霜", Discount: "立减50元", Stock: 100, Left: 130, EndsAt: ends, Note: "每人限领1张"})
	s.SetVote(&VoteCard{Question: "下一个讲哪款？", Options: []VoteOption{{"面霜", 12}, {"精华", -3}}, EndsAt: ends})
	s.PushDanmaku([]Line{{ID: "1", Text: "一"}, {ID: "2", Text: "二"}, {ID: "3", Text: "三"}, {ID: "4", Text: "四"}})

	m := readMsg(t, dial(t, s, TopicWall))
	if m.Type != "wall" || len(m.Lines) != 2 || m.Lines[0].Text != "保湿效果很好" || m.Lines[0].Class != "praise" || m.Lines[1].Class != "other" {
		t.Errorf("wall state %+v", m)
	}
	m = readMsg(t, dial(t, s, TopicCoupon))
	want := wireCoupon{Name: "玻尿酸面霜", Discount: "立减50元", Stock: 100, Left: 100, EndsAt: ends.UnixMilli(), Note: "每人限领1张"}
	if m.Type != "coupon" || m.Coupon == nil || *m.Coupon != want || m.Now != clock.UnixMilli() {
		t.Errorf("coupon state %+v %+v", m, m.Coupon)
	}
	m = readMsg(t, dial(t, s, TopicVote))
	if m.Type != "vote" || m.Vote == nil || m.Vote.Question != "下一个讲哪款？" || len(m.Vote.Options) != 2 || m.Vote.Options[1].Count != 0 || m.Vote.EndsAt != ends.UnixMilli() {
		t.Errorf("vote state %+v %+v", m, m.Vote)
	}
	m = readMsg(t, dial(t, s, TopicDanmaku))
	if m.Type != "lines" || len(m.Lines) != 3 || m.Lines[0].ID != "2" || m.Lines[2].ID != "4" {
		t.Errorf("danmaku recent lines %+v", m)
	}

	s.SetCoupon(nil)
	cc := dial(t, s, TopicCoupon)
	if m := readMsg(t, cc); m.Type != "coupon" || m.Coupon != nil {
		t.Errorf("hidden coupon sent as %+v", m.Coupon)
	}
}

func TestNormText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"<script>alert(1)</script>", "<script>alert(1)</script>"},
		{"a\x00b\u202Ec", "a\x00b\u202Ec"},
		{"ok\xff\xfe!", "ok\uFFFD!"},
		{strings.Repeat("好", 199) + "\xff", strings.Repeat("好", 199) + "\uFFFD"},
		{strings.Repeat("好", 200) + "\xff", strings.Repeat("好", 200) + "…"},
		{strings.Repeat("好", 201) + "\xff", strings.Repeat("好", 200) + "…"},
		{"\xff" + strings.Repeat("好", 200), "\uFFFD" + strings.Repeat("好", 199) + "…"},
		{strings.Repeat("好", 250), strings.Repeat("好", 200) + "…"},
		{strings.Repeat("a", 200), strings.Repeat("a", 200)},
	}
	for _, c := range cases {
		if got := normText(c.in, maxTextRunes); got != c.want {
			t.Errorf("normText(%.30q) = %.30q, want %.30q", c.in, got, c.want)
		}
	}
	for in, want := range map[string]string{"question": "question", "buy": "buy", "x": "other", "__proto__": "other", "question red": "other", "": "other"} {
		if got := (Line{Class: in}).wire().Class; got != want {
			t.Errorf("class %q -> %q, want %q", in, got, want)
		}
	}
}

// TestLineNameCleaned: a viewer name is cleaned like text before it is
// sent (U+202E would show it reversed on the broadcast).
func TestLineNameCleaned(t *testing.T) {
	for in, want := range map[string]string{
		"\u202E小熊":                "小熊",
		"evil\u202Egpj.exe\u202C": "evilgpj.exe",
		"小\u200B鹿\uFEFF\u200D":    "小鹿",
		"a\x00b\x1b\u0085c":       "abc",
		"\u2066隔离\u2069\u200F":    "隔离",
		"ＡＢＣ\t\t小鹿":               "ABC 小鹿",
		strings.Repeat("名", 30):   strings.Repeat("名", 24) + "…",
	} {
		if got := (Line{Name: in}).wire().Name; got != want {
			t.Errorf("name %+q sent as %+q, want %+q", in, got, want)
		}
	}
}

func TestURLAndClose(t *testing.T) {
	s := New(Config{Addr: ":0"})
	if s.URL("danmaku") != "" {
		t.Error("URL before Start not empty")
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); !errors.Is(err, ErrStarted) {
		t.Errorf("second Start: %v", err)
	}
	if got, want := s.URL("/coupon"), "http://"+s.Addr()+"/coupon"; got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
	if s.URL("../etc/passwd") != "" {
		t.Error("URL of unknown page not empty")
	}
	c := dial(t, s, TopicVote)
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung")
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for { // the vote state may still be buffered; then the socket ends
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Error("connection open after Close")
		}
		break
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestScriptsAvoidHTMLSinks is a static check of the embedded page scripts:
// none of the APIs that parse HTML, run strings as code or set URLs and
// attributes appears in them.
func TestScriptsAvoidHTMLSinks(t *testing.T) {
	banned := []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function(",
		"setAttribute", ".href", ".src", "srcdoc", "cssText", "setTimeout('", "setInterval('", "className =",
		"createContextualFragment", "DOMParser", "import("}
	entries, err := overlayassets.FS.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".js") {
			continue
		}
		n++
		b, err := overlayassets.FS.ReadFile(e.Name())
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "//") {
				continue
			}
			for _, bad := range banned {
				if strings.Contains(line, bad) {
					t.Errorf("%s:%d: uses %s: %s", e.Name(), i+1, bad, strings.TrimSpace(line))
				}
			}
		}
	}
	if n != 5 {
		t.Errorf("%d scripts embedded, want 5", n)
	}
}

func TestKeepalive(t *testing.T) {
	oldPing, oldPong := pingPeriod, pongWait
	pingPeriod, pongWait = 30*time.Millisecond, 300*time.Millisecond
	// Restored after the server and its connections are closed (cleanups
	// run last-registered first), never while one still reads them.
	t.Cleanup(func() { pingPeriod, pongWait = oldPing, oldPong })
	s := startServer(t, Config{})
	live := dial(t, s, TopicDanmaku) // reads, so it answers pings
	dial(t, s, TopicDanmaku)         // never reads again, so never answers
	got := make(chan string, 1)
	go func() {
		for {
			_, b, err := live.ReadMessage()
			if err != nil {
				return
			}
			var m message
			if json.Unmarshal(b, &m) == nil && len(m.Lines) > 0 {
				got <- m.Lines[0].Text
				return
			}
		}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for s.Stats().Clients != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("silent page not closed after missing pongs: %+v", s.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.PushDanmaku([]Line{{Text: "还在吗"}})
	select {
	case txt := <-got:
		if txt != "还在吗" {
			t.Errorf("live page got %q", txt)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("live page dropped by keepalive")
	}
}
