package core

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"studiodesk/scripts"
	"studiodesk/studio"
	"studiodesk/studio/store"
)

// The crash test of the app's wiring: a child process builds the desk
// exactly as ui.Main and serve do (core.Open: rehearsal devices, presets
// saved with their records, the danmaku pipeline, the interactions with the
// store's outbox, the live feed; the remote control off) and issues a
// random mix of timer, preset, interaction and danmaku commands through
// app.Desk.Do, printing "DO n kind arg" before each and "ACK n" once Do
// returned nil ("REF n …" on a refusal). The parent SIGKILLs it at a random
// moment and checks the data directory: the file passes the open-time
// check; every run's chain and signed checkpoints verify against desk.key
// and desk.head, and its export re-verifies offline; no command record
// exists that was neither acknowledged nor in flight at the kill (a
// ghost); every acknowledged command has its record (none lost); the
// current run's persisted anchors equal its anchor records, record for
// record; the saved preset book agrees with the preset records; and every
// recorded coupon fire has its outbox item and every coupon outbox item its
// fire record. STUDIODESK_CRASH_KILLS sets the number of kills (default
// 20; issue 12's figure uses 200).

const coreCrashEnv = "STUDIODESK_CORE_CRASH_CHILD"

// coreAnchorKind: the timer commands' log kinds whose payload is the
// command's anchor.
var coreAnchorKind = map[string]bool{"start": true, "pause": true, "resume": true, "toggle_pause": true,
	"next": true, "previous": true, "jump": true, "adjust": true, "end": true}

// coreCommandKind: every log kind a command of the child writes (and, but
// for the automatic ones sorted out in coreCheck, only a command).
var coreCommandKind = map[string]bool{"rewind": true,
	"recall_preset": true, "save_preset": true, "rename_preset": true,
	"fire_coupon": true, "start_vote": true, "end_vote": true, "cancel_interaction": true, "arm_interaction": true,
	"pin_danmaku": true, "hide_danmaku": true}

var (
	crashPresetIDs = []string{"cam-wide", "p-host", "cam-close", "cam-table", "p-compare", "p-lottery"}
	crashCoupons   = []string{"coupon-1", "lottery-1"}
	crashVotes     = []string{"vote-1", "qa-1"}
)

// crashOptions are the app's options as the flags give them, with
// loopback ports, no OSC and the remote control off.
func crashOptions(dir string) (Options, error) {
	fs := flag.NewFlagSet("crash", flag.ContinueOnError)
	var o Options
	o.Register(fs)
	err := fs.Parse([]string{"--data", dir, "--rehearsal", "--overlay", "127.0.0.1:0", "--remote-addr", "127.0.0.1:0",
		"--osc-addr", "off", "--sim-profile", "quiet", "--sim-rate", "20", "--speed", "1"})
	return o, err
}

// crashCommand picks the child's next command; arg names what it acts on
// ("-" for the timer commands).
func crashCommand(rng *rand.Rand, a *App, tag string, n int) (studio.Command, string) {
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	switch r := rng.IntN(100); {
	case r < 40:
		timer := []studio.Command{studio.Start{}, studio.Next{}, studio.Next{}, studio.Pause{}, studio.Resume{},
			studio.TogglePause{}, studio.Previous{}, studio.Adjust{Delta: 30 * time.Second},
			studio.Adjust{Delta: -30 * time.Second, Window: true}, studio.Jump{Index: rng.IntN(12)}, studio.End{}, studio.Rewind{}}
		c := timer[rng.IntN(len(timer))]
		return c, "-"
	case r < 48:
		id := pick(crashPresetIDs)
		return studio.RecallPreset{ID: id}, id
	case r < 54:
		demo := studio.DemoPresets()
		p := demo[rng.IntN(len(demo))]
		p.Key = ""
		if rng.IntN(2) == 0 {
			p.ID = pick([]string{"crash-a", "crash-b", "crash-c"})
		}
		p.Name = fmt.Sprintf("%s-%d", tag, n)
		return studio.SavePreset{Preset: p}, p.ID
	case r < 58:
		id := pick(crashPresetIDs)
		return studio.RenamePreset{ID: id, NewName: fmt.Sprintf("%s-%d", tag, n)}, id
	case r < 64:
		id := pick(crashCoupons)
		return studio.FireCoupon{ID: id}, id
	case r < 69:
		id := pick(crashVotes)
		return studio.StartVote{ID: id}, id
	case r < 73:
		id := pick(crashVotes)
		return studio.EndVote{ID: id}, id
	case r < 77:
		id := pick(append(append([]string{}, crashCoupons...), crashVotes...))
		return studio.CancelInteraction{ID: id, Reason: "crash"}, id
	case r < 82:
		id := pick(append(append([]string{}, crashCoupons...), crashVotes...))
		return studio.ArmInteraction{ID: id}, id
	default:
		id := "none"
		if rec := a.Pipeline.Recent(); len(rec) > 0 {
			id = rec[rng.IntN(len(rec))].ID
		}
		if r < 91 {
			return studio.PinDanmaku{ID: id}, id
		}
		return studio.HideDanmaku{ID: id}, id
	}
}

