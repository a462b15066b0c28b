package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// The open-time check reads desk.db's page structure directly, with plain
// reads and bounds checks, before bbolt maps the file: bbolt trusts its
// pages and panics (or, worse, writes over live data through a damaged
// freelist) when they are wrong. The check is sized to the file's
// structure, not its data: both meta pages, the freelist, every branch
// page, the leaves of the small document buckets, and the 16-byte header
// of each show-log leaf page (above fullScanMax only some of them; see
// there and BenchmarkOpenCheck1GB). What it cannot see — a damaged record
// inside a log leaf page — the chain check (Verify) finds and names.
//
// Layout (bbolt file format 2, little-endian, as go.etcd.io/bbolt writes it):
// every page starts with {id u64, flags u16, count u16, overflow u32};
// pages 0 and 1 are metas {magic u32, version u32, pageSize u32, flags u32,
// root {pgid u64, seq u64}, freelist u64, pgid u64, txid u64, checksum u64}
// at offset 16, the checksum being FNV-64a of the 56 bytes before it.

const (
	pageHeaderSize = 16
	elemSize       = 16
	flagBranch     = 0x01
	flagLeaf       = 0x02
	flagMeta       = 0x04
	flagFreelist   = 0x10
	bucketLeafFlag = 0x01
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	noFreelist     = 0xffffffffffffffff
	bucketHdrSize  = 16
)

// DamagedError says desk.db cannot be trusted. The file has not been
// written; the message names it and what to do. It matches ErrDamaged.
type DamagedError struct {
	Path   string
	Reason string
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("%s is damaged (%s); it has not been changed. Restore a backup with `studiodesk restore`, or verify/export what is readable with `studiodesk verify` (数据库文件已损坏，未作任何写入；请用 studiodesk restore 恢复备份)", e.Path, e.Reason)
}

// Is makes errors.Is(err, ErrDamaged) true.
func (e *DamagedError) Is(target error) bool { return target == ErrDamaged }

// ErrDamaged: desk.db failed the open-time check or a read hit a damaged page.
var ErrDamaged = errors.New("database file damaged")

type boltMeta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	pgid     uint64
	txid     uint64
}

// pageFile reads pages of a bbolt file with bounds checks only.
type pageFile struct {
	f    io.ReaderAt
	size int64
	psz  int64
	meta boltMeta
	// seen marks pages reachable from the root (double use is damage).
	seen []uint64
	// lazy marks show-log leaves taken from their branch page without
	// reading them (large files only); their overflow is settled at the end.
	lazy []uint64
}

// fullScanMax: up to this size the check reads the header of every log
// leaf page (a damaged one is refused at open). Above it only the branch
// pages, the first and last leaf under each, and any leaf with overflow
// pages are read, so the check stays O(branch pages): a damaged leaf
// inside an old log is then found by verify, and bbolt never writes to a
// full, old log leaf (appends touch only the last leaf and its parents).
var fullScanMax int64 = 256 << 20

func (p *pageFile) isLazy(q uint64) bool { return p.lazy != nil && p.lazy[q/64]&(1<<(q%64)) != 0 }

func (p *pageFile) isSeen(q uint64) bool { return p.seen[q/64]&(1<<(q%64)) != 0 }

func parseMeta(buf []byte) (boltMeta, error) {
	if len(buf) < pageHeaderSize+64 {
		return boltMeta{}, errors.New("short meta page")
	}
	flags := binary.LittleEndian.Uint16(buf[8:])
	m := buf[pageHeaderSize:]
	if binary.LittleEndian.Uint32(m[0:]) != boltMagic {
		return boltMeta{}, errors.New("no bbolt magic number")
	}
	if v := binary.LittleEndian.Uint32(m[4:]); v != boltVersion {
		return boltMeta{}, fmt.Errorf("file format version %d", v)
	}
	h := fnv.New64a()
	_, _ = h.Write(m[:56])
	if h.Sum64() != binary.LittleEndian.Uint64(m[56:]) {
		return boltMeta{}, errors.New("meta checksum mismatch")
	}
	if flags != flagMeta {
		return boltMeta{}, fmt.Errorf("meta page flags %#x", flags)
	}
	return boltMeta{
		pageSize: binary.LittleEndian.Uint32(m[8:]),
		root:     binary.LittleEndian.Uint64(m[16:]),
		freelist: binary.LittleEndian.Uint64(m[32:]),
		pgid:     binary.LittleEndian.Uint64(m[40:]),
		txid:     binary.LittleEndian.Uint64(m[48:]),
	}, nil
}

