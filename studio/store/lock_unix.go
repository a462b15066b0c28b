//go:build !windows

package store

import (
	"errors"
	"io"
	"os"
	"syscall"
	"time"
)

// lockFile takes an flock on f (exclusive for a writer, shared for a
// reader), retrying until timeout. bbolt later locks the same open file
// description again, which keeps the lock. locked is false when the lock is
// held elsewhere; err is any other failure (a read-only medium may not
// support locks: readers then go on without one).
func lockFile(f *os.File, exclusive bool, timeout time.Duration) (locked bool, err error) {
	how := syscall.LOCK_SH | syscall.LOCK_NB
	if exclusive {
		how = syscall.LOCK_EX | syscall.LOCK_NB
	}
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return false, err
		}
		if time.Now().After(deadline) {
			return false, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// FreeSpace is the bytes available to this user on dir's file system, or -1.
func FreeSpace(dir string) int64 {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		return -1
	}
	return int64(fs.Bavail) * int64(fs.Bsize)
}

// isReadOnlyErr reports a permission or read-only-medium failure.
func isReadOnlyErr(err error) bool {
	return errors.Is(err, syscall.EROFS) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM)
}

// mappedFile reads from a read-only memory map: the open-time check then
// touches page headers without a system call each.
type mappedFile []byte

func (m mappedFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off >= int64(len(m)) {
		return 0, io.EOF
	}
	n := copy(p, m[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// mapFile maps f read-only for the check (falling back to f itself).
func mapFile(f *os.File, size int64) (io.ReaderAt, func()) {
	if size <= 0 || size > 1<<40 {
		return f, func() {}
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return f, func() {}
	}
	return mappedFile(b), func() { _ = syscall.Munmap(b) }
}