func TestCoreCrashChild(t *testing.T) {
	dir := os.Getenv(coreCrashEnv)
	if dir == "" {
		t.Skip("child of TestCoreCrashRecordIsTrue only")
	}
	o, err := crashOptions(dir)
	if err != nil {
		fmt.Printf("OPENFAIL %v\n", err)
		os.Exit(3)
	}
	a, err := Open(o)
	if err != nil {
		fmt.Printf("OPENFAIL %v\n", err)
		os.Exit(3)
	}
	seed, _ := strconv.ParseUint(os.Getenv(coreCrashEnv+"_SEED"), 10, 64)
	rng := rand.New(rand.NewPCG(seed, 7))
	tag := fmt.Sprintf("n%d", seed%1000000)
	w := bufio.NewWriter(os.Stdout)
	for n := 0; ; n++ {
		c, arg := crashCommand(rng, a, tag, n)
		fmt.Fprintf(w, "DO %d %s %s\n", n, c.Name(), arg)
		_ = w.Flush()
		if err := a.Desk.Do(context.Background(), c); err == nil {
			fmt.Fprintf(w, "ACK %d\n", n)
		} else {
			fmt.Fprintf(w, "REF %d %v\n", n, strings.ReplaceAll(err.Error(), "\n", " "))
		}
		_ = w.Flush()
	}
}

// crashCmd is a command the child began: its log kind and what it acts on.
type crashCmd struct{ kind, arg string }

// key is what a record of the command is matched by: the kind, and the
// preset, interaction or line it acts on.
func (c crashCmd) key() string {
	if c.arg == "-" || c.arg == "" {
		return c.kind
	}
	return c.kind + " " + c.arg
}

