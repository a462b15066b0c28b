package fleet

import (
	"fmt"
	"time"

	"studiodesk/studio/store"
)

// The fleet settings saved from the desk's settings page live in desk.db
// (settings/fleet), so a copied data folder joins the same fleet. Flags
// given on the command line win over them.
const savedKey = "fleet"

// Saved is the stored form of a Config (durations as text).
type Saved struct {
	URL        string `json:"url,omitempty"`
	Studio     string `json:"studio,omitempty"`
	User       string `json:"user,omitempty"`
	Password   string `json:"password,omitempty"`
	NKeyFile   string `json:"nkey_file,omitempty"`
	CredsFile  string `json:"creds_file,omitempty"`
	CAFile     string `json:"ca_file,omitempty"`
	CertFile   string `json:"cert_file,omitempty"`
	KeyFile    string `json:"key_file,omitempty"`
	StandbyFor string `json:"standby_for,omitempty"`
	Timeout    string `json:"standby_timeout,omitempty"`
	Producer   bool   `json:"producer,omitempty"`
}

// ToSaved is c as stored.
func (c Config) ToSaved() Saved {
	s := Saved{URL: c.URL, Studio: c.Studio, User: c.User, Password: c.Password, NKeyFile: c.NKeyFile, CredsFile: c.CredsFile, CAFile: c.CAFile, CertFile: c.CertFile, KeyFile: c.KeyFile, StandbyFor: c.StandbyFor, Producer: c.Producer}
	if c.HeartbeatTimeout > 0 && c.HeartbeatTimeout != DefaultHeartbeatTimeout {
		s.Timeout = c.HeartbeatTimeout.String()
	}
	return s
}

// Config is s as a Config; a bad timeout names the field.
func (s Saved) Config() (Config, error) {
	c := Config{URL: s.URL, Studio: s.Studio, User: s.User, Password: s.Password, NKeyFile: s.NKeyFile, CredsFile: s.CredsFile, CAFile: s.CAFile, CertFile: s.CertFile, KeyFile: s.KeyFile, StandbyFor: s.StandbyFor, Producer: s.Producer, HeartbeatTimeout: DefaultHeartbeatTimeout}
	if s.Timeout != "" {
		d, err := time.ParseDuration(s.Timeout)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("standby_timeout %q: want a duration such as 3s", s.Timeout)
		}
		c.HeartbeatTimeout = d
	}
	return c, nil
}

// LoadSaved reads the saved fleet settings (ok false: none saved).
func LoadSaved(st *store.Store) (c Config, ok bool, err error) {
	var s Saved
	found, err := st.Get(store.BucketSettings, savedKey, &s)
	if err != nil {
		return Config{}, false, fmt.Errorf("fleet settings (%s/%s): %w", store.BucketSettings, savedKey, err)
	}
	if !found || s.URL == "" {
		return Config{}, false, nil
	}
	c, err = s.Config()
	if err != nil {
		return c, false, fmt.Errorf("fleet settings (%s/%s): %w", store.BucketSettings, savedKey, err)
	}
	return c, true, nil
}

// SaveSettings checks c and saves it (an empty URL leaves the fleet).
func SaveSettings(st *store.Store, c Config) error {
	if err := c.Check(); err != nil {
		return err
	}
	if err := st.Put(store.BucketSettings, savedKey, c.ToSaved()); err != nil {
		return fmt.Errorf("fleet settings: %w", err)
	}
	return nil
}