// openPages validates both meta pages and returns a reader positioned on
// the newest. Any invalid meta is damage: bbolt would silently fall back to
// the other copy and go on writing over a file that was hurt.
func openPages(f io.ReaderAt, size int64) (*pageFile, error) {
	if size == 0 {
		return nil, errors.New("the file is empty (0 bytes)")
	}
	const probe = 4096
	if size < 2*probe {
		return nil, fmt.Errorf("the file is %d bytes, too short for a database (truncated)", size)
	}
	buf := make([]byte, 128)
	if _, err := f.ReadAt(buf, 0); err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	m0, err0 := parseMeta(buf)
	psz := int64(probe)
	if err0 == nil {
		psz = int64(m0.pageSize)
	}
	if psz < 1024 || psz > 1<<16 || psz&(psz-1) != 0 {
		return nil, fmt.Errorf("header page size %d is not valid", psz)
	}
	if _, err := f.ReadAt(buf, psz); err != nil {
		return nil, fmt.Errorf("read second header: %w", err)
	}
	m1, err1 := parseMeta(buf)
	switch {
	case err0 != nil && err1 != nil:
		return nil, fmt.Errorf("both header pages are invalid (%v; %v)", err0, err1)
	case err0 != nil:
		return nil, fmt.Errorf("header page 0 is invalid (%v); the second copy is intact but the file cannot be trusted", err0)
	case err1 != nil:
		return nil, fmt.Errorf("header page 1 is invalid (%v); the first copy is intact but the file cannot be trusted", err1)
	}
	if m1.pageSize != m0.pageSize {
		return nil, fmt.Errorf("header pages disagree on the page size (%d, %d)", m0.pageSize, m1.pageSize)
	}
	m := m0
	if m1.txid > m0.txid {
		m = m1
	}
	p := &pageFile{f: f, size: size, psz: psz, meta: m}
	if m.pgid < 3 || int64(m.pgid) > size/psz {
		return nil, fmt.Errorf("header says %d pages of %d bytes, the file holds %d bytes (truncated)", m.pgid, psz, size)
	}
	if m.root < 2 || m.root >= m.pgid {
		return nil, fmt.Errorf("root page %d out of range", m.root)
	}
	if m.freelist != noFreelist && (m.freelist < 2 || m.freelist >= m.pgid) {
		return nil, fmt.Errorf("freelist page %d out of range", m.freelist)
	}
	p.seen = make([]uint64, (m.pgid+63)/64)
	return p, nil
}

// header reads and checks one page header.
func (p *pageFile) header(id uint64, wantFlags uint16) (count int, overflow uint64, err error) {
	count, overflow, _, err = p.headerFlags(id, wantFlags)
	return count, overflow, err
}

