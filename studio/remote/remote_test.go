package remote

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"studiodesk/studio"
)

func TestPairing(t *testing.T) {
	r := newRig(t)
	code, exp := r.srv.PairingCode()
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		t.Fatalf("code %q", code)
	}
	if !exp.After(r.clk.Now()) {
		t.Fatalf("expires %v", exp)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	st, _ := r.post(t, "/pair", "", fmt.Sprintf(`{"code":%q,"name":"x","role":"controller"}`, wrong), nil)
	if st != http.StatusForbidden || !r.log.has("pairing from") || !r.log.has("wrong code") {
		t.Fatalf("wrong code: status %d, log:\n%s", st, r.log.dump())
	}
	p := r.pair(t, "场控平板", RoleController)
	raw, err := base64.RawURLEncoding.DecodeString(p.Token)
	if err != nil || len(raw) != 32 {
		t.Fatalf("token %q: %d bytes, %v", p.Token, len(raw), err)
	}
	// One-time: the same code does not pair twice.
	st, _ = r.post(t, "/pair", "", fmt.Sprintf(`{"code":%q,"name":"y","role":"viewer"}`, code), nil)
	if st != http.StatusForbidden {
		t.Fatalf("reused code: %d", st)
	}
	if c2, _ := r.srv.PairingCode(); c2 == "" {
		t.Fatal("no fresh code")
	}
	// Only the hash is stored.
	list, _ := r.srv.cfg.Tokens.List()
	sum := sha256.Sum256([]byte(p.Token))
	if len(list) != 1 || list[0].TokenSHA256 != hex.EncodeToString(sum[:]) || list[0].Name != "场控平板" {
		t.Fatalf("stored %+v", list)
	}
	b, _ := json.Marshal(list)
	if strings.Contains(string(b), p.Token) {
		t.Fatal("token stored in clear")
	}
	// Expiry: a code older than CodeTTL is replaced.
	c3, _ := r.srv.PairingCode()
	r.clk.Advance(6 * time.Minute)
	st, _ = r.post(t, "/pair", "", fmt.Sprintf(`{"code":%q,"name":"z","role":"viewer"}`, c3), nil)
	if st != http.StatusForbidden {
		t.Fatalf("expired code: %d", st)
	}
}

func TestPairingRateLimit(t *testing.T) {
	r := newRig(t)
	code, _ := r.srv.PairingCode()
	for i := range 5 {
		bad := fmt.Sprintf("%06d", (i*7919+1)%1_000_000)
		if bad == code {
			bad = "999999x"
		}
		st, _ := r.post(t, "/pair", "", fmt.Sprintf(`{"code":%q,"name":"g","role":"controller"}`, bad), nil)
		if st != http.StatusForbidden {
			t.Fatalf("guess %d: %d", i, st)
		}
	}
	code, _ = r.srv.PairingCode()
	st, _ := r.post(t, "/pair", "", fmt.Sprintf(`{"code":%q,"name":"g","role":"controller"}`, code), nil)
	if st != http.StatusTooManyRequests || !r.log.has("too many wrong codes") {
		t.Fatalf("6th try: %d", st)
	}
	r.clk.Advance(61 * time.Second)
	r.pair(t, "after a minute", RoleController)
	// Malformed bodies and methods are refused.
	for _, body := range []string{``, `{`, `{"code":"1","role":"admin"}`, `{"code":"1","role":"viewer","x":1}`} {
		if st, _ := r.post(t, "/pair", "", body, nil); st != http.StatusBadRequest {
			t.Errorf("body %q: %d", body, st)
		}
	}
	if st, _ := r.get(t, "/pair", ""); st != http.StatusMethodNotAllowed {
		t.Errorf("GET /pair: %d", st)
	}
}

