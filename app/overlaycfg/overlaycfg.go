// Package overlaycfg keeps the desk's overlay settings (LAN serving, its
// per-desk URL token, each page's place on the canvas) in the data
// directory and builds the overlay server's configuration from them. It is
// Fyne-free, shared by the GUI and headless runs.
package overlaycfg

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"studiodesk/studio/overlay"
)

// FileName is the settings file in the data directory.
const FileName = "overlay.json"

// Settings are the operator's overlay choices.
type Settings struct {
	// LAN serves the overlays to OBS on another PC. Off by default.
	LAN bool `json:"lan"`
	// LANAddr is the LAN listen address (overlay.DefaultLANAddr if empty).
	LANAddr string `json:"lan_addr,omitempty"`
	// Token is the desk's secret in LAN URLs, made on first LAN use and
	// kept so the URLs pasted into OBS stay valid.
	Token string `json:"token,omitempty"`
	// Layout places each page on the canvas; zero boxes take the default.
	Layout overlay.Layout `json:"layout"`
}

// Load reads the settings from dir; a missing file is the defaults.
func Load(dir string) (Settings, error) {
	var s Settings
	path := filepath.Join(dir, FileName)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("overlay settings %s: %w", path, err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return Settings{}, fmt.Errorf("overlay settings %s: %w", path, err)
	}
	return s, nil
}

// Save writes the settings to dir (private: the token is a secret).
func Save(dir string, s Settings) error {
	path := filepath.Join(dir, FileName)
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("overlay settings %s: %w", path, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("overlay settings %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("overlay settings %s: %w", path, err)
	}
	return nil
}

// Config builds the overlay server configuration from the settings in dir.
// addr is the loopback address (the --overlay flag); lan forces LAN
// serving on for this run (--overlay-lan). With LAN on and no token yet,
// a token is made and saved. A damaged settings file is reported and the
// defaults are used (loopback only), so the desk still starts.
func Config(dir, addr string, lan bool) (overlay.Config, Settings, error) {
	s, err := Load(dir)
	if err != nil {
		return overlay.Config{Addr: addr}, Settings{}, err
	}
	cfg := overlay.Config{Addr: addr, Style: overlay.Style{Layout: s.Layout}}
	if lan {
		s.LAN = true
	}
	if s.LAN {
		if s.Token == "" {
			s.Token = overlay.NewToken()
			if err := Save(dir, s); err != nil {
				return overlay.Config{Addr: addr}, s, err
			}
		}
		cfg.LAN, cfg.Token, cfg.Addr = true, s.Token, s.LANAddr
	}
	return cfg, s, nil
}
