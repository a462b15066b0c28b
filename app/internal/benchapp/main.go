// Command benchapp measures the real studiodesk binary as a whole: it
// starts it headless (studiodesk serve) and with its window under Xvfb
// (software GL), runs the demo show on the rehearsal simulator at a given
// danmaku rate for a fixed time, and reads /proc for CPU (% of one core),
// RSS and peak RSS, the desk's log for exec → ready and exec → first
// frame, and the --pprof metrics endpoint for allocations per second.
// Each scenario runs several times and the medians are printed.
//
//	go run ./app/internal/benchapp                  # the standard table (make bench-app)
//	go run ./app/internal/benchapp -only gui-controller-30 -runs 1
//	go run ./app/internal/benchapp -soak 1h -rate 2000   # RSS over a long run
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"
)

// scenario is one line of the table.
type scenario struct {
	name     string
	gui      bool
	view     string // GUI: controller, streamer (host), data
	profile  string
	rate     float64 // danmaku per second (0: the profile's)
	demoRun  bool    // the show running
	restart  bool    // crash (SIGKILL) mid-show, then measure the second exec
	baseline bool    // also run with -before
}

var scenarios = []scenario{
	{name: "gui-controller-30", gui: true, view: "controller", profile: "normal", rate: 30, demoRun: true, baseline: true},
	{name: "gui-controller-idle-quiet", gui: true, view: "controller", profile: "quiet", baseline: true},
	{name: "gui-host-30", gui: true, view: "streamer", profile: "normal", rate: 30, demoRun: true, baseline: true},
	{name: "gui-data-30", gui: true, view: "data", profile: "normal", rate: 30, demoRun: true, baseline: true},
	{name: "headless-30", profile: "normal", rate: 30, demoRun: true},
	{name: "gui-controller-5000", gui: true, view: "controller", profile: "normal", rate: 5000, demoRun: true},
	{name: "headless-5000", profile: "normal", rate: 5000, demoRun: true},
	{name: "headless-restart", profile: "normal", rate: 30, demoRun: true, restart: true},
}

type config struct {
	bin, before     string
	display         string
	warmup, measure time.Duration
	runs            int
	only            string
	size            string
	soak            time.Duration
	soakRate        float64
	soakEvery       time.Duration
	soakGUI         bool
}

func main() {
	var c config
	flag.StringVar(&c.bin, "bin", "bin/studiodesk", "the studiodesk binary to measure")
	flag.StringVar(&c.before, "before", "", "an older binary to measure side by side (GUI scenarios; it may lack serve, --pprof and the ready lines)")
	flag.StringVar(&c.display, "display", "", "X display for the GUI runs (default: start Xvfb on a free one)")
	flag.DurationVar(&c.warmup, "warmup", 12*time.Second, "warm-up before measuring")
	flag.DurationVar(&c.measure, "measure", 15*time.Second, "measuring window")
	flag.IntVar(&c.runs, "runs", 3, "runs per scenario (medians are reported)")
	flag.StringVar(&c.only, "only", "", "comma-separated scenario names to run")
	flag.StringVar(&c.size, "size", "1366x768", "window size")
	flag.DurationVar(&c.soak, "soak", 0, "instead of the table: one long run sampling RSS (e.g. 1h)")
	flag.Float64Var(&c.soakRate, "rate", 2000, "with -soak: danmaku per second")
	flag.DurationVar(&c.soakEvery, "every", 30*time.Second, "with -soak: sampling interval")
	flag.BoolVar(&c.soakGUI, "gui", true, "with -soak: run the GUI (controller view) rather than serve")
	flag.Parse()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "benchapp:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	if _, err := os.Stat(c.bin); err != nil {
		return fmt.Errorf("binary %s: %w (make build first)", c.bin, err)
	}
	needX := c.soak > 0 && c.soakGUI
	for _, s := range selected(c) {
		needX = needX || s.gui
	}
	if needX {
		stop, err := ensureX(&c)
		if err != nil {
			return err
		}
		defer stop()
	}
	if c.soak > 0 {
		return soak(c)
	}
	type row struct {
		s       scenario
		binary  string
		results []result
	}
	var rows []row
	for _, s := range selected(c) {
		bins := []string{c.bin}
		if c.before != "" && s.baseline {
			bins = append([]string{c.before}, bins...)
		}
		for _, bin := range bins {
			r := row{s: s, binary: bin}
			for i := range c.runs {
				res, err := measure(c, s, bin)
				if err != nil {
					return fmt.Errorf("%s (%s) run %d: %w", s.name, bin, i+1, err)
				}
				fmt.Fprintf(os.Stderr, "%-26s %-28s run %d: %s\n", s.name, filepath.Base(bin), i+1, res)
				r.results = append(r.results, res)
			}
			rows = append(rows, r)
		}
	}
	fmt.Printf("\nstudiodesk bench-app: medians of %d runs; warm-up %v, measured %v; GUI under Xvfb with software GL, %s\n\n", c.runs, c.warmup, c.measure, c.size)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tbinary\tCPU % (one core)\tRSS MB\tpeak RSS MB\texec→ready ms\texec→first frame ms\tallocs MB/s\tallocs k/s")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.s.name, filepath.Base(r.binary),
			med(r.results, func(x result) float64 { return x.cpu }, "%.1f"),
			med(r.results, func(x result) float64 { return x.rss }, "%.0f"),
			med(r.results, func(x result) float64 { return x.hwm }, "%.0f"),
			med(r.results, func(x result) float64 { return x.ready }, "%.0f"),
			med(r.results, func(x result) float64 { return x.frame }, "%.0f"),
			med(r.results, func(x result) float64 { return x.allocMB }, "%.2f"),
			med(r.results, func(x result) float64 { return x.allocK }, "%.1f"))
	}
	return tw.Flush()
}

