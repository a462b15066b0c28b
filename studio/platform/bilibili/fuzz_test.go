package bilibili

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func FuzzDecode(f *testing.F) {
	f.Add(hx(f, heartbeatHex))
	f.Add(hx(f, "00 00 00 14 00 10 00 01 00 00 00 03 00 00 00 00 00 00 04 d2"))
	f.Add(cat(hx(f, "00 00 00 1a 00 10 00 01 00 00 00 08 00 00 00 01"), []byte(`{"code":0}`)))
	f.Add(cat(dmPacket(f, 1), dmPacket(f, 2)))
	z := zlibBytes(f, cat(dmPacket(f, 1), dmPacket(f, 2)))
	zp := cat(be32(16+len(z)), hx(f, "00 10 00 02 00 00 00 05 00 00 00 00"), z)
	f.Add(zp)
	b := brotliBytes(f, cat(dmPacket(f, 3), zp))
	f.Add(cat(be32(16+len(b)), hx(f, "00 10 00 03 00 00 00 05 00 00 00 00"), b))
	f.Add(hx(f, "00 00 00 10 00 0c 00 01 00 00 00 02 00 00 00 00"))
	f.Add(hx(f, "ff ff ff ff 00 10 00 02 00 00 00 05 00 00 00 00"))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, frame []byte) {
		pkts, err := Decode(frame)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error %q is neither ErrMalformed nor ErrTooLarge", err)
			}
			if !strings.HasPrefix(err.Error(), "bilibili: ") {
				t.Fatalf("error %q does not name the place", err)
			}
			if pkts != nil {
				t.Fatal("packets returned with an error")
			}
			return
		}
		if len(pkts) == 0 && len(frame) > 0 {
			// Only compressed packets holding nothing decode to nothing.
			if frame[7] != byte(VerZlib) && frame[7] != byte(VerBrotli) {
				t.Fatalf("no packets from % x", frame)
			}
		}
		var total int
		for i, p := range pkts {
			if p.Ver == VerZlib || p.Ver == VerBrotli {
				t.Fatalf("packet %d: compressed packet left undecoded", i)
			}
			if HeaderLen+len(p.Body) > DefaultMaxPacket {
				t.Fatalf("packet %d: %d bytes", i, len(p.Body))
			}
			total += len(p.Body)
		}
		if total > len(frame)+DefaultMaxInflated {
			t.Fatalf("%d body bytes from a %d-byte frame", total, len(frame))
		}
		// Plain packets re-encode and decode to themselves.
		var re []byte
		for _, p := range pkts {
			re = AppendPacket(re, p.Op, p.Ver, p.Seq, p.Body)
		}
		if len(re) == 0 {
			return
		}
		again, err := Decode(re)
		if err != nil || len(again) != len(pkts) {
			t.Fatalf("re-encoded: %d packets, %v", len(again), err)
		}
		for i := range again {
			if fmt.Sprint(again[i].Ver, again[i].Op, again[i].Seq) != fmt.Sprint(pkts[i].Ver, pkts[i].Op, pkts[i].Seq) ||
				!bytes.Equal(again[i].Body, pkts[i].Body) {
				t.Fatalf("packet %d changed: %+v → %+v", i, pkts[i], again[i])
			}
		}
	})
}

func FuzzParseMessage(f *testing.F) {
	f.Add([]byte(realDM))
	f.Add([]byte(`{"cmd":"LIVE_OPEN_PLATFORM_SUPER_CHAT_DEL:1","data":{"message_ids":[1,"2"],"msg_id":"m"}}`))
	f.Add([]byte(`{"cmd":"LIVE_OPEN_PLATFORM_GUARD","data":{"user_info":{"open_id":"o"},"guard_num":2,"price":1}}`))
	f.Add([]byte(`{"cmd":"LIVE_OPEN_PLATFORM_INTERACTION_END","data":{"game_id":"g"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := ParseMessage(body)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "bilibili: ") {
				t.Fatalf("error %q does not name the place", err)
			}
			return
		}
		for _, ev := range m.Events {
			if ev.Amount < 0 || ev.Count < 0 || ev.Kind == "" {
				t.Fatalf("event %+v", ev)
			}
		}
	})
}
