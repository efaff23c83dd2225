package mission

import (
	"context"
	"errors"
	"io/fs"

	"github.com/helios-action/helios-action/internal/regular"
)

// MaxFileSize bounds a mission file. The largest real missions are a few
// tens of KiB; past this, a file is a mistake or an attack (a 300 MB value
// once took 2 GB of memory to parse), so it is refused before it is read.
const MaxFileSize = 4 << 20

// readFile reads a mission file a pull request may control: only a regular
// file (a FIFO would block for ever) of at most MaxFileSize bytes. Its
// errors are *fs.PathError so that callers print "mission FILE: why".
func readFile(path string) ([]byte, error) {
	src, err := regular.ReadFile(context.Background(), path, MaxFileSize, "a mission file")
	var nr *regular.NotRegularError
	var tl *regular.TooLargeError
	switch {
	case errors.As(err, &nr):
		nr.Path = ""
		return nil, &fs.PathError{Op: "read", Path: path, Err: nr}
	case errors.As(err, &tl):
		tl.Path = ""
		return nil, &fs.PathError{Op: "read", Path: path, Err: tl}
	}
	return src, err
}
