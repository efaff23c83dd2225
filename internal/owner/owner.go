//go:build linux

// Package owner gives back to the workspace's owner the files the action
// created in it. A container action runs as root while the runner's
// workspace belongs to the runner's user: root-owned reports break later
// steps (a `git clean`, a cache save) and self-hosted runners' cleanup.
package owner

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Restore walks dir and hands every entry that this process's user created
// since `since` to dir's own owner. It does nothing unless the process runs
// as root and dir belongs to someone else. Links are changed themselves,
// never followed. It returns how many entries it changed.
func Restore(dir string, since time.Time) (int, error) {
	if os.Geteuid() != 0 {
		return 0, nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return 0, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Uid == 0 {
		return 0, nil
	}
	uid, gid := int(st.Uid), int(st.Gid)
	// ctime has whole-second resolution on some file systems.
	cutoff := since.Add(-time.Second)
	n := 0
	var errs []error
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		if p == dir {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil // gone meanwhile
		}
		s, ok := info.Sys().(*syscall.Stat_t)
		if !ok || s.Uid != 0 {
			return nil
		}
		if time.Unix(s.Ctim.Sec, s.Ctim.Nsec).Before(cutoff) {
			return nil
		}
		if err := os.Lchown(p, uid, gid); err != nil {
			errs = append(errs, err)
			return nil
		}
		n++
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return n, fmt.Errorf("give files back to uid %d: %w", uid, errors.Join(errs...))
	}
	return n, nil
}
