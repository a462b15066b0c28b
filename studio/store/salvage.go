package store

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
)

// SalvageResult is what could be read of one run's log in a damaged file.
type SalvageResult struct {
	VerifyResult
	// Unreadable names where reading stopped ("" if the whole log read):
	// the first record that could not be read and why.
	Unreadable string
}

// bucketRef is a sub-bucket found in a leaf: its root page, or its inline page.
type bucketRef struct {
	name   string
	root   uint64
	inline []byte
}

// children lists the sub-buckets directly inside a bucket.
func (p *pageFile) children(path []string, root uint64, inline []byte) ([]bucketRef, error) {
	var out []bucketRef
	var visit func(id uint64, depth int) error
	collect := func(elems []leafElem) {
		for _, e := range elems {
			if e.flags&bucketLeafFlag != 0 && len(e.val) >= bucketHdrSize {
				out = append(out, bucketRef{name: string(e.key), root: binary.LittleEndian.Uint64(e.val), inline: e.val[bucketHdrSize:]})
			}
		}
	}
	visit = func(id uint64, depth int) error {
		if depth > maxDepth {
			return errors.New("tree too deep (a loop)")
		}
		var h [16]byte
		if _, err := p.f.ReadAt(h[:], int64(id)*p.psz); err != nil {
			return err
		}
		switch binary.LittleEndian.Uint16(h[8:]) {
		case flagBranch:
			buf, n, err := p.page(id, flagBranch)
			if err != nil {
				return err
			}
			kids, err := branchChildren(buf, n, id)
			if err != nil {
				return err
			}
			for _, k := range kids {
				if err := visit(k, depth+1); err != nil {
					return err
				}
			}
			return nil
		default:
			buf, n, err := p.page(id, flagLeaf)
			if err != nil {
				return err
			}
			elems, err := leafElems(buf, n, id)
			if err != nil {
				return err
			}
			collect(elems)
			return nil
		}
	}
	if root == 0 {
		if len(inline) < pageHeaderSize {
			return nil, fmt.Errorf("bucket %q: inline page too short", pathString(path))
		}
		elems, err := leafElems(inline, int(binary.LittleEndian.Uint16(inline[10:])), 0)
		if err != nil {
			return nil, err
		}
		collect(elems)
		return out, nil
	}
	if err := visit(root, 0); err != nil {
		return out, fmt.Errorf("bucket %q: %w", pathString(path), err)
	}
	return out, nil
}

// Salvage reads the show logs of a database file that fails the open-time
// check (or that bbolt cannot open), without bbolt and without writing:
// every run's records in order, as far as its pages can be read, checked
// by the same chain rules as Verify. The file is opened read-only.
func Salvage(path string) (results []SalvageResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &DamagedError{Path: path, Reason: fmt.Sprintf("salvage: %v", r)}
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	p, err := openPagesLenient(f, fi.Size())
	if err != nil {
		return nil, &DamagedError{Path: path, Reason: err.Error() + "; no show log can be read"}
	}
	top, err := p.children(nil, p.meta.root, nil)
	if err != nil && len(top) == 0 {
		return nil, &DamagedError{Path: path, Reason: err.Error() + "; no show log can be read"}
	}
	var logRef *bucketRef
	for i := range top {
		if top[i].name == logBucket {
			logRef = &top[i]
		}
	}
	if logRef == nil {
		return nil, &DamagedError{Path: path, Reason: "the show log bucket cannot be found"}
	}
	runs, lerr := p.children([]string{logBucket}, logRef.root, logRef.inline)
	sort.Slice(runs, func(i, j int) bool { return runs[i].name < runs[j].name })
	for _, r := range runs {
		results = append(results, p.salvageRun(r))
	}
	if lerr != nil {
		return results, &DamagedError{Path: path, Reason: fmt.Sprintf("the list of runs is damaged (%v); %d runs found", lerr, len(runs))}
	}
	return results, nil
}

func (p *pageFile) salvageRun(r bucketRef) SalvageResult { return p.salvageRunTo(r, nil) }

// salvageRunTo also hands each verified record's canonical bytes to emit.
func (p *pageFile) salvageRunTo(r bucketRef, emit func([]byte) error) SalvageResult {
	c := newChain(r.name)
	stop := errors.New("stop")
	p.seen = make([]uint64, (p.meta.pgid+63)/64)
	err := p.walkBucket([]string{logBucket, r.name}, r.root, r.inline, nil, func(_ []string, e leafElem) error {
		canon, brk := c.stepRaw(rawRecord{key: append([]byte(nil), e.key...), val: append([]byte(nil), e.val...)})
		if brk != nil {
			return stop
		}
		if emit != nil {
			if err := emit(canon); err != nil {
				return err
			}
		}
		return nil
	})
	res := SalvageResult{VerifyResult: c.res}
	if err != nil && !errors.Is(err, stop) {
		res.Unreadable = fmt.Sprintf("record %d and after cannot be read: %v", c.expected(), err)
	}
	return res
}

// SalvageExport writes the readable, verified prefix of one run's log in
// a damaged file as export lines (canonical records) and no closing line,
// so the file is plainly partial: VerifyJSONL reports it as truncated.
func SalvageExport(path, run string, w io.Writer) (res SalvageResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &DamagedError{Path: path, Reason: fmt.Sprintf("salvage: %v", r)}
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return res, fmt.Errorf("store: %w", err)
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		return res, fmt.Errorf("store: %w", err)
	}
	p, err := openPagesLenient(f, fi.Size())
	if err != nil {
		return res, &DamagedError{Path: path, Reason: err.Error() + "; no show log can be read"}
	}
	top, _ := p.children(nil, p.meta.root, nil)
	for _, t := range top {
		if t.name != logBucket {
			continue
		}
		runs, _ := p.children([]string{logBucket}, t.root, t.inline)
		for _, r := range runs {
			if r.name == run {
				bw := bufio.NewWriter(w)
				res = p.salvageRunTo(r, func(canon []byte) error {
					_, err := bw.Write(append(canon, '\n'))
					return err
				})
				if err := bw.Flush(); err != nil {
					return res, err
				}
				return res, nil
			}
		}
	}
	return res, fmt.Errorf("store: show %q: %w (in what can be read of %s)", run, ErrUnknownShow, path)
}

// openPagesLenient accepts one damaged meta page when the other is valid
// (reading only), and a file shorter than its header says.
func openPagesLenient(f *os.File, size int64) (*pageFile, error) {
	p, err := openPages(f, size)
	if err == nil {
		return p, nil
	}
	buf := make([]byte, 128)
	var best *boltMeta
	for _, off := range []int64{0, 4096, 8192, 16384, 65536} {
		if _, rerr := f.ReadAt(buf, off); rerr != nil {
			continue
		}
		m, merr := parseMeta(buf)
		if merr != nil || int64(m.pageSize) != max(off, 4096) && off != 0 {
			continue
		}
		if best == nil || m.txid > best.txid {
			mm := m
			best = &mm
		}
	}
	if best == nil {
		return nil, err
	}
	pages := uint64(size / int64(best.pageSize))
	m := *best
	if m.pgid > pages {
		m.pgid = pages
	}
	return &pageFile{f: f, size: size, psz: int64(m.pageSize), meta: m, seen: make([]uint64, (m.pgid+63)/64)}, nil
}
