package cli

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"studiodesk/app/fleet"
	"studiodesk/studio/report"
	"studiodesk/studio/store"
)

// verify --fleet and report --fleet: the hub's copy of a studio's show
// logs (the evidence stream) against the desk's own log, and reports
// built from the hub's copy. verify and report hand over to these when
// their arguments name --fleet.

// fleetTimeout bounds the whole exchange with the hub.
const fleetTimeout = 2 * time.Minute

// wantsFleet reports whether args name --fleet.
func wantsFleet(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		name := strings.TrimLeft(a, "-")
		if strings.HasPrefix(a, "-") && (name == "fleet" || strings.HasPrefix(name, "fleet=")) {
			return true
		}
	}
	return false
}

// fleetFlags defines the connection flags (those of the desk's --fleet).
func fleetFlags(fs *flag.FlagSet) *fleet.Config {
	c := &fleet.Config{}
	c.RegisterConnection(fs, "the fleet's NATS server URL(s), comma-separated (nats://HOST:4222)", "fleet (the studio's own, or the agency's to read every studio)")
	fs.StringVar(&c.Studio, "studio", "", "the studio id whose logs to read")
	return c
}

// connectFleet dials the hub once (a command does not wait for a hub
// that is down: it says so). ctx ends after fleetTimeout, or at once when
// the hub refuses a request (the credentials are not this studio's).
func connectFleet(c *fleet.Config) (context.Context, func(), *nats.Conn, jetstream.JetStream, error) {
	if c.Studio == "" {
		return nil, nil, nil, nil, errors.New("--fleet: needs --studio ID")
	}
	if err := c.Check(); err != nil {
		return nil, nil, nil, nil, err
	}
	c.Name = "studiodesk cli " + c.Studio
	ctx, cancelCause := context.WithCancelCause(context.Background())
	ctx, cancelTimeout := context.WithTimeout(ctx, fleetTimeout)
	refused := nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		if errors.Is(err, nats.ErrPermissionViolation) {
			cancelCause(fmt.Errorf("the hub refused: %w (are these studio %s's credentials, or the agency's? 中心拒绝了请求：凭据不属于该直播间)", err, c.Studio))
		}
	})
	nc, js, err := c.Connect(nats.RetryOnFailedConnect(false), nats.MaxReconnects(2), refused)
	if err != nil {
		cancelTimeout()
		cancelCause(nil)
		return nil, nil, nil, nil, fmt.Errorf("%w (is the hub running and reachable? 无法连接中心)", err)
	}
	done := func() {
		nc.Close()
		cancelTimeout()
		cancelCause(nil)
	}
	return ctx, done, nc, js, nil
}

// hubErr names why a request to the hub ended.
func hubErr(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) && !errors.Is(cause, context.DeadlineExceeded) {
		return cause
	}
	return err
}

// hubCopy is one log as the hub holds it, checked on its own.
type hubCopy struct {
	recs   []fleet.HubRecord
	hashes []string // hashes[i] is record i+1's
	broken string   // the first problem of the hub's own copy
	res    store.VerifyResult
	cov    store.Coverage
}

// checkHubCopy checks that the hub's messages form an unbroken chain
// from record 1 (no gap, repeat or reorder, each Sd-Hash the hash of its
// bytes) and its signed checkpoints (by trusted when given), and the
// signed head kept outside (head) against it.
func checkHubCopy(run string, recs []fleet.HubRecord, sc store.SignedCheck) hubCopy {
	h := hubCopy{recs: recs}
	var buf bytes.Buffer
	for i, m := range recs {
		r, err := store.ParseCanonical(m.Data)
		switch {
		case err != nil:
			h.broken = fmt.Sprintf("message %d (stream seq %d): %v", i+1, m.StreamSeq, err)
		case r.Seq != uint64(i+1):
			h.broken = fmt.Sprintf("message %d (stream seq %d) is record %d where %d belongs (gap, repeat or reorder on the hub)", i+1, m.StreamSeq, r.Seq, i+1)
		case m.Seq != r.Seq || m.Hash != r.Hash:
			h.broken = fmt.Sprintf("record %d: headers say record %d hash %.12s…, the bytes are record %d hash %.12s…", r.Seq, m.Seq, m.Hash, r.Seq, r.Hash)
		}
		if h.broken != "" {
			return h
		}
		h.hashes = append(h.hashes, r.Hash)
		buf.Write(m.Data)
		buf.WriteByte('\n')
	}
	if len(recs) == 0 {
		return h
	}
	fl, _ := json.Marshal(map[string]any{"final_hash": h.hashes[len(h.hashes)-1], "records": len(recs), "show": run})
	buf.Write(fl)
	buf.WriteByte('\n')
	if sc.Head != nil && (sc.Head.Run != run || sc.Head.Seq > uint64(len(recs))) {
		sc.Head = nil // checked against the desk's log instead
	}
	res, cov, err := store.VerifyJSONLSigned(&buf, sc)
	h.res, h.cov = res, cov
	var ce *store.ChainError
	if errors.As(err, &ce) {
		h.broken = fmt.Sprintf("record %d: %s", ce.Seq, ce.Reason)
	} else if err != nil {
		h.broken = err.Error()
	}
	return h
}

