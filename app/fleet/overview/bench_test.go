package overview_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"studiodesk/app/fleet"
	"studiodesk/app/fleet/overview"
)

// A busy studio's status: six devices, a live coupon and vote.
func busyStatus(id string) []byte {
	s := fleet.Status{V: fleet.StatusVersion, Studio: id, Desk: "e2e1 1b87 a3ce 2038 449e 9dc9 990b b041", Role: fleet.RolePrimary,
		Show: "美妆专场 · 春季焕新", ShowID: "demo-beauty", Run: "demo-beauty@20261130T081617.972Z", Rehearsal: true,
		Segment: 4, Segments: 17, SegmentTitle: "爆品速览 · 修护精华液", SegmentLeft: 55, OverUnder: 42, State: fleet.StateRunning, DanmakuPerMin: 1583.1,
		Interactions: []fleet.StatusInteraction{
			{ID: "coupon-1", Kind: "coupon", Label: "精华液限时券", State: "live", Claims: 312, StockLeft: 188, EndsAt: time.Now()},
			{ID: "vote-1", Kind: "vote", Label: "下一支试什么色？扣数字投票", State: "live", Options: []string{"豆沙色", "正红色", "奶茶色"}, Counts: []int{120, 340, 87}, Total: 547},
		},
		Fleet: fleet.StatusFleet{Connected: true, Server: "hub-1"}, Seq: 42, SentAt: time.Now()}
	for i := range 6 {
		s.Devices = append(s.Devices, fleet.StatusDevice{ID: fmt.Sprintf("dev-%d", i), Name: "A机位 主机位", Kind: "camera", Health: fleet.HealthOK})
	}
	raw, _ := json.Marshal(s)
	return raw
}

// BenchmarkBoardApply is the hub's work per status message received.
func BenchmarkBoardApply(b *testing.B) {
	ids := make([]string, 500)
	msgs := make([][]byte, 500)
	for i := range ids {
		ids[i] = fmt.Sprintf("studio-%03d", i)
		msgs[i] = busyStatus(ids[i])
	}
	board := overview.NewBoard(ids, nil)
	b.SetBytes(int64(len(msgs[0])))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := board.Apply("sd."+ids[i%500]+".status", msgs[i%500]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkPushBatch is one 200 ms push to the pages with 500 studios
// reporting once a second: 100 changed rows, encoded once for all pages.
func BenchmarkPushBatch(b *testing.B) {
	ids := make([]string, 500)
	board := overview.NewBoard(nil, nil)
	for i := range ids {
		ids[i] = fmt.Sprintf("studio-%03d", i)
		_ = board.Apply("sd."+ids[i]+".status", busyStatus(ids[i]))
	}
	b.ReportAllocs()
	var n int
	for b.Loop() {
		raw, _ := json.Marshal(overview.Update{Rows: board.RowsOf(ids[:100])})
		n = len(raw)
	}
	b.ReportMetric(float64(n), "bytes/push")
}
