package studio

import (
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"studiodesk/scripts"
	"studiodesk/studio/interact"
)

func ixIDs(s Interactions) string {
	var ids []string
	for _, v := range s.Items {
		ids = append(ids, v.ID+":"+string(v.State))
	}
	sort.Strings(ids)
	return strings.Join(ids, " ")
}

// A YAML and an XLSX show with 2 coupons and 2 votes load, attach to their
// nodes and fire on air; nothing is defined outside the loaded show.
func TestShowInteractionsLoadAttachFire(t *testing.T) {
	for _, file := range []string{"testdata/ix-show.yaml", "testdata/ix-show.xlsx"} {
		t.Run(file, func(t *testing.T) {
			var show *scripts.Show
			var err error
			if strings.HasSuffix(file, ".xlsx") {
				f, ferr := os.Open(file)
				if ferr != nil {
					t.Fatal(ferr)
				}
				defer f.Close()
				show, err = scripts.ImportXLSX(file, f)
			} else {
				show, err = scripts.LoadYAMLFile(file)
			}
			if err != nil {
				t.Fatal(err)
			}
			r := newIxRig(t, nil)
			if got := ixIDs(r.d.Interactions()); got != "" {
				t.Fatalf("interactions before any show: %s", got)
			}
			mustDo(t, r.d, LoadShow{Show: show})
			if got := ixIDs(r.d.Interactions()); got != "coupon-1:draft gift-1:draft quiz-1:draft vote-1:draft" {
				t.Fatalf("after load: %s", got)
			}
			mustDo(t, r.d, Start{})
			for _, step := range []struct {
				id   string
				kind interact.Kind
			}{{"coupon-1", interact.KindCoupon}, {"vote-1", interact.KindVote}, {"gift-1", interact.KindCoupon}, {"quiz-1", interact.KindVote}} {
				r.clk.Advance(time.Second)
				mustDo(t, r.d, Next{})
				if v := view(r.d.Interactions(), step.id); v.State != interact.Armed {
					t.Fatalf("%s is %s when its node is on air", step.id, v.State)
				}
				if step.kind == interact.KindCoupon {
					mustDo(t, r.d, FireCoupon{ID: step.id})
					waitIx(t, r.d, step.id+" acked", func(s Interactions) bool { return view(s, step.id).Delivery == interact.Acked })
					if r.sim.IssuedCount(step.id) != 1 {
						t.Fatalf("%s issued %d times", step.id, r.sim.IssuedCount(step.id))
					}
				} else {
					mustDo(t, r.d, StartVote{ID: step.id})
					r.d.VoteDanmaku("viewer", 2, r.clk.Now())
					waitIx(t, r.d, step.id+" counted", func(s Interactions) bool { return view(s, step.id).Total == 1 })
					mustDo(t, r.d, EndVote{ID: step.id})
				}
			}
			if got := ixIDs(r.d.Interactions()); got != "coupon-1:live gift-1:live quiz-1:closed vote-1:closed" {
				t.Fatalf("after the show: %s", got)
			}
			// Another show replaces them all.
			mustDo(t, r.d, End{}, LoadShow{Show: testShow()})
			if got := ixIDs(r.d.Interactions()); got != "" {
				t.Fatalf("after loading a show without interactions: %s", got)
			}
		})
	}
}
