// Package hub runs a fleet hub: an embedded NATS server with JetStream,
// the agency's and every studio's users with their permissions, the
// shared library and the studios' evidence streams and buckets. Three
// hubs with routes to each other are a cluster (replicas 3). Any standard
// NATS deployment with the same users and streams works instead.
package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"gopkg.in/yaml.v3"

	"studiodesk/app/fleet"
)

// Config is a hub's config file (YAML).
type Config struct {
	// Name is this server's name, unique in a cluster (default "hub").
	Name string `yaml:"name"`
	// Listen is the client address (default 127.0.0.1:4222).
	Listen string `yaml:"listen"`
	// Store is the JetStream directory (required).
	Store string `yaml:"store"`
	// HTTP serves the agency overview page ("" = off).
	HTTP string `yaml:"http,omitempty"`
	// Cluster joins this hub to others; Replicas is the evidence and
	// bucket replication (default 1 alone, 3 in a cluster).
	Cluster  *ClusterConfig `yaml:"cluster,omitempty"`
	Replicas int            `yaml:"replicas,omitempty"`
	// TLS for clients (a cert and key; CA for mutual TLS).
	TLS *TLSConfig `yaml:"tls,omitempty"`
	// Agency is the user that writes the library and reads every studio.
	Agency User `yaml:"agency"`
	// Studios are the studios of the fleet, each with its own user.
	Studios []StudioUser `yaml:"studios"`
	// Log writes the NATS server's own log to stderr.
	Log bool `yaml:"log,omitempty"`
}

// ClusterConfig links hubs into a JetStream cluster.
type ClusterConfig struct {
	Name   string   `yaml:"name"`
	Listen string   `yaml:"listen"`
	Routes []string `yaml:"routes,omitempty"`
	// User/Password authenticate hub-to-hub routes (optional).
	User     string `yaml:"user,omitempty"`
	Password string `yaml:"password,omitempty"`
}

// TLSConfig is a server certificate (and a CA to verify clients).
type TLSConfig struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
	CA   string `yaml:"ca"`
}

// User is a user name with a password or an nkey (public key, "U…").
type User struct {
	User     string `yaml:"user,omitempty"`
	Password string `yaml:"password,omitempty"`
	NKey     string `yaml:"nkey,omitempty"`
}

// StudioUser is one studio and its credentials.
type StudioUser struct {
	ID   string `yaml:"id"`
	User `yaml:",inline"`
}

// Load reads a hub config file; errors name the file and the field.
func Load(path string) (Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("hub config: %w", err)
	}
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("hub config %s: %w", path, err)
	}
	if err := c.Check(); err != nil {
		return Config{}, fmt.Errorf("hub config %s: %w", path, err)
	}
	return c, nil
}

// Check validates c and fills defaults.
func (c *Config) Check() error {
	if c.Name == "" {
		c.Name = "hub"
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:4222"
	}
	if _, _, err := splitHostPort(c.Listen); err != nil {
		return fmt.Errorf("listen %q: %w", c.Listen, err)
	}
	if c.Store == "" {
		return errors.New("store: the JetStream directory is required")
	}
	if c.Replicas == 0 {
		c.Replicas = 1
		if c.Cluster != nil {
			c.Replicas = 3
		}
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		return fmt.Errorf("replicas %d: want 1 to 5", c.Replicas)
	}
	if c.Cluster != nil {
		if c.Cluster.Name == "" {
			return errors.New("cluster.name: required in a cluster")
		}
		if _, _, err := splitHostPort(c.Cluster.Listen); err != nil {
			return fmt.Errorf("cluster.listen %q: %w", c.Cluster.Listen, err)
		}
		for i, r := range c.Cluster.Routes {
			if u, err := url.Parse(r); err != nil || u.Host == "" {
				return fmt.Errorf("cluster.routes[%d] %q: want nats-route://HOST:PORT", i, r)
			}
		}
	}
	if c.Agency.User == "" && c.Agency.NKey == "" {
		return errors.New("agency: a user (with password) or an nkey is required")
	}
	seen := map[string]bool{}
	users := map[string]bool{c.Agency.User: c.Agency.User != ""}
	for i, s := range c.Studios {
		if err := fleet.CheckID(s.ID); err != nil {
			return fmt.Errorf("studios[%d]: %w", i, err)
		}
		if seen[s.ID] {
			return fmt.Errorf("studios[%d]: studio %q twice", i, s.ID)
		}
		seen[s.ID] = true
		if s.User.User == "" && s.NKey == "" {
			return fmt.Errorf("studios[%d] (%s): a user (with password) or an nkey is required", i, s.ID)
		}
		if s.User.User != "" {
			if users[s.User.User] {
				return fmt.Errorf("studios[%d] (%s): user %q is used twice", i, s.ID, s.User.User)
			}
			users[s.User.User] = true
		}
	}
	return nil
}