func TestCoreCrashRecordIsTrue(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	kills := 20
	if v := os.Getenv("STUDIODESK_CRASH_KILLS"); v != "" {
		kills, _ = strconv.Atoi(v)
	}
	dir := t.TempDir()
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d", seed)
	var acked []string // keys of acknowledged commands not yet matched
	savedIDs := map[string]bool{}
	inflight := 0
	totalAck, totalRef := 0, 0
	byKind, refByKind := map[string]int{}, map[string]int{}
	start := time.Now()
	for k := 0; k < kills; k++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCoreCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), coreCrashEnv+"="+dir, fmt.Sprintf("%s_SEED=%d", coreCrashEnv, rng.Uint64()))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
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
		first, ok := <-lines
		if !ok {
			_ = cmd.Wait()
			t.Fatalf("kill %d: child printed nothing; stderr:\n%s", k, stderr.String())
		}
		got = append(got, first)
		time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
		_ = cmd.Process.Kill()
		for l := range lines {
			got = append(got, l)
		}
		_ = cmd.Wait()
		pending := map[string]crashCmd{}
		for _, l := range got {
			f := strings.Fields(l)
			switch {
			case len(f) >= 1 && f[0] == "OPENFAIL":
				t.Fatalf("kill %d: child could not start: %s\nstderr:\n%s", k, l, stderr.String())
			case len(f) == 4 && f[0] == "DO":
				pending[f[1]] = crashCmd{f[2], f[3]}
			case len(f) == 2 && f[0] == "ACK":
				c := pending[f[1]]
				delete(pending, f[1])
				totalAck++
				byKind[c.kind]++
				if c.kind == "save_preset" {
					savedIDs[c.arg] = true
				}
				if coreAnchorKind[c.kind] || coreCommandKind[c.kind] {
					acked = append(acked, c.key())
				}
			case len(f) >= 2 && f[0] == "REF":
				refByKind[pending[f[1]].kind]++
				delete(pending, f[1])
				totalRef++
			}
		}
		if len(pending) > 1 {
			t.Fatalf("kill %d: %d commands in flight", k, len(pending))
		}
		flying := ""
		for _, c := range pending {
			flying = c.key()
			inflight++
		}
		acked = coreCheck(t, k, dir, acked, flying, savedIDs)
	}
	t.Logf("%d SIGKILLs in %v: %d commands acknowledged %v, %d refused %v, %d in flight at a kill; 0 ghosts, 0 acknowledged lost, verify OK after every restart",
		kills, time.Since(start).Round(time.Millisecond), totalAck, byKind, totalRef, refByKind, inflight)
}