func verifyFleet(args []string, e env) int {
	fs := newFlags("verify", e)
	cfg := fleetFlags(fs)
	data := fs.String("data", "", "data directory (the desk's log to compare)")
	all := fs.Bool("all", false, "every run the desk or the hub has")
	keyHex := fs.String("key", "", "the desk's public key (hex), if not in the data directory")
	headFile := fs.String("head", "", "a signed head kept elsewhere (JSON); default: desk.head in the data directory")
	var peers []ed25519.PublicKey
	fs.Func("peer-key", "another desk of the studio (hex public key; repeatable): its checkpoints are accepted in a run it began before a takeover", func(h string) error {
		k, err := parseKey(h)
		if err == nil && k == nil {
			err = errors.New("empty key")
		}
		if err != nil {
			return fmt.Errorf("--peer-key: %w", err)
		}
		peers = append(peers, k)
		return nil
	})
	pos, err := parse(fs, args)
	if err != nil {
		return ExitError
	}
	if (len(pos) == 1) == *all || len(pos) > 1 {
		return fail(e, "verify --fleet: name one run, or --all")
	}
	sc, _, code := signedCheck(e, *data, *keyHex, *headFile)
	if code != ExitOK {
		return code
	}
	sc.Peers = peers
	st, code := openStore(e, *data)
	if st == nil {
		return code
	}
	ctx, done, _, js, err := connectFleet(cfg)
	if err != nil {
		return closeStore(e, st, fail(e, "verify --fleet: %v", err))
	}
	defer done()
	studio := fleet.Studio{ID: cfg.Studio}
	// The desk log is each desk's own: on the hub it is "desk-<fp8>" of
	// the desk's key (fleet.DeskLogWire); run logs keep their names.
	fp := ""
	if sc.Trusted != nil {
		fp = store.Fingerprint(sc.Trusted)
	}
	runs := pos
	if *all {
		local, err := st.Shows()
		if err != nil {
			return closeStore(e, st, fail(e, "%v", err))
		}
		hub, err := fleet.HubLogs(ctx, js, studio)
		if err != nil {
			return closeStore(e, st, fail(e, "verify --fleet: studio %s: %v", cfg.Studio, hubErr(ctx, err)))
		}
		seen := map[string]bool{}
		for _, r := range local {
			seen[r] = true
		}
		for w := range hub {
			if r, mine := fleet.LocalLog(w, fp); mine {
				seen[r] = true
			} else {
				fmt.Fprintf(e.stdout, "SKIPPED %s (studio %s): the desk log of another desk (%d records on the hub)\n", w, studio.ID, hub[w])
			}
		}
		runs = runs[:0]
		for r := range seen {
			runs = append(runs, r)
		}
		sort.Strings(runs)
	}
	code = ExitOK
	for _, run := range runs {
		local, wire := run, fleet.WireLog(run, fp)
		if r, mine := fleet.LocalLog(run, fp); mine {
			local, wire = r, fleet.WireLog(r, fp)
		} else {
			local = "" // another desk's desk log: its hub copy alone
		}
		code = max(code, verifyFleetRun(ctx, e, st, js, studio, local, wire, sc))
	}
	return closeStore(e, st, code)
}