// headerFlags is header returning the page's flags too.
func (p *pageFile) headerFlags(id uint64, wantFlags uint16) (count int, overflow uint64, flags uint16, err error) {
	if id < 2 || id >= p.meta.pgid {
		return 0, 0, 0, fmt.Errorf("page %d out of range (file has %d pages)", id, p.meta.pgid)
	}
	var h [pageHeaderSize]byte
	if _, err := p.f.ReadAt(h[:], int64(id)*p.psz); err != nil {
		return 0, 0, 0, fmt.Errorf("page %d: read: %w", id, err)
	}
	if got := binary.LittleEndian.Uint64(h[0:]); got != id {
		return 0, 0, 0, fmt.Errorf("page %d: header says page %d", id, got)
	}
	flags = binary.LittleEndian.Uint16(h[8:])
	if wantFlags != 0 && flags != wantFlags {
		return 0, 0, 0, fmt.Errorf("page %d: type %#x, want %#x", id, flags, wantFlags)
	}
	count = int(binary.LittleEndian.Uint16(h[10:]))
	overflow = uint64(binary.LittleEndian.Uint32(h[12:]))
	if id+overflow >= p.meta.pgid {
		return 0, 0, 0, fmt.Errorf("page %d: %d overflow pages run past the end", id, overflow)
	}
	if flags != flagFreelist && int64(count)*elemSize+pageHeaderSize > int64(overflow+1)*p.psz {
		return 0, 0, 0, fmt.Errorf("page %d: %d elements do not fit", id, count)
	}
	return count, overflow, flags, nil
}

// mark records pages [id, id+overflow] as used; using one twice is damage.
func (p *pageFile) mark(id, overflow uint64, what any) error {
	for q := id; q <= id+overflow; q++ {
		w, b := q/64, uint64(1)<<(q%64)
		if p.seen[w]&b != 0 {
			if path, ok := what.([]string); ok {
				what = pathString(path)
			}
			return fmt.Errorf("page %d is used twice (%v)", q, what)
		}
		p.seen[w] |= b
	}
	return nil
}

// page reads a whole page (with overflow) after checking its header.
func (p *pageFile) page(id uint64, flags uint16) ([]byte, int, error) {
	count, overflow, err := p.header(id, flags)
	if err != nil {
		return nil, 0, err
	}
	buf := make([]byte, int64(overflow+1)*p.psz)
	if _, err := p.f.ReadAt(buf, int64(id)*p.psz); err != nil {
		return nil, 0, fmt.Errorf("page %d: read: %w", id, err)
	}
	return buf, count, nil
}

// leafElem is one key/value of a leaf page.
type leafElem struct {
	flags uint32
	key   []byte
	val   []byte
}

// leafElems decodes a leaf page's elements with bounds checks.
func leafElems(buf []byte, count int, id uint64) ([]leafElem, error) {
	out := make([]leafElem, 0, count)
	for i := 0; i < count; i++ {
		off := pageHeaderSize + i*elemSize
		if off+elemSize > len(buf) {
			return nil, fmt.Errorf("page %d: element %d out of bounds", id, i)
		}
		e := buf[off:]
		fl := binary.LittleEndian.Uint32(e[0:])
		pos := int64(binary.LittleEndian.Uint32(e[4:]))
		ks := int64(binary.LittleEndian.Uint32(e[8:]))
		vs := int64(binary.LittleEndian.Uint32(e[12:]))
		start := int64(off) + pos
		if pos < 0 || start+ks+vs > int64(len(buf)) {
			return nil, fmt.Errorf("page %d: element %d points outside the page", id, i)
		}
		out = append(out, leafElem{flags: fl, key: buf[start : start+ks], val: buf[start+ks : start+ks+vs]})
	}
	return out, nil
}

// branchChildren decodes a branch page's child page ids.
func branchChildren(buf []byte, count int, id uint64) ([]uint64, error) {
	out := make([]uint64, 0, count)
	for i := 0; i < count; i++ {
		off := pageHeaderSize + i*elemSize
		if off+elemSize > len(buf) {
			return nil, fmt.Errorf("page %d: element %d out of bounds", id, i)
		}
		e := buf[off:]
		pos := int64(binary.LittleEndian.Uint32(e[0:]))
		ks := int64(binary.LittleEndian.Uint32(e[4:]))
		if int64(off)+pos+ks > int64(len(buf)) {
			return nil, fmt.Errorf("page %d: key %d points outside the page", id, i)
		}
		out = append(out, binary.LittleEndian.Uint64(e[8:]))
	}
	return out, nil
}

