package cli

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"studiodesk/studio/report"
	"studiodesk/studio/store"
)

// parseKey decodes a hex public key ("" = none).
func parseKey(h string) (ed25519.PublicKey, error) {
	if h == "" {
		return nil, nil
	}
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("--key %q is not a hex Ed25519 public key (studiodesk key prints it)", h)
	}
	return ed25519.PublicKey(b), nil
}

// signedCheck gathers what verify checks the checkpoints against: the
// desk's public key (--key, else desk.key in the data directory) and a
// signed head kept outside the log (--head, else desk.head).
func signedCheck(e env, dataFlag, keyHex, headFile string) (store.SignedCheck, string, int) {
	var sc store.SignedCheck
	dir, err := store.ResolveDir(dataFlag)
	if err != nil {
		return sc, "", fail(e, "%v", err)
	}
	if sc.Trusted, err = parseKey(keyHex); err != nil {
		return sc, dir, fail(e, "verify: %v", err)
	}
	if sc.Trusted == nil {
		if pub, err := store.LoadPublicKey(dir); err == nil {
			sc.Trusted = pub
		}
	}
	explicit := headFile != ""
	if !explicit {
		headFile = filepath.Join(dir, store.HeadFileName)
	}
	if head, err := store.ReadHead(headFile); err == nil {
		sc.Head = &head
	} else if explicit {
		return sc, dir, fail(e, "verify: %v", err)
	}
	return sc, dir, ExitOK
}

// printCoverage says which part of the log signed checkpoints vouch for.
func printCoverage(e env, res store.VerifyResult, cov store.Coverage) {
	if cov.Checkpoints == 0 {
		fmt.Fprintf(e.stdout, "  no signed checkpoint: nothing outside the file vouches for these records\n")
		return
	}
	who := "key " + cov.Key + " (taken from the log: compare with `studiodesk key` on the desk)"
	if cov.Trusted {
		who = "this desk's key " + cov.Key
	}
	fmt.Fprintf(e.stdout, "  signed: %d checkpoints by %s\n  records 1-%d covered by a signed checkpoint (last: %s)", cov.Checkpoints, who, cov.CoveredThrough, cov.LastReason)
	if res.LastSeq > cov.CoveredThrough {
		fmt.Fprintf(e.stdout, "; records %d-%d are not covered yet", cov.CoveredThrough+1, res.LastSeq)
	}
	fmt.Fprintln(e.stdout)
	if cov.External != nil {
		fmt.Fprintf(e.stdout, "  the signed head kept outside (record %d) matches the log\n", cov.External.Seq)
	}
}

// salvage verifies what can be read of a damaged file, read-only.
func salvage(e env, dir string, runs []string, all bool) int {
	path := filepath.Join(dir, store.FileName)
	res, err := store.Salvage(path)
	if err != nil && len(res) == 0 {
		return fail(e, "verify: %v", err)
	}
	fmt.Fprintf(e.stdout, "DAMAGED %s: reading what survives (read-only)\n", path)
	want := map[string]bool{}
	for _, r := range runs {
		want[r] = true
	}
	code := exitDamaged
	for _, r := range res {
		if !all && !want[r.Show] {
			continue
		}
		switch {
		case r.Broken != nil:
			fmt.Fprintf(e.stdout, "TAMPERED %s: record %d: %s\n", r.Show, r.Broken.Seq, r.Broken.Reason)
		case r.Unreadable != "":
			fmt.Fprintf(e.stdout, "PARTIAL %s: records 1-%d read and verify; %s\n", r.Show, r.LastSeq, r.Unreadable)
		default:
			fmt.Fprintf(e.stdout, "READABLE %s: %d records verify (seq 1-%d), final hash %s\n", r.Show, r.Records, r.LastSeq, orNone(r.FinalHash))
		}
	}
	if err != nil {
		fmt.Fprintf(e.stdout, "  %v\n", err)
	}
	fmt.Fprintf(e.stdout, "  restore a backup with: studiodesk restore --data %s\n", dir)
	return code
}

func keyCmd(args []string, e env) int {
	fs := newFlags("key", e)
	data := fs.String("data", "", "data directory")
	pos, err := parse(fs, args)
	if err != nil {
		return ExitError
	}
	if len(pos) > 0 {
		return fail(e, "key takes no arguments")
	}
	dir, err := store.ResolveDir(*data)
	if err != nil {
		return fail(e, "%v", err)
	}
	pub, err := store.LoadPublicKey(dir)
	if errors.Is(err, os.ErrNotExist) {
		return fail(e, "no signing key in %s yet: the desk creates it on its first start", dir)
	}
	if err != nil {
		return fail(e, "%v", err)
	}
	fmt.Fprintf(e.stdout, "public key  %s\nfingerprint %s\n", hex.EncodeToString(pub), store.Fingerprint(pub))
	return ExitOK
}

