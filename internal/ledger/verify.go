package ledger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"slices"
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
	// Leaks are the files, the ledger among them, whose bytes or name hold
	// one of ScanOptions.Secrets (see ScanResult.Leaks). They do not make
	// the report unclean: the bundle is what its ledger says, but it must
	// not be passed on.
	Leaks []string
}

// Clean reports whether the files on disk match the ledger exactly.
func (r *VerifyReport) Clean() bool {
	return len(r.Missing) == 0 && len(r.Extra) == 0 && len(r.Changed) == 0
}

// errOutside is a bundle ledger naming a file outside its bundle.
var errOutside = errors.New("is not a path inside the bundle")

// checkInside refuses names a bundle's own ledger cannot hold: absolute
// ones, ones that climb out ("../x", "a/../../b"), and other spellings of
// a name ("a//b", "a/./b") that a scan would never produce. Calling those
// "missing" would hide that the ledger itself is hostile or corrupt.
func checkInside(e Entry) error {
	switch {
	case !filepath.IsLocal(filepath.FromSlash(e.Name)) || path.IsAbs(e.Name):
		return fmt.Errorf("name %q %w: it is absolute or climbs out with \"..\"", e.Name, errOutside)
	case path.Clean(e.Name) != e.Name:
		return fmt.Errorf("name %q %w: it is not written the way the bundle lists it (%q)", e.Name, errOutside, path.Clean(e.Name))
	}
	return nil
}

// Verify re-hashes root and compares it with root/SHA256SUMS. The ledger's
// names are only compared with what the scan found, never opened, so a
// hostile ledger cannot make Verify read outside root; names that point
// outside are refused with a *ParseError naming their line. With
// opts.Secrets the ledger's own bytes are searched too, since the scan
// leaves it out and a hostile ledger can list a name that holds a secret.
func Verify(ctx context.Context, root string, opts ScanOptions) (*VerifyReport, error) {
	var want []Entry
	st := opts.Secrets.stream()
	err := readFile(ctx, filepath.Join(root, FileName), func(r io.Reader) error {
		if st != nil {
			r = io.TeeReader(r, feeder{st})
		}
		var err error
		want, err = parseChecked(r, checkInside)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	res, err := Scan(ctx, root, opts)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	r := Compare(want, res.Entries)
	r.Leaks = res.Leaks
	if st != nil && st.hit {
		r.Leaks = append(r.Leaks, FileName)
		slices.Sort(r.Leaks)
	}
	return r, nil
}

// Compare tells the files found (got) from the files listed (want): what
// is missing, extra and changed, in ledger order. Lists out of ledger
// order are sorted first (Scan's already are), so one merge compares them
// without a map of names.
func Compare(want, got []Entry) *VerifyReport {
	for _, l := range [][]Entry{want, got} {
		if !slices.IsSortedFunc(l, compareEntries) {
			Sort(l)
		}
	}
	r := &VerifyReport{}
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case j == len(got) || (i < len(want) && want[i].Name < got[j].Name):
			r.Missing = append(r.Missing, want[i].Name)
			i++
		case i == len(want) || got[j].Name < want[i].Name:
			r.Extra = append(r.Extra, got[j].Name)
			j++
		default:
			if want[i].Sum != got[j].Sum {
				r.Changed = append(r.Changed, want[i].Name)
			} else {
				r.OK++
			}
			i++
			j++
		}
	}
	return r
}

// feeder hands what a reader reads to a secretStream.
type feeder struct{ st *secretStream }

func (f feeder) Write(p []byte) (int, error) {
	f.st.feed(p)
	return len(p), nil
}

// Folder is a bundle that Digest can scan (ReadPath leads to it) and
// write its ledger into (a *bundlefs.Dir).
type Folder interface {
	Bundle
	ReadPath() string
}

// Digest scans dir, writes its SHA256SUMS and returns the SHA-256 of the
// ledger's bytes together with what the scan found.
func Digest(ctx context.Context, dir Folder, opts ScanOptions) (digest [32]byte, res *ScanResult, err error) {
	res, err = Scan(ctx, dir.ReadPath(), opts)
	if err != nil {
		return digest, nil, err
	}
	if digest, err = WriteFile(dir, res.Entries); err != nil {
		return digest, nil, err
	}
	return digest, res, nil
}
