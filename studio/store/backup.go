package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// BackupDir is the folder of hot copies inside the data directory.
const BackupDir = "backups"

// DefaultKeepBackups is how many copies Backup keeps by default.
const DefaultKeepBackups = 12

// BackupInfo is one hot copy on disk.
type BackupInfo struct {
	Path   string
	Taken  time.Time
	Reason string
	Size   int64
}

// Backup writes a consistent hot copy of the database (bbolt's tx.WriteTo
// in a read transaction, so the desk keeps writing meanwhile) to
// <data>/backups/desk-<UTC time>-<reason>.db, fsynced and renamed into
// place, then deletes the oldest copies beyond keep (keep ≤ 0: default).
func (s *Store) Backup(reason string, keep int) (BackupInfo, error) {
	if keep <= 0 {
		keep = DefaultKeepBackups
	}
	dir := filepath.Join(filepath.Dir(s.path), BackupDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return BackupInfo{}, &StorageError{Path: dir, Free: FreeSpace(filepath.Dir(s.path)), Err: err}
	}
	now := time.Now().UTC() // file names are wall-clock times
	name := fmt.Sprintf("desk-%s-%s.db", now.Format("20060102T150405.000Z"), sanitize(reason))
	final := filepath.Join(dir, name)
	tmp, err := os.CreateTemp(dir, name+".*.part")
	if err != nil {
		return BackupInfo{}, &StorageError{Path: dir, Free: FreeSpace(dir), Err: err}
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	var size int64
	err = s.view(func(tx *bolt.Tx) error {
		n, err := tx.WriteTo(tmp)
		size = n
		return err
	})
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), final)
	}
	if err != nil {
		if errors.Is(err, ErrDamaged) {
			return BackupInfo{}, err
		}
		return BackupInfo{}, &StorageError{Path: final, Free: FreeSpace(dir), Err: err}
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	info := BackupInfo{Path: final, Taken: now, Reason: reason, Size: size}
	list, err := ListBackups(filepath.Dir(s.path))
	if err == nil && len(list) > keep {
		for _, old := range list[keep:] {
			_ = os.Remove(old.Path)
		}
	}
	return info, nil
}

func sanitize(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, strings.ToLower(s))
	if s == "" {
		return "manual"
	}
	return s
}

// ListBackups lists the hot copies in dataDir/backups, newest first.
func ListBackups(dataDir string) ([]BackupInfo, error) {
	dir := filepath.Join(dataDir, BackupDir)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: backups %s: %w", dir, err)
	}
	var out []BackupInfo
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || !strings.HasPrefix(name, "desk-") || !strings.HasSuffix(name, ".db") {
			continue
		}
		rest := strings.TrimSuffix(strings.TrimPrefix(name, "desk-"), ".db")
		stamp, reason, _ := strings.Cut(rest, "Z-")
		t, err := time.Parse("20060102T150405.000", stamp)
		if err != nil {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		out = append(out, BackupInfo{Path: filepath.Join(dir, name), Taken: t.UTC(), Reason: reason, Size: fi.Size()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Taken.After(out[j].Taken) })
	return out, nil
}

// Restore puts a backup in place of dataDir/desk.db. The backup is checked
// first; the current file, damaged or not, is kept beside it as
// desk.db.replaced-<time> (never deleted). It fails with ErrLocked while a
// desk has the file open.
func Restore(dataDir, backup string) (kept string, err error) {
	if err := CheckFile(backup); err != nil {
		return "", fmt.Errorf("backup %s: %w", backup, err)
	}
	path := filepath.Join(dataDir, FileName)
	if fi, err := os.Stat(path); err == nil && !fi.IsDir() {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err == nil {
			locked, _ := lockFile(f, true, 300*time.Millisecond)
			_ = f.Close()
			if !locked {
				return "", &LockedError{Path: path}
			}
		}
	}
	if _, err := os.Lstat(path); err == nil {
		kept = fmt.Sprintf("%s.replaced-%s", path, time.Now().UTC().Format("20060102T150405Z"))
		if err := os.Rename(path, kept); err != nil {
			return "", fmt.Errorf("store: move %s aside: %w", path, err)
		}
	}
	src, err := os.Open(backup)
	if err != nil {
		return kept, fmt.Errorf("store: %w", err)
	}
	defer func() { _ = src.Close() }()
	tmp := path + ".restore.part"
	dst, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return kept, &StorageError{Path: tmp, Free: FreeSpace(dataDir), Err: err}
	}
	_, err = io.Copy(dst, src)
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return kept, &StorageError{Path: path, Free: FreeSpace(dataDir), Err: err}
	}
	return kept, nil
}
