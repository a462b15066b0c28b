package cli

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"studiodesk/scripts"
	"studiodesk/studio/store"
)

const runID = "demo-beauty@20250301T070000.000Z"

var t0 = time.Date(2025, 3, 1, 7, 0, 0, 0, time.UTC)

// seed writes a runID of n records (a start anchor, then figures) and closes the store.
func seed(t *testing.T, dir string, n int) {
	t.Helper()
	st, err := store.Open(dir, store.Options{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	entries := []store.Entry{{Kind: "start", Payload: scripts.Anchor{Kind: scripts.AnchorStart, At: t0}}}
	for i := 1; i < n; i++ {
		entries = append(entries, store.Entry{Kind: "figures", Payload: map[string]any{"minute": t0.Add(time.Duration(i) * time.Minute), "received": i}})
	}
	if _, err := st.AppendBatch(runID, entries); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

// tamper edits record seq in the raw file, as someone with desk.db could.
func tamper(t *testing.T, dir string, seq uint64, old, new string) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, store.FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("log")).Bucket([]byte(runID))
		k := binary.BigEndian.AppendUint64(nil, seq)
		v := b.Get(k)
		if !bytes.Contains(v, []byte(old)) {
			t.Fatalf("record %d lacks %q: %s", seq, old, v)
		}
		return b.Put(k, bytes.Replace(v, []byte(old), []byte(new), 1))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	handled, code := Run(args, &o, &e)
	if !handled {
		t.Fatalf("%q not handled", args)
	}
	return code, o.String(), e.String()
}

func TestNotASubcommand(t *testing.T) {
	for _, args := range [][]string{nil, {"--rehearsal"}, {"--view", "streamer"}} {
		if handled, _ := Run(args, &bytes.Buffer{}, &bytes.Buffer{}); handled {
			t.Errorf("%q handled", args)
		}
	}
}

func TestVerifyOKAndTampered(t *testing.T) {
	dir := t.TempDir()
	seed(t, dir, 10)
	code, out, errOut := runCLI(t, "verify", "--data", dir, runID)
	if code != ExitOK || !strings.Contains(out, "OK "+runID+": 10 records checked") || !strings.Contains(out, "final hash ") {
		t.Fatalf("code %d\n%s\n%s", code, out, errOut)
	}
	tamper(t, dir, 4, `"received":3`, `"received":300`)
	code, out, _ = runCLI(t, "verify", runID, "--data", dir)
	if code != ExitTampered || !strings.Contains(out, "TAMPERED "+runID+": record 4: content does not match its hash") || !strings.Contains(out, "3 records before it verify") {
		t.Fatalf("code %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "verify", "--all", "--data", dir)
	if code != ExitTampered || !strings.Contains(out, "record 4") {
		t.Fatalf("--all: code %d\n%s", code, out)
	}
	// An export refuses a tampered log and leaves no file.
	dst := filepath.Join(t.TempDir(), "x.jsonl")
	code, out, _ = runCLI(t, "export", "--data", dir, runID, "--out", dst)
	if _, err := os.Stat(dst); code != ExitTampered || err == nil {
		t.Fatalf("export of tampered log: code %d, file exists %v\n%s", code, err == nil, out)
	}
}

func TestExportThenVerifyFile(t *testing.T) {
	dir := t.TempDir()
	seed(t, dir, 5000)
	dst := filepath.Join(t.TempDir(), "show.jsonl")
	code, out, errOut := runCLI(t, "export", "--data", dir, runID, "--out", dst)
	if code != ExitOK || !strings.Contains(out, "exported "+runID) {
		t.Fatalf("code %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "export "+runID+" [") || !strings.Contains(errOut, "5000/5000 100%") {
		t.Errorf("no progress bar on stderr: %q", errOut)
	}
	final := out[strings.Index(out, "final hash ")+len("final hash "):]
	code, out, _ = runCLI(t, "verify", "--file", dst)
	if code != ExitOK || !strings.Contains(out, "run "+runID+", 5000 records checked") || !strings.Contains(out, strings.TrimSpace(final)) {
		t.Fatalf("verify --file: code %d\n%s", code, out)
	}
	if os.Getenv("STUDIODESK_KEEP_EXPORT") != "" {
		if raw, err := os.ReadFile(dst); err == nil {
			_ = os.WriteFile(os.Getenv("STUDIODESK_KEEP_EXPORT"), raw, 0o600)
		}
	}
	// Change one byte of one line: the offline check names the record.
	raw, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(raw), "\n")
	lines[41] = strings.Replace(lines[41], `"received":41`, `"received":42`, 1)
	if err := os.WriteFile(dst, []byte(strings.Join(lines, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI(t, "verify", "--file", dst)
	if code != ExitTampered || !strings.Contains(out, "record 43") {
		t.Fatalf("tampered export: code %d\n%s", code, out)
	}
}

func TestProgressBarIsThrottled(t *testing.T) {
	var buf bytes.Buffer
	now := t0
	p := newProgress(&buf, "export", func() time.Time { return now })
	for i := 1; i <= 10000; i++ {
		if i%256 == 0 || i == 10000 {
			p.update(i, 10000)
			now = now.Add(10 * time.Millisecond) // 39 calls in 390 ms
		}
	}
	p.done()
	if n := strings.Count(buf.String(), "\r"); n < 2 || n > 7 {
		t.Errorf("bar drawn %d times in 0.4 s, want at most 10/s:\n%q", n, buf.String())
	}
}

func TestShowsAndLockedStore(t *testing.T) {
	dir := t.TempDir()
	seed(t, dir, 3)
	code, out, _ := runCLI(t, "shows", "--data", dir)
	if code != ExitOK || !strings.Contains(out, runID+"\t3 records") {
		t.Fatalf("code %d\n%s", code, out)
	}
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	code, _, errOut := runCLI(t, "verify", "--data", dir, runID)
	if code != ExitError || !strings.Contains(errOut, "in use by another StudioDesk") {
		t.Fatalf("locked: code %d\n%s", code, errOut)
	}
}

func TestReportWritesFiles(t *testing.T) {
	dir := t.TempDir()
	seed(t, dir, 5)
	out := t.TempDir()
	h, c := filepath.Join(out, "r.html"), filepath.Join(out, "r.csv")
	code, stdout, errOut := runCLI(t, "report", "--data", dir, runID, "--html", h, "--csv", c)
	if code != ExitOK {
		t.Fatalf("code %d\n%s\n%s", code, stdout, errOut)
	}
	html, err := os.ReadFile(h)
	if err != nil || !bytes.Contains(html, []byte("哈希链校验通过")) {
		t.Fatalf("html: %v", err)
	}
	csv, err := os.ReadFile(c)
	if err != nil || bytes.Count(csv, []byte("\n")) != 18 {
		t.Fatalf("csv: %v (%d lines)", err, bytes.Count(csv, []byte("\n")))
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"verify"}, {"export", "x"}, {"report", "x"}, {"verify", "--file", filepath.Join(t.TempDir(), "none.jsonl")}} {
		if code, _, errOut := runCLI(t, args...); code != ExitError || errOut == "" {
			t.Errorf("%q: code %d, stderr %q", args, code, errOut)
		}
	}
}
