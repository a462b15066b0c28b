package sound

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// LoadCues reads every "*.wav" file in the root of fsys (for example
// os.DirFS("assets/sounds") or an embedded sub-tree) into a map from file
// name to file bytes, ready for New.
func LoadCues(fsys fs.FS) (map[string][]byte, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("sound: reading cue directory: %w", err)
	}
	cues := make(map[string][]byte)
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.EqualFold(path.Ext(name), ".wav") {
			continue
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("sound: reading cue %s: %w", name, err)
		}
		cues[name] = b
	}
	return cues, nil
}
