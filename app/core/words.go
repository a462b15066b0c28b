package core

import (
	"encoding/json"

	"studiodesk/app/fleet"
)

// Word lists the desk keeps in its store (bucket fleet.WordsBucket; the
// fleet library syncs them): BannedWordList is the danmaku filter's
// banned words.
const BannedWordList = "banned"

// applyWordLists hands the saved word lists to the danmaku filter now and,
// in a fleet, whenever the library brings a new version.
func (a *App) applyWordLists() {
	// The hook first, so a list the library saves meanwhile is not missed.
	if lib := fleet.LibraryOf(a.Fleet); lib != nil {
		lib.OnWords(a.applyWords)
	}
	err := a.Store.All(fleet.WordsBucket, func(key string, raw json.RawMessage) error {
		var w fleet.WordList
		if json.Unmarshal(raw, &w) == nil {
			a.applyWords(key, w.Words)
		}
		return nil
	})
	if err != nil {
		a.logf("studiodesk: word lists: %v", err)
	}
}

func (a *App) applyWords(id string, words []string) {
	if id == BannedWordList {
		a.Pipeline.SetBannedWords(words)
	}
}