func selected(c config) []scenario {
	if c.soak > 0 {
		return nil
	}
	if c.only == "" {
		return scenarios
	}
	var out []scenario
	for _, s := range scenarios {
		if slices.Contains(strings.Split(c.only, ","), s.name) {
			out = append(out, s)
		}
	}
	return out
}

// result is one run's figures; -1 means not available.
type result struct {
	cpu, rss, hwm, ready, frame, allocMB, allocK float64
}

func (r result) String() string {
	return fmt.Sprintf("cpu %.1f%% rss %.0f MB peak %.0f MB ready %.0f ms frame %.0f ms allocs %.2f MB/s %.1f k/s", r.cpu, r.rss, r.hwm, r.ready, r.frame, r.allocMB, r.allocK)
}

// med is the median of the available figures, "n/a" if none.
func med(rs []result, f func(result) float64, format string) string {
	var v []float64
	for _, r := range rs {
		if x := f(r); x >= 0 {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return "n/a"
	}
	slices.Sort(v)
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return fmt.Sprintf(format, m)
}

// proc is a started desk and what its log said when.
type proc struct {
	cmd     *exec.Cmd
	started time.Time
	pprof   string
	mu      sync.Mutex
	lines   []string
	seen    map[string]time.Time
	done    chan struct{}
}

var (
	reReady = regexp.MustCompile(`studiodesk: ready in \d+ ms`)
	reFrame = regexp.MustCompile(`studiodesk: first frame in \d+ ms`)
)

func start(c config, s scenario, bin, data string, legacy bool) (*proc, error) {
	var args []string
	if !s.gui {
		args = append(args, "serve", "--osc-addr", "off")
	}
	args = append(args, "--data", data, "--overlay", "127.0.0.1:0", "--remote-addr", "127.0.0.1:0",
		"--sim-profile", s.profile, "--sim-rate", strconv.FormatFloat(s.rate, 'f', -1, 64))
	if s.demoRun {
		args = append(args, "--demo-run")
	}
	if s.gui {
		args = append(args, "--view", s.view, "--size", c.size)
	}
	p := &proc{seen: map[string]time.Time{}, done: make(chan struct{})}
	if !legacy {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		p.pprof = "127.0.0.1:" + strconv.Itoa(port)
		args = append(args, "--pprof", p.pprof)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "LIBGL_ALWAYS_SOFTWARE=1", "LANG=zh_CN.UTF-8", "DISPLAY="+c.display)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = io.Discard
	p.cmd = cmd
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			now := time.Now()
			l := sc.Text()
			p.mu.Lock()
			if len(p.lines) < 2000 {
				p.lines = append(p.lines, l)
			}
			for key, re := range map[string]*regexp.Regexp{"ready": reReady, "frame": reFrame} {
				if _, ok := p.seen[key]; !ok && re.MatchString(l) {
					p.seen[key] = now
				}
			}
			p.mu.Unlock()
		}
		_ = cmd.Wait()
	}()
	return p, nil
}

