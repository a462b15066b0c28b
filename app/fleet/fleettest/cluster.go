// Package fleettest starts real in-process NATS JetStream hubs on
// loopback ports for tests: one hub, or a cluster of three with routes
// between them, the agency user and a user per studio with the fleet's
// real permissions. Servers can be killed and restarted on the same
// ports and store to test faults.
package fleettest

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"studiodesk/app/fleet"
	"studiodesk/app/fleet/hub"
)

// Agency credentials of every test cluster.
const (
	AgencyUser     = "agency"
	AgencyPassword = "agency-secret"
)

// Password is the test password of a studio.
func Password(id string) string { return "pw-" + id }

// Cluster is a running set of hubs.
type Cluster struct {
	t       testing.TB
	Configs []hub.Config
	Hubs    []*hub.Hub // nil while killed
	Studios []string
}

// FreePort returns a loopback TCP port nothing listens on right now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Start starts n hubs (1, or 3 for a cluster with replicas 3) serving
// the given studios, and waits until the library and the studios'
// streams and buckets exist. Everything stops with the test.
func Start(t testing.TB, n int, studios ...string) *Cluster {
	t.Helper()
	c := &Cluster{t: t, Studios: studios}
	dir := t.TempDir()
	clientPorts, routePorts := make([]int, n), make([]int, n)
	for i := range n {
		clientPorts[i], routePorts[i] = FreePort(t), FreePort(t)
	}
	users := make([]hub.StudioUser, len(studios))
	for i, id := range studios {
		users[i] = hub.StudioUser{ID: id, User: hub.User{User: "studio-" + id, Password: Password(id)}}
	}
	for i := range n {
		cfg := hub.Config{
			Name:    fmt.Sprintf("hub-%d", i+1),
			Listen:  fmt.Sprintf("127.0.0.1:%d", clientPorts[i]),
			Store:   filepath.Join(dir, fmt.Sprintf("hub-%d", i+1)),
			Agency:  hub.User{User: AgencyUser, Password: AgencyPassword},
			Studios: users,
		}
		if n > 1 {
			cc := &hub.ClusterConfig{Name: "fleet-test", Listen: fmt.Sprintf("127.0.0.1:%d", routePorts[i])}
			for j := range n {
				if j != i {
					cc.Routes = append(cc.Routes, fmt.Sprintf("nats-route://127.0.0.1:%d", routePorts[j]))
				}
			}
			cfg.Cluster = cc
		}
		c.Configs = append(c.Configs, cfg)
	}
	c.Hubs = make([]*hub.Hub, n)
	for i := range n {
		c.start(i)
	}
	t.Cleanup(c.Close)
	c.WaitReady(60 * time.Second)
	return c
}

// StartOn starts one hub on the given client port (a desk already
// configured with that address joins it when it comes up).
func StartOn(t testing.TB, port int, studios ...string) *Cluster {
	t.Helper()
	c := &Cluster{t: t, Studios: studios}
	users := make([]hub.StudioUser, len(studios))
	for i, id := range studios {
		users[i] = hub.StudioUser{ID: id, User: hub.User{User: "studio-" + id, Password: Password(id)}}
	}
	c.Configs = []hub.Config{{Name: "hub-1", Listen: fmt.Sprintf("127.0.0.1:%d", port), Store: t.TempDir(), Agency: hub.User{User: AgencyUser, Password: AgencyPassword}, Studios: users}}
	c.Hubs = make([]*hub.Hub, 1)
	c.start(0)
	t.Cleanup(c.Close)
	c.WaitReady(60 * time.Second)
	return c
}

func (c *Cluster) start(i int) {
	c.t.Helper()
	h, err := hub.Start(c.Configs[i], func(f string, a ...any) { c.t.Logf(f, a...) })
	if err != nil {
		c.t.Fatalf("start %s: %v", c.Configs[i].Name, err)
	}
	c.Hubs[i] = h
}

// WaitReady waits until every running hub has provisioned.
func (c *Cluster) WaitReady(d time.Duration) {
	c.t.Helper()
	deadline := time.After(d)
	for _, h := range c.Hubs {
		if h == nil {
			continue
		}
		select {
		case <-h.Ready():
		case <-deadline:
			c.t.Fatalf("fleet test cluster not provisioned within %v", d)
		}
	}
}

// URL lists every hub's client URL (a desk is given all of them, as a
// studio would be given its cluster's seed list).
func (c *Cluster) URL() string {
	urls := make([]string, len(c.Configs))
	for i, cfg := range c.Configs {
		urls[i] = "nats://" + cfg.Listen
	}
	return strings.Join(urls, ",")
}

// Desk is the fleet config of a desk of studio id.
func (c *Cluster) Desk(id string) fleet.Config {
	return fleet.Config{URL: c.URL(), Studio: id, User: "studio-" + id, Password: Password(id), HeartbeatTimeout: fleet.DefaultHeartbeatTimeout}
}

// Agency connects as the agency (every right); closed with the test.
func (c *Cluster) Agency() (*nats.Conn, jetstream.JetStream) {
	c.t.Helper()
	nc, err := nats.Connect(c.URL(), nats.UserInfo(AgencyUser, AgencyPassword), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		c.t.Fatalf("agency connect: %v", err)
	}
	c.t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		c.t.Fatalf("agency jetstream: %v", err)
	}
	return nc, js
}

// Kill stops hub i at once (its store stays for Restart).
func (c *Cluster) Kill(i int) {
	if h := c.Hubs[i]; h != nil {
		h.Close()
		c.Hubs[i] = nil
	}
}

// Restart starts hub i again on the same ports and store.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	if c.Hubs[i] != nil {
		return
	}
	c.start(i)
}

// Close stops every hub.
func (c *Cluster) Close() {
	for i := range c.Hubs {
		c.Kill(i)
	}
}

// StreamInfo reads a stream's state as the agency sees it.
func (c *Cluster) StreamInfo(ctx context.Context, js jetstream.JetStream, name string) (*jetstream.StreamInfo, error) {
	s, err := js.Stream(ctx, name)
	if err != nil {
		return nil, err
	}
	return s.Info(ctx)
}
