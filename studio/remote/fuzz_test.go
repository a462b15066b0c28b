package remote

import (
	"bytes"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/hypebeast/go-osc/osc"

	"studiodesk/studio"
)

func classified(err error) bool {
	return errors.Is(err, ErrBadRequest) || errors.Is(err, ErrUnknownAction) || errors.Is(err, studio.ErrBadArgument)
}

func FuzzDecodeCommand(f *testing.F) {
	for _, s := range []string{
		`{"id":"a1","action":"next","args":{}}`,
		`{"id":"a2","action":"jump","args":{"segment":3}}`,
		`{"id":"a3","action":"extend","args":{"seconds":30}}`,
		`{"id":"a4","action":"shorten","args":{"seconds":1e308}}`,
		`{"id":"a5","action":"toggle-pause"}`,
		`{"id":"","action":"next"}`,
		`{"id":"a6","action":"jump","args":{"segment":"-1"}}`,
		`{"id":"a7","action":"next"} {"x":1}`,
		`{"id":"a9","action":"fire_coupon","args":{"id":"c1","confirm":true}}`,
		`{"id":"b1","action":"recall_preset","args":{"preset":3}}`,
		`[1,2,3]`, `null`, `"next"`, `{"id":"a8","action":"extend","args":{"seconds":"NaN"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, c, err := DecodeCommand(b)
		if err != nil {
			if c.action != nil && c.values != nil {
				t.Fatalf("error %v with a decoded call", err)
			}
			if !classified(err) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if c.action == nil || !validID(m.ID) || c.id != m.ID {
			t.Fatalf("accepted %q as %+v id %q", b, c, m.ID)
		}
		if _, err := c.action.Decode(toRaw(c.values)); err != nil {
			t.Fatalf("decoded values do not decode again: %v", err)
		}
	})
}

func toRaw(v studio.ArgValues) map[string]any {
	m := make(map[string]any, len(v))
	for k, x := range v {
		m[k] = x
	}
	return m
}

func FuzzParseAPIRequest(f *testing.F) {
	f.Add("POST", "/api/v1/next", "Bearer abc", "", "", []byte(nil))
	f.Add("POST", "/api/v1/jump", "Bearer abc", "req-1", "", []byte(`{"segment":2}`))
	f.Add("POST", "/api/v1/extend", "bearer  abc ", "x", "seconds=30", []byte(`{"window":true}`))
	f.Add("GET", "/api/v1/state", "", "", "token=abc", []byte(nil))
	f.Add("POST", "/api/v1/toggle-pause", "Basic abc", "", "token=a&token=b", []byte(`{}`))
	f.Add("PUT", "/api/v1/../pair", "Bearer a", "!", "%zz", []byte(`{"segment":1} x`))
	f.Fuzz(func(t *testing.T, method, path, auth, reqID, query string, body []byte) {
		h := http.Header{}
		h.Set("Authorization", auth)
		h.Set("X-Request-Id", reqID)
		req, err := ParseAPIRequest(method, path, h, query, body)
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
		if req.State || req.Catalogue {
			if method != http.MethodGet && method != http.MethodHead {
				t.Fatalf("GET endpoint via %q", method)
			}
			return
		}
		if method != http.MethodPost || req.call.action == nil {
			t.Fatalf("action via %q: %+v", method, req)
		}
		if req.RequestID != "" && !validID(req.RequestID) {
			t.Fatalf("request id %q accepted", req.RequestID)
		}
	})
}

// FuzzOSCPath feeds raw datagrams through the whole OSC path short of the
// desk: the library's decoder (guarded), the request parser and the
// catalogue's argument decoding.
func FuzzOSCPath(f *testing.F) {
	for _, m := range []*osc.Message{
		osc.NewMessage("/studiodesk/jump", "tok", int32(2)),
		osc.NewMessage("/studiodesk/extend", "tok", "60", "request_id=a-1"),
		osc.NewMessage("/studiodesk/extend", "tok", float32(1.5), true),
		osc.NewMessage("/studiodesk/fire_coupon", "tok", "c1", "confirm=1"),
		osc.NewMessage("/studiodesk/recall_preset", "tok", int64(3)),
		osc.NewMessage("/studiodesk/subscribe", "tok", int32(9000)),
		osc.NewMessage("/studiodesk/pin", "tok", []byte{1}, nil, 2.5),
	} {
		b, _ := m.MarshalBinary()
		f.Add(b)
	}
	bu := osc.NewBundle(time.Time{})
	_ = bu.Append(osc.NewMessage("/studiodesk/next", "tok"))
	b, _ := bu.MarshalBinary()
	f.Add(b)
	f.Add([]byte("/a\x00\x00,b\x00\x00\x7f\xff\xff\xff"))
	f.Add([]byte("#bundle\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x04xxxx"))
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, err := ParseOSC(b)
		if err != nil {
			if !errors.Is(err, ErrOSC) || msgs != nil {
				t.Fatalf("%v with %d messages", err, len(msgs))
			}
			return
		}
		if len(msgs) > maxOSCMessages || len(msgs) == 0 && !bytes.HasPrefix(b, []byte("#bundle\x00")) {
			t.Fatalf("%d messages from %q", len(msgs), b)
		}
		for _, m := range msgs {
			req, err := parseOSCRequest(m)
			if err != nil {
				if !classified(err) {
					t.Fatalf("unclassified %v", err)
				}
				continue
			}
			c, err := req.call()
			if err != nil {
				if !classified(err) {
					t.Fatalf("unclassified %v", err)
				}
				continue
			}
			if c.action == nil || (c.id != "" && !validID(c.id)) {
				t.Fatalf("accepted %+v", c)
			}
		}
	})
}
