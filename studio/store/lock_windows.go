//go:build windows

package store

import (
	"errors"
	"io"
	"os"
	"time"
)

// lockFile is a no-op on Windows: bbolt takes its LockFileEx lock itself.
func lockFile(f *os.File, exclusive bool, timeout time.Duration) (bool, error) { return true, nil }

// FreeSpace is not measured on Windows (-1).
func FreeSpace(dir string) int64 { return -1 }

func isReadOnlyErr(err error) bool { return errors.Is(err, os.ErrPermission) }

// mapFile: plain reads on Windows.
func mapFile(f *os.File, size int64) (io.ReaderAt, func()) { return f, func() {} }
