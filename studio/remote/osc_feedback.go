package remote

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"sync"
	"time"

	"github.com/hypebeast/go-osc/osc"
)

// OSC feedback: a paired device sends /studiodesk/subscribe <token> [port]
// and from then on receives each Stream Deck field as its own OSC message
// whenever it changes (and all of them right after subscribing):
//
//	/studiodesk/feedback/left        ,s "04:12"
//	/studiodesk/feedback/preset/1/name ,s "开场全景"
//
// feedbackValues lists them all. /studiodesk/unsubscribe ends it; so do
// revoking the device and closing the server.

const maxOSCSubs = 16

type oscSub struct {
	dev  string
	to   *net.UDPAddr
	last map[string]any
}

type oscSubs struct {
	mu   sync.Mutex
	subs map[string]*oscSub // by destination address
	kick chan struct{}
}

func newOSCSubs() *oscSubs {
	return &oscSubs{subs: map[string]*oscSub{}, kick: make(chan struct{}, 1)}
}

func (o *oscSubs) add(dev string, to *net.UDPAddr) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := to.String()
	if _, ok := o.subs[k]; !ok && len(o.subs) >= maxOSCSubs {
		return fmt.Errorf("%w: subscribe: %d subscribers already", ErrBadRequest, maxOSCSubs)
	}
	o.subs[k] = &oscSub{dev: dev, to: to} // (re)subscribing sends everything again
	return nil
}

func (o *oscSubs) remove(dev string, from net.Addr) {
	o.mu.Lock()
	defer o.mu.Unlock()
	ua, _ := from.(*net.UDPAddr)
	for k, s := range o.subs {
		if s.dev == dev && (ua == nil || s.to.IP.Equal(ua.IP)) {
			delete(o.subs, k)
		}
	}
}

func (o *oscSubs) dropDevice(dev string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for k, s := range o.subs {
		if s.dev == dev {
			delete(o.subs, k)
		}
	}
}

func (o *oscSubs) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.subs)
}

func (s *Server) kickFeedback() {
	select {
	case s.subs.kick <- struct{}{}:
	default:
	}
}

// feedback sends changed state fields to every OSC subscriber, on every
// desk event and every StateEvery.
func (s *Server) feedback(pc net.PacketConn) {
	sub := s.cfg.Desk.Subscribe(16)
	defer sub.Close()
	t := time.NewTicker(s.cfg.StateEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case ev := <-sub.C():
			s.noteEvent(ev)
		case <-t.C:
		case <-s.subs.kick:
		}
		if s.subs.count() == 0 {
			continue
		}
		vals := feedbackValues(s.stateNow())
		s.subs.mu.Lock()
		for _, su := range s.subs.subs {
			if su.last == nil {
				su.last = map[string]any{}
			}
			keys := make([]string, 0, len(vals))
			for k, v := range vals {
				if old, ok := su.last[k]; !ok || old != v {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys)
			for _, k := range keys {
				b, err := osc.NewMessage(k, oscArg(vals[k])).MarshalBinary()
				if err != nil {
					continue
				}
				if _, err := pc.WriteTo(b, su.to); err != nil {
					if errors.Is(err, net.ErrClosed) {
						s.subs.mu.Unlock()
						return
					}
					continue
				}
				su.last[k] = vals[k]
			}
		}
		s.subs.mu.Unlock()
	}
}

// feedbackValues are the OSC feedback messages for a state.
func feedbackValues(st StateData) map[string]any {
	const p = "/studiodesk/feedback/"
	v := map[string]any{
		p + "left":           st.Deck.Left,
		p + "segment":        st.Deck.Segment,
		p + "next":           st.Deck.Next,
		p + "over_under":     st.Deck.OverUnder,
		p + "colour":         st.Deck.Colour,
		p + "clock":          st.Clock,
		p + "paused":         st.Paused,
		p + "danmaku_paused": st.DanmakuPaused,
		p + "coupon":         "",
		p + "vote":           "",
	}
	for i, pr := range st.Presets {
		base := fmt.Sprintf("%spreset/%d/", p, i+1)
		v[base+"name"] = pr.Name
		v[base+"key"] = pr.Key
		v[base+"colour"] = pr.Colour
		res := ""
		if pr.Last != nil {
			res = pr.Last.Text
		}
		v[base+"result"] = res
	}
	for _, it := range st.Interactions {
		k := p + string(it.Kind)
		if v[k] == "" && (it.State == "live" || it.State == "armed") {
			v[k] = it.Text
		}
	}
	return v
}