func TestRoundTripAndStateSync(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	if _, err := Pair(ctx, r.srv.Addr(), "12345", "tablet", RoleController); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("pair with a wrong code: %v", err)
	}
	code, _ := r.srv.PairingCode()
	p, err := Pair(ctx, r.srv.Addr(), code, "tablet", RoleController)
	if err != nil {
		t.Fatal(err)
	}
	c := r.dial(t, p.Token)
	if !c.Connected() || c.Device().Role != RoleController {
		t.Fatalf("connected=%v device=%+v", c.Connected(), c.Device())
	}
	waitState(t, c, "initial snapshot", func(d StateData) bool {
		return d.ShowTitle == "测试专场" && len(d.Rundown) == 4 && !d.Started && d.CanControl
	})
	if err := c.Do(ctx, studio.ActStart, nil); err != nil {
		t.Fatalf("start: %v", err)
	}
	r.clk.Advance(30 * time.Second)
	if err := c.Do(ctx, studio.ActNext, nil); err != nil {
		t.Fatalf("next: %v", err)
	}
	if got := r.segment(); got != 1 {
		t.Fatalf("desk segment after next = %d", got)
	}
	d := waitState(t, c, "segment 1", func(d StateData) bool { return d.Segment == 1 })
	if d.SegmentTitle != "精华液" || !d.Started || d.Clock != "normal" || d.SegmentLeftMs != 5*60*1000 {
		t.Fatalf("state %+v", d)
	}
	if err := c.Do(ctx, studio.ActExtend, Args{"seconds": 30}); err != nil {
		t.Fatalf("extend: %v", err)
	}
	waitState(t, c, "extended", func(d StateData) bool { return d.SegmentPlanMs == 330_000 })
	if err := c.Do(ctx, studio.ActJump, Args{"segment": 4}); err != nil {
		t.Fatalf("jump: %v", err)
	}
	waitState(t, c, "jumped", func(d StateData) bool { return d.Segment == 3 && d.SegmentTitle == "收尾" })
	// A change made at the desk itself reaches the remote too.
	r.mustDo(t, studio.Pause{})
	waitState(t, c, "paused", func(d StateData) bool { return d.Paused })
	// The desk's refusal comes back as an error, not a timeout.
	err = c.Do(ctx, studio.ActPause, nil)
	var ce *CommandError
	if !errors.As(err, &ce) || ce.Code != "refused" || !strings.Contains(ce.Msg, "paused") {
		t.Fatalf("pause twice: %v", err)
	}
	// Bad arguments are refused before sending.
	if err := c.Do(ctx, studio.ActJump, nil); !errors.Is(err, studio.ErrBadArgument) {
		t.Fatalf("jump without index: %v", err)
	}
	if err := c.Do(ctx, "explode", nil); !errors.Is(err, ErrUnknownAction) {
		t.Fatalf("unknown: %v", err)
	}
}

func TestFourClients(t *testing.T) {
	r := newRig(t)
	r.mustDo(t, studio.Start{})
	var clients []*Client
	for i := range 4 {
		p := r.pair(t, fmt.Sprintf("remote %d", i), RoleController)
		clients = append(clients, r.dial(t, p.Token))
	}
	eventually(t, "4 sessions", func() bool { return r.srv.Sessions() == 4 })
	for i, c := range clients {
		if err := c.Do(context.Background(), studio.ActNext, nil); err != nil {
			t.Fatalf("client %d next: %v", i, err)
		}
		if r.segment() != i+1 && !(i == 3 && r.desk.Snapshot().State(r.clk.Now()).Ended) {
			t.Fatalf("after client %d: desk segment %d", i, r.segment())
		}
		if i == 2 {
			break
		}
	}
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			waitState(t, c, fmt.Sprintf("client %d segment 3", i), func(d StateData) bool { return d.Segment == 3 })
		}()
	}
	wg.Wait()
	// Danmaku reaches every remote (lossy, so publish until seen).
	for i, c := range clients {
		deadline := time.Now().Add(10 * time.Second)
		got := false
		for !got && time.Now().Before(deadline) {
			r.srv.PublishDanmaku([]DanmakuLine{{User: "观众", Text: "多少钱"}})
			select {
			case lines := <-c.Danmaku():
				got = len(lines) == 1 && lines[0].Text == "多少钱"
			case <-time.After(100 * time.Millisecond):
			}
		}
		if !got {
			t.Fatalf("client %d: no danmaku", i)
		}
	}
}

func TestReplayedCommandRejected(t *testing.T) {
	r := newRig(t)
	r.mustDo(t, studio.Start{})
	p := r.pair(t, "tablet", RoleController)
	c := r.dial(t, p.Token)
	ctx := context.Background()
	if err := c.DoID(ctx, "cmd-0001", studio.ActNext, nil); err != nil {
		t.Fatalf("first: %v", err)
	}
	err := c.DoID(ctx, "cmd-0001", studio.ActNext, nil)
	if !errors.Is(err, ErrReplay) {
		t.Fatalf("replay: %v", err)
	}
	if got := r.segment(); got != 1 {
		t.Fatalf("applied twice: segment %d", got)
	}
	if !r.log.has(`replayed id "cmd-0001"`) {
		t.Fatalf("replay not logged:\n%s", r.log.dump())
	}
}