// walkOpts says how deep the walk goes into a bucket's leaves.
type walkFn func(path []string, e leafElem) error

// walkBucket visits a bucket rooted at root (or inline when root == 0) with
// visit called for every leaf element in key order. headerOnly(path) true
// means the bucket's leaf pages are checked by header only (show logs at
// open time); visit is then not called for them.
func (p *pageFile) walkBucket(path []string, root uint64, inline []byte, headerOnly func([]string) bool, visit walkFn) error {
	if root == 0 {
		if len(inline) < pageHeaderSize {
			return fmt.Errorf("bucket %q: inline page too short", pathString(path))
		}
		if fl := binary.LittleEndian.Uint16(inline[8:]); fl != flagLeaf {
			return fmt.Errorf("bucket %q: inline page type %#x", pathString(path), fl)
		}
		count := int(binary.LittleEndian.Uint16(inline[10:]))
		elems, err := leafElems(inline, count, 0)
		if err != nil {
			return fmt.Errorf("bucket %q: inline %w", pathString(path), err)
		}
		return p.visitElems(path, elems, headerOnly, visit)
	}
	return p.walkPage(path, root, 0, headerOnly, visit)
}

const maxDepth = 64

func (p *pageFile) walkPage(path []string, id uint64, depth int, headerOnly func([]string) bool, visit walkFn) error {
	if depth > maxDepth {
		return fmt.Errorf("bucket %q: tree deeper than %d (a loop)", pathString(path), maxDepth)
	}
	count, overflow, flags, err := p.headerFlags(id, 0)
	if err != nil {
		return fmt.Errorf("bucket %q: %w", pathString(path), err)
	}
	if err := p.mark(id, overflow, path); err != nil {
		return err
	}
	switch flags {
	case flagBranch:
		buf, count, err := p.page(id, flagBranch)
		if err != nil {
			return fmt.Errorf("bucket %q: %w", pathString(path), err)
		}
		kids, err := branchChildren(buf, count, id)
		if err != nil {
			return fmt.Errorf("bucket %q: %w", pathString(path), err)
		}
		if p.lazy != nil && headerOnly != nil && headerOnly(path) && len(kids) > 2 {
			// Peek at the first child: leaves under this branch are taken
			// by id, with the first and the last read in full.
			if _, _, fl, err := p.headerFlags(kids[0], 0); err == nil && fl == flagLeaf {
				for i, k := range kids {
					if i == 0 || i == len(kids)-1 {
						if err := p.walkPage(path, k, depth+1, headerOnly, visit); err != nil {
							return err
						}
						continue
					}
					if k < 2 || k >= p.meta.pgid {
						return fmt.Errorf("bucket %q: page %d: child %d out of range", pathString(path), id, k)
					}
					if err := p.mark(k, 0, path); err != nil {
						return err
					}
					p.lazy[k/64] |= 1 << (k % 64)
				}
				return nil
			}
		}
		for _, k := range kids {
			if err := p.walkPage(path, k, depth+1, headerOnly, visit); err != nil {
				return err
			}
		}
		return nil
	case flagLeaf:
		if headerOnly != nil && headerOnly(path) {
			_ = count
			return nil
		}
		buf, count, err := p.page(id, flagLeaf)
		if err != nil {
			return fmt.Errorf("bucket %q: %w", pathString(path), err)
		}
		elems, err := leafElems(buf, count, id)
		if err != nil {
			return fmt.Errorf("bucket %q: %w", pathString(path), err)
		}
		return p.visitElems(path, elems, headerOnly, visit)
	default:
		return fmt.Errorf("bucket %q: page %d has type %#x, want a branch or leaf", pathString(path), id, flags)
	}
}

