package fleet

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config is how a desk joins a fleet. The zero value is "no fleet": the
// desk is an island, exactly as without this package.
type Config struct {
	// URL is one or more NATS server URLs, comma-separated
	// (nats://HOST:4222 or tls://HOST:4222).
	URL string
	// Studio is this desk's studio id (see CheckID).
	Studio string
	// Credentials: user/password, an nkey seed file, or a creds file
	// (a standard NATS decentralised-auth deployment).
	User, Password string
	NKeyFile       string
	CredsFile      string
	// TLS: a CA bundle to trust and, for mutual TLS, a client cert/key.
	CAFile, CertFile, KeyFile string
	// StandbyFor makes this desk a hot standby for that studio (it follows
	// the primary read-only and takes over when its heartbeat stops).
	StandbyFor string
	// HeartbeatTimeout is how long a standby waits after the primary's
	// last heartbeat before taking over (default 3 s).
	HeartbeatTimeout time.Duration
	// Producer makes this desk a producer desk of the studio: it prepares
	// shows, presets and interactions (rehearsals run locally) and syncs
	// them through the library like any desk, but never contends for the
	// studio's lease, never follows the primary and never goes on air
	// (docs/fleet-standby.md, "The producer desk").
	Producer bool
	// Name labels the connection in the hub's monitoring (default
	// "studiodesk <studio>").
	Name string
}

// DefaultHeartbeatTimeout is the standby's default patience.
const DefaultHeartbeatTimeout = 3 * time.Second

// Register defines the fleet flags on fs. The password may also come
// from $STUDIODESK_FLEET_PASSWORD, so it need not sit in a process list.
func (c *Config) Register(fs *flag.FlagSet) {
	c.RegisterConnection(fs, "join a fleet: NATS server URL(s), comma-separated (nats://HOST:4222); off by default", "fleet")
	fs.StringVar(&c.Studio, "studio", "", "this desk's studio id in the fleet (a-z, 0-9, '-')")
	fs.StringVar(&c.StandbyFor, "standby-for", "", "run as a hot standby for this studio id (follow read-only, take over when the primary stops)")
	fs.BoolVar(&c.Producer, "fleet-producer", false, "a producer desk of the studio: prepare shows and presets (rehearsal only), never on air, never the primary")
	fs.DurationVar(&c.HeartbeatTimeout, "standby-timeout", DefaultHeartbeatTimeout, "how long a standby waits after the primary's last heartbeat")
}

// RegisterConnection defines the flags that reach the fleet (--fleet,
// the credentials and TLS), shared by the desk and the fleet commands;
// urlUsage says what --fleet is for, who whose credentials they are
// ("fleet", "agency").
func (c *Config) RegisterConnection(fs *flag.FlagSet, urlUsage, who string) {
	fs.StringVar(&c.URL, "fleet", "", urlUsage)
	fs.StringVar(&c.User, "fleet-user", "", who+" user name")
	fs.StringVar(&c.Password, "fleet-password", os.Getenv("STUDIODESK_FLEET_PASSWORD"), who+" password (default $STUDIODESK_FLEET_PASSWORD)")
	fs.StringVar(&c.NKeyFile, "fleet-nkey", "", who+" nkey seed file")
	fs.StringVar(&c.CredsFile, "fleet-creds", "", who+" credentials file (NATS .creds)")
	fs.StringVar(&c.CAFile, "fleet-ca", "", "CA bundle to trust for the fleet's TLS")
	fs.StringVar(&c.CertFile, "fleet-cert", "", "client certificate for the fleet's mutual TLS")
	fs.StringVar(&c.KeyFile, "fleet-key", "", "client key for the fleet's mutual TLS")
}

// Enabled reports whether a fleet is configured.
func (c Config) Enabled() bool { return c.URL != "" }

