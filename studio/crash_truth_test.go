package studio

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"studiodesk/scripts"
	"studiodesk/studio/store"
)

// The crash test: a child process builds the desk exactly as the app does
// (studio.OpenBoot, boot.Config, studio.New, LoadShow) and issues random
// commands, printing "DO n kind" before each and "ACK n" once Do returned
// nil; the parent SIGKILLs it at a random moment, then checks the data
// directory: the file passes the open-time check, every chain and signed
// checkpoint verifies (against desk.key and desk.head), the export
// re-verifies offline, every acknowledged command has its record, no
// command record exists that was neither acknowledged nor in flight at the
// kill (a ghost), and the run's persisted anchors equal its command
// records, record for record. STUDIODESK_CRASH_KILLS sets the number of
// kills (default 20; the closing note's figure uses 200).

const crashTruthEnv = "STUDIODESK_TRUTH_CHILD"

var crashCommands = []Command{Start{}, Next{}, Next{}, Pause{}, Resume{}, TogglePause{}, Previous{},
	Adjust{Delta: 30 * time.Second}, Adjust{Delta: -30 * time.Second, Window: true}, Jump{Index: 2}, End{}, Rewind{}}

// anchorKind: the log kinds whose payload is the command's anchor.
var anchorKind = map[string]bool{"start": true, "pause": true, "resume": true, "toggle_pause": true,
	"next": true, "previous": true, "jump": true, "adjust": true, "end": true}

func TestCrashTruthChild(t *testing.T) {
	dir := os.Getenv(crashTruthEnv)
	if dir == "" {
		t.Skip("child of TestCrashRecordIsTrue only")
	}
	boot, err := OpenBoot(BootOptions{Dir: dir, Timeout: 5 * time.Second})
	if err != nil {
		fmt.Printf("OPENFAIL %v\n", err)
		os.Exit(3)
	}
	d := New(boot.Config(true))
	if err := d.Do(context.Background(), LoadShow{Show: testShow()}); err != nil {
		fmt.Printf("LOADFAIL %v\n", err)
		os.Exit(3)
	}
	seed, _ := strconv.ParseUint(os.Getenv(crashTruthEnv+"_SEED"), 10, 64)
	rng := rand.New(rand.NewPCG(seed, 7))
	w := bufio.NewWriter(os.Stdout)
	for n := 0; ; n++ {
		c := crashCommands[rng.IntN(len(crashCommands))]
		fmt.Fprintf(w, "DO %d %s\n", n, c.Name())
		_ = w.Flush()
		if err := d.Do(context.Background(), c); err == nil {
			fmt.Fprintf(w, "ACK %d\n", n)
		} else {
			fmt.Fprintf(w, "REF %d %v\n", n, strings.ReplaceAll(err.Error(), "\n", " "))
		}
		_ = w.Flush()
	}
}

func TestCrashRecordIsTrue(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	kills := 20
	if v := os.Getenv("STUDIODESK_CRASH_KILLS"); v != "" {
		kills, _ = strconv.Atoi(v)
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	var acked []string // kinds of acknowledged commands, in order
	inflight := 0      // commands begun but not answered at a kill (max one each)
	totalAck, totalRef := 0, 0
	start := time.Now()
	for k := 0; k < kills; k++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashTruthChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashTruthEnv+"="+dir, fmt.Sprintf("%s_SEED=%d", crashTruthEnv, rng.Uint64()))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 4096)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Kill at a random moment after the first command began.
		var got []string
		first := <-lines
		got = append(got, first)
		time.Sleep(time.Duration(rng.IntN(60)) * time.Millisecond)
		_ = cmd.Process.Kill()
		for l := range lines {
			got = append(got, l)
		}
		_ = cmd.Wait()
		pending := map[string]string{}
		for _, l := range got {
			f := strings.Fields(l)
			switch {
			case len(f) >= 1 && (f[0] == "OPENFAIL" || f[0] == "LOADFAIL"):
				t.Fatalf("kill %d: child could not start: %s", k, l)
			case len(f) == 3 && f[0] == "DO":
				pending[f[1]] = f[2]
			case len(f) == 2 && f[0] == "ACK":
				acked = append(acked, pending[f[1]])
				delete(pending, f[1])
				totalAck++
			case len(f) >= 2 && f[0] == "REF":
				delete(pending, f[1])
				totalRef++
			}
		}
		if len(pending) > 1 {
			t.Fatalf("kill %d: %d commands in flight", k, len(pending))
		}
		var flying string
		for _, kind := range pending {
			flying = kind
			inflight++
		}
		acked = checkTruth(t, k, dir, acked, flying)
	}
	t.Logf("%d SIGKILLs in %v: %d commands acknowledged, %d refused, %d in flight at a kill; 0 ghosts, 0 acknowledged lost, verify OK after every restart",
		kills, time.Since(start).Round(time.Millisecond), totalAck, totalRef, inflight)
}

