package ledger

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
)

// readDirChunk bounds the directory entries held at once, so a directory of
// 100,000 files does not build one 100,000-entry slice.
const readDirChunk = 1024

// walk lists root like `find . -type f`: it does not follow symlinks, it
// takes the file type from the directory entry where the OS gives it (no
// stat per file), and it leaves out the root SHA256SUMS. The order is the
// file system's; Scan sorts.
func walk(root string, exclude func(string) bool, stop *atomic.Bool, add func(name string) error) (skipped []string, err error) {
	w := walker{root: root, exclude: exclude, add: add, stop: stop}
	dirs := []string{""}
	for len(dirs) > 0 {
		if stop.Load() {
			return nil, errStopped
		}
		rel := dirs[len(dirs)-1]
		dirs = dirs[:len(dirs)-1]
		if dirs, err = w.dir(rel, dirs); err != nil {
			return nil, err
		}
	}
	return w.skipped, nil
}

type walker struct {
	root    string
	exclude func(string) bool
	add     func(name string) error
	stop    *atomic.Bool
	skipped []string
}

// dir passes the files of root/rel to add and returns dirs with the
// subdirectories appended.
func (w *walker) dir(rel string, dirs []string) ([]string, error) {
	f, err := os.Open(filepath.Join(w.root, filepath.FromSlash(rel)))
	if err != nil {
		return dirs, err
	}
	defer f.Close()
	for {
		if w.stop.Load() {
			return dirs, errStopped
		}
		des, err := f.ReadDir(readDirChunk)
		for _, de := range des {
			name := de.Name()
			t := de.Type()
			if rel != "" {
				name = rel + "/" + name
			} else if name == FileName && !t.IsDir() {
				continue
			}
			switch {
			case t.IsDir():
				dirs = append(dirs, name)
			case w.exclude != nil && w.exclude(name):
			case t.IsRegular():
				if err := w.add(name); err != nil {
					return dirs, err
				}
			default:
				w.skipped = append(w.skipped, name)
			}
		}
		if errors.Is(err, io.EOF) {
			return dirs, nil
		}
		if err != nil {
			return dirs, err
		}
	}
}
