package overview_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"studiodesk/app/fleet"
	"studiodesk/app/fleet/overview"
)

// Whatever arrives on a status subject, the board neither panics nor
// shows a row for a refused message, and every row it shows is whole.
func FuzzBoardApply(f *testing.F) {
	good, _ := json.Marshal(fleet.Status{V: 1, Studio: "s1", Role: fleet.RolePrimary, State: fleet.StateRunning, Segment: 2, Segments: 5,
		Devices: []fleet.StatusDevice{{ID: "c", Health: fleet.HealthDown}}, Interactions: []fleet.StatusInteraction{{ID: "v", Kind: "vote", Counts: []int{1, 2}}}})
	f.Add("sd.s1.status", good)
	f.Add("sd.s1.status.standby", []byte(`{"v":1,"studio":"s1","role":"standby"}`))
	f.Add("sd.s1.status", []byte(`{"v":1,"studio":"s1","role":"primary","over_under_s":1e308,"segment":-99}`))
	f.Add("sd..status", []byte(`null`))
	f.Add("sd.s1.status", []byte(`{"v":1,"studio":"s1","role":"primary","devices":null,"interactions":[null]}`))
	f.Fuzz(func(t *testing.T, subject string, data []byte) {
		b := overview.NewBoard([]string{"s1"}, func() time.Time { return time.Unix(1e9, 0) })
		err := b.Apply(subject, data)
		rows := b.Rows()
		id, _, ok := fleet.StatusSubjectStudio(subject)
		if err != nil {
			if n, last := b.Bad(); n != 1 || last == "" {
				t.Fatalf("refused %v but counted %d %q", err, n, last)
			}
			if len(rows) != 1 || rows[0].Status != nil || rows[0].Standby != nil {
				t.Fatalf("a refused message changed the board: %+v", rows)
			}
			return
		}
		if !ok {
			t.Fatalf("accepted a message on %q", subject)
		}
		for _, r := range rows {
			if r.Level == "" || r.Alert == "" || r.Health == "" {
				t.Fatalf("row without level or alert: %+v", r)
			}
			if r.Studio == id && r.Status == nil && r.Standby == nil {
				t.Fatalf("accepted message not on the board: %+v", r)
			}
		}
		var sb strings.Builder
		if err := overview.WriteText(&sb, rows, 0, overview.TextOptions{Lang: "zh"}); err != nil {
			t.Fatal(err)
		}
	})
}
