package ledger

import (
	"testing"

	"github.com/helios-action/helios-action/internal/bundlefs"
)

// openFolder holds root as the engine holds a report root, for Digest.
func openFolder(t testing.TB, root string) Folder {
	t.Helper()
	d, err := bundlefs.OpenFolder(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
