// Package cli is StudioDesk's command line for the evidence record: verify a
// show log or an export, export a log, list the runs and write a run's
// report. It has no GUI dependency; main calls Run before starting the app.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"studiodesk/assets"
	"studiodesk/scripts"
	"studiodesk/studio/report"
	"studiodesk/studio/store"
)

// Exit codes.
const (
	ExitOK       = 0
	ExitTampered = 1 // a chain does not verify
	ExitError    = 2 // bad usage, unreadable file, store in use, ...
	exitDamaged  = 3 // desk.db is damaged (verify still reads what it can)
)

// openTimeout bounds the wait for desk.db's lock: a running desk holds it,
// and the command must say so rather than hang.
const openTimeout = 500 * time.Millisecond

// env is what a subcommand writes to; now paces the progress bar.
type env struct {
	stdout, stderr io.Writer
	now            func() time.Time
}

// Run runs a subcommand if args (the arguments after the program name)
// start with one: serve, verify, export, report or shows. handled is false
// when they are flags only, and main goes on to start the app; an unknown
// command is an error that lists the commands.
func Run(args []string, stdout, stderr io.Writer) (handled bool, code int) {
	return run(args, env{stdout: stdout, stderr: stderr, now: time.Now})
}

func run(args []string, e env) (bool, int) {
	if len(args) == 0 {
		return false, ExitOK
	}
	var cmd func([]string, env) int
	switch args[0] {
	case "verify":
		cmd = verify
	case "export":
		cmd = export
	case "report":
		cmd = reportCmd
	case "shows":
		cmd = shows
	case "key":
		cmd = keyCmd
	case "restore":
		cmd = restoreCmd
	case "serve":
		cmd = serve
	case "help", "-h", "--help":
		fmt.Fprint(e.stdout, fullUsage())
		return true, ExitOK
	default:
		if c, ok := commands[args[0]]; ok {
			cmd = c.run
			break
		}
		// Flags go to the GUI; a word that is no command is an error, never
		// a silently opened window.
		if strings.HasPrefix(args[0], "-") {
			return false, ExitOK
		}
		fmt.Fprintf(e.stderr, "studiodesk: unknown command %q\n\n%s", args[0], fullUsage())
		return true, ExitError
	}
	return true, cmd(args[1:], e)
}

// command is a subcommand that registers itself (the fleet's hub, fleet
// and the like), so a new command is one file.
type command struct {
	run   func([]string, env) int
	usage string // one or more lines for the usage text
	order int
}

var commands = map[string]command{}

func registerCommand(name string, c command) {
	if _, dup := commands[name]; dup {
		panic("cli: command " + name + " registered twice")
	}
	commands[name] = c
}

// fullUsage is the usage text with the registered commands' lines.
func fullUsage() string {
	if len(commands) == 0 {
		return usage
	}
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := commands[names[i]], commands[names[j]]
		if a.order != b.order {
			return a.order < b.order
		}
		return names[i] < names[j]
	})
	var b strings.Builder
	b.WriteString(usage)
	b.WriteString("\nFleet (docs/fleet.md):\n")
	for _, n := range names {
		b.WriteString(commands[n].usage)
	}
	return b.String()
}