func TestViewerRejected(t *testing.T) {
	r := newRig(t)
	r.mustDo(t, studio.Start{})
	p := r.pair(t, "viewer", RoleViewer)
	c := r.dial(t, p.Token)
	waitState(t, c, "viewer snapshot", func(d StateData) bool { return d.Started && !d.CanControl })
	err := c.Do(context.Background(), studio.ActNext, nil)
	if !errors.Is(err, ErrForbidden) {
		t.Fatalf("viewer next: %v", err)
	}
	if r.segment() != 0 || !r.log.has("role viewer") {
		t.Fatalf("segment %d; log:\n%s", r.segment(), r.log.dump())
	}
}

func TestSignalRejectsBadTokens(t *testing.T) {
	r := newRig(t)
	p := r.pair(t, "soon revoked", RoleController)
	ws := "ws://" + r.srv.Addr() + "/signal"
	// Token in the URL, wrong: refused before the upgrade.
	_, resp, err := websocket.DefaultDialer.Dial(ws+"?token=nope", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong token in URL: %v %v", err, resp)
	}
	// No token at all: the socket is closed without a ready.
	conn, _, err := websocket.DefaultDialer.Dial(ws, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.WriteJSON(signalMsg{Type: "offer", SDP: "v=0"})
	var m signalMsg
	if err := conn.ReadJSON(&m); err == nil {
		t.Fatalf("no token: got %+v", m)
	}
	conn.Close()
	// Wrong token in the first message.
	conn, _, err = websocket.DefaultDialer.Dial(ws, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.WriteJSON(signalMsg{Type: "auth", Token: strings.Repeat("A", 43)})
	if err := conn.ReadJSON(&m); err != nil || m.Type != "error" {
		t.Fatalf("wrong token: %+v %v", m, err)
	}
	conn.Close()
	if n := r.log.count("signal from"); n < 3 {
		t.Fatalf("%d signal rejections logged:\n%s", n, r.log.dump())
	}
	// A revoked token: the live session is cut and a new dial is refused.
	c := r.dial(t, p.Token)
	if err := r.srv.Revoke(p.DeviceID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "revoked client gives up", func() bool { return errors.Is(c.Err(), ErrUnauthorized) })
	if c.Connected() {
		t.Fatal("revoked client still connected")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := Dial(ctx, r.srv.Addr(), p.Token, WithAllowIP(LoopbackOnly), WithLogf(r.log.logf)); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("dial with revoked token: %v", err)
	}
	if len(r.srv.Devices()) != 0 {
		t.Fatalf("devices %+v", r.srv.Devices())
	}
	if err := r.srv.Revoke(p.DeviceID); !errors.Is(err, ErrUnknownDevice) {
		t.Fatalf("revoke twice: %v", err)
	}
}

func TestReconnectAfterDrop(t *testing.T) {
	r := newRig(t)
	r.mustDo(t, studio.Start{})
	p := r.pair(t, "tablet", RoleController)
	c := r.dial(t, p.Token)
	// Cut the link from the desk's side.
	r.srv.mu.Lock()
	var ss *session
	for s := range r.srv.sessions {
		ss = s
	}
	r.srv.mu.Unlock()
	old := c.link()
	ss.close("test drop")
	select {
	case <-old.ctx.Done():
	case <-time.After(15 * time.Second):
		t.Fatal("client did not notice the drop")
	}
	start := time.Now()
	err := c.Do(context.Background(), studio.ActNext, nil)
	if c.Connected() {
		t.Skip("reconnected before the disconnected Do could be observed")
	}
	if !errors.Is(err, ErrDisconnected) || time.Since(start) > 100*time.Millisecond {
		t.Fatalf("Do while down: %v after %v", err, time.Since(start))
	}
	eventually(t, "reconnected", c.Connected)
	if err := c.Do(context.Background(), studio.ActNext, nil); err != nil {
		t.Fatalf("next after reconnect: %v", err)
	}
	if r.segment() != 1 {
		t.Fatalf("segment %d", r.segment())
	}
	waitState(t, c, "fresh snapshot after reconnect", func(d StateData) bool { return d.Segment == 1 })
}
