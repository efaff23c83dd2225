package bundlezip

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/helios-action/helios-action/internal/ledger"
)

// Report compares a bundle zip with its own ledger. The lists hold names,
// sorted in ledger order.
type Report struct {
	// OK counts the files whose bytes match their ledger line.
	OK int
	// Mismatched are listed in the ledger with other bytes than the zip's.
	Mismatched []string
	// Missing are listed in the ledger but are not files in the zip.
	Missing []string
	// Extra are files in the zip that the ledger does not list
	// (SHA256SUMS aside).
	Extra []string
	// Unsafe are the entries refused, and the ledger names refused, with
	// the reason: names that are absolute, climb out or are not clean,
	// links and other non-regular files, duplicates, encrypted entries,
	// entries whose data does not match their header. A refused name is
	// in no other list.
	Unsafe []Unsafe
}

// Clean reports whether the zip holds exactly the files its ledger lists,
// with the listed bytes, and nothing unsafe.
func (r *Report) Clean() bool {
	return len(r.Mismatched) == 0 && len(r.Missing) == 0 && len(r.Extra) == 0 && len(r.Unsafe) == 0
}

// Verify hashes every file the ledger lists, as it streams out of the zip
// (nothing is written to disk), and compares. It fails, before reading
// anything, when those files declare more than Limits.MaxTotal bytes, and
// stops when ctx is done.
func (b *Bundle) Verify(ctx context.Context) (*Report, error) {
	r := &Report{Unsafe: slices.Clone(b.unsafe)}
	bud := newBudget(b.lim.MaxTotal)
	var todo []int // indexes into b.entries
	var declared uint64
	for i, e := range b.entries {
		switch f := b.files[e.Name]; {
		case b.refused[e.Name]:
		case f == nil:
			r.Missing = append(r.Missing, e.Name)
		default:
			todo = append(todo, i)
			declared += f.UncompressedSize64
		}
	}
	if err := bud.reserve(declared); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	for name := range b.files {
		if _, ok := b.listed[name]; !ok && name != ledger.FileName {
			r.Extra = append(r.Extra, name)
		}
	}
	for _, i := range todo {
		e := b.entries[i]
		h := sha256.New()
		err := copyEntry(ctx, b.files[e.Name], h, b.lim.MaxTotal, "a file of a bundle", bud)
		var ce *corruptError
		switch {
		case errors.As(err, &ce):
			r.Unsafe = append(r.Unsafe, Unsafe{Name: e.Name, Why: "has data that does not match its zip header: " + ce.Error()})
			continue
		case err != nil:
			return nil, fmt.Errorf("verify %q: %w", e.Name, err)
		}
		if [32]byte(h.Sum(nil)) != e.Sum {
			r.Mismatched = append(r.Mismatched, e.Name)
		} else {
			r.OK++
		}
	}
	slices.Sort(r.Mismatched)
	slices.Sort(r.Missing)
	slices.Sort(r.Extra)
	slices.SortStableFunc(r.Unsafe, func(x, y Unsafe) int { return strings.Compare(x.Name, y.Name) })
	return r, nil
}
