package remote

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/hypebeast/go-osc/osc"

	"studiodesk/studio"
)

// BenchmarkCommandRoundTrip: 4 remotes on loopback; each command goes
// remote → data channel → desk applied → ack back, while all 4 remotes
// receive the state diffs. Reports p50/p99 in ms.
func BenchmarkCommandRoundTrip(b *testing.B) {
	r := newRig(b)
	r.mustDo(b, studio.Start{})
	clients := make([]*Client, 4)
	for i := range clients {
		p := r.pair(b, fmt.Sprintf("bench %d", i), RoleController)
		clients[i] = r.dial(b, p.Token)
	}
	// Drain state on every remote, as a real one renders it.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, c := range clients {
		go func() {
			for {
				select {
				case <-c.State():
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		if i > 0 && i%256 == 0 {
			// Keep the run's anchor list short: a real show has dozens.
			b.StopTimer()
			r.mustDo(b, studio.Rewind{}, studio.Start{})
			b.StartTimer()
		}
		c := clients[i%len(clients)]
		start := time.Now()
		if err := c.Do(ctx, studio.ActTogglePause, nil); err != nil {
			b.Fatalf("command %d: %v", i, err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		i := int(float64(len(lat)-1) * p)
		return float64(lat[i].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	if testing.Verbose() {
		b.Logf("n=%d p90=%.3f p95=%.3f max=%.3f ms", len(lat), pct(0.90), pct(0.95), pct(1))
	}
}

func pctMs(lat []time.Duration, p float64) float64 {
	slices.Sort(lat)
	return float64(lat[int(float64(len(lat)-1)*p)].Microseconds()) / 1000
}

// BenchmarkHTTPRoundTrip: POST /api/v1/toggle_pause on loopback with a
// bearer token, answered after the desk applied it (with the state).
func BenchmarkHTTPRoundTrip(b *testing.B) {
	r := newRig(b)
	r.mustDo(b, studio.Start{})
	p := r.pair(b, "companion", RoleController)
	url := r.url("/api/v1/toggle_pause")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		if i > 0 && i%256 == 0 {
			b.StopTimer()
			r.mustDo(b, studio.Rewind{}, studio.Start{})
			b.StartTimer()
		}
		req, _ := http.NewRequest(http.MethodPost, url, nil)
		req.Header.Set("Authorization", "Bearer "+p.Token)
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		lat = append(lat, time.Since(start))
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("command %d: HTTP %d", i, resp.StatusCode)
		}
	}
	b.StopTimer()
	b.ReportMetric(pctMs(lat, 0.50), "p50-ms")
	b.ReportMetric(pctMs(lat, 0.99), "p99-ms")
}

// BenchmarkOSCRoundTrip: /studiodesk/toggle_pause built by the OSC library
// over loopback UDP, timed until the desk's reply arrives.
func BenchmarkOSCRoundTrip(b *testing.B) {
	r := newRig(b)
	r.mustDo(b, studio.Start{})
	p := r.pair(b, "companion", RoleController)
	conn, err := net.Dial("udp", r.srv.OSCAddr())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	msg, err := osc.NewMessage("/studiodesk/toggle_pause", p.Token).MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 2048)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		if i > 0 && i%256 == 0 {
			b.StopTimer()
			r.mustDo(b, studio.Rewind{}, studio.Start{})
			b.StartTimer()
		}
		start := time.Now()
		if _, err := conn.Write(msg); err != nil {
			b.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			b.Fatalf("command %d: no reply: %v", i, err)
		}
		lat = append(lat, time.Since(start))
		if !bytes.Contains(buf[:n], []byte("ok")) {
			b.Fatalf("command %d: reply %q", i, buf[:n])
		}
	}
	b.StopTimer()
	b.ReportMetric(pctMs(lat, 0.50), "p50-ms")
	b.ReportMetric(pctMs(lat, 0.99), "p99-ms")
}
