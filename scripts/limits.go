package scripts

import (
	"bytes"
	"fmt"
)

// Structural limits for imported scripts. Bytes alone do not bound the
// work: a 32 MB YAML can hold a million segments, and decoding its node
// tree took gigabytes. These bound the structure before any of it is built.
const (
	// MaxSegments is far above any real show (a 12-hour marathon of
	// 1-minute segments is 720).
	MaxSegments = 2000
	// MaxStructure bounds the YAML lines plus flow-style items scanned
	// before decoding (a full 2000-segment script with phases and points
	// is well under 100,000).
	MaxStructure = 200_000
)

// checkYAMLStructure counts the YAML's structural units (lines with
// content, and the items of flow collections) without decoding it, and
// refuses a file with more than MaxStructure of them.
func checkYAMLStructure(name string, data []byte) error {
	units := bytes.Count(data, []byte{'\n'}) + bytes.Count(data, []byte{','}) + 1
	if units > MaxStructure {
		return &LoadError{File: name, Err: fmt.Errorf("%w: %d lines and list items, the limit is %d (a script has at most %d segments)", ErrTooLarge, units, MaxStructure, MaxSegments)}
	}
	return nil
}

// checkSegmentCount refuses more than MaxSegments segments.
func checkSegmentCount(name string, n int) error {
	if n > MaxSegments {
		return &LoadError{File: name, Err: fmt.Errorf("%w: %d segments, the limit is %d", ErrTooLarge, n, MaxSegments)}
	}
	return nil
}
