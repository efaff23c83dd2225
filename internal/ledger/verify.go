package ledger

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/helios-action/helios-action/internal/bundlefs"
)

// VerifyReport compares a ledger with the files on disk. The lists hold
// names, sorted.
type VerifyReport struct {
	OK int
	// Missing are listed in the ledger but are not regular files on disk.
	Missing []string
	// Extra are regular files on disk that the ledger does not list.
	Extra []string
	// Changed are listed with a different digest.
	Changed []string
}

// Clean reports whether the files on disk match the ledger exactly.
func (r *VerifyReport) Clean() bool {
	return len(r.Missing) == 0 && len(r.Extra) == 0 && len(r.Changed) == 0
}

// Verify re-hashes root and compares it with root/SHA256SUMS. The ledger's
// names are only compared with what the scan found, never opened, so a
// hostile ledger cannot make Verify read outside root.
func Verify(ctx context.Context, root string, opts ScanOptions) (*VerifyReport, error) {
	want, err := ReadFile(filepath.Join(root, FileName))
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	res, err := Scan(ctx, root, opts)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	listed := make(map[string][32]byte, len(want))
	for _, e := range want {
		listed[e.Name] = e.Sum
	}
	r := &VerifyReport{}
	for _, e := range res.Entries {
		sum, ok := listed[e.Name]
		switch {
		case !ok:
			r.Extra = append(r.Extra, e.Name)
		case sum != e.Sum:
			r.Changed = append(r.Changed, e.Name)
		default:
			r.OK++
		}
		delete(listed, e.Name)
	}
	for name := range listed {
		r.Missing = append(r.Missing, name)
	}
	slices.Sort(r.Missing)
	return r, nil
}

// Digest scans root, writes root/SHA256SUMS and returns the SHA-256 of the
// ledger's bytes together with what the scan found.
func Digest(ctx context.Context, root string, opts ScanOptions) (digest [32]byte, res *ScanResult, err error) {
	res, err = Scan(ctx, root, opts)
	if err != nil {
		return digest, nil, err
	}
	dir, err := bundlefs.Open(filepath.Dir(root), filepath.Base(root))
	if err != nil {
		return digest, nil, err
	}
	defer dir.Close()
	if digest, err = WriteFile(dir, res.Entries); err != nil {
		return digest, nil, err
	}
	return digest, res, nil
}