// verifyFleetRun compares one log's hub copy (wire: its name on the hub)
// with the desk's log run ("": another desk's desk log, whose hub copy is
// checked on its own).
func verifyFleetRun(ctx context.Context, e env, st *store.Store, js jetstream.JetStream, studio fleet.Studio, run, wire string, sc store.SignedCheck) int {
	recs, err := fleet.ReadHubLog(ctx, js, studio, wire)
	if err != nil {
		fmt.Fprintf(e.stderr, "studiodesk: verify --fleet %s: studio %s: %v\n", wire, studio.ID, hubErr(ctx, err))
		return ExitError
	}
	if run == "" {
		hub := checkHubCopy(fleet.DeskLog, recs, store.SignedCheck{})
		if hub.broken != "" {
			fmt.Fprintf(e.stdout, "HUB COPY BROKEN %s (studio %s): %s (中心副本不完整)\n", wire, studio.ID, hub.broken)
			return ExitTampered
		}
		fmt.Fprintf(e.stdout, "OK %s (studio %s): another desk's desk log, %d records, an unbroken chain on the hub (not compared: this desk's key is another)\n", wire, studio.ID, len(recs))
		return ExitOK
	}
	if wire != run {
		fmt.Fprintf(e.stdout, "%s is %s on the hub (this desk's own desk log)\n", run, wire)
	}
	hub := checkHubCopy(run, recs, sc)
	if hub.broken != "" {
		fmt.Fprintf(e.stdout, "HUB COPY BROKEN %s (studio %s): %s (中心副本不完整)\n", run, studio.ID, hub.broken)
		return ExitTampered
	}
	// The desk's log record by record, as stored and as its content
	// hashes now (Verify below judges the chain itself).
	type localHash struct{ stored, computed string }
	local := map[uint64]localHash{}
	var localLast uint64
	readErr := st.RecordHashes(run, func(seq uint64, stored, computed string) error {
		local[seq] = localHash{stored, computed}
		localLast = max(localLast, seq)
		return nil
	})
	code := ExitOK
	problem := func(format string, a ...any) {
		fmt.Fprintf(e.stdout, format+"\n", a...)
		code = ExitTampered
	}
	if readErr != nil && !errors.Is(readErr, store.ErrUnknownShow) {
		fmt.Fprintf(e.stderr, "studiodesk: verify --fleet %s: %v\n", run, readErr)
		return ExitError
	}
	n := uint64(len(hub.hashes))
	if len(local) == 0 && n > 0 {
		problem("TRUNCATED %s: the hub has records 1-%d, the desk has no log of this run (removed from desk.db; 本机日志被删除)", run, n)
		return code
	}
	for seq := uint64(1); seq <= n; seq++ {
		h, ok := local[seq]
		switch {
		case !ok && seq > localLast:
			problem("TRUNCATED %s: record %d: the hub has records %d-%d that the desk's log does not (the desk's log ends at %d; cut short after it was published; 本机日志被截短)", run, seq, seq, n, localLast)
		case !ok:
			problem("TRUNCATED %s: record %d: on the hub but missing from the desk's log (records removed; 本机日志缺少记录)", run, seq)
		case h.computed != hub.hashes[seq-1] || h.stored != hub.hashes[seq-1]:
			problem("REWRITTEN %s: record %d: the desk's record hashes to %.16s… (stored hash %.16s…), the hub's copy to %.16s… (the desk's log was changed after it was published; 本机日志被改写)", run, seq, orNone(h.computed), orNone(h.stored), hub.hashes[seq-1])
		}
		if code != ExitOK {
			break
		}
	}
	res, cov, verr := st.VerifySigned(run, sc)
	var ce *store.ChainError
	switch {
	case errors.As(verr, &ce):
		problem("TAMPERED %s: the desk's log, record %d: %s", run, ce.Seq, ce.Reason)
	case verr != nil && !errors.Is(verr, store.ErrUnknownShow):
		fmt.Fprintf(e.stderr, "studiodesk: verify --fleet %s: %v\n", run, verr)
		code = max(code, ExitError)
	}
	if code != ExitOK {
		return code
	}
	if n == 0 {
		fmt.Fprintf(e.stdout, "OK %s (studio %s): nothing of it on the hub yet\n", run, studio.ID)
	} else {
		fmt.Fprintf(e.stdout, "OK %s (studio %s): the hub's copy of records 1-%d equals the desk's log\n  final hash on the hub %s\n", run, studio.ID, n, hub.hashes[n-1])
	}
	if localLast > n {
		fmt.Fprintf(e.stdout, "  records %d-%d are on the desk, not yet on the hub (published when the desk is connected)\n", n+1, localLast)
	}
	if keys := publishers(recs); len(keys) > 0 {
		fmt.Fprintf(e.stdout, "  published by desk key %s\n", strings.Join(keys, ", "))
	}
	if hub.cov.Checkpoints > 0 {
		fmt.Fprintf(e.stdout, "  hub copy signed: %d checkpoints by key %s, records 1-%d covered\n", hub.cov.Checkpoints, hub.cov.Key, hub.cov.CoveredThrough)
	}
	if verr == nil {
		printCoverage(e, res, cov)
	}
	return ExitOK
}

