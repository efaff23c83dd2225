//go:build !linux

package engine

import (
	"errors"

	"golang.org/x/sys/unix"
)

// pathFlags open a folder to look names up in it.
const pathFlags = unix.O_RDONLY

// watcher exists on Linux only (inotify); elsewhere every sync walks the
// report root.
type watcher struct {
	lost bool
	err  error
}

func newWatcher() (*watcher, error) { return nil, errors.New("no inotify on this system") }

func (w *watcher) reset() error                                { return errors.New("no inotify on this system") }
func (w *watcher) close()                                      {}
func (w *watcher) add(root, rel string)                        {}
func (w *watcher) drain() error                                { return nil }
func (w *watcher) take() (map[string]bool, []string, []string) { return nil, nil, nil }
