package obs_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"studiodesk/devices"
	"studiodesk/devices/obs"
	"studiodesk/devices/obs/obstest"
)

// Values from the obs-websocket 5 protocol document's Hello example.
const (
	docPassword  = "supersecretpassword"
	docSalt      = "lM1GncleQOaCu9lT1yeUZhFYnqhsLLP1G5lAGo3ixaI="
	docChallenge = "+IxH4CnCiqpX1rM9scsNynZzbOe4KhDeYcTNS3PDaeY="
)

var testScenes = []string{"开场", "产品特写", "抽奖"}

// eventually polls cond generously: the suite must pass on a loaded 2-core box.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// noLeaks fails the test if goroutines started during it outlive its cleanups.
// Register it first so that it runs last.
func noLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				n := runtime.Stack(buf, true)
				t.Errorf("goroutines: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:n])
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func startServer(t *testing.T, cfg obstest.Config) *obstest.Server {
	t.Helper()
	if cfg.Scenes == nil {
		cfg.Scenes = testScenes
	}
	srv := obstest.NewServer(cfg)
	t.Cleanup(srv.Close)
	return srv
}

func startClient(t *testing.T, srv *obstest.Server, cfg obs.Config) *obs.Client {
	t.Helper()
	cfg.ID, cfg.Name, cfg.Addr = "obs1", "OBS", srv.Addr()
	c := obs.New(cfg)
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

// ready waits until the client is identified and its opening
// GetCurrentProgramScene has been answered, so request ids are predictable.
func ready(t *testing.T, c *obs.Client) {
	t.Helper()
	eventually(t, "health OK", func() bool { return c.Status().Health == devices.OK })
	eventually(t, "initial scene", func() bool { return c.CurrentScene() != "" })
}

func sceneTarget(name string) devices.Target {
	return devices.Target{Scene: &devices.SceneTarget{Name: name}}
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestIdentifyWithAuthentication(t *testing.T) {
	noLeaks(t)
	srv := startServer(t, obstest.Config{Password: docPassword, Salt: docSalt, Challenge: docChallenge})
	c := startClient(t, srv, obs.Config{Password: docPassword})
	ready(t, c)

	secret := sha256.Sum256([]byte(docPassword + docSalt))
	resp := sha256.Sum256([]byte(base64.StdEncoding.EncodeToString(secret[:]) + docChallenge))
	auth := base64.StdEncoding.EncodeToString(resp[:])
	// Cross-checked with an independent implementation (Python hashlib).
	if auth != "1Ct943GAT+6YQUUX47Ia/ncufilbe6+oD6lY+5kaCu4=" {
		t.Fatalf("test's own auth computation is off: %s", auth)
	}
	if got := obs.AuthResponse(docPassword, docSalt, docChallenge); got != auth {
		t.Errorf("AuthResponse = %s, want %s", got, auth)
	}
	want := `{"op":1,"d":{"rpcVersion":1,"authentication":"` + auth + `","eventSubscriptions":5}}`
	got := srv.Texts(1)
	if len(got) != 1 || got[0] != want {
		t.Fatalf("Identify frames = %q\nwant [%q]", got, want)
	}
	if srv.Identified() != 1 {
		t.Errorf("server identified %d sessions, want 1", srv.Identified())
	}
	frames := srv.Frames()
	if frames[0].Text != want {
		t.Errorf("first message = %s, want Identify", frames[0].Text)
	}
}

func TestIdentifyWithoutPassword(t *testing.T) {
	noLeaks(t)
	srv := startServer(t, obstest.Config{})
	c := startClient(t, srv, obs.Config{})
	ready(t, c)
	want := []string{`{"op":1,"d":{"rpcVersion":1,"eventSubscriptions":5}}`}
	if got := srv.Texts(1); !slices.Equal(got, want) {
		t.Fatalf("Identify frames = %q, want %q", got, want)
	}
	if c.Kind() != devices.KindOBS || c.ID() != "obs1" || c.Name() != "OBS" {
		t.Errorf("identity = %s %s %s", c.Kind(), c.ID(), c.Name())
	}
}

func TestWrongPasswordBacksOffAndRecoversWithSetPassword(t *testing.T) {
	noLeaks(t)
	srv := startServer(t, obstest.Config{Password: docPassword})
	c := startClient(t, srv, obs.Config{
		Password:     "guess",
		ReconnectMin: time.Millisecond,
		ReconnectMax: 300 * time.Millisecond,
	})
	eventually(t, "Down", func() bool { return c.Status().Health == devices.Down })
	st := c.Status()
	for _, want := range []string{`obs "OBS" (` + srv.Addr() + `)`, "wrong password", "4009", "Authentication failed"} {
		if !strings.Contains(st.LastError, want) {
			t.Errorf("LastError %q lacks %q", st.LastError, want)
		}
	}
	err := c.Apply(ctxTimeout(t, 5*time.Second), sceneTarget("开场"))
	if !errors.Is(err, obs.ErrNotConnected) || !strings.Contains(err.Error(), "wrong password") {
		t.Errorf("Apply while locked out = %v, want ErrNotConnected naming the wrong password", err)
	}

	// A wrong password cannot fix itself: retries go at ReconnectMax pace
	// (doubling from 1 ms would make ~10 attempts in the window below).
	eventually(t, "second attempt", func() bool { return srv.Connections() >= 2 })
	start := srv.Connections()
	time.Sleep(900 * time.Millisecond)
	if n := srv.Connections() - start; n > 4 {
		t.Errorf("%d connection attempts in 900ms with ReconnectMax 300ms: hammering", n)
	}
	if srv.Identified() != 0 {
		t.Errorf("server identified %d sessions with a wrong password", srv.Identified())
	}

	c.SetPassword(docPassword)
	ready(t, c)
	if err := c.Apply(ctxTimeout(t, 5*time.Second), sceneTarget("抽奖")); err != nil {
		t.Fatalf("Apply after fixing the password: %v", err)
	}
}

func TestMissingPasswordIsAuthError(t *testing.T) {
	noLeaks(t)
	srv := startServer(t, obstest.Config{Password: docPassword})
	c := startClient(t, srv, obs.Config{ReconnectMax: 50 * time.Millisecond})
	eventually(t, "Down", func() bool { return c.Status().Health == devices.Down })
	if le := c.Status().LastError; !strings.Contains(le, "wrong password: OBS asks for a password and none is set") {
		t.Errorf("LastError = %q", le)
	}
	if got := srv.Texts(); len(got) != 0 {
		t.Errorf("client sent %q without a password", got)
	}
}

func TestApplySendsSetCurrentProgramScene(t *testing.T) {
	noLeaks(t)
	srv := startServer(t, obstest.Config{})
	c := startClient(t, srv, obs.Config{})
	ready(t, c)
	if err := c.Apply(ctxTimeout(t, 5*time.Second), sceneTarget("产品特写")); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	want := []string{
		`{"op":6,"d":{"requestType":"GetCurrentProgramScene","requestId":"1"}}`,
		`{"op":6,"d":{"requestType":"SetCurrentProgramScene","requestId":"2","requestData":{"sceneName":"产品特写"}}}`,
	}
	if got := srv.Texts(6); !slices.Equal(got, want) {
		t.Fatalf("requests = %q\nwant %q", got, want)
	}
	if srv.CurrentScene() != "产品特写" {
		t.Errorf("server scene = %q", srv.CurrentScene())
	}
	eventually(t, "CurrentScene from the event", func() bool { return c.CurrentScene() == "产品特写" })
	if st := c.Status(); st.Health != devices.OK || st.RTT <= 0 {
		t.Errorf("status = %+v, want OK with an RTT", st)
	}
}

func TestApplyUnknownSceneNamesSceneAndCode(t *testing.T) {
	noLeaks(t)
	srv := startServer(t, obstest.Config{})
	c := startClient(t, srv, obs.Config{})
	ready(t, c)
	err := c.Apply(ctxTimeout(t, 5*time.Second), sceneTarget("不存在"))
	want := `obs "OBS" (` + srv.Addr() + "): SetCurrentProgramScene \"不存在\": code 600 resource not found: No source was found by the name of `不存在`."
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	var re *obs.RequestError
	if !errors.As(err, &re) || re.Code != obs.StatusResourceNotFound || re.RequestType != "SetCurrentProgramScene" {
		t.Errorf("errors.As RequestError = %+v", re)
	}
	if st := c.Status(); st.Health != devices.Degraded || st.LastError != want {
		t.Errorf("a refused request: status %v %q, want degraded with the reason", st.Health, st.LastError)
	}
	if srv.CurrentScene() != "开场" {
		t.Errorf("server scene changed to %q", srv.CurrentScene())
	}
}

func TestRequestErrorCodes(t *testing.T) {
	noLeaks(t)
	srv := startServer(t, obstest.Config{})
	c := startClient(t, srv, obs.Config{})
	ready(t, c)
	_, err := c.Call(ctxTimeout(t, 5*time.Second), "MakeCoffee", nil)
	if err == nil || !strings.HasSuffix(err.Error(), "MakeCoffee: code 204 unknown request type: Your request type is not valid.") {
		t.Errorf("unknown type: %v", err)
	}
	_, err = c.Call(ctxTimeout(t, 5*time.Second), "SetCurrentProgramScene", map[string]int{"sceneName": 3})
	if err == nil || !strings.Contains(err.Error(), "code 401 invalid request field type") {
		t.Errorf("wrong field type: %v", err)
	}
	_, err = c.Call(ctxTimeout(t, 5*time.Second), "SetCurrentProgramScene", map[string]string{})
	if err == nil || !strings.Contains(err.Error(), "code 300 missing request field") {
		t.Errorf("missing field: %v", err)
	}
	raw, err := c.Call(ctxTimeout(t, 5*time.Second), "GetVersion", nil)
	if err != nil || !strings.Contains(string(raw), `"rpcVersion":1`) {
		t.Errorf("GetVersion = %s, %v", raw, err)
	}
}

func TestApplyRejectsOtherKinds(t *testing.T) {
	noLeaks(t)
	srv := startServer(t, obstest.Config{})
	c := startClient(t, srv, obs.Config{})
	ready(t, c)
	ctx := ctxTimeout(t, 5*time.Second)
	if err := c.Apply(ctx, devices.Target{Camera: &devices.CameraTarget{Preset: 1}}); !errors.Is(err, devices.ErrWrongKind) {
		t.Errorf("camera target: %v", err)
	}
	if err := c.Apply(ctx, sceneTarget("")); !errors.Is(err, devices.ErrOutOfRange) || !strings.Contains(err.Error(), "scene name") {
		t.Errorf("empty scene: %v", err)
	}
	if got := srv.Texts(6); len(got) != 1 {
		t.Errorf("requests sent for invalid targets: %q", got)
	}
}

func TestSceneListAndCapture(t *testing.T) {
	noLeaks(t)
	srv := startServer(t, obstest.Config{Current: "抽奖"})
	c := startClient(t, srv, obs.Config{})
	ready(t, c)
	names, err := c.SceneList(ctxTimeout(t, 5*time.Second))
	if err != nil || !slices.Equal(names, testScenes) {
		t.Fatalf("SceneList = %q, %v; want %q", names, err, testScenes)
	}
	tg, err := c.Capture(ctxTimeout(t, 5*time.Second))
	if err != nil || tg.Scene == nil || tg.Scene.Name != "抽奖" || tg.Camera != nil || tg.Light != nil {
		t.Fatalf("Capture = %+v, %v", tg, err)
	}
	want := []string{
		`{"op":6,"d":{"requestType":"GetCurrentProgramScene","requestId":"1"}}`,
		`{"op":6,"d":{"requestType":"GetSceneList","requestId":"2"}}`,
		`{"op":6,"d":{"requestType":"GetCurrentProgramScene","requestId":"3"}}`,
	}
	if got := srv.Texts(6); !slices.Equal(got, want) {
		t.Fatalf("requests = %q\nwant %q", got, want)
	}
}

func TestSceneChangedEventReachesHook(t *testing.T) {
	noLeaks(t)
	srv := startServer(t, obstest.Config{})
	c := startClient(t, srv, obs.Config{})
	var mu sync.Mutex
	var seen []string
	c.OnSceneChanged(func(name string) {
		mu.Lock()
		seen = append(seen, name)
		mu.Unlock()
	})
	ready(t, c)
	srv.SwitchScene("抽奖")
	srv.SwitchScene("产品特写")
	eventually(t, "hook calls", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) >= 2 && seen[len(seen)-1] == "产品特写"
	})
	mu.Lock()
	got := slices.Clone(seen)
	mu.Unlock()
	// The opening fetch may or may not have reached the hook before it was
	// registered; the events arrive in order after it.
	if i := slices.Index(got, "抽奖"); i < 0 || !slices.Equal(got[i:], []string{"抽奖", "产品特写"}) {
		t.Errorf("hook saw %q", got)
	}
	if c.CurrentScene() != "产品特写" {
		t.Errorf("CurrentScene = %q", c.CurrentScene())
	}
}

func TestReconnectsAfterDrop(t *testing.T) {
	noLeaks(t)
	srv := startServer(t, obstest.Config{})
	c := startClient(t, srv, obs.Config{ReconnectMin: 10 * time.Millisecond, ReconnectMax: 100 * time.Millisecond})
	var mu sync.Mutex
	var healths []devices.Health
	c.OnStatusChange(func(s devices.Status) {
		mu.Lock()
		healths = append(healths, s.Health)
		mu.Unlock()
	})
	ready(t, c)
	srv.DropAll()
	eventually(t, "second session", func() bool { return srv.Identified() == 2 })
	eventually(t, "OK again", func() bool { return c.Status().Health == devices.OK })
	if err := c.Apply(ctxTimeout(t, 5*time.Second), sceneTarget("抽奖")); err != nil {
		t.Fatalf("Apply after reconnect: %v", err)
	}
	if srv.CurrentScene() != "抽奖" {
		t.Errorf("server scene = %q", srv.CurrentScene())
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(healths, devices.Down) {
		t.Errorf("health changes %v never showed the drop", healths)
	}
}

func TestServerCloseReasonShown(t *testing.T) {
	noLeaks(t)
	srv := startServer(t, obstest.Config{})
	c := startClient(t, srv, obs.Config{ReconnectMin: 2 * time.Second, ReconnectMax: 2 * time.Second})
	ready(t, c)
	srv.CloseAll(1001, "OBS is shutting down")
	eventually(t, "Down", func() bool { return c.Status().Health == devices.Down })
	if le := c.Status().LastError; !strings.Contains(le, "1001") || !strings.Contains(le, "OBS is shutting down") {
		t.Errorf("LastError = %q", le)
	}
}

func TestSilentServerDetectedByPing(t *testing.T) {
	noLeaks(t)
	srv := startServer(t, obstest.Config{})
	c := startClient(t, srv, obs.Config{
		PingInterval:   150 * time.Millisecond,
		RequestTimeout: 600 * time.Millisecond,
		ReconnectMin:   50 * time.Millisecond,
		ReconnectMax:   100 * time.Millisecond,
	})
	ready(t, c)
	// Pongs keep an idle link healthy across several ping intervals.
	time.Sleep(time.Second)
	if st := c.Status(); st.Health != devices.OK || srv.Connections() != 1 {
		t.Fatalf("idle but answering link: %+v after %d connections", st, srv.Connections())
	}
	firstDown := make(chan devices.Status, 1)
	c.OnStatusChange(func(s devices.Status) {
		if s.Health == devices.Down {
			select {
			case firstDown <- s:
			default:
			}
		}
	})
	srv.SetSilent(true)
	start := time.Now()
	var down devices.Status
	select {
	case down = <-firstDown:
	case <-time.After(10 * time.Second):
		t.Fatal("silence never noticed")
	}
	// Expected after about PingInterval+RequestTimeout (750ms); the bound only
	// proves that pings, not TCP keepalives, found the dead link.
	if el := time.Since(start); el > 8*time.Second {
		t.Errorf("silence noticed after %v", el)
	}
	if le := down.LastError; !strings.Contains(le, "no message or pong within 750ms: no reply in time") {
		t.Errorf("LastError = %q", le)
	}
	err := c.Apply(ctxTimeout(t, 5*time.Second), sceneTarget("抽奖"))
	if err == nil {
		t.Errorf("Apply to a silent OBS succeeded")
	}
	srv.SetSilent(false)
	ready(t, c)
	if err := c.Apply(ctxTimeout(t, 5*time.Second), sceneTarget("抽奖")); err != nil {
		t.Fatalf("Apply after OBS came back: %v", err)
	}
}

func TestUnansweredRequestDegrades(t *testing.T) {
	noLeaks(t)
	srv := startServer(t, obstest.Config{})
	c := startClient(t, srv, obs.Config{RequestTimeout: 500 * time.Millisecond})
	ready(t, c)
	srv.HoldResponses(true)
	err := c.Apply(ctxTimeout(t, 5*time.Second), sceneTarget("抽奖"))
	if !errors.Is(err, devices.ErrTimeout) || !strings.Contains(err.Error(), `SetCurrentProgramScene "抽奖"`) {
		t.Fatalf("Apply = %v, want ErrTimeout naming the scene", err)
	}
	if st := c.Status(); st.Health != devices.Degraded || !strings.Contains(st.LastError, "no reply in time") {
		t.Errorf("status = %+v, want Degraded", st)
	}
	srv.HoldResponses(false)
	if err := c.Apply(ctxTimeout(t, 5*time.Second), sceneTarget("抽奖")); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if c.Status().Health != devices.OK {
		t.Errorf("health after a good request = %v", c.Status().Health)
	}
}

func TestApplyHonoursContextDeadline(t *testing.T) {
	noLeaks(t)
	srv := startServer(t, obstest.Config{})
	c := startClient(t, srv, obs.Config{RequestTimeout: time.Minute})
	ready(t, c)
	srv.HoldResponses(true)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := c.Apply(ctx, sceneTarget("抽奖"))
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, devices.ErrTimeout) {
		t.Fatalf("Apply = %v, want the context deadline", err)
	}
	if elapsed := time.Since(start); elapsed > 30*time.Second {
		t.Errorf("Apply took %v with a 100ms deadline and a 1 min request timeout", elapsed)
	}

	// An already expired context sends nothing.
	before := len(srv.Texts(6))
	if err := c.Apply(ctx, sceneTarget("开场")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("expired ctx: %v", err)
	}
	if after := len(srv.Texts(6)); after != before {
		t.Errorf("expired ctx still sent a request")
	}
}

func TestApplyFailsFastWhenOBSIsAway(t *testing.T) {
	noLeaks(t)
	srv := startServer(t, obstest.Config{})
	addr := srv.Addr()
	srv.Close()
	c := obs.New(obs.Config{ID: "obs1", Name: "OBS", Addr: addr, ReconnectMin: time.Second, ReconnectMax: time.Second})
	defer c.Close()
	eventually(t, "Down", func() bool { return c.Status().Health == devices.Down })
	err := c.Apply(ctxTimeout(t, 5*time.Second), sceneTarget("开场"))
	if !errors.Is(err, obs.ErrNotConnected) || !strings.Contains(err.Error(), `obs "OBS" (`+addr+`)`) {
		t.Errorf("Apply = %v", err)
	}
}

func TestCloseStopsEverything(t *testing.T) {
	noLeaks(t)
	srv := startServer(t, obstest.Config{})
	c := obs.New(obs.Config{ID: "obs1", Name: "OBS", Addr: srv.Addr()})
	ready(t, c)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := c.Apply(context.Background(), sceneTarget("开场")); !errors.Is(err, devices.ErrClosed) {
		t.Errorf("Apply after Close = %v", err)
	}
	if st := c.Status(); st.Health != devices.Down {
		t.Errorf("status after Close = %+v", st)
	}
}

func TestCloseWhileConnectingToSilentServer(t *testing.T) {
	noLeaks(t)
	srv := startServer(t, obstest.Config{})
	srv.SetSilent(true)
	c := obs.New(obs.Config{ID: "obs1", Name: "OBS", Addr: srv.Addr()})
	eventually(t, "connection accepted", func() bool { return srv.Connections() == 1 })
	done := make(chan struct{})
	go func() {
		_ = c.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close hung during the handshake")
	}
}

func TestDefaultPort(t *testing.T) {
	for in, want := range map[string]string{"127.0.0.1": "127.0.0.1:4455", "[127.0.0.1]": "127.0.0.1:4455", "127.0.0.1:4460": "127.0.0.1:4460"} {
		c := obs.New(obs.Config{ID: "x", Addr: in, ReconnectMin: time.Minute})
		_ = c.Close()
		if c.Addr() != want || c.Name() != "x" {
			t.Errorf("Addr(%q) = %q, Name = %q", in, c.Addr(), c.Name())
		}
	}
}

func TestConcurrentAppliesStayMatched(t *testing.T) {
	noLeaks(t)
	srv := startServer(t, obstest.Config{})
	c := startClient(t, srv, obs.Config{})
	ready(t, c)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := testScenes[i%len(testScenes)]
			if i%4 == 3 {
				name = fmt.Sprintf("missing-%d", i)
			}
			err := c.Apply(ctxTimeout(t, 10*time.Second), sceneTarget(name))
			if (err == nil) == (i%4 == 3) || (err != nil && !strings.Contains(err.Error(), name)) {
				errs <- fmt.Errorf("Apply %q: %v", name, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
