package store

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

type preset struct {
	Name  string  `json:"name"`
	Pan   float64 `json:"pan"`
	Light int     `json:"light"`
}

func TestDocumentRoundTrip(t *testing.T) {
	s := openTest(t, t.TempDir())
	want := preset{Name: "近景 <特写>", Pan: -12.5, Light: 80}
	if err := s.Put(BucketPresets, "close-up", want); err != nil {
		t.Fatal(err)
	}
	var got preset
	found, err := s.Get(BucketPresets, "close-up", &got)
	if err != nil || !found || got != want {
		t.Fatalf("Get = %+v, %v, %v; want %+v", got, found, err, want)
	}

	// Replace, list, walk, delete.
	want.Light = 60
	if err := s.Put(BucketPresets, "close-up", want); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(BucketPresets, "wide", preset{Name: "全景"}); err != nil {
		t.Fatal(err)
	}
	keys, err := s.Keys(BucketPresets)
	if err != nil || !reflect.DeepEqual(keys, []string{"close-up", "wide"}) {
		t.Fatalf("Keys = %v, %v", keys, err)
	}
	seen := map[string]preset{}
	err = s.All(BucketPresets, func(key string, raw json.RawMessage) error {
		var p preset
		if err := json.Unmarshal(raw, &p); err != nil {
			return err
		}
		seen[key] = p
		return nil
	})
	if err != nil || seen["close-up"].Light != 60 || seen["wide"].Name != "全景" {
		t.Fatalf("All saw %+v, %v", seen, err)
	}
	if err := s.Delete(BucketPresets, "wide"); err != nil {
		t.Fatal(err)
	}
	if found, err := s.Get(BucketPresets, "wide", &got); found || err != nil {
		t.Fatalf("Get after Delete = %v, %v", found, err)
	}
	if err := s.Delete(BucketPresets, "wide"); err != nil {
		t.Fatalf("deleting an absent key: %v", err)
	}
}

func TestDocumentStoredInEnvelope(t *testing.T) {
	s := openTest(t, t.TempDir())
	if err := s.Put(BucketSettings, "volume", 7); err != nil {
		t.Fatal(err)
	}
	var raw string
	_ = s.db.View(func(tx *bolt.Tx) error {
		raw = string(tx.Bucket([]byte(BucketSettings)).Get([]byte("volume")))
		return nil
	})
	if raw != `{"v":1,"data":7}` {
		t.Fatalf("stored %s, want {\"v\":1,\"data\":7}", raw)
	}
}

func TestMissingBucketIsEmpty(t *testing.T) {
	s := openTest(t, t.TempDir())
	var v any
	if found, err := s.Get(BucketDevices, "cam-a", &v); found || err != nil {
		t.Fatalf("Get = %v, %v", found, err)
	}
	if keys, err := s.Keys(BucketDevices); len(keys) != 0 || err != nil {
		t.Fatalf("Keys = %v, %v", keys, err)
	}
	calls := 0
	if err := s.All(BucketDevices, func(string, json.RawMessage) error { calls++; return nil }); err != nil || calls != 0 {
		t.Fatalf("All = %d calls, %v", calls, err)
	}
}

func TestReservedAndEmptyNamesRejected(t *testing.T) {
	s := openTest(t, t.TempDir())
	for _, bucket := range []string{"", "meta", "log", "outbox"} {
		if err := s.Put(bucket, "k", 1); !errors.Is(err, ErrInvalidName) {
			t.Errorf("Put(%q) = %v, want ErrInvalidName", bucket, err)
		}
	}
	if err := s.Put(BucketScripts, "", 1); !errors.Is(err, ErrInvalidName) {
		t.Errorf("Put with empty key = %v, want ErrInvalidName", err)
	}
}

func TestCorruptDocumentNamesBucketAndKey(t *testing.T) {
	s := openTest(t, t.TempDir())
	if err := s.Put(BucketScripts, "good", "ok"); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"not-json":     `{"v":1,"data":`,
		"no-envelope":  `{"segments":[]}`,
		"no-version":   `{"data":1}`,
		"garbage-tail": `{"v":1,"data":1} x`,
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(BucketScripts))
		for k, v := range cases {
			if err := b.Put([]byte(k), []byte(v)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for key := range cases {
		var v any
		_, err := s.Get(BucketScripts, key, &v)
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err = %v, want ErrCorrupt", key, err)
			continue
		}
		if !strings.Contains(err.Error(), `bucket "scripts"`) || !strings.Contains(err.Error(), `key "`+key+`"`) {
			t.Errorf("%s: message %q does not name bucket and key", key, err)
		}
	}
	err = s.All(BucketScripts, func(string, json.RawMessage) error { return nil })
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `bucket "scripts"`) {
		t.Errorf("All = %v, want ErrCorrupt naming the bucket", err)
	}

	// Valid JSON of the wrong shape for the target is corrupt too, and named.
	var n int
	_, err = s.Get(BucketScripts, "good", &n)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `key "good"`) {
		t.Errorf("type mismatch: err = %v, want ErrCorrupt naming the key", err)
	}
}

func TestDocumentFromNewerSchemaRefused(t *testing.T) {
	s := openTest(t, t.TempDir())
	_ = s.db.Update(func(tx *bolt.Tx) error {
		b, _ := tx.CreateBucketIfNotExists([]byte(BucketAnchors))
		return b.Put([]byte("start"), []byte(`{"v":9,"data":1}`))
	})
	var v any
	_, err := s.Get(BucketAnchors, "start", &v)
	if !errors.Is(err, ErrNewerSchema) || !strings.Contains(err.Error(), "schema 9") {
		t.Fatalf("err = %v, want ErrNewerSchema naming schema 9", err)
	}
}