// coreCheck checks the data directory after a kill. acked holds the keys
// of the acknowledged commands not matched yet; it returns them (the
// command in flight added when its record committed).
func coreCheck(t *testing.T, k int, dir string, acked []string, flying string, savedIDs map[string]bool) []string {
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
	show, err := LoadCurrentShow(st)
	if err != nil {
		t.Fatalf("kill %d: show: %v", k, err)
	}
	segIx := map[string]string{} // segment id → its interaction
	for _, s := range show.Segments {
		segIx[s.ID] = s.Interaction
	}
	runs, err := st.Shows()
	if err != nil {
		t.Fatal(err)
	}
	var current studio.Run
	if _, err := st.Get("anchors", "current", &current); err != nil {
		t.Fatalf("kill %d: run doc: %v", k, err)
	}
	var logged []string
	presetNames := map[string]map[string]bool{} // preset → names its records gave it
	presetRecords := map[string]bool{}
	firedKeys := map[string]bool{}
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
		var anchors []scripts.Anchor
		prevKind := "" // the last record that a command wrote, for the automatic arms
		err = st.Records(run, 1, func(r store.Record) error {
			var p struct {
				ID     string `json:"id"`
				Preset string `json:"preset"`
				Name   string `json:"name"`
				By     string `json:"by"`
				Key    string `json:"key"`
				Node   string `json:"node"`
			}
			if coreAnchorKind[r.Kind] {
				var a scripts.Anchor
				if err := json.Unmarshal(r.Payload, &a); err != nil {
					return err
				}
				anchors = append(anchors, a)
				logged = append(logged, r.Kind)
				prevKind = r.Kind
				return nil
			}
			if !coreCommandKind[r.Kind] {
				return nil
			}
			if err := json.Unmarshal(r.Payload, &p); err != nil {
				return fmt.Errorf("%s #%d: %w", r.Kind, r.Seq, err)
			}
			auto := false
			switch r.Kind {
			case "recall_preset":
				// A segment's own preset, recalled when it goes on air.
				auto = p.By != "operator"
			case "arm_interaction":
				// The interaction of a segment that just went on air, armed
				// right after the anchor that put it there (a command could
				// not arm it again: arming needs a draft).
				switch prevKind {
				case "start", "next", "previous", "jump":
					auto = p.Node != "" && segIx[p.Node] == p.ID
				}
			}
			if auto {
				// A segment's recall sits between the anchor and the arm:
				// the anchor stays the last command record.
				return nil
			}
			prevKind = r.Kind
			switch r.Kind {
			case "rewind":
				logged = append(logged, r.Kind)
			case "recall_preset", "save_preset", "rename_preset":
				logged = append(logged, r.Kind+" "+p.Preset)
				if r.Kind != "recall_preset" {
					presetRecords[p.Preset] = true
					if presetNames[p.Preset] == nil {
						presetNames[p.Preset] = map[string]bool{}
					}
					presetNames[p.Preset][p.Name] = true
				}
			default:
				logged = append(logged, r.Kind+" "+p.ID)
			}
			if r.Kind == "fire_coupon" {
				if p.Key == "" || firedKeys[p.Key] {
					return fmt.Errorf("fire_coupon #%d: key %q empty or fired twice", r.Seq, p.Key)
				}
				firedKeys[p.Key] = true
				item, found, err := st.OutboxGet(p.Key)
				if err != nil {
					return err
				}
				if !found || item.Key != p.Key {
					return fmt.Errorf("fire_coupon #%d (%s): no outbox item %q", r.Seq, p.ID, p.Key)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("kill %d: run %s: %v", k, run, err)
		}
		if run == current.ID && !sameCrashAnchors(anchors, current.Anchors) {
			t.Fatalf("kill %d: run %s: the log has %d anchor records, the timer state %d anchors — they disagree\nlog: %+v\nstate: %+v", k, run, len(anchors), len(current.Anchors), anchors, current.Anchors)
		}
		// Every coupon outbox item of this run has its fire record.
		for _, c := range crashCoupons {
			key := "coupon:" + c + ":" + run
			if _, found, err := st.OutboxGet(key); err != nil {
				t.Fatal(err)
			} else if found && !firedKeys[key] {
				t.Fatalf("kill %d: outbox item %q has no fire_coupon record", k, key)
			}
		}
	}
	// The saved preset book agrees with the preset records.
	book, err := studio.LoadPresets(st)
	if err != nil {
		t.Fatalf("kill %d: saved presets: %v", k, err)
	}
	demo := map[string]string{}
	for _, p := range studio.DemoPresets() {
		demo[p.ID] = p.Name
	}
	for id := range savedIDs {
		if _, ok := book.Get(id); !ok {
			t.Fatalf("kill %d: preset %q saved (acknowledged) but not in the saved book", k, id)
		}
	}
	for id := range presetRecords {
		if _, ok := book.Get(id); !ok {
			t.Fatalf("kill %d: preset %q has save/rename records but is not in the saved book", k, id)
		}
	}
	for _, p := range book.Presets() {
		id := p.ID
		if name, ok := demo[id]; ok && name == p.Name {
			continue
		}
		if !presetNames[id][p.Name] {
			t.Fatalf("kill %d: saved preset %q is named %q, which no save/rename record of it gave (records: %v)", k, id, p.Name, presetNames[id])
		}
	}
	return matchCrashAcks(t, k, logged, acked, flying)
}

func sameCrashAnchors(a, b []scripts.Anchor) bool {
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

// matchCrashAcks compares the multiset of command records with the
// acknowledged commands (plus at most the one in flight at this kill).
func matchCrashAcks(t *testing.T, k int, logged, acked []string, flying string) []string {
	t.Helper()
	count := map[string]int{}
	for _, l := range logged {
		count[l]++
	}
	want := map[string]int{}
	for _, a := range acked {
		want[a]++
	}
	keys := make([]string, 0, len(want))
	for key := range want {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		if count[key] < want[key] {
			t.Fatalf("kill %d: %d %q commands acknowledged, %d recorded (acknowledged command lost)", k, want[key], key, count[key])
		}
	}
	extra := 0
	for key, n := range count {
		if n > want[key] {
			if key != flying || n-want[key] > 1 {
				t.Fatalf("kill %d: %d %q records, %d acknowledged, in flight %q (ghost record)", k, n, key, want[key], flying)
			}
			extra++
		}
	}
	if extra == 1 {
		// The command in flight committed before the kill: it took effect,
		// so from now on it counts as done.
		acked = append(acked, flying)
	}
	return acked
}
