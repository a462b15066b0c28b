package store

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// finalLine closes an export. Show is informational; it is not hashed.
type finalLine struct {
	FinalHash string `json:"final_hash"`
	Records   int    `json:"records"`
	Show      string `json:"show,omitempty"`
	// SignedHead is the latest signed checkpoint in the log, so the
	// export carries a head that cannot be recomputed without the key.
	SignedHead *Checkpoint `json:"signed_head,omitempty"`
}

var finalPrefix = []byte(`{"final_hash":`)

// progressEvery spaces out progress calls so a UI is not flooded.
const progressEvery = 256

// ExportJSONL writes the show's log to w, one record per line in canonical
// form (see Record), then a closing line
//
//	{"final_hash":"<hash of the last record>","records":<count>,"show":"<id>"}
//
// It verifies the chain as it goes: at the first break it stops, writes no
// closing line and returns the *ChainError (errors.Is ErrTampered), so a
// complete export is always a verified one. progress, if not nil, is called
// now and then with records written and the total expected (the last seq
// when the export started; records appended meanwhile are not included).
func (s *Store) ExportJSONL(show string, w io.Writer, progress func(done, total int)) (finalHash string, err error) {
	if err := checkShow(show); err != nil {
		return "", err
	}
	// The total is only for progress; a damaged tail is reported by the scan.
	total := 0
	if last, found, err := s.Last(show); err == nil && found {
		total = int(last.Seq)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	c := newChain(show)
	c.sig = &sigState{}
	var writeErr error
	exists, err := s.scan(show, 0, func(r rawRecord) error {
		canon, err := c.stepRaw(r)
		if err != nil {
			return err
		}
		canon = append(canon, '\n')
		if _, err := bw.Write(canon); err != nil {
			writeErr = err
			return err
		}
		if progress != nil && (c.res.Records%progressEvery == 0 || c.res.Records == total) {
			progress(c.res.Records, total)
		}
		return nil
	})
	switch {
	case c.res.Broken != nil:
		_ = bw.Flush()
		return "", c.res.Broken
	case writeErr != nil:
		return "", fmt.Errorf("store: show %q: export: write: %w", show, writeErr)
	case err != nil:
		return "", fmt.Errorf("store: show %q: export: %w", show, err)
	case !exists:
		return "", fmt.Errorf("store: show %q: %w", show, ErrUnknownShow)
	}
	fl, err := marshalNoHTML(finalLine{FinalHash: c.res.FinalHash, Records: c.res.Records, Show: show, SignedHead: c.sig.cov.Head})
	if err != nil {
		return "", fmt.Errorf("store: show %q: export: %w", show, err)
	}
	fl = append(fl, '\n')
	if _, err := bw.Write(fl); err != nil {
		return "", fmt.Errorf("store: show %q: export: write: %w", show, err)
	}
	if err := bw.Flush(); err != nil {
		return "", fmt.Errorf("store: show %q: export: write: %w", show, err)
	}
	if progress != nil && c.res.Records%progressEvery != 0 && c.res.Records != total {
		progress(c.res.Records, total)
	}
	return c.res.FinalHash, nil
}

// VerifyJSONL checks an export offline by the same chain rules as Verify,
// and additionally that every record line is byte-for-byte canonical and
// that the closing line's final_hash and records match. A break is returned
// as the *ChainError (errors.Is ErrTampered) with the intact prefix in the
// result; a read error is returned as is. The result's FinalHash is what to
// compare with a hash kept elsewhere: an export cut short and given a
// matching closing line cannot be detected otherwise.
func (s *Store) VerifyJSONL(r io.Reader) (VerifyResult, error) { return VerifyJSONL(r) }

// VerifyJSONL is the store-independent form of (*Store).VerifyJSONL, for
// checking an export without opening a database.
func VerifyJSONL(r io.Reader) (VerifyResult, error) {
	res, _, err := verifyJSONL(r, nil)
	return res, err
}

func verifyJSONL(r io.Reader, sig *sigState) (VerifyResult, *finalLine, error) {
	c := newChain("")
	c.sig = sig
	var closing *finalLine
	res, err := verifyJSONLChain(r, c, &closing)
	if sig != nil && err == nil {
		sig.finish(c)
		res, err = c.result()
	}
	return res, closing, err
}

func verifyJSONLChain(r io.Reader, c *chain, closingOut **finalLine) (VerifyResult, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var closing *finalLine
	defer func() { *closingOut = closing }()
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return c.res, fmt.Errorf("store: export line %d: read: %w", lineNo, err)
		}
		eof := err != nil
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(bytes.TrimSpace(line)) == 0 {
			if eof {
				break
			}
			continue
		}
		if closing != nil {
			return c.broken(c.res.LastSeq, "line %d: data after the final_hash line", lineNo)
		}
		if bytes.HasPrefix(line, finalPrefix) {
			var fl finalLine
			if err := json.Unmarshal(line, &fl); err != nil {
				return c.broken(c.res.LastSeq, "line %d: final line does not decode: %v", lineNo, err)
			}
			c.res.Show = fl.Show
			closing = &fl
		} else {
			var st stored
			dec := json.NewDecoder(bytes.NewReader(line))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&st); err != nil {
				return c.broken(c.expected(), "line %d: does not decode as a record: %v", lineNo, err)
			}
			if _, brk := c.step(0, &st, line); brk != nil {
				brk.Reason = fmt.Sprintf("line %d: %s", lineNo, brk.Reason)
				return c.result()
			}
		}
		if eof {
			break
		}
	}
	if closing == nil {
		return c.broken(c.expected(), "export ends without a final_hash line (truncated)")
	}
	if closing.Records != c.res.Records {
		return c.broken(c.res.LastSeq, "final line says %d records, export has %d", closing.Records, c.res.Records)
	}
	if closing.FinalHash != c.res.FinalHash {
		return c.broken(c.res.LastSeq, "final_hash does not match the last record's hash")
	}
	return c.result()
}
