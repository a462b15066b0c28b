package ui

import (
	"fmt"

	"studiodesk/studio/store"
)

// The desk's own settings live in the data dir's desk.db, beside the show,
// so a copied or backed-up data folder carries them.
const (
	settingsBucket = "settings"
	settingsKey    = "ui"
)

// uiSettings are the choices the desk remembers between runs.
type uiSettings struct {
	// Lang is "zh" or "en", or "" to follow the OS's preferred languages.
	Lang string `json:"lang,omitempty"`
	// FirstRunDismissed hides the first-run line once it was closed.
	FirstRunDismissed bool `json:"first_run_dismissed,omitempty"`
}

func loadSettings(st *store.Store) (uiSettings, error) {
	var s uiSettings
	if st == nil {
		return s, nil
	}
	if _, err := st.Get(settingsBucket, settingsKey, &s); err != nil {
		return uiSettings{}, fmt.Errorf("settings: %w", err)
	}
	if s.Lang != "" && normLang(s.Lang) == "" {
		s.Lang = "" // an unknown language falls back to the OS's choice
	}
	return s, nil
}

func saveSettings(st *store.Store, s uiSettings) error {
	if st == nil {
		return nil
	}
	if err := st.Put(settingsBucket, settingsKey, s); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	return nil
}

// langChoice records how the running desk's language was chosen.
var langChoice = langDefault

// setupLanguage settles the UI language at start: --lang (then remembered
// as the setting), else the saved setting, else the OS's preference list.
// A settings store that cannot be read or written costs only the memory of
// the choice, never the start; the error says so.
func setupLanguage(st *store.Store, flag string) error {
	s, err := loadSettings(st)
	if flag != "" && normLang(flag) != s.Lang && err == nil {
		s.Lang = normLang(flag)
		err = saveSettings(st, s)
	}
	lang, langChoice = chooseLang(flag, s.Lang, systemLanguages())
	return err
}

// setLanguageSetting saves the language chosen in the settings ("" follows
// the OS); it applies from the next start.
func setLanguageSetting(st *store.Store, l string) error {
	s, err := loadSettings(st)
	if err != nil {
		return err
	}
	s.Lang = normLang(l)
	return saveSettings(st, s)
}
