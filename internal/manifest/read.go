package manifest

import (
	"context"

	"github.com/helios-action/helios-action/internal/regular"
)

// MaxFileSize bounds a manifest.json that helios reads back. A manifest
// lists every file of its bundle at about 200 bytes each, so this fits
// over a million files, as the ledger's own limit does.
const MaxFileSize = 256 << 20

// readFile reads a manifest a pull request may have planted (run: false
// reads the bundle at report-root): only a regular file, never a FIFO that
// would block for ever, of at most MaxFileSize bytes.
func readFile(path string) ([]byte, error) {
	return regular.ReadFile(context.Background(), path, MaxFileSize, "a manifest")
}