func (p *proc) since(key string) float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.seen[key]
	if !ok {
		return -1
	}
	return float64(t.Sub(p.started).Microseconds()) / 1000
}

func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

func (p *proc) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM and waits; a desk that does not stop is killed and
// reported.
func (p *proc) stop() error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		return errors.New("did not stop within 10 s of SIGTERM")
	}
}

func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

func measure(c config, s scenario, bin string) (result, error) {
	legacy := bin == c.before
	data, err := os.MkdirTemp("", "benchapp-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(data)
	p, err := start(c, s, bin, data, legacy)
	if err != nil {
		return result{}, err
	}
	if s.restart {
		// Crash mid-show, then the measured run is the second exec.
		if err := waitFor(p, "ready", 20*time.Second); err != nil {
			p.kill()
			return result{}, err
		}
		time.Sleep(3 * time.Second)
		p.kill()
		if p, err = start(c, s, bin, data, legacy); err != nil {
			return result{}, err
		}
		if err := waitFor(p, "ready", 20*time.Second); err != nil {
			p.kill()
			return result{}, err
		}
		if !strings.Contains(p.log(), `run "`) || strings.Contains(p.log(), `run ""`) {
			p.kill()
			return result{}, fmt.Errorf("second exec did not resume the show:\n%s", p.log())
		}
	}
	defer func() {
		if p.alive() {
			p.kill()
		}
	}()
	time.Sleep(c.warmup)
	if !p.alive() {
		return result{}, fmt.Errorf("the desk exited during warm-up:\n%s", p.log())
	}
	pid := p.cmd.Process.Pid
	t0, cpu0, err := cpuTicks(pid)
	if err != nil {
		return result{}, err
	}
	m0, mErr := metrics(p.pprof)
	time.Sleep(c.measure)
	t1, cpu1, err := cpuTicks(pid)
	if err != nil {
		return result{}, fmt.Errorf("%w; log:\n%s", err, p.log())
	}
	m1, mErr1 := metrics(p.pprof)
	rss, hwm, err := memory(pid)
	if err != nil {
		return result{}, err
	}
	res := result{cpu: 100 * float64(cpu1-cpu0) / clkTck / t1.Sub(t0).Seconds(), rss: rss, hwm: hwm,
		ready: p.since("ready"), frame: p.since("frame"), allocMB: -1, allocK: -1}
	if !s.gui {
		res.frame = -1
	}
	if mErr == nil && mErr1 == nil {
		secs := t1.Sub(t0).Seconds()
		res.allocMB = float64(m1.AllocBytes-m0.AllocBytes) / 1e6 / secs
		res.allocK = float64(m1.AllocObjects-m0.AllocObjects) / 1e3 / secs
	}
	if err := p.stop(); err != nil && !legacy {
		// an older binary may not handle SIGTERM; it was killed
		return result{}, err
	}
	return res, nil
}

func waitFor(p *proc, key string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if p.since(key) >= 0 {
			return nil
		}
		if !p.alive() {
			return fmt.Errorf("the desk exited before %q:\n%s", key, p.log())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("no %q line in %v:\n%s", key, d, p.log())
}

// clkTck is USER_HZ, the unit of /proc/PID/stat times (100 on Linux).
const clkTck = 100

// cpuTicks reads utime+stime of the process (all threads).
func cpuTicks(pid int) (time.Time, uint64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	now := time.Now()
	if err != nil {
		return now, 0, err
	}
	// fields after the command name (which may hold spaces) start at ") "
	i := strings.LastIndexByte(string(raw), ')')
	f := strings.Fields(string(raw[i+2:]))
	if len(f) < 13 {
		return now, 0, fmt.Errorf("/proc/%d/stat: short", pid)
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return now, 0, fmt.Errorf("/proc/%d/stat: bad times", pid)
	}
	return now, ut + st, nil
}

// memory reads VmRSS and VmHWM in MB.
func memory(pid int) (rss, hwm float64, err error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, l := range strings.Split(string(raw), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[0], 64)
		switch k {
		case "VmRSS":
			rss = kb / 1024
		case "VmHWM":
			hwm = kb / 1024
		}
	}
	return rss, hwm, nil
}

type runtimeMetrics struct {
	AllocBytes   uint64 `json:"alloc_bytes"`
	AllocObjects uint64 `json:"alloc_objects"`
	HeapLive     uint64 `json:"heap_live"`
}

func metrics(addr string) (runtimeMetrics, error) {
	var m runtimeMetrics
	if addr == "" {
		return m, errors.New("no --pprof")
	}
	resp, err := http.Get("http://" + addr + "/debug/metrics")
	if err != nil {
		return m, err
	}
	defer resp.Body.Close()
	err = json.NewDecoder(resp.Body).Decode(&m)
	return m, err
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// ensureX uses c.display if an X server answers there (starting Xvfb on it
// if not), or starts Xvfb on the first free display from :140.
func ensureX(c *config) (func(), error) {
	if c.display != "" && xRunning(c.display) {
		return func() {}, nil
	}
	if c.display == "" {
		for n := 140; n < 200; n++ {
			d := ":" + strconv.Itoa(n)
			if !xRunning(d) {
				if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); err != nil {
					c.display = d
					break
				}
			}
		}
		if c.display == "" {
			return nil, errors.New("no free X display in :140-:199")
		}
	}
	x := exec.Command("Xvfb", c.display, "-screen", "0", "1920x1080x24", "-nolisten", "tcp")
	if err := x.Start(); err != nil {
		return nil, fmt.Errorf("start Xvfb %s: %w (apt-get install xvfb)", c.display, err)
	}
	for range 100 {
		if xRunning(c.display) {
			return func() { _ = x.Process.Signal(syscall.SIGTERM); _ = x.Wait() }, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = x.Process.Kill()
	return nil, fmt.Errorf("display %s: Xvfb did not start", c.display)
}

func xRunning(display string) bool {
	n := strings.TrimPrefix(display, ":")
	if i := strings.IndexByte(n, '.'); i >= 0 {
		n = n[:i]
	}
	conn, err := net.DialTimeout("unix", "/tmp/.X11-unix/X"+n, time.Second)
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}

// soak runs one desk for c.soak at c.soakRate and samples RSS.
func soak(c config) error {
	s := scenario{name: "soak", gui: c.soakGUI, view: "controller", profile: "normal", rate: c.soakRate, demoRun: true}
	data, err := os.MkdirTemp("", "benchapp-soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)
	p, err := start(c, s, c.bin, data, false)
	if err != nil {
		return err
	}
	defer func() {
		if p.alive() {
			p.kill()
		}
	}()
	mode := "headless"
	if s.gui {
		mode = "GUI controller view"
	}
	fmt.Printf("soak: %s, %g danmaku/s, %v, sample every %v\n", mode, c.soakRate, c.soak, c.soakEvery)
	fmt.Println("elapsed\tRSS MB\tpeak MB\theap live MB\tCPU % since last")
	begin := time.Now()
	_, lastCPU, _ := cpuTicks(p.cmd.Process.Pid)
	last := begin
	var at10 float64 = -1
	var after []float64
	for time.Since(begin) < c.soak {
		time.Sleep(c.soakEvery)
		if !p.alive() {
			return fmt.Errorf("the desk exited:\n%s", p.log())
		}
		now, ticks, err := cpuTicks(p.cmd.Process.Pid)
		if err != nil {
			return err
		}
		rss, hwm, err := memory(p.cmd.Process.Pid)
		if err != nil {
			return err
		}
		live := -1.0
		if m, err := metrics(p.pprof); err == nil {
			live = float64(m.HeapLive) / 1e6
		}
		el := time.Since(begin)
		cpu := 100 * float64(ticks-lastCPU) / clkTck / now.Sub(last).Seconds()
		lastCPU, last = ticks, now
		fmt.Printf("%v\t%.1f\t%.1f\t%.1f\t%.1f\n", el.Round(time.Second), rss, hwm, live, cpu)
		if el >= 10*time.Minute {
			if at10 < 0 {
				at10 = rss
			}
			after = append(after, rss)
		}
	}
	if len(after) > 0 {
		lo, hi := slices.Min(after), slices.Max(after)
		fmt.Printf("\nRSS at 10 min: %.1f MB; from 10 min to the end: min %.1f, max %.1f, last %.1f MB; spread %+.1f%% / %+.1f%% of the 10-min figure\n",
			at10, lo, hi, after[len(after)-1], 100*(lo-at10)/at10, 100*(hi-at10)/at10)
	}
	return p.stop()
}