func splitHostPort(addr string) (string, int, error) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 0 || n > 65535 {
		return "", 0, fmt.Errorf("port %q: want 0 to 65535", p)
	}
	return h, n, nil
}

// ServerOptions are the NATS server options for c.
func (c Config) ServerOptions() (*server.Options, error) {
	host, port, err := splitHostPort(c.Listen)
	if err != nil {
		return nil, err
	}
	o := &server.Options{
		ServerName: c.Name,
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   c.Store,
		NoSigs:     true,
		MaxPayload: 1 << 20,
	}
	add := func(u User, p *server.Permissions) {
		if u.NKey != "" {
			o.Nkeys = append(o.Nkeys, &server.NkeyUser{Nkey: u.NKey, Permissions: p})
		}
		if u.User != "" {
			o.Users = append(o.Users, &server.User{Username: u.User, Password: u.Password, Permissions: p})
		}
	}
	add(c.Agency, fleet.AgencyPermissions())
	for _, s := range c.Studios {
		add(s.User, fleet.StudioPermissions(s.ID))
	}
	if c.Cluster != nil {
		ch, cp, err := splitHostPort(c.Cluster.Listen)
		if err != nil {
			return nil, err
		}
		o.Cluster = server.ClusterOpts{Name: c.Cluster.Name, Host: ch, Port: cp, Username: c.Cluster.User, Password: c.Cluster.Password}
		for _, r := range c.Cluster.Routes {
			u, err := url.Parse(r)
			if err != nil {
				return nil, err
			}
			o.Routes = append(o.Routes, u)
		}
	}
	if c.TLS != nil {
		tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: c.TLS.Cert, KeyFile: c.TLS.Key, CaFile: c.TLS.CA, Verify: c.TLS.CA != ""})
		if err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		o.TLSConfig, o.TLS, o.TLSVerify = tc, true, c.TLS.CA != ""
	}
	return o, nil
}

// Hub is a running hub.
type Hub struct {
	Config Config
	Server *server.Server
	// Conn and JS are the hub's own in-process connection (agency rights).
	Conn *nats.Conn
	JS   jetstream.JetStream

	logf      func(string, ...any)
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	mu        sync.Mutex
	ready     bool
	readyCh   chan struct{}
	closeOnce sync.Once
	onClose   []func()
}

