package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"

	"github.com/helios-action/helios-action/internal/glob"
)

// ContentDigest is the identity of a bundle's evidence: the SHA-256 of the
// ledger lines (as SHA256SUMS holds them, in the order given) of the
// entries volatile does not match. Logs, timings and the manifest differ
// on every run; leaving them out makes two runs of one commit give one
// digest, which the ledger digest cannot. entries must be in ledger order,
// as for Encode.
func ContentDigest(entries []Entry, volatile func(name string) bool) [32]byte {
	h := sha256.New()
	var line []byte
	for _, e := range entries {
		if volatile(e.Name) {
			continue
		}
		line = appendLine(line[:0], e)
		h.Write(line)
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// ContentDigestOf is ContentDigest of entries in any order, with the files
// that match a volatile glob (see package glob) left out, in hex. It is the
// content digest a bundle's ledger vouches for, whatever its manifest claims.
func ContentDigestOf(entries []Entry, volatile []string) string {
	sorted := slices.Clone(entries)
	Sort(sorted)
	sum := ContentDigest(sorted, func(name string) bool { return glob.MatchAny(volatile, name) })
	return hex.EncodeToString(sum[:])
}
