package fleet

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
)

// The published state round-trips through its gzip form; plain JSON is
// read as is; a damaged or oversized value is an error, never a panic or
// a huge allocation.
func TestStateEncoding(t *testing.T) {
	doc := []byte(`{"desk":"d","seq":1,"mirror":{"docs":{},"outbox":null}}`)
	enc := encodeState(doc)
	if bytes.Equal(enc, doc) || enc[0] != 0x1f {
		t.Fatal("not compressed")
	}
	if got, err := decodeState(enc); err != nil || !bytes.Equal(got, doc) {
		t.Fatalf("round trip: %q %v", got, err)
	}
	if got, err := decodeState(doc); err != nil || !bytes.Equal(got, doc) {
		t.Fatalf("plain: %q %v", got, err)
	}
	if _, err := decodeState(enc[:len(enc)-6]); err == nil {
		t.Fatal("a cut value was accepted")
	}
	if _, err := decodeState([]byte{0x1f, 0x8b, 0, 1, 2}); err == nil {
		t.Fatal("a damaged header was accepted")
	}
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	chunk := []byte(strings.Repeat("0", 1<<20))
	for range maxStateBytes>>20 + 1 {
		_, _ = zw.Write(chunk)
	}
	_ = zw.Close()
	if _, err := decodeState(bomb.Bytes()); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("an oversized state: %v", err)
	}
}