// checkTruth checks the data directory after a kill. acked holds the
// acknowledged commands not yet matched to records; it returns what
// remains unmatched (none, or the test fails).
func checkTruth(t *testing.T, k int, dir string, acked []string, flying string) []string {
	t.Helper()
	path := filepath.Join(dir, store.FileName)
	if err := store.CheckFile(path); err != nil {
		t.Fatalf("kill %d: open-time check after a crash: %v", k, err)
	}
	st, err := store.OpenReadOnly(path, store.Options{})
	if err != nil {
		t.Fatalf("kill %d: %v", k, err)
	}
	defer st.Close()
	pub, err := store.LoadPublicKey(dir)
	if err != nil {
		t.Fatalf("kill %d: %v", k, err)
	}
	head, herr := store.ReadHead(filepath.Join(dir, store.HeadFileName))
	runs, err := st.Shows()
	if err != nil {
		t.Fatal(err)
	}
	// Command records of every run, in commit order (run ids sort by start).
	var logged []string
	var current Run
	if _, err := st.Get("anchors", "current", &current); err != nil {
		t.Fatalf("kill %d: run doc: %v", k, err)
	}
	for _, run := range runs {
		sc := store.SignedCheck{Trusted: pub}
		if herr == nil {
			sc.Head = &head
		}
		res, _, err := st.VerifySigned(run, sc)
		if err != nil {
			t.Fatalf("kill %d: verify %s: %v", k, run, err)
		}
		var buf bytes.Buffer
		if _, err := st.ExportJSONL(run, &buf, nil); err != nil {
			t.Fatalf("kill %d: export %s: %v", k, run, err)
		}
		if r2, _, err := store.VerifyJSONLSigned(&buf, store.SignedCheck{Trusted: pub}); err != nil || r2.Records != res.Records {
			t.Fatalf("kill %d: export of %s re-verified: %+v %v", k, run, r2, err)
		}
		if run == deskLog {
			continue
		}
		var anchors []scripts.Anchor
		err = st.Records(run, 1, func(r store.Record) error {
			if anchorKind[r.Kind] || r.Kind == "rewind" {
				logged = append(logged, run+" "+r.Kind)
			}
			if anchorKind[r.Kind] {
				var a scripts.Anchor
				if err := json.Unmarshal(r.Payload, &a); err != nil {
					return err
				}
				anchors = append(anchors, a)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if run == current.ID && !sameAnchors(anchors, current.Anchors) {
			t.Fatalf("kill %d: run %s: the log has %d anchor records, the timer state %d anchors — they disagree\nlog: %+v\nstate: %+v", k, run, len(anchors), len(current.Anchors), anchors, current.Anchors)
		}
	}
	// The desk log holds rewinds made while no run was current.
	_ = st.Records(deskLog, 1, func(r store.Record) error {
		if r.Kind == "rewind" {
			logged = append(logged, deskLog+" rewind")
		}
		return nil
	})
	return matchAcks(t, k, logged, acked, flying)
}

func sameAnchors(a, b []scripts.Anchor) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if !x.At.Equal(y.At) {
			return false
		}
		x.At, y.At = time.Time{}, time.Time{}
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

// matchAcks compares the multiset of command kinds logged with those
// acknowledged (plus at most the one in flight at this kill). Across runs
// the order of runs is not the order of commands, so kinds are counted.
func matchAcks(t *testing.T, k int, logged, acked []string, flying string) []string {
	t.Helper()
	count := map[string]int{}
	for _, l := range logged {
		_, kind, _ := strings.Cut(l, " ")
		count[kind]++
	}
	want := map[string]int{}
	for _, a := range acked {
		want[a]++
	}
	for kind, n := range want {
		if count[kind] < n {
			t.Fatalf("kill %d: %d %q commands acknowledged, %d recorded (acknowledged command lost)", k, n, kind, count[kind])
		}
	}
	extra := 0
	for kind, n := range count {
		if n > want[kind] {
			if kind != flying || n-want[kind] > 1 {
				t.Fatalf("kill %d: %d %q records, %d acknowledged, in flight %q (ghost record)", k, n, kind, want[kind], flying)
			}
			extra++
		}
	}
	if extra == 1 {
		// The command in flight committed before the kill: it took effect
		// (its anchor is in the state), so from now on it counts as done.
		acked = append(acked, flying)
	}
	return acked
}
