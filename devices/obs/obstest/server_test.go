package obstest_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"studiodesk/devices/obs/obstest"
)

func dial(t *testing.T, srv *obstest.Server) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{"obswebsocket.json"}, HandshakeTimeout: 5 * time.Second}
	conn, _, err := d.Dial("ws://"+srv.Addr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if conn.Subprotocol() != "obswebsocket.json" {
		t.Errorf("subprotocol = %q", conn.Subprotocol())
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	return conn
}

func read(t *testing.T, conn *websocket.Conn) string {
	t.Helper()
	_, data, err := conn.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestHelloAndSessionFlow(t *testing.T) {
	srv := obstest.NewServer(obstest.Config{Password: "pw", Challenge: "ch", Salt: "sa", Scenes: []string{"A", "B"}})
	defer srv.Close()
	conn := dial(t, srv)
	want := `{"d":{"authentication":{"challenge":"ch","salt":"sa"},"obsWebSocketVersion":"5.5.0","rpcVersion":1},"op":0}`
	if got := read(t, conn); got != want {
		t.Fatalf("Hello = %s\nwant %s", got, want)
	}
	// base64(sha256(base64(sha256("pw"+"sa"))+"ch")), computed independently.
	auth := "2t3dfs5cxc8CcSHoVq/ptl8mPfktoEKCNrAb4LdOttQ="
	_ = conn.WriteMessage(websocket.TextMessage, []byte(`{"op":1,"d":{"rpcVersion":1,"authentication":"`+auth+`","eventSubscriptions":4}}`))
	if got := read(t, conn); got != `{"d":{"negotiatedRpcVersion":1},"op":2}` {
		t.Fatalf("Identified = %s", got)
	}
	_ = conn.WriteMessage(websocket.TextMessage, []byte(`{"op":6,"d":{"requestType":"GetSceneList","requestId":"a"}}`))
	got := read(t, conn)
	if !strings.Contains(got, `"scenes":[{"sceneIndex":0,"sceneName":"B"`) || !strings.Contains(got, `{"sceneIndex":1,"sceneName":"A"`) {
		t.Errorf("GetSceneList is not bottom first: %s", got)
	}
	_ = conn.WriteMessage(websocket.TextMessage, []byte(`{"op":6,"d":{"requestType":"SetCurrentProgramScene","requestId":"b","requestData":{"sceneName":"B"}}}`))
	if got := read(t, conn); got != `{"d":{"requestId":"b","requestStatus":{"result":true,"code":100},"requestType":"SetCurrentProgramScene"},"op":7}` {
		t.Errorf("SetCurrentProgramScene = %s", got)
	}
	if got := read(t, conn); !strings.Contains(got, `"eventType":"CurrentProgramSceneChanged"`) || !strings.Contains(got, `"sceneName":"B"`) {
		t.Errorf("event = %s", got)
	}
	if len(srv.Frames()) != 3 || srv.Frames()[0].Conn != 1 {
		t.Errorf("frames = %+v", srv.Frames())
	}
}

func TestRequestBeforeIdentifyIsRefused(t *testing.T) {
	srv := obstest.NewServer(obstest.Config{})
	defer srv.Close()
	conn := dial(t, srv)
	read(t, conn)
	_ = conn.WriteMessage(websocket.TextMessage, []byte(`{"op":6,"d":{"requestType":"GetVersion","requestId":"a"}}`))
	_, _, err := conn.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != obstest.CloseNotIdentified {
		t.Errorf("err = %v, want close 4007", err)
	}
}

func TestWrongAuthenticationCloses4009(t *testing.T) {
	srv := obstest.NewServer(obstest.Config{Password: "pw"})
	defer srv.Close()
	conn := dial(t, srv)
	read(t, conn)
	_ = conn.WriteMessage(websocket.TextMessage, []byte(`{"op":1,"d":{"rpcVersion":1,"authentication":"nope"}}`))
	_, _, err := conn.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != obstest.CloseAuthenticationFailed || ce.Text != "Authentication failed." {
		t.Errorf("err = %v, want close 4009", err)
	}
	if srv.Identified() != 0 {
		t.Errorf("identified with a wrong password")
	}
}
