package ledger

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
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

// Bundle is the report root as the engine holds it (a *bundlefs.Dir):
// writes through it never follow a link.
type Bundle interface {
	WriteAtomic(name string, perm fs.FileMode, write func(io.Writer) error) error
}

// WriteFile writes entries to SHA256SUMS in the bundle and returns the
// SHA-256 of the bytes written. The bundle writes a temporary file, syncs it
// and renames it over the old ledger (a link there is replaced, not written
// through), so a reader sees the old ledger or the new one, never a torn one.
func WriteFile(b Bundle, entries []Entry) (digest [32]byte, err error) {
	h := sha256.New()
	err = b.WriteAtomic(FileName, 0o644, func(w io.Writer) error {
		return Encode(io.MultiWriter(w, h), entries)
	})
	if err != nil {
		return digest, fmt.Errorf("write %s: %w", FileName, err)
	}
	h.Sum(digest[:0])
	return digest, nil
}
