package ledger

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Encode writes entries as sha256sum text lines, "<hex>  ./<name>\n", escaping
// names the way coreutils does. Entries must already be in ledger order (see
// Sort) with no duplicates: writing them otherwise would silently produce a
// ledger that differs from the coreutils one, so it is an error instead.
func Encode(w io.Writer, entries []Entry) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var line []byte
	for i, e := range entries {
		if err := checkName(e.Name); err != nil {
			return fmt.Errorf("encode %q: %w", e.Name, err)
		}
		if i > 0 && entries[i-1].Name >= e.Name {
			return fmt.Errorf("encode %q: entries not sorted or duplicated (after %q)", e.Name, entries[i-1].Name)
		}
		line = appendLine(line[:0], e)
		if _, err := bw.Write(line); err != nil {
			return fmt.Errorf("encode: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	return nil
}

func appendLine(dst []byte, e Entry) []byte {
	esc := needsEscape(e.Name)
	if esc {
		dst = append(dst, '\\')
	}
	dst = hex.AppendEncode(dst, e.Sum[:])
	dst = append(dst, "  ./"...)
	if esc {
		dst = appendEscaped(dst, e.Name)
	} else {
		dst = append(dst, e.Name...)
	}
	return append(dst, '\n')
}

func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case strings.IndexByte(name, 0) >= 0:
		return errors.New("name holds a NUL byte")
	}
	return nil
}

// WriteFile writes entries to root/SHA256SUMS and returns the SHA-256 of the
// bytes written. It writes a temporary file in root, syncs it and renames it
// over the old ledger, so a reader sees the old ledger or the new one, never
// a torn one; the directory is synced too so the rename survives a crash.
func WriteFile(root string, entries []Entry) (digest [32]byte, err error) {
	path := filepath.Join(root, FileName)
	f, err := os.CreateTemp(root, "."+FileName+".*.tmp")
	if err != nil {
		return digest, fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	h := sha256.New()
	err = Encode(io.MultiWriter(f, h), entries)
	// CreateTemp makes the file 0600; a shell redirect would give 0644, and
	// whoever receives the bundle must be able to read the ledger.
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return digest, fmt.Errorf("write %s: %w", path, err)
	}
	if err := syncDir(root); err != nil {
		// The new ledger is in place; only its durability is in doubt.
		return digest, fmt.Errorf("write %s: sync directory: %w", path, err)
	}
	h.Sum(digest[:0])
	return digest, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
