package cli

import (
	"context"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"studiodesk/scripts"
	"studiodesk/studio"
	"studiodesk/studio/store"
)

// deskRun makes a data directory the way the app does (studio.OpenBoot):
// a run started and ended, with signed checkpoints, desk.head and a backup.
func deskRun(t *testing.T) (dir, run string, boot *studio.Boot) {
	t.Helper()
	dir = t.TempDir()
	boot, err := studio.OpenBoot(studio.BootOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	d := studio.New(boot.Config(true))
	show := &scripts.Show{ID: "s", Title: "s", Segments: []scripts.Segment{
		{ID: "a", Title: "a", Kind: scripts.KindOpening, Duration: time.Minute},
		{ID: "b", Title: "b", Kind: scripts.KindClosing, Duration: time.Minute}}}
	for _, c := range []studio.Command{studio.LoadShow{Show: show}, studio.Start{}, studio.Next{}, studio.End{}} {
		if err := d.Do(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	run = d.Snapshot().Run
	d.Close()
	if err := boot.Close(); err != nil { // waits for the end backup
		t.Fatal(err)
	}
	return dir, run, boot
}

func TestKeyVerifySignedAndRestore(t *testing.T) {
	dir, run, boot := deskRun(t)
	code, out, errOut := runCLI(t, "key", "--data", dir)
	if code != ExitOK || !strings.Contains(out, boot.Key.Fingerprint()) || !strings.Contains(out, boot.Key.PublicHex()) {
		t.Fatalf("key: %d %s %s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "verify", "--data", dir, run)
	if code != ExitOK || !strings.Contains(out, "signed: 2 checkpoints by this desk's key "+boot.Key.Fingerprint()) ||
		!strings.Contains(out, "(last: end)") || !strings.Contains(out, "matches the log") {
		t.Fatalf("verify: %d\n%s\n%s", code, out, errOut)
	}
	// The tail is cut (the end checkpoint with it): desk.head catches it.
	db, err := bolt.Open(filepath.Join(dir, store.FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("log")).Bucket([]byte(run))
		k, _ := b.Cursor().Last()
		last := binary.BigEndian.Uint64(k)
		for s := last - 1; s <= last; s++ {
			_ = b.Delete(binary.BigEndian.AppendUint64(nil, s))
		}
		return nil
	})
	_ = db.Close()
	code, out, _ = runCLI(t, "verify", "--data", dir, run)
	if code != ExitTampered || !strings.Contains(out, "tail cut off") {
		t.Fatalf("cut tail: %d\n%s", code, out)
	}
	// A zeroed header: the app refuses the file, the report is written
	// from what survives (all of it here) and says it is partial.
	dbPath := filepath.Join(dir, store.FileName)
	good, _ := os.ReadFile(dbPath)
	zeroed := append([]byte(nil), good...)
	clear(zeroed[:4096])
	if err := os.WriteFile(dbPath, zeroed, 0o600); err != nil {
		t.Fatal(err)
	}
	html := filepath.Join(t.TempDir(), "partial.html")
	code, out, errOut = runCLI(t, "report", "--data", dir, run, "--script", writeScript(t), "--html", html)
	if code != exitDamaged || !strings.Contains(out, "PARTIAL report of "+run) {
		t.Fatalf("report of a damaged file: %d\nout: %s\nerr: %s", code, out, errOut)
	}
	if b, err := os.ReadFile(html); err != nil || !strings.Contains(string(b), run) {
		t.Fatalf("partial report not written: %v", err)
	}
	if err := os.WriteFile(dbPath, good, 0o600); err != nil {
		t.Fatal(err)
	}
	// Damage a page of the run's log (its bucket's root page, wherever the
	// layout put it): verify reads what it can, exit 3.
	page := uint64(2)
	if db, err := bolt.Open(dbPath, 0o600, &bolt.Options{ReadOnly: true}); err == nil {
		_ = db.View(func(tx *bolt.Tx) error {
			if lb := tx.Bucket([]byte("log")); lb != nil {
				if rb := lb.Bucket([]byte(run)); rb != nil && rb.Root() != 0 {
					page = uint64(rb.Root())
				}
			}
			return nil
		})
		_ = db.Close()
	}
	b, _ := os.ReadFile(filepath.Join(dir, store.FileName))
	for i := page * 4096; i < (page+1)*4096 && i < uint64(len(b)); i++ {
		b[i] ^= 0xFF
	}
	if err := os.WriteFile(filepath.Join(dir, store.FileName), b, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCLI(t, "verify", "--data", dir, "--all")
	if code != exitDamaged || !strings.Contains(out, "DAMAGED") || !strings.Contains(errOut, "is damaged") {
		t.Fatalf("damaged: %d\n%s\n%s", code, out, errOut)
	}
	exp := filepath.Join(t.TempDir(), "partial.jsonl")
	code, out, errOut = runCLI(t, "export", "--data", dir, run, "--out", exp)
	if code != exitDamaged || !strings.Contains(out, "PARTIAL export") {
		t.Fatalf("export of a damaged file: %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ = runCLI(t, "verify", "--file", exp); code != ExitTampered || !strings.Contains(out, "truncated") {
		t.Fatalf("partial export verified as complete: %d %s", code, out)
	}
	// Restore the newest backup; the damaged file is kept.
	code, out, _ = runCLI(t, "restore", "--data", dir)
	if code != ExitOK || !strings.Contains(out, "-end.db") {
		t.Fatalf("restore list: %d %s", code, out)
	}
	list, _ := store.ListBackups(dir)
	code, out, errOut = runCLI(t, "restore", "--data", dir, filepath.Base(list[0].Path))
	if code != ExitOK || !strings.Contains(out, "kept as") {
		t.Fatalf("restore: %d %s %s", code, out, errOut)
	}
	if code, out, _ = runCLI(t, "verify", "--data", dir, "--all", "--head", filepath.Join(t.TempDir(), "none.json")); code != ExitError {
		t.Fatalf("missing --head file: %d %s", code, out)
	}
	code, out, errOut = runCLI(t, "verify", "--data", dir, run)
	if code != ExitOK {
		t.Fatalf("verify after restore: %d\n%s\n%s", code, out, errOut)
	}
}

// verify, export and report work on a write-protected copy (a read-only
// bind mount as root, where permissions would not stop a write).
func TestEvidenceToolsOnReadOnlyCopy(t *testing.T) {
	dir, run, _ := deskRun(t)
	ro := dir
	if os.Geteuid() == 0 {
		ro = t.TempDir()
		if out, err := exec.Command("mount", "--bind", "-o", "ro", dir, ro).CombinedOutput(); err != nil {
			t.Skipf("this machine refuses a read-only bind mount even to root (%v %s); run as root where mount(8) works", err, out)
		}
		_, _ = exec.Command("mount", "-o", "remount,bind,ro", ro).CombinedOutput()
		t.Cleanup(func() { _ = exec.Command("umount", ro).Run() })
	} else {
		_ = os.Chmod(filepath.Join(dir, store.FileName), 0o400)
		_ = os.Chmod(dir, 0o500)
		t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	}
	if err := os.WriteFile(filepath.Join(ro, "probe"), nil, 0o600); err == nil {
		t.Fatal("the copy is writable; the test would prove nothing")
	}
	before, _ := os.ReadFile(filepath.Join(ro, store.FileName))
	code, out, errOut := runCLI(t, "verify", "--data", ro, run)
	if code != ExitOK || !strings.Contains(out, "OK "+run) {
		t.Fatalf("verify read-only: %d\n%s\n%s", code, out, errOut)
	}
	exp := filepath.Join(t.TempDir(), "x.jsonl")
	if code, out, errOut = runCLI(t, "export", "--data", ro, run, "--out", exp); code != ExitOK {
		t.Fatalf("export read-only: %d %s %s", code, out, errOut)
	}
	raw, _ := os.ReadFile(exp)
	if !strings.Contains(string(raw), `"signed_head":{"run":"`+run) {
		t.Fatalf("export lacks the signed head")
	}
	if code, out, _ = runCLI(t, "verify", "--file", exp); code != ExitOK || !strings.Contains(out, "signed: 2 checkpoints") {
		t.Fatalf("verify export: %d %s", code, out)
	}
	html := filepath.Join(t.TempDir(), "r.html")
	if code, out, errOut = runCLI(t, "report", "--data", ro, run, "--script", writeScript(t), "--html", html); code != ExitOK || !strings.Contains(out, "r.html.head.json") {
		t.Fatalf("report read-only: %d %s %s", code, out, errOut)
	}
	if code, out, _ = runCLI(t, "verify", "--data", ro, run, "--head", html+".head.json"); code != ExitOK || !strings.Contains(out, "matches the log") {
		t.Fatalf("verify --head from the report: %d %s", code, out)
	}
	after, _ := os.ReadFile(filepath.Join(ro, store.FileName))
	if string(before) != string(after) {
		t.Fatal("desk.db changed")
	}
}

func writeScript(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s.yaml")
	y := "id: s\ntitle: s\nsegments:\n  - id: a\n    title: a\n    kind: opening\n    duration: 1m\n  - id: b\n    title: b\n    kind: closing\n    duration: 1m\n"
	if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