// Start starts the server and, in the background, provisions the library
// and the studios' streams and buckets (in a cluster that waits for the
// other hubs; Ready reports when it is done).
func Start(c Config, logf func(string, ...any)) (*Hub, error) {
	if err := c.Check(); err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	if logf == nil {
		logf = log.Printf
	}
	o, err := c.ServerOptions()
	if err != nil {
		return nil, fmt.Errorf("hub %s: %w", c.Name, err)
	}
	s, err := server.NewServer(o)
	if err != nil {
		return nil, fmt.Errorf("hub %s: %w", c.Name, err)
	}
	if c.Log {
		s.ConfigureLogger()
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("hub %s: not ready on %s within 10 s", c.Name, c.Listen)
	}
	opts := []nats.Option{nats.InProcessServer(s), nats.Name("studiodesk hub " + c.Name), nats.MaxReconnects(-1)}
	if c.Agency.User != "" {
		opts = append(opts, nats.UserInfo(c.Agency.User, c.Agency.Password))
	}
	nc, err := nats.Connect("", opts...)
	if err != nil {
		s.Shutdown()
		return nil, fmt.Errorf("hub %s: own connection: %w", c.Name, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		s.Shutdown()
		return nil, fmt.Errorf("hub %s: %w", c.Name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Hub{Config: c, Server: s, Conn: nc, JS: js, logf: logf, cancel: cancel, readyCh: make(chan struct{})}
	h.wg.Add(1)
	go h.provision(ctx)
	if err := h.startServices(); err != nil {
		h.Close()
		return nil, err
	}
	return h, nil
}

// provision retries until the library and every studio exist (a cluster
// needs a meta leader and enough peers for the replicas first).
func (h *Hub) provision(ctx context.Context) {
	defer h.wg.Done()
	ids := make([]string, len(h.Config.Studios))
	for i, s := range h.Config.Studios {
		ids[i] = s.ID
	}
	wait, last := 200*time.Millisecond, ""
	for {
		// In a cluster, nothing can be created before the meta group has
		// a leader; asking earlier only waits out a timeout.
		for h.Config.Cluster != nil && !h.Server.JetStreamIsCurrent() {
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
		t0 := time.Now()
		err := fleet.Provision(ctx, h.JS, h.Config.Replicas, ids...)
		if err == nil {
			h.mu.Lock()
			h.ready = true
			h.mu.Unlock()
			close(h.readyCh)
			h.logf("hub %s: library and %d studios ready (replicas %d, %v)", h.Config.Name, len(ids), h.Config.Replicas, time.Since(t0).Round(time.Millisecond))
			return
		}
		if msg := err.Error(); msg != last {
			h.logf("hub %s: waiting to provision: %v", h.Config.Name, err)
			last = msg
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if wait < 2*time.Second {
			wait *= 2
		}
	}
}

// Ready is closed once the library and the studios are provisioned.
func (h *Hub) Ready() <-chan struct{} { return h.readyCh }

// ClientURL is the URL desks connect to.
func (h *Hub) ClientURL() string { return h.Server.ClientURL() }

// OnClose registers f to run when the hub closes (before the server stops).
func (h *Hub) OnClose(f func()) {
	h.mu.Lock()
	h.onClose = append(h.onClose, f)
	h.mu.Unlock()
}

// Close stops the hub: its own parts, its connection, then the server
// (which flushes JetStream to disk).
func (h *Hub) Close() {
	h.closeOnce.Do(func() {
		h.cancel()
		h.wg.Wait()
		h.mu.Lock()
		fs := h.onClose
		h.mu.Unlock()
		for i := len(fs) - 1; i >= 0; i-- {
			fs[i]()
		}
		h.Conn.Close()
		h.Server.Shutdown()
		h.Server.WaitForShutdown()
	})
}

// Service is something a hub serves beside NATS (the agency overview
// page); services register themselves in init and start with every hub.
type Service struct {
	Name  string
	Start func(h *Hub) (io.Closer, error)
}

var (
	servicesMu sync.Mutex
	services   []Service
)

// RegisterService adds a service to every hub started afterwards.
func RegisterService(s Service) {
	servicesMu.Lock()
	services = append(services, s)
	servicesMu.Unlock()
}

func (h *Hub) startServices() error {
	servicesMu.Lock()
	ss := append([]Service(nil), services...)
	servicesMu.Unlock()
	for _, s := range ss {
		c, err := s.Start(h)
		if err != nil {
			return fmt.Errorf("hub %s: %s: %w", h.Config.Name, s.Name, err)
		}
		if c != nil {
			h.OnClose(func() { _ = c.Close() })
		}
	}
	return nil
}
