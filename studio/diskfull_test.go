package studio

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"studiodesk/studio/store"
)

// The disk fills up on air: commands that cannot be recorded are refused
// with a storage error and do not take effect (0 ghost records), the desk
// stays up with the fault on its snapshot, and once space returns the next
// command records, the fault clears and the whole log verifies.
// Needs root for a small tmpfs (CI runs as root).
func TestDiskFullOnAir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("this machine refuses to mount a tmpfs even to root (%v %s); run as root where mount(8) works", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	data := filepath.Join(dir, "data")
	boot, err := OpenBoot(BootOptions{Dir: data, Timeout: time.Second, KeepBackups: 1})
	if err != nil {
		t.Fatal(err)
	}
	cfg := boot.Config(true)
	cfg.Backup = nil // the test fills the disk itself
	d := New(cfg)
	ctx := context.Background()
	if err := d.Do(ctx, LoadShow{Show: testShow()}); err != nil {
		t.Fatal(err)
	}
	if err := d.Do(ctx, Start{}); err != nil {
		t.Fatal(err)
	}
	// Fill the file system.
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	small := make([]byte, 512)
	for {
		if _, err := f.Write(small); err != nil {
			break
		}
	}
	_ = f.Close()
	acked, storageRefusals, other := 0, 0, 0
	cmds := []Command{Pause{}, Resume{}, Adjust{Delta: 10 * time.Second}, Adjust{Delta: -10 * time.Second}}
	for i := 0; i < 400; i++ {
		err := d.Do(ctx, cmds[i%len(cmds)])
		switch {
		case err == nil:
			acked++
		case errors.Is(err, ErrStorage):
			storageRefusals++
			if !strings.Contains(err.Error(), "desk.db") {
				t.Fatalf("storage error does not name the file: %v", err)
			}
		default:
			other++
		}
	}
	if storageRefusals == 0 {
		t.Fatalf("no storage refusal on a full disk (%d acked)", acked)
	}
	snap := d.Snapshot()
	if snap.Storage == nil || !strings.HasSuffix(snap.Storage.Path, "desk.db") || snap.Storage.Free < 0 {
		t.Fatalf("storage fault on the snapshot: %+v", snap.Storage)
	}
	// Space returns.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	switch err := d.Do(ctx, Pause{}); {
	case err == nil:
		acked++
	case !errors.Is(err, ErrPaused):
		t.Fatalf("after space returned: %v", err)
	}
	if err := d.Do(ctx, TogglePause{}); err != nil {
		t.Fatalf("after space returned: %v", err)
	}
	acked++
	if d.Snapshot().Storage != nil {
		t.Fatal("fault not cleared after a good write")
	}
	run := d.Snapshot().Run
	anchorsNow := len(d.Snapshot().Anchors)
	d.Close()
	if err := boot.Close(); err != nil {
		t.Fatal(err)
	}
	// The log: exactly the acknowledged commands (plus start), verified.
	st, err := store.OpenReadOnly(filepath.Join(data, store.FileName), store.Options{})
	if err != nil {
		t.Fatalf("reopen after disk full: %v", err)
	}
	defer st.Close()
	pub, _ := store.LoadPublicKey(data)
	if _, _, err := st.VerifySigned(run, store.SignedCheck{Trusted: pub}); err != nil {
		t.Fatalf("verify after disk full: %v", err)
	}
	cmdRecords := 0
	_ = st.Records(run, 1, func(r store.Record) error {
		if anchorKind[r.Kind] {
			cmdRecords++
		}
		return nil
	})
	if cmdRecords != acked+1 || anchorsNow != acked+1 {
		t.Fatalf("%d command records, %d anchors, %d acknowledged + start (ghosts or losses)", cmdRecords, anchorsNow, acked)
	}
	t.Logf("full disk: %d commands acknowledged, %d refused as storage faults, %d refused by the show state; 0 ghosts; verify OK", acked, storageRefusals, other)
}

// anchorKind: the log kinds whose payload is the command's anchor.
var anchorKind = map[string]bool{"start": true, "pause": true, "resume": true, "toggle_pause": true,
	"next": true, "previous": true, "jump": true, "adjust": true, "end": true}