// reportFleet builds a run's report from the hub's copy: the records are
// rebuilt, byte for byte and with the same hashes, in a temporary store.
func reportFleet(args []string, e env) int {
	fs := newFlags("report", e)
	cfg := fleetFlags(fs)
	scriptFile := fs.String("script", "", "the run's script (YAML); default: the demo show when it is the run's")
	htmlOut := fs.String("html", "", "HTML report to write")
	csvOut := fs.String("csv", "", "CSV (one row per segment) to write")
	keyHex := fs.String("key", "", "the desk's public key (hex) to check the checkpoints with")
	pos, err := parse(fs, args)
	if err != nil {
		return ExitError
	}
	if len(pos) != 1 || (*htmlOut == "" && *csvOut == "") {
		return fail(e, "report: usage: studiodesk report --fleet URL --studio ID [credentials] RUN [--script FILE.yaml] --html FILE [--csv FILE]")
	}
	run := pos[0]
	trusted, err := parseKey(*keyHex)
	if err != nil {
		return fail(e, "report: %v", err)
	}
	ctx, done, _, js, err := connectFleet(cfg)
	if err != nil {
		return fail(e, "report --fleet: %v", err)
	}
	defer done()
	studio := fleet.Studio{ID: cfg.Studio}
	// The desk log: "desk-<fp8>" on the hub, "desk" in the rebuilt log;
	// "desk" alone names the one of the desk whose --key is given.
	wire := run
	if fp8, ok := fleet.IsDeskLogWire(run); ok && fp8 != "" {
		run = fleet.DeskLog
	} else if run == fleet.DeskLog && trusted != nil {
		wire = fleet.DeskLogWire(store.Fingerprint(trusted))
	}
	recs, err := fleet.ReadHubLog(ctx, js, studio, wire)
	if err != nil {
		return fail(e, "report --fleet %s: studio %s: %v", run, cfg.Studio, hubErr(ctx, err))
	}
	if len(recs) == 0 {
		return fail(e, "report --fleet %s: the hub has no log of this run for studio %s", run, cfg.Studio)
	}
	hub := checkHubCopy(run, recs, store.SignedCheck{Trusted: trusted})
	if hub.broken != "" {
		fmt.Fprintf(e.stdout, "HUB COPY BROKEN %s (studio %s): %s (中心副本不完整)\n", run, cfg.Studio, hub.broken)
		return ExitTampered
	}
	tmp, err := os.MkdirTemp("", "studiodesk-hub-report-*")
	if err != nil {
		return fail(e, "report: %v", err)
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	st, err := store.Open(tmp, store.Options{})
	if err != nil {
		return fail(e, "report: %v", err)
	}
	lines := make([][]byte, len(recs))
	for i, r := range recs {
		lines[i] = r.Data
	}
	if err := st.AppendCanonical(run, lines); err != nil {
		return closeStore(e, st, fail(e, "report --fleet %s: %v", run, err))
	}
	show, err := scriptFor(st, run, *scriptFile)
	if err != nil {
		return closeStore(e, st, fail(e, "report %s: %v", run, err))
	}
	r, err := report.Build(st, run, show)
	if err != nil {
		return closeStore(e, st, fail(e, "%v", err))
	}
	if code := closeStore(e, st, ExitOK); code != ExitOK {
		return code
	}
	fmt.Fprintf(e.stdout, "from the hub's copy (studio %s): %d records, final hash %s\n", cfg.Studio, len(recs), hub.hashes[len(hub.hashes)-1])
	if code := writeReportFiles(e, r, run, *htmlOut, *csvOut); code != ExitOK {
		return code
	}
	if !r.Chain.OK {
		fmt.Fprintf(e.stdout, "TAMPERED %s: record %d: %s (the report says so)\n", run, r.Chain.BrokenSeq, r.Chain.Reason)
		return ExitTampered
	}
	return ExitOK
}

// writeReportFiles writes the report's HTML and CSV (where asked) and its
// signed head beside them.
func writeReportFiles(e env, r *report.Report, run, htmlOut, csvOut string) int {
	for _, o := range []struct {
		path  string
		write func(io.Writer, *report.Report) error
	}{{htmlOut, report.WriteHTML}, {csvOut, report.WriteCSV}} {
		if o.path == "" {
			continue
		}
		if err := writeFile(o.path, func(w io.Writer) error { return o.write(w, r) }); err != nil {
			return fail(e, "report %s: %v", run, err)
		}
		fmt.Fprintf(e.stdout, "wrote %s\n", o.path)
	}
	return writeHeadBeside(e, r, htmlOut, csvOut)
}

// publishers lists the desk keys (Sd-Desk) that published a log, in the
// order they first appear (two after a standby took over).
func publishers(recs []fleet.HubRecord) []string {
	var keys []string
	seen := map[string]bool{}
	for _, r := range recs {
		if r.Desk != "" && !seen[r.Desk] {
			seen[r.Desk] = true
			keys = append(keys, r.Desk)
		}
	}
	return keys
}
