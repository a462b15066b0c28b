package remote

import (
	"errors"
	"net/http"
	"testing"
)

func FuzzDecodeCommand(f *testing.F) {
	for _, s := range []string{
		`{"id":"a1","action":"next","args":{}}`,
		`{"id":"a2","action":"jump","args":{"index":3}}`,
		`{"id":"a3","action":"extend","args":{"seconds":30}}`,
		`{"id":"a4","action":"shorten","args":{"seconds":1e308}}`,
		`{"id":"a5","action":"toggle-pause"}`,
		`{"id":"","action":"next"}`,
		`{"id":"a6","action":"jump","args":{"index":-1}}`,
		`{"id":"a7","action":"next"} {"x":1}`,
		`[1,2,3]`, `null`, `"next"`, `{"id":"a8","action":"extend","args":{"seconds":"NaN"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, cmd, err := DecodeCommand(b)
		if err != nil {
			if cmd != nil {
				t.Fatalf("error %v with command %#v", err, cmd)
			}
			if !errors.Is(err, ErrBadRequest) && !errors.Is(err, ErrUnknownAction) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if cmd == nil || !validID(m.ID) {
			t.Fatalf("accepted %q as %#v id %q", b, cmd, m.ID)
		}
		if _, err := normalizeAction(m.Action); err != nil {
			t.Fatalf("accepted action %q: %v", m.Action, err)
		}
	})
}

func FuzzParseAPIRequest(f *testing.F) {
	f.Add("POST", "/api/v1/next", "Bearer abc", "", []byte(nil))
	f.Add("POST", "/api/v1/jump", "Bearer abc", "req-1", []byte(`{"index":2}`))
	f.Add("POST", "/api/v1/extend", "bearer  abc ", "x", []byte(`{"seconds":30.5,"window":true}`))
	f.Add("GET", "/api/v1/state", "Bearer abc", "", []byte(nil))
	f.Add("POST", "/api/v1/toggle-pause", "Basic abc", "", []byte(`{}`))
	f.Add("PUT", "/api/v1/../pair", "Bearer a", "!", []byte(`{"index":1} x`))
	f.Fuzz(func(t *testing.T, method, path, auth, reqID string, body []byte) {
		req, err := ParseAPIRequest(method, path, auth, reqID, body)
		if err != nil {
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status < 400 || ae.Status > 499 {
				t.Fatalf("error %v without a 4xx status", err)
			}
			if ae.Status == http.StatusUnauthorized && req.Token != "" {
				t.Fatalf("401 with a token")
			}
			return
		}
		if req.Token == "" {
			t.Fatal("accepted without a token")
		}
		if req.State {
			if method != http.MethodGet && method != http.MethodHead {
				t.Fatalf("state via %q", method)
			}
			return
		}
		if method != http.MethodPost {
			t.Fatalf("action via %q", method)
		}
		if reqID != "" && req.RequestID != reqID {
			t.Fatalf("request id %q dropped", reqID)
		}
		if _, err := ToCommand(req.Action, req.Args); err != nil {
			t.Fatalf("accepted %q %q: %v", path, body, err)
		}
	})
}

// FuzzParseOSC keeps the OSC decoder (network input) honest too.
func FuzzParseOSC(f *testing.F) {
	m, _ := OSCMessage{Address: "/studiodesk/jump", Args: []any{"tok", int32(2), float32(1), "id", []byte{1}, true, nil}}.MarshalBinary()
	f.Add(m)
	f.Add(append(append([]byte("#bundle\x00"), make([]byte, 8)...), 0, 0, 0, byte(len(m))))
	f.Add([]byte("/a\x00\x00,b\x00\x00\x7f\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, err := ParseOSC(b)
		if err != nil {
			return
		}
		for _, m := range msgs {
			if _, err := m.MarshalBinary(); err != nil && m.Address != "" {
				// Strings from the wire never hold NUL, so re-encoding works.
				t.Fatalf("re-encode %q: %v", m.Address, err)
			}
			_, _ = parseOSCRequest(m)
		}
	})
}
