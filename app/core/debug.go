package core

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

// checkLoopback accepts host:port where host is a loopback address or
// "localhost": profiles show the desk's memory and must not leave the PC.
func checkLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want 127.0.0.1:PORT: %w", err)
	}
	if port == "" {
		return errors.New("want 127.0.0.1:PORT: no port")
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("profiles are served on a loopback address only (127.0.0.1 or ::1), not %q", host)
	}
	return nil
}

// debugServer serves net/http/pprof and /debug/metrics on loopback.
type debugServer struct {
	srv *http.Server
	ln  net.Listener
}

// MetricsPath serves the runtime figures make bench-app reads: total heap
// allocations (bytes and objects), live heap, GC cycles, goroutines.
const MetricsPath = "/debug/metrics"

func startDebug(addr string, logf func(string, ...any)) (*debugServer, error) {
	if err := checkLoopback(addr); err != nil {
		return nil, fmt.Errorf("--pprof %q: %w", addr, err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--pprof %q: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc(MetricsPath, serveMetrics)
	d := &debugServer{ln: ln, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}}
	go func() { _ = d.srv.Serve(ln) }()
	logf("studiodesk: profiles on http://%s/debug/pprof/ (loopback only)", ln.Addr())
	return d, nil
}

func (d *debugServer) close() { _ = d.srv.Close() }

// Metrics are the runtime figures served on MetricsPath.
type Metrics struct {
	AllocBytes   uint64 `json:"alloc_bytes"`   // cumulative heap allocations
	AllocObjects uint64 `json:"alloc_objects"` // cumulative heap objects
	HeapLive     uint64 `json:"heap_live"`     // live heap after the last GC
	GCCycles     uint64 `json:"gc_cycles"`
	Goroutines   uint64 `json:"goroutines"`
	Frames       uint64 `json:"frames"`  // windows painted (the GUI counts them; 0 headless)
	Danmaku      int64  `json:"danmaku"` // danmaku received by the pipeline
}

// pipelineStats reports the running desk's danmaku count to the metrics.
var pipelineStats atomic.Pointer[func() int64]

// Frames counts painted frames; the GUI's frame probe adds to it.
var Frames atomic.Uint64

var metricNames = []string{"/gc/heap/allocs:bytes", "/gc/heap/allocs:objects", "/gc/heap/live:bytes", "/gc/cycles/total:gc-cycles", "/sched/goroutines:goroutines"}

// ReadMetrics samples the runtime.
func ReadMetrics() Metrics {
	s := make([]metrics.Sample, len(metricNames))
	for i, n := range metricNames {
		s[i].Name = n
	}
	metrics.Read(s)
	v := func(i int) uint64 {
		if s[i].Value.Kind() == metrics.KindUint64 {
			return s[i].Value.Uint64()
		}
		return 0
	}
	m := Metrics{AllocBytes: v(0), AllocObjects: v(1), HeapLive: v(2), GCCycles: v(3), Goroutines: v(4), Frames: Frames.Load()}
	if f := pipelineStats.Load(); f != nil {
		m.Danmaku = (*f)()
	}
	return m
}

func serveMetrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(ReadMetrics())
}