func restoreCmd(args []string, e env) int {
	fs := newFlags("restore", e)
	data := fs.String("data", "", "data directory")
	pos, err := parse(fs, args)
	if err != nil {
		return ExitError
	}
	dir, err := store.ResolveDir(*data)
	if err != nil {
		return fail(e, "%v", err)
	}
	list, err := store.ListBackups(dir)
	if err != nil {
		return fail(e, "%v", err)
	}
	if len(pos) == 0 {
		if len(list) == 0 {
			fmt.Fprintf(e.stdout, "no backups in %s\n", filepath.Join(dir, store.BackupDir))
			return ExitOK
		}
		fmt.Fprintf(e.stdout, "backups in %s, newest first (restore one with: studiodesk restore --data %s FILE):\n", filepath.Join(dir, store.BackupDir), dir)
		for _, b := range list {
			fmt.Fprintf(e.stdout, "  %s\t%s\t%s\t%d bytes\n", filepath.Base(b.Path), b.Taken.Local().Format(time.DateTime), b.Reason, b.Size)
		}
		return ExitOK
	}
	if len(pos) > 1 {
		return fail(e, "restore: name one backup")
	}
	src := pos[0]
	if _, err := os.Stat(src); err != nil {
		src = filepath.Join(dir, store.BackupDir, pos[0])
	}
	kept, err := store.Restore(dir, src)
	if err != nil {
		return fail(e, "restore: %v", err)
	}
	fmt.Fprintf(e.stdout, "restored %s as %s\n", src, filepath.Join(dir, store.FileName))
	if kept != "" {
		fmt.Fprintf(e.stdout, "  the previous file is kept as %s\n", kept)
	}
	return ExitOK
}

// writeHeadBeside saves the report's latest signed head as FILE.head.json
// beside the report, to keep off the machine and check later with
// `studiodesk verify --head FILE.head.json`.
func writeHeadBeside(e env, r *report.Report, outs ...string) int {
	if r.Chain.SignedHead == nil {
		return ExitOK
	}
	for _, o := range outs {
		if o == "" {
			continue
		}
		path := o + ".head.json"
		raw, err := json.MarshalIndent(r.Chain.SignedHead, "", "  ")
		if err == nil {
			err = os.WriteFile(path, append(raw, '\n'), 0o644)
		}
		if err != nil {
			return fail(e, "report: signed head: %v", err)
		}
		fmt.Fprintf(e.stdout, "wrote %s (signed head: record %d, key %s)\n", path, r.Chain.SignedHead.Seq, r.Chain.Key)
		return ExitOK
	}
	return ExitOK
}

// salvageExport writes what can be read of a run from a damaged file: the
// verified records, without a closing line, so the export says it is
// partial wherever it is checked.
func salvageExport(e env, dataFlag, run, out string) int {
	dir, err := store.ResolveDir(dataFlag)
	if err != nil {
		return fail(e, "%v", err)
	}
	f, err := os.Create(out)
	if err != nil {
		return fail(e, "export %s: %v", run, err)
	}
	res, err := store.SalvageExport(filepath.Join(dir, store.FileName), run, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(out)
		return fail(e, "export %s: %v", run, err)
	}
	fmt.Fprintf(e.stdout, "PARTIAL export of %s from a damaged file: records 1-%d written to %s, without a closing line\n", run, res.LastSeq, out)
	if res.Unreadable != "" {
		fmt.Fprintf(e.stdout, "  %s\n", res.Unreadable)
	}
	if res.Broken != nil {
		fmt.Fprintf(e.stdout, "  stopped at record %d: %s\n", res.Broken.Seq, res.Broken.Reason)
	}
	return exitDamaged
}

// salvageStore rebuilds what can be read of one run from a damaged file
// in a temporary store (the records re-chain to the same hashes: a hash
// covers only the record's own fields), so a report can be written from
// it. partial says which records it covers.
func salvageStore(e env, dataFlag, run string) (*store.Store, string, func()) {
	none := func() {}
	dir, err := store.ResolveDir(dataFlag)
	if err != nil {
		return nil, "", none
	}
	var buf bytes.Buffer
	res, err := store.SalvageExport(filepath.Join(dir, store.FileName), run, &buf)
	if err != nil || res.Records == 0 {
		fmt.Fprintf(e.stderr, "studiodesk: report %s: nothing readable (%v)\n", run, err)
		return nil, "", none
	}
	tmp, err := os.MkdirTemp("", "studiodesk-salvage-*")
	if err != nil {
		return nil, "", none
	}
	cleanup := func() { _ = os.RemoveAll(tmp) }
	st, err := store.Open(tmp, store.Options{})
	if err != nil {
		cleanup()
		return nil, "", none
	}
	var entries []store.Entry
	for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var rec struct {
			Time    time.Time       `json:"time"`
			Kind    string          `json:"kind"`
			Payload json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(line, &rec) != nil {
			break
		}
		entries = append(entries, store.Entry{Kind: rec.Kind, Payload: rec.Payload, Time: rec.Time})
	}
	if _, err := st.AppendBatch(run, entries); err != nil {
		_ = st.Close()
		cleanup()
		return nil, "", none
	}
	msg := fmt.Sprintf("PARTIAL report of %s from a damaged file: records 1-%d", run, res.LastSeq)
	if res.Unreadable != "" {
		msg += "; " + res.Unreadable
	}
	return st, msg, cleanup
}
