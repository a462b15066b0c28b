package bilibili

import (
	"encoding/json"
	"fmt"
	"testing"
)

// BenchmarkDecode decodes a brotli frame carrying 50 danmaku, as a busy
// room's push delivers them.
func BenchmarkDecode(b *testing.B) {
	var inner []byte
	for i := range 50 {
		body, err := json.Marshal(map[string]any{"cmd": CmdDanmaku, "data": map[string]any{
			"room_id": 21452505, "uid": 0, "open_id": fmt.Sprintf("39b8fedb-60a5-4e29-ac75-%012d", i),
			"uname": fmt.Sprintf("观众%d", i), "uface": "https://i0.hdslb.com/bfs/face/member/noface.jpg",
			"timestamp": 1700000000 + i, "msg": fmt.Sprintf("这个多少钱？第%d条", i),
			"msg_id": fmt.Sprintf("d5c7a1e5-4f0e-4a1b-9d0a-%012d", i), "guard_level": i % 4,
			"fans_medal_level": 21, "fans_medal_name": "瓜瓜", "fans_medal_wearing_status": true,
			"emoji_img_url": "", "dm_type": 0, "glory_level": 12, "reply_open_id": "", "reply_uname": "", "is_admin": 0,
		}})
		if err != nil {
			b.Fatal(err)
		}
		inner = AppendPacket(inner, OpMessage, VerJSON, 0, body)
	}
	br := brotliBytes(b, inner)
	frame := Encode(OpMessage, VerBrotli, 0, br)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		pkts, err := Decode(frame)
		if err != nil || len(pkts) != 50 {
			b.Fatalf("%d packets, %v", len(pkts), err)
		}
	}
	b.ReportMetric(float64(len(frame)), "frame-B")
	b.ReportMetric(float64(len(inner)), "inflated-B")
}

// BenchmarkDecodeAndParse adds the JSON translation of the 50 danmaku.
func BenchmarkDecodeAndParse(b *testing.B) {
	var inner []byte
	for range 50 {
		inner = AppendPacket(inner, OpMessage, VerJSON, 0, []byte(realDM))
	}
	frame := Encode(OpMessage, VerBrotli, 0, brotliBytes(b, inner))
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		pkts, err := Decode(frame)
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range pkts {
			if _, err := ParseMessage(p.Body); err != nil {
				b.Fatal(err)
			}
		}
	}
}
