package artnet_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"studiodesk/devices"
	"studiodesk/devices/artnet"
	"studiodesk/devices/artnet/artnettest"
)

func BenchmarkEncodeArtDmx(b *testing.B) {
	data := make([]byte, 512)
	buf := make([]byte, 0, 18+512)
	b.ReportAllocs()
	b.SetBytes(18 + 512)
	var seq uint8
	for b.Loop() {
		seq++
		buf, _ = artnet.EncodeArtDmx(buf[:0], seq, 0, 1, data)
	}
}

// BenchmarkFadeOutput runs a real 3-s fade to a loopback receiver and
// reports the frame rate and how far each inter-frame gap strays from the
// 25-ms period.
func BenchmarkFadeOutput(b *testing.B) {
	rx, err := artnettest.NewReceiver()
	if err != nil {
		b.Fatal(err)
	}
	defer rx.Close()
	node, err := artnet.NewNode(artnet.NodeConfig{Name: "bench", Addr: rx.Addr()})
	if err != nil {
		b.Fatal(err)
	}
	defer node.Close()
	f, _ := artnet.NewFixture("key", "主光", "bicolor", 1)
	key, err := node.AddFixture(f)
	if err != nil {
		b.Fatal(err)
	}
	const fade = 3 * time.Second
	const period = 25 * time.Millisecond
	var rates, jitter []float64 // jitter pooled over all runs, in ms
	up := true
	if _, err := rx.Next(time.Second); err != nil { // the patch announcement
		b.Fatal(err)
	}
	for b.Loop() {
		rx.Drain() // keep-alives between runs
		pct := 0
		if up {
			pct = 100
		}
		up = !up
		if err := key.Apply(context.Background(), devices.Target{Light: &devices.LightTarget{Brightness: &pct}, Fade: fade}); err != nil {
			b.Fatal(err)
		}
		var at []time.Time
		for {
			fr, err := rx.Next(time.Second)
			if err != nil {
				b.Fatal(err)
			}
			at = append(at, fr.At)
			if fr.Slot(1) == pct*255/100 && fr.At.Sub(at[0]) >= fade-period {
				break
			}
		}
		for i := 1; i < len(at); i++ {
			gap := at[i].Sub(at[i-1])
			jitter = append(jitter, float64((gap-period).Abs())/float64(time.Millisecond))
		}
		rates = append(rates, float64(len(at)-1)/at[len(at)-1].Sub(at[0]).Seconds())
	}
	slices.Sort(jitter)
	b.ReportMetric(mean(rates), "frames/s")
	b.ReportMetric(pct50(jitter), "jitter-p50-ms")
	b.ReportMetric(pct99(jitter), "jitter-p99-ms")
}

func pct50(sorted []float64) float64 { return sorted[len(sorted)/2] }
func pct99(sorted []float64) float64 {
	return sorted[min(len(sorted)-1, (len(sorted)*99+99)/100-1)]
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
