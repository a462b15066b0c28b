package bilibili

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"studiodesk/studio/platform/bilibili/bilitest"
)

func TestSignVector(t *testing.T) {
	// The canonical string, written out: sorted x-bili-* headers as
	// key:value lines joined by "\n", no trailing newline.
	const canonical = "x-bili-accesskeyid:AKID-1\n" +
		"x-bili-content-md5:ed4308104a9d3b62b1c8dcfba1729225\n" +
		"x-bili-signature-method:HMAC-SHA256\n" +
		"x-bili-signature-nonce:12345\n" +
		"x-bili-signature-version:1.0\n" +
		"x-bili-timestamp:1700000000"
	// Computed outside Go (Python's hmac) and cross-checked here.
	const want = "38b94ba1bf2942cc6941ecb98ba927769403e2850e928af35482c59a45153009"
	mac := hmac.New(sha256.New, []byte("SECRET-1"))
	mac.Write([]byte(canonical))
	if got := hex.EncodeToString(mac.Sum(nil)); got != want {
		t.Fatalf("test vector itself: %s", got)
	}

	// The client must produce exactly these headers for this body.
	var got http.Header
	var gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got, gotBody = r.Header.Clone(), string(b)
		_, _ = io.WriteString(w, `{"code":0,"message":"0","data":{"game_info":{"game_id":"g"},"websocket_info":{"auth_body":"a","wss_link":["ws://127.0.0.1:1/sub"]}}}`)
	}))
	defer srv.Close()
	c := &Client{
		Base: srv.URL, AccessKeyID: "AKID-1", AccessKeySecret: "SECRET-1", HTTP: srv.Client(),
		Now:   func() time.Time { return time.Unix(1700000000, 0) },
		Nonce: func() string { return "12345" },
	}
	if _, err := c.Start(context.Background(), "TESTCODE", 1700000001); err != nil {
		t.Fatal(err)
	}
	if gotBody != `{"code":"TESTCODE","app_id":1700000001}` {
		t.Fatalf("body %s", gotBody)
	}
	for k, v := range map[string]string{
		"x-bili-accesskeyid":       "AKID-1",
		"x-bili-content-md5":       "ed4308104a9d3b62b1c8dcfba1729225",
		"x-bili-signature-method":  "HMAC-SHA256",
		"x-bili-signature-nonce":   "12345",
		"x-bili-signature-version": "1.0",
		"x-bili-timestamp":         "1700000000",
		"Authorization":            want,
		"Content-Type":             "application/json",
		"Accept":                   "application/json",
	} {
		if got.Get(k) != v {
			t.Errorf("header %s = %q, want %q", k, got.Get(k), v)
		}
	}
}

func TestClientAgainstServer(t *testing.T) {
	srv := bilitest.New(bilitest.Options{})
	defer srv.Close()
	o := srv.Options()
	c := &Client{Base: srv.URL, AccessKeyID: o.AccessKeyID, AccessKeySecret: o.AccessKeySecret}
	ctx := context.Background()

	info, err := c.Start(ctx, o.Code, o.AppID)
	if err != nil {
		t.Fatal(err)
	}
	if info.GameInfo.GameID != "game-0001" || info.AnchorInfo.RoomID != o.RoomID ||
		len(info.WebsocketInfo.WSSLink) != 1 || !strings.Contains(info.WebsocketInfo.AuthBody, "game-0001") {
		t.Fatalf("start info %+v", info)
	}
	if err := c.Heartbeat(ctx, info.GameInfo.GameID); err != nil {
		t.Fatal(err)
	}
	srv.EndGame()
	err = c.Heartbeat(ctx, info.GameInfo.GameID)
	var apiErr *APIError
	if !errors.Is(err, ErrGameClosed) || !errors.As(err, &apiErr) || apiErr.Code != 7003 ||
		err.Error() != "bilibili: /v2/app/heartbeat: code 7003: game closed" {
		t.Fatalf("heartbeat after end: %v", err)
	}
	if err := c.End(ctx, o.AppID, info.GameInfo.GameID); err != nil {
		t.Fatal(err)
	}

	_, err = c.Start(ctx, "WRONGCODE", o.AppID)
	if !errors.As(err, &apiErr) || apiErr.Endpoint != PathStart || apiErr.Code != 7007 || errors.Is(err, ErrGameClosed) {
		t.Fatalf("wrong code: %v", err)
	}
	if st := srv.Stats(); len(st.Problems) != 0 || st.AppHeartbeats != 2 || len(st.Ends) != 1 {
		t.Fatalf("server saw %+v", st)
	}

	// A wrong secret: the server's own signature check refuses it.
	bad := &Client{Base: srv.URL, AccessKeyID: o.AccessKeyID, AccessKeySecret: "not-the-secret"}
	_, err = bad.Start(ctx, o.Code, o.AppID)
	if !errors.As(err, &apiErr) || apiErr.Code != 4002 {
		t.Fatalf("bad secret: %v", err)
	}
	if st := srv.Stats(); len(st.Problems) != 1 || !strings.Contains(st.Problems[0], "signature mismatch") {
		t.Fatalf("server problems %q", st.Problems)
	}
}

func TestClientBadReplies(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		want   string
	}{
		{500, "oops", "bilibili: /v2/app/heartbeat: HTTP 500 Internal Server Error"},
		{200, "not json", "bilibili: /v2/app/heartbeat: bad reply: "},
		{200, `{"message":"no code"}`, "bilibili: /v2/app/heartbeat: bad reply: no code"},
		{200, `{"code":4000,"message":"invalid params"}`, "bilibili: /v2/app/heartbeat: code 4000: invalid params"},
		{200, `{"code":0,"data":` + strings.Repeat(" ", maxReply) + `{}}`, "bilibili: /v2/app/heartbeat: reply larger than"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tc.status)
			_, _ = io.WriteString(w, tc.body)
		}))
		c := &Client{Base: srv.URL, AccessKeyID: "k", AccessKeySecret: "s"}
		err := c.Heartbeat(context.Background(), "g")
		srv.Close()
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%d %.30q: error %v, want prefix %q", tc.status, tc.body, err, tc.want)
		}
	}
}