// Check validates the settings after parsing; it names the flag at fault.
func (c *Config) Check() error {
	if !c.Enabled() {
		for flagName, v := range map[string]string{"--studio": c.Studio, "--standby-for": c.StandbyFor, "--fleet-user": c.User, "--fleet-nkey": c.NKeyFile, "--fleet-creds": c.CredsFile} {
			if v != "" {
				return fmt.Errorf("%s: needs --fleet nats://HOST:4222", flagName)
			}
		}
		if c.Producer {
			return errors.New("--fleet-producer: needs --fleet nats://HOST:4222")
		}
		return nil
	}
	if c.Producer && c.StandbyFor != "" {
		return fmt.Errorf("--fleet-producer and --standby-for %q: a producer desk never goes on air, so it cannot stand by; give one of them", c.StandbyFor)
	}
	if c.StandbyFor != "" {
		if c.Studio == "" {
			c.Studio = c.StandbyFor
		}
		if c.Studio != c.StandbyFor {
			return fmt.Errorf("--standby-for %q: a standby belongs to the studio it stands in for, not --studio %q", c.StandbyFor, c.Studio)
		}
	}
	if c.Studio == "" {
		return errors.New("--fleet: needs --studio ID")
	}
	if err := CheckID(c.Studio); err != nil {
		return fmt.Errorf("--studio: %w", err)
	}
	for _, u := range strings.Split(c.URL, ",") {
		p, err := url.Parse(strings.TrimSpace(u))
		if err != nil || p.Host == "" {
			return fmt.Errorf("--fleet %q: want nats://HOST:PORT or tls://HOST:PORT", u)
		}
		switch p.Scheme {
		case "nats", "tls", "ws", "wss":
		default:
			return fmt.Errorf("--fleet %q: scheme %q: want nats, tls, ws or wss", u, p.Scheme)
		}
	}
	n := 0
	for _, set := range []bool{c.User != "", c.NKeyFile != "", c.CredsFile != ""} {
		if set {
			n++
		}
	}
	if n > 1 {
		return errors.New("--fleet-user, --fleet-nkey and --fleet-creds: give one of them")
	}
	for flagName, f := range map[string]string{"--fleet-nkey": c.NKeyFile, "--fleet-creds": c.CredsFile, "--fleet-ca": c.CAFile, "--fleet-cert": c.CertFile, "--fleet-key": c.KeyFile} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("%s %s: %w", flagName, f, err)
		}
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return errors.New("--fleet-cert and --fleet-key: give both or neither")
	}
	if c.HeartbeatTimeout <= 0 {
		c.HeartbeatTimeout = DefaultHeartbeatTimeout
	}
	return nil
}

// Options are the nats.go options for c: credentials, TLS, the studio's
// own inbox prefix, and reconnecting forever (a desk never gives up on
// its fleet; it keeps working offline meanwhile). extra come last.
func (c Config) Options(extra ...nats.Option) ([]nats.Option, error) {
	name := c.Name
	if name == "" {
		name = "studiodesk " + c.Studio
	}
	opts := []nats.Option{
		nats.Name(name),
		nats.CustomInboxPrefix(Studio{ID: c.Studio}.Inbox()),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500 * time.Millisecond),
		nats.ReconnectJitter(250*time.Millisecond, time.Second),
		nats.RetryOnFailedConnect(true),
		nats.Timeout(2 * time.Second),
		nats.PingInterval(2 * time.Second),
		nats.MaxPingsOutstanding(2),
		// Buffer while disconnected; the durable queues (the log, the
		// library's local copy) are the real memory, so this stays small.
		nats.ReconnectBufSize(4 << 20),
	}
	switch {
	case c.User != "":
		opts = append(opts, nats.UserInfo(c.User, c.Password))
	case c.NKeyFile != "":
		o, err := nats.NkeyOptionFromSeed(c.NKeyFile)
		if err != nil {
			return nil, fmt.Errorf("--fleet-nkey %s: %w", c.NKeyFile, err)
		}
		opts = append(opts, o)
	case c.CredsFile != "":
		opts = append(opts, nats.UserCredentials(c.CredsFile))
	}
	if c.CAFile != "" {
		opts = append(opts, nats.RootCAs(c.CAFile))
	}
	if c.CertFile != "" {
		opts = append(opts, nats.ClientCert(c.CertFile, c.KeyFile))
	}
	return append(opts, extra...), nil
}

// Connect dials the fleet. With RetryOnFailedConnect a hub that is down
// is not an error: the connection keeps trying in the background and
// Status says so. A bad credential or URL is.
func (c Config) Connect(extra ...nats.Option) (*nats.Conn, jetstream.JetStream, error) {
	opts, err := c.Options(extra...)
	if err != nil {
		return nil, nil, err
	}
	nc, err := nats.Connect(c.URL, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("fleet %s: %w", c.URL, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("fleet %s: jetstream: %w", c.URL, err)
	}
	return nc, js, nil
}
