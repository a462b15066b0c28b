package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"studiodesk/app/fleet"
	"studiodesk/app/fleet/fleettest"
)

// The agency publishes a word list from a file; a studio lists it but may
// not publish (the refusal names the reason); a bad file is named.
func TestLibraryPublishAndList(t *testing.T) {
	c := fleettest.Start(t, 1, "s1")
	dir := t.TempDir()
	words := filepath.Join(dir, "banned.txt")
	if err := os.WriteFile(words, []byte("# 违禁词\n最便宜\n全网第一\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		_, code := run(args, env{stdout: &out, stderr: &errb})
		return code, out.String(), errb.String()
	}
	agency := []string{"--fleet", c.URL(), "--fleet-user", fleettest.AgencyUser, "--fleet-password", fleettest.AgencyPassword}
	code, out, errs := run(append([]string{"library", "publish", "--kind", "words", "--id", "banned", "--name", "违禁词", words}, agency...)...)
	if code != ExitOK || !strings.Contains(out, "published words.banned revision") {
		t.Fatalf("agency publish: %d %q %q", code, out, errs)
	}
	_, js := c.Agency()
	kv, err := js.KeyValue(context.Background(), fleet.LibraryBucket)
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(context.Background(), "words.banned")
	if err != nil {
		t.Fatal(err)
	}
	var w struct {
		Value fleet.WordList `json:"value"`
	}
	if err := json.Unmarshal(e.Value(), &w); err != nil || strings.Join(w.Value.Words, ",") != "最便宜,全网第一" || w.Value.Name != "违禁词" {
		t.Fatalf("library value %s: %v", e.Value(), err)
	}

	studioCreds := []string{"--fleet", c.URL(), "--studio", "s1", "--fleet-user", "studio-s1", "--fleet-password", fleettest.Password("s1")}
	code, out, errs = run(append([]string{"library", "list"}, studioCreds...)...)
	if code != ExitOK || !strings.Contains(out, "words.banned") || !strings.Contains(out, "违禁词") || !strings.Contains(out, "studio s1 sd_s_s1: 0 items") {
		t.Fatalf("studio list: %d %q %q", code, out, errs)
	}
	code, _, errs = run(append([]string{"library", "publish", "--kind", "words", "--id", "banned", words}, studioCreds...)...)
	if code != ExitError || !strings.Contains(errs, "not allowed to write the shared library") {
		t.Fatalf("studio publish: %d %q", code, errs)
	}
	if e2, _ := kv.Get(context.Background(), "words.banned"); e2.Revision() != e.Revision() {
		t.Fatal("a studio changed the library")
	}
	bad := filepath.Join(dir, "p.json")
	if err := os.WriteFile(bad, []byte(`{"id":"other","name":"x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs = run(append([]string{"library", "publish", "--kind", "preset", "--id", "p1", bad}, agency...)...)
	if code != ExitError || !strings.Contains(errs, "p.json") || !strings.Contains(errs, `"other"`) {
		t.Fatalf("bad file: %d %q", code, errs)
	}
}