const usage = `studiodesk — the live-commerce studio desk (直播中控台)

  studiodesk [flags]                                open the desk (window); --help lists the flags
  studiodesk serve   [flags]                        run the desk headless (no window): devices,
                                                    platform, overlay, remote control and control API;
                                                    logs to stderr, stops cleanly on SIGTERM/Ctrl-C
Show log (electronic evidence):
  studiodesk shows   [--data DIR]                   list the runs that have a show log
  studiodesk verify  [--data DIR] RUN               verify a run's hash chain
  studiodesk verify  [--data DIR] --all             verify every run
  studiodesk verify  --file EXPORT.jsonl            verify an export offline
  studiodesk export  [--data DIR] RUN --out FILE.jsonl
  studiodesk report  [--data DIR] RUN [--script FILE.yaml] [--html FILE] [--csv FILE]
  studiodesk verify  --fleet URL --studio ID [--fleet-user U ...] [--data DIR] RUN|--all
                                                    compare the hub's copy of the logs with the desk's
  studiodesk report  --fleet URL --studio ID [--fleet-user U ...] RUN --html FILE
                                                    a run's report from the hub's copy
  studiodesk key     [--data DIR]                   print the desk's public key and fingerprint
  studiodesk restore [--data DIR] [BACKUP.db]       list the backups, or put one back as desk.db

verify also checks the signed checkpoints (with the desk's key when the data
directory has one, else --key HEX) and a signed head kept elsewhere (--head
FILE; by default desk.head in the data directory). All of these open desk.db
read-only and work on write-protected copies; on a damaged file verify reads
what it can and names the first unreadable record.

The data directory is --data, else $STUDIODESK_DATA, else the user config dir.
Exit status: 0 verified / done, 1 a chain or a signature does not verify,
2 any other error, 3 desk.db is damaged.
See docs/evidence.md for checking an export by hand with sha256sum.
`

// parse parses flags and positional arguments in any order.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func newFlags(name string, e env) *flag.FlagSet {
	fs := flag.NewFlagSet("studiodesk "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

func fail(e env, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "studiodesk: "+format+"\n", args...)
	return ExitError
}

