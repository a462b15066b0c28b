package overlaycfg

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"studiodesk/studio/overlay"
)

func TestDefaultsAreLoopbackOnly(t *testing.T) {
	dir := t.TempDir()
	cfg, s, err := Config(dir, "127.0.0.1:8787", false)
	if err != nil || cfg.LAN || cfg.Token != "" || s.LAN || cfg.Addr != "127.0.0.1:8787" {
		t.Fatalf("defaults: %+v %+v %v", cfg, s, err)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); err == nil {
		t.Fatal("settings file written without a change")
	}
}

func TestLANTokenMadeOnceAndKept(t *testing.T) {
	dir := t.TempDir()
	cfg, _, err := Config(dir, "127.0.0.1:8787", true)
	if err != nil || !cfg.LAN || len(cfg.Token) < overlay.MinTokenLen {
		t.Fatalf("LAN: %+v %v", cfg, err)
	}
	fi, err := os.Stat(filepath.Join(dir, FileName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("settings file: %v %v", fi, err)
	}
	again, s, err := Config(dir, "127.0.0.1:8787", false)
	if err != nil || !again.LAN || again.Token != cfg.Token || !s.LAN {
		t.Fatalf("second start: %+v %v; want the same token, LAN kept", again, err)
	}
	other, _, _ := Config(t.TempDir(), "", true)
	if other.Token == cfg.Token {
		t.Fatal("two desks share a token")
	}
	// the token really works with the server
	srv := overlay.New(overlay.Config{Addr: "127.0.0.1:0", LAN: true, Token: cfg.Token})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !strings.Contains(srv.URL("vote"), "/"+cfg.Token+"/vote") {
		t.Fatalf("URL %s", srv.URL("vote"))
	}
}

func TestLayoutSavedAndDamagedFileNamed(t *testing.T) {
	dir := t.TempDir()
	s := Settings{Layout: overlay.DefaultLayout}
	s.Layout.Coupon.Y = 600
	s.Layout.Vote = overlay.Box{X: 1360, Y: 24, W: 536, H: 470}
	if err := Save(dir, s); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := Config(dir, "", false)
	if err != nil || cfg.Style.Layout != s.Layout {
		t.Fatalf("layout %+v %v", cfg.Style.Layout, err)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte("{nope"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err = Config(dir, "127.0.0.1:8787", false)
	if err == nil || !strings.Contains(err.Error(), FileName) || cfg.LAN || cfg.Addr != "127.0.0.1:8787" {
		t.Fatalf("damaged file: %+v %v", cfg, err)
	}
}
