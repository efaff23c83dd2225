// Package ledger writes, reads and verifies a bundle's SHA256SUMS.
//
// The file is byte-for-byte what GNU coreutils prints in the bundle root for
//
//	LC_ALL=C find . -type f -print0 | sort -z | xargs -0 sha256sum
//
// minus the line for ./SHA256SUMS itself, so anyone can check a bundle with
// nothing but `sha256sum -c SHA256SUMS`.
package ledger

import (
	"slices"
	"strings"
)

// FileName is the ledger's name in the bundle root. A ledger never lists itself.
const FileName = "SHA256SUMS"

// Entry is one line of the ledger.
type Entry struct {
	// Name is the path relative to the root, '/'-separated, without the
	// "./" prefix. It holds the raw bytes of the name, which need not be UTF-8.
	Name string
	Sum  [32]byte
	// Size is the number of bytes hashed, or -1 when unknown (parsed from a ledger).
	Size int64
	// ModTime is the file's modification time in Unix nanoseconds when it
	// was opened for hashing (0 when unknown), so that a file changed after
	// it was hashed can be caught cheaply.
	ModTime int64
}

// Sort puts entries in ledger order: the byte order of "./"+Name, which is the
// order of `LC_ALL=C sort -z`. A shared "./" prefix does not change the order,
// so comparing the bare names is enough; comparing whole strings rather than
// path components is what puts "a b/x" before "a/b" (' ' < '/').
func Sort(entries []Entry) {
	slices.SortFunc(entries, compareEntries)
}

func compareEntries(a, b Entry) int { return strings.Compare(a.Name, b.Name) }