// openStore opens the data directory's store, failing fast if it is in use.
func openStore(e env, dataFlag string) (*store.Store, int) {
	dir, err := store.ResolveDir(dataFlag)
	if err != nil {
		return nil, fail(e, "%v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, store.FileName)); err != nil {
		return nil, fail(e, "no show log database at %s: %v", filepath.Join(dir, store.FileName), err)
	}
	st, err := store.OpenReadOnly(filepath.Join(dir, store.FileName), store.Options{Timeout: openTimeout})
	if errors.Is(err, store.ErrLocked) {
		return nil, fail(e, "%v\n  StudioDesk is running with this data directory; quit it, or export the log from the app, then try again", err)
	}
	if errors.Is(err, store.ErrDamaged) {
		fail(e, "%v", err)
		return nil, exitDamaged
	}
	if err != nil {
		return nil, fail(e, "%v", err)
	}
	return st, ExitOK
}

func closeStore(e env, st *store.Store, code int) int {
	if err := st.Close(); err != nil {
		fmt.Fprintf(e.stderr, "studiodesk: close %s: %v\n", st.Path(), err)
		if code == ExitOK {
			return ExitError
		}
	}
	return code
}

func verify(args []string, e env) int {
	if wantsFleet(args) {
		return verifyFleet(args, e)
	}
	fs := newFlags("verify", e)
	data := fs.String("data", "", "data directory")
	all := fs.Bool("all", false, "verify every run")
	keyHex := fs.String("key", "", "the desk's public key (hex), if not in the data directory")
	headFile := fs.String("head", "", "a signed head kept elsewhere (JSON); default: desk.head in the data directory")
	file := fs.String("file", "", "verify an export (JSONL) instead of the database")
	pos, err := parse(fs, args)
	if err != nil {
		return ExitError
	}
	if *file != "" {
		if len(pos) > 0 || *all {
			return fail(e, "verify --file takes no run name and no --all")
		}
		return verifyFile(e, *file, *keyHex)
	}
	if (len(pos) == 1) == *all || len(pos) > 1 {
		return fail(e, "verify: name one run, or --all (runs: studiodesk shows)")
	}
	sc, dir, code := signedCheck(e, *data, *keyHex, *headFile)
	if code != ExitOK {
		return code
	}
	st, code := openStore(e, *data)
	if st == nil {
		if code == exitDamaged {
			return salvage(e, dir, pos, *all)
		}
		return code
	}
	runs := pos
	if *all {
		if runs, err = st.Shows(); err != nil {
			return closeStore(e, st, fail(e, "%v", err))
		}
		if len(runs) == 0 {
			fmt.Fprintln(e.stdout, "no show logs")
		}
	}
	code = ExitOK
	for _, run := range runs {
		res, cov, err := st.VerifySigned(run, sc)
		var ce *store.ChainError
		switch {
		case errors.As(err, &ce):
			fmt.Fprintf(e.stdout, "TAMPERED %s: record %d: %s\n  %d records before it verify; last good hash %s\n", run, ce.Seq, ce.Reason, res.Records, orNone(res.FinalHash))
			code = max(code, ExitTampered)
		case err != nil:
			fmt.Fprintf(e.stderr, "studiodesk: verify %s: %v\n", run, err)
			code = ExitError
		default:
			fmt.Fprintf(e.stdout, "OK %s: %d records checked (seq 1-%d)\n  final hash %s\n", run, res.Records, res.LastSeq, res.FinalHash)
			printCoverage(e, res, cov)
		}
	}
	return closeStore(e, st, code)
}

func orNone(h string) string {
	if h == "" {
		return "(none)"
	}
	return h
}

func verifyFile(e env, path, keyHex string) int {
	f, err := os.Open(path)
	if err != nil {
		return fail(e, "verify: %v", err)
	}
	defer func() { _ = f.Close() }()
	trusted, err := parseKey(keyHex)
	if err != nil {
		return fail(e, "verify: %v", err)
	}
	res, cov, err := store.VerifyJSONLSigned(f, store.SignedCheck{Trusted: trusted})
	var ce *store.ChainError
	switch {
	case errors.As(err, &ce):
		fmt.Fprintf(e.stdout, "TAMPERED %s: record %d: %s\n  %d records before it verify\n", path, ce.Seq, ce.Reason, res.Records)
		return ExitTampered
	case err != nil:
		return fail(e, "verify %s: %v", path, err)
	}
	name := res.Show
	if name == "" {
		name = "(unnamed)"
	}
	fmt.Fprintf(e.stdout, "OK %s: run %s, %d records checked (seq 1-%d)\n  final hash %s\n", path, name, res.Records, res.LastSeq, res.FinalHash)
	printCoverage(e, res, cov)
	return ExitOK
}

func export(args []string, e env) int {
	fs := newFlags("export", e)
	data := fs.String("data", "", "data directory")
	out := fs.String("out", "", "export file to write (JSONL)")
	pos, err := parse(fs, args)
	if err != nil {
		return ExitError
	}
	if len(pos) != 1 || *out == "" {
		return fail(e, "export: usage: studiodesk export [--data DIR] RUN --out FILE.jsonl")
	}
	st, code := openStore(e, *data)
	if st == nil {
		if code == exitDamaged {
			return salvageExport(e, *data, pos[0], *out)
		}
		return code
	}
	return closeStore(e, st, exportTo(e, st, pos[0], *out))
}

// exportTo writes the export next to out and renames it into place, so a
// failed or tampered export never leaves a plausible-looking file.
func exportTo(e env, st *store.Store, run, out string) int {
	tmp, err := os.CreateTemp(filepath.Dir(out), filepath.Base(out)+".*.part")
	if err != nil {
		return fail(e, "export %s: %v", run, err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	bar := newProgress(e.stderr, "export "+run, e.now)
	final, err := st.ExportJSONL(run, tmp, bar.update)
	bar.done()
	cerr := tmp.Close()
	var ce *store.ChainError
	switch {
	case errors.As(err, &ce):
		fmt.Fprintf(e.stdout, "TAMPERED %s: record %d: %s\n  export stopped; nothing written to %s\n", run, ce.Seq, ce.Reason, out)
		return ExitTampered
	case err != nil:
		return fail(e, "export %s: %v", run, err)
	case cerr != nil:
		return fail(e, "export %s: %v", run, cerr)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fail(e, "export %s: %v", run, err)
	}
	fmt.Fprintf(e.stdout, "exported %s to %s\n  final hash %s\n", run, out, final)
	return ExitOK
}

func shows(args []string, e env) int {
	fs := newFlags("shows", e)
	data := fs.String("data", "", "data directory")
	pos, err := parse(fs, args)
	if err != nil {
		return ExitError
	}
	if len(pos) > 0 {
		return fail(e, "shows takes no arguments")
	}
	st, code := openStore(e, *data)
	if st == nil {
		return code
	}
	runs, err := st.Shows()
	if err != nil {
		return closeStore(e, st, fail(e, "%v", err))
	}
	if len(runs) == 0 {
		fmt.Fprintln(e.stdout, "no show logs")
	}
	for _, run := range runs {
		last, found, err := st.Last(run)
		switch {
		case err != nil:
			fmt.Fprintf(e.stdout, "%s\t(unreadable: %v)\n", run, err)
		case !found:
			fmt.Fprintf(e.stdout, "%s\t0 records\n", run)
		default:
			fmt.Fprintf(e.stdout, "%s\t%d records\tlast %s\n", run, last.Seq, last.Time.Format(time.RFC3339))
		}
	}
	return closeStore(e, st, ExitOK)
}

func reportCmd(args []string, e env) int {
	if wantsFleet(args) {
		return reportFleet(args, e)
	}
	fs := newFlags("report", e)
	data := fs.String("data", "", "data directory")
	scriptFile := fs.String("script", "", "the run's script (YAML); default: the saved script, else the demo show")
	htmlOut := fs.String("html", "", "HTML report to write")
	csvOut := fs.String("csv", "", "CSV (one row per segment) to write")
	pos, err := parse(fs, args)
	if err != nil {
		return ExitError
	}
	if len(pos) != 1 || (*htmlOut == "" && *csvOut == "") {
		return fail(e, "report: usage: studiodesk report [--data DIR] RUN [--script FILE.yaml] --html FILE [--csv FILE]")
	}
	run := pos[0]
	st, code := openStore(e, *data)
	partial := ""
	if st == nil && code == exitDamaged {
		var cleanup func()
		st, partial, cleanup = salvageStore(e, *data, run)
		defer cleanup()
	}
	if st == nil {
		return code
	}
	show, err := scriptFor(st, run, *scriptFile)
	if err != nil {
		return closeStore(e, st, fail(e, "report %s: %v", run, err))
	}
	r, err := report.Build(st, run, show)
	if err != nil {
		return closeStore(e, st, fail(e, "%v", err))
	}
	code = closeStore(e, st, ExitOK)
	if code := writeReportFiles(e, r, run, *htmlOut, *csvOut); code != ExitOK {
		return code
	}
	if partial != "" {
		fmt.Fprintln(e.stdout, partial)
		return exitDamaged
	}
	if !r.Chain.OK {
		fmt.Fprintf(e.stdout, "TAMPERED %s: record %d: %s (the report says so)\n", run, r.Chain.BrokenSeq, r.Chain.Reason)
		return ExitTampered
	}
	return code
}

// scriptFor finds the script a run was played from: --script, else the
// saved script or the demo show when its id is the run's show id.
func scriptFor(st *store.Store, run, file string) (*scripts.Show, error) {
	if file != "" {
		return scripts.LoadYAMLFile(file)
	}
	showID, _, _ := strings.Cut(run, "@")
	var saved scripts.Show
	if ok, err := st.Get(store.BucketScripts, "current", &saved); err == nil && ok && saved.ID == showID {
		return &saved, nil
	}
	demo, err := scripts.LoadYAML("demo/show.yaml", assets.DemoShow())
	if err != nil {
		return nil, fmt.Errorf("demo show: %w", err)
	}
	if demo.ID == showID {
		return demo, nil
	}
	return nil, fmt.Errorf("script %q is not saved here; pass it with --script FILE.yaml", showID)
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		_ = f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
