package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"studiodesk/app/fleet"
	"studiodesk/scripts"
	"studiodesk/studio"
	"studiodesk/studio/danmaku"
)

func init() {
	registerCommand("library", command{run: libraryCmd, order: 1, usage: `  studiodesk library list    --fleet URL [--studio ID] CREDENTIALS
                                                    list the shared library (and with --studio the
                                                    studio's copies): key, revision, desk, time, name
  studiodesk library publish --fleet URL CREDENTIALS --kind words|preset|device|show --id ID FILE
                                                    publish to the shared library (agency credentials):
                                                    a word list (one word per line; --name), or a
                                                    preset/device JSON, or a show (YAML or JSON)
`})
}

func libraryCmd(args []string, e env) int {
	if len(args) == 0 || (args[0] != "list" && args[0] != "publish") {
		return fail(e, "library: want list or publish (see studiodesk help)")
	}
	sub := args[0]
	fs := newFlags("library "+sub, e)
	var cfg fleet.Config
	cfg.Register(fs)
	kind := fs.String("kind", fleet.KindWords, "publish: what FILE holds: words, preset, device or show")
	id := fs.String("id", "", "publish: the item's id (a word list's name, e.g. banned; a preset's id)")
	name := fs.String("name", "", "publish: a word list's display name (default: the id)")
	pos, err := parse(fs, args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitError
	}
	listStudio := cfg.Studio != ""
	if cfg.Studio == "" {
		cfg.Studio = "agency" // only names the connection's reply inbox
	}
	if !cfg.Enabled() {
		return fail(e, "library: --fleet nats://HOST:4222 is required")
	}
	if err := cfg.Check(); err != nil {
		return fail(e, "library: %v", err)
	}
	var value any
	if sub == "publish" {
		if len(pos) != 1 || *id == "" {
			return fail(e, "library publish: want --id ID and one FILE")
		}
		if value, err = libraryValueFrom(*kind, *id, *name, pos[0]); err != nil {
			return fail(e, "library publish: %v", err)
		}
	} else if len(pos) != 0 {
		return fail(e, "library list: unexpected argument %q", pos[0])
	}
	var mu sync.Mutex
	var lastErr error
	nc, js, err := cfg.Connect(nats.RetryOnFailedConnect(false), nats.MaxReconnects(0),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { mu.Lock(); lastErr = err; mu.Unlock() }))
	if err != nil {
		return fail(e, "library: %v", err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lib, err := js.KeyValue(ctx, fleet.LibraryBucket)
	if err != nil {
		return fail(e, "library: bucket %s on %s: %v", fleet.LibraryBucket, cfg.URL, err)
	}
	if sub == "list" {
		code := listBucket(ctx, e, lib, "library "+fleet.LibraryBucket)
		if listStudio && code == ExitOK {
			own, err := js.KeyValue(ctx, fleet.Studio{ID: cfg.Studio}.Bucket())
			if err != nil {
				return fail(e, "library: bucket %s: %v", fleet.Studio{ID: cfg.Studio}.Bucket(), err)
			}
			fmt.Fprintln(e.stdout)
			code = listBucket(ctx, e, own, "studio "+cfg.Studio+" "+fleet.Studio{ID: cfg.Studio}.Bucket())
		}
		return code
	}
	who := cfg.User
	if who == "" {
		who = "agency"
	}
	raw, err := fleet.LibraryValue(*kind, *id, value, who, time.Now())
	if err != nil {
		return fail(e, "library publish: %v", err)
	}
	key := fleet.ItemKey(*kind, *id)
	// A refused write gets no answer: do not wait long for one.
	ctx, cancel = context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var rev uint64
	if cur, gerr := lib.Get(ctx, key); gerr == nil {
		rev, err = lib.Update(ctx, key, raw, cur.Revision())
	} else if errors.Is(gerr, jetstream.ErrKeyNotFound) {
		rev, err = lib.Create(ctx, key, raw)
	} else {
		err = gerr
	}
	if err != nil {
		_ = nc.Flush()
		mu.Lock()
		le := lastErr
		mu.Unlock()
		if le != nil && strings.Contains(strings.ToLower(le.Error()), "permissions violation") {
			return fail(e, "library publish %s: %v: %v (a studio's credentials may read the library, not write it; use the agency's)", key, fleet.ErrLibraryDenied, le)
		}
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
			return fail(e, "library publish %s: changed by someone else meanwhile; run it again: %v", key, err)
		}
		return fail(e, "library publish %s: %v", key, err)
	}
	fmt.Fprintf(e.stdout, "published %s revision %d to %s\n", key, rev, fleet.LibraryBucket)
	return ExitOK
}

// libraryValueFrom reads FILE as the value of a library item.
func libraryValueFrom(kind, id, name, file string) (any, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	switch kind {
	case fleet.KindWords:
		words, err := danmaku.LoadWordList(filepath.Base(file), strings.NewReader(string(data)))
		if err != nil {
			return nil, err
		}
		if name == "" {
			name = id
		}
		return fleet.WordList{ID: id, Name: name, Words: words}, nil
	case fleet.KindPreset:
		var p studio.Preset
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if p.ID != id {
			return nil, fmt.Errorf("%s: holds preset id %q, not --id %q", file, p.ID, id)
		}
		if err := p.Validate(nil); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		return p, nil
	case fleet.KindDevice:
		var c studio.DeviceConfig
		if err := json.Unmarshal(data, &c); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if c.ID != id {
			return nil, fmt.Errorf("%s: holds device id %q, not --id %q", file, c.ID, id)
		}
		c.Password = "" // a template carries no secret
		if err := studio.ValidateDevice(c); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		return c, nil
	case fleet.KindShow:
		var s *scripts.Show
		if strings.HasSuffix(strings.ToLower(file), ".json") {
			s = new(scripts.Show)
			if err := json.Unmarshal(data, s); err != nil {
				return nil, fmt.Errorf("%s: %w", file, err)
			}
		} else if s, err = scripts.LoadYAML(filepath.Base(file), data); err != nil {
			return nil, err
		}
		if s.ID != id {
			return nil, fmt.Errorf("%s: holds show id %q, not --id %q", file, s.ID, id)
		}
		return s, nil
	}
	return nil, fmt.Errorf("--kind %q: want words, preset, device or show", kind)
}

func listBucket(ctx context.Context, e env, kv jetstream.KeyValue, title string) int {
	keys, err := kv.Keys(ctx)
	if err != nil && !errors.Is(err, jetstream.ErrNoKeysFound) {
		return fail(e, "library: %s: %v", title, err)
	}
	sort.Strings(keys)
	fmt.Fprintf(e.stdout, "%s: %d items\n", title, len(keys))
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tREV\tDESK\tEDITED\tNAME")
	for _, k := range keys {
		if _, _, err := fleet.ParseItemKey(k); err != nil || !strings.Contains(k, ".") {
			continue // another part's key (lead, state)
		}
		en, err := kv.Get(ctx, k)
		if err != nil {
			continue
		}
		var w struct {
			EditedAt time.Time       `json:"edited_at"`
			Desk     string          `json:"desk"`
			Value    json.RawMessage `json:"value"`
		}
		_ = json.Unmarshal(en.Value(), &w)
		var v struct{ Name, Title string }
		_ = json.Unmarshal(w.Value, &v)
		n := v.Name
		if n == "" {
			n = v.Title
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", k, en.Revision(), w.Desk, w.EditedAt.Local().Format("2006-01-02 15:04:05"), n)
	}
	_ = tw.Flush()
	return ExitOK
}
