package remote

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"studiodesk/studio"
	"studiodesk/studio/store"
)

// A command the disk could not record is a storage fault (507, kind
// "storage"), not a refusal in the show state (422), and did not apply.
func TestStorageFailureIs507NotRefusal(t *testing.T) {
	clk := studio.NewFakeClock(t0)
	j := studio.NewMemoryJournal()
	desk := studio.New(studio.Config{Clock: clk, Journal: j, Rehearsal: true, Logf: func(string, ...any) {}})
	t.Cleanup(desk.Close)
	if err := desk.Do(context.Background(), studio.LoadShow{Show: testShow()}); err != nil {
		t.Fatal(err)
	}
	lg := &logSink{t: t}
	srv, err := NewServer(Config{Desk: desk, Addr: "127.0.0.1:0", OSCAddr: "127.0.0.1:0",
		Tokens: NewMemoryTokenStore(), Now: clk.Now, Logf: lg.logf, AllowIP: LoopbackOnly})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	r := &rig{desk: desk, clk: clk, srv: srv, log: lg, http: &http.Client{Timeout: 10 * time.Second}}
	ctrl := r.pair(t, "field", RoleController)

	j.Fail(&store.StorageError{Path: "/data/desk.db", Free: 0, Err: errors.New("no space left on device")})
	st, body := r.post(t, "/api/v1/start", ctrl.Token, "", nil)
	var res apiResult
	_ = json.Unmarshal(body, &res)
	if st != http.StatusInsufficientStorage || res.Kind != "storage" || res.OK {
		t.Fatalf("start on a full disk: %d %s", st, body)
	}
	if desk.Snapshot().State(clk.Now()).Started {
		t.Fatal("unrecorded start took effect")
	}
	if f := desk.Snapshot().Storage; f == nil || f.Path != "/data/desk.db" {
		t.Fatalf("snapshot storage fault %+v", f)
	}
	// Space returns: the next command records, applies and clears the fault.
	if st, body := r.post(t, "/api/v1/start", ctrl.Token, "", nil); st != http.StatusOK {
		t.Fatalf("start after space returned: %d %s", st, body)
	}
	if desk.Snapshot().Storage != nil || !desk.Snapshot().State(clk.Now()).Started {
		t.Fatal("fault not cleared or start not applied")
	}
}
