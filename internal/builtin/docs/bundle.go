package docs

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/regular"
)

// maxManifestHead bounds what is read of a manifest.json to tell whose it
// is: helios writes "$schema" and then "tool" first, within the first
// couple of hundred bytes, and a manifest may be 256 MiB.
const maxManifestHead = 4 << 10

// isBundle reports whether dir holds a helios report bundle: a
// manifest.json whose tool.name is "helios" next to a SHA256SUMS, both
// regular files. A bundle's Markdown is a record of an earlier run (its
// links pointed into that run's workspace), not the repository's
// documentation. The folder may be a pull request's: neither file is
// followed if it is a link, a FIFO is refused without waiting, and only
// the start of the manifest is read.
func isBundle(ctx context.Context, dir string) bool {
	fi, err := os.Lstat(filepath.Join(dir, ledger.FileName))
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	head, err := regular.ReadHead(ctx, filepath.Join(dir, manifest.FileName), maxManifestHead)
	return err == nil && toolName(head) == "helios"
}

// toolName is tool.name of a manifest.json, from its first bytes: the
// top-level keys are read in order up to "tool"; a document cut (or
// broken) before tool.name is complete names no tool.
func toolName(head []byte) string {
	dec := json.NewDecoder(bytes.NewReader(head))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return ""
		}
		if k == "tool" {
			var tool manifest.Tool
			if dec.Decode(&tool) != nil {
				return ""
			}
			return tool.Name
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return ""
		}
	}
	return ""
}
