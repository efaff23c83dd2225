package manifest

import (
	"encoding/hex"
	"slices"

	"github.com/helios-action/helios-action/internal/glob"
	"github.com/helios-action/helios-action/internal/ledger"
)

// ContentDigest recomputes the content digest of a bundle from its
// ledger's entries and its manifest's volatile globs (DefaultVolatile
// alone when m is nil; added to m's, for manifests from before they were
// listed there). A bundle's manifest says what it likes: this is the digest
// its ledger vouches for.
func ContentDigest(entries []ledger.Entry, m *Manifest) string {
	volatile := slices.Clone(DefaultVolatile)
	if m != nil {
		volatile = append(volatile, m.Volatile...)
	}
	sorted := slices.Clone(entries)
	ledger.Sort(sorted)
	sum := ledger.ContentDigest(sorted, func(name string) bool { return glob.MatchAny(volatile, name) })
	return hex.EncodeToString(sum[:])
}
