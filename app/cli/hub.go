package cli

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"

	"studiodesk/app/fleet/hub"
)

func init() {
	registerCommand("hub", command{run: hubCmd, order: 0, usage: `  studiodesk hub     --config HUB.yaml              run a fleet hub: NATS with JetStream, the studios'
                                                    users and permissions, the shared library, the
                                                    evidence streams; stops cleanly on SIGTERM/Ctrl-C
  studiodesk hub     --example DIR                  write example configs: one hub, and a 3-node cluster
`})
}

func hubCmd(args []string, e env) int {
	fs := newFlags("hub", e)
	cfgPath := fs.String("config", "", "hub config file (YAML; see docs/fleet.md)")
	example := fs.String("example", "", "write example configs into this directory and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitError
	}
	if fs.NArg() > 0 {
		return fail(e, "hub: unexpected argument %q (flags only; see studiodesk hub --help)", fs.Arg(0))
	}
	if *example != "" {
		files, err := writeHubExamples(*example)
		if err != nil {
			return fail(e, "hub: %v", err)
		}
		for _, f := range files {
			fmt.Fprintln(e.stdout, f)
		}
		return ExitOK
	}
	if *cfgPath == "" {
		return fail(e, "hub: --config FILE is required (studiodesk hub --example DIR writes one)")
	}
	c, err := hub.Load(*cfgPath)
	if err != nil {
		return fail(e, "hub: %v", err)
	}
	log.SetOutput(e.stderr)
	h, err := hub.Start(c, log.Printf)
	if err != nil {
		return fail(e, "hub: %v", err)
	}
	log.Printf("hub %s: serving desks on %s (store %s, %d studios)", c.Name, h.ClientURL(), c.Store, len(c.Studios))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	<-sig
	log.Printf("hub %s: stopping", c.Name)
	h.Close()
	log.Printf("hub %s: stopped", c.Name)
	return ExitOK
}

func secret() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// writeHubExamples writes hub.yaml (one hub) and cluster/hub-{1,2,3}.yaml
// (three hubs on one machine's loopback; change the addresses for three
// machines), with fresh passwords.
func writeHubExamples(dir string) ([]string, error) {
	studios := []hub.StudioUser{}
	for i := 1; i <= 3; i++ {
		id := fmt.Sprintf("studio-%02d", i)
		studios = append(studios, hub.StudioUser{ID: id, User: hub.User{User: id, Password: secret()}})
	}
	agency := hub.User{User: "agency", Password: secret()}
	var out []string
	write := func(name string, c hub.Config) error {
		raw, err := yaml.Marshal(c)
		if err != nil {
			return err
		}
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		head := "# StudioDesk hub (docs/fleet.md). Written " + time.Now().Format(time.RFC3339) + ".\n# Keep it private: it holds the studios' passwords.\n"
		if err := os.WriteFile(p, append([]byte(head), raw...), 0o600); err != nil {
			return err
		}
		out = append(out, p)
		return nil
	}
	if err := write("hub.yaml", hub.Config{Name: "hub", Listen: "127.0.0.1:4222", HTTP: "127.0.0.1:8222", Store: filepath.Join(dir, "store"), Agency: agency, Studios: studios}); err != nil {
		return out, err
	}
	for i := 1; i <= 3; i++ {
		cc := &hub.ClusterConfig{Name: "agency", Listen: fmt.Sprintf("127.0.0.1:%d", 6221+i)}
		for j := 1; j <= 3; j++ {
			if j != i {
				cc.Routes = append(cc.Routes, fmt.Sprintf("nats-route://127.0.0.1:%d", 6221+j))
			}
		}
		c := hub.Config{Name: fmt.Sprintf("hub-%d", i), Listen: fmt.Sprintf("127.0.0.1:%d", 4221+i), Store: filepath.Join(dir, "cluster", fmt.Sprintf("store-%d", i)), Cluster: cc, Replicas: 3, Agency: agency, Studios: studios}
		if i == 1 {
			c.HTTP = "127.0.0.1:8222"
		}
		if err := write(filepath.Join("cluster", fmt.Sprintf("hub-%d.yaml", i)), c); err != nil {
			return out, err
		}
	}
	return out, nil
}