func (p *pageFile) visitElems(path []string, elems []leafElem, headerOnly func([]string) bool, visit walkFn) error {
	for _, e := range elems {
		if e.flags&bucketLeafFlag != 0 {
			if len(e.val) < bucketHdrSize {
				return fmt.Errorf("bucket %q: sub-bucket %q header too short", pathString(path), e.key)
			}
			root := binary.LittleEndian.Uint64(e.val)
			sub := append(append([]string(nil), path...), string(e.key))
			if err := p.walkBucket(sub, root, e.val[bucketHdrSize:], headerOnly, visit); err != nil {
				return err
			}
			continue
		}
		if visit != nil {
			if err := visit(path, e); err != nil {
				return err
			}
		}
	}
	return nil
}

func pathString(path []string) string {
	s := ""
	for i, p := range path {
		if i > 0 {
			s += "/"
		}
		s += p
	}
	return s
}

// freelist checks the freelist page and marks its ids.
func (p *pageFile) freelist() error {
	if p.meta.freelist == noFreelist {
		return nil
	}
	count, overflow, err := p.header(p.meta.freelist, flagFreelist)
	if err != nil {
		return fmt.Errorf("freelist: %w", err)
	}
	if err := p.mark(p.meta.freelist, overflow, "freelist"); err != nil {
		return err
	}
	buf := make([]byte, int64(overflow+1)*p.psz)
	if _, err := p.f.ReadAt(buf, int64(p.meta.freelist)*p.psz); err != nil {
		return fmt.Errorf("freelist: read: %w", err)
	}
	idx := 0
	n := count
	if count == 0xFFFF {
		n = int(binary.LittleEndian.Uint64(buf[pageHeaderSize:]))
		idx = 1
	}
	if n < 0 || int64(pageHeaderSize+(idx+n)*8) > int64(len(buf)) {
		return fmt.Errorf("freelist: %d ids do not fit in its pages", n)
	}
	for i := 0; i < n; i++ {
		id := binary.LittleEndian.Uint64(buf[pageHeaderSize+(idx+i)*8:])
		if id < 2 || id >= p.meta.pgid {
			return fmt.Errorf("freelist: free page %d out of range", id)
		}
		if err := p.mark(id, 0, "free page"); err != nil {
			return fmt.Errorf("freelist: %w", err)
		}
	}
	return nil
}

// isShowLog is true for the path of a show log bucket (log/<run>).
func isShowLog(path []string) bool { return len(path) == 2 && path[0] == logBucket }

// checkPages runs the open-time check: metas, freelist, the whole page tree
// (log leaves by header only), every page accounted for exactly once.
func checkPages(f io.ReaderAt, size int64) error {
	p, err := openPages(f, size)
	if err != nil {
		return err
	}
	_ = p.mark(0, 1, "meta")
	if err := p.freelist(); err != nil {
		return err
	}
	if size > fullScanMax {
		p.lazy = make([]uint64, len(p.seen))
	}
	if err := p.walkBucket(nil, p.meta.root, nil, isShowLog, nil); err != nil {
		return err
	}
	for q := uint64(2); q < p.meta.pgid; q++ {
		if p.isSeen(q) {
			continue
		}
		// Only the overflow of a leaf taken by id may be unaccounted for.
		if !p.isLazy(q - 1) {
			return fmt.Errorf("page %d is neither in use nor free", q)
		}
		_, overflow, _, err := p.headerFlags(q-1, flagLeaf)
		if err != nil {
			return fmt.Errorf("bucket log: %w", err)
		}
		if overflow == 0 {
			return fmt.Errorf("page %d is neither in use nor free", q)
		}
		if err := p.mark(q, overflow-1, "log overflow"); err != nil {
			return err
		}
		q += overflow - 1
	}
	return nil
}

// CheckFile runs the open-time check on a database file without opening
// it; a failure is a *DamagedError.
func CheckFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer func() { _ = f.Close() }()
	return safeCheck(f, path)
}
