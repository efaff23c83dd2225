package attest

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"

	"github.com/helios-action/helios-action/internal/ledger"
)

// Verify re-hashes the bundle in dir and compares it with the Statement's
// subjects, and its SHA256SUMS with the predicate's ledger digest: an
// auditor who holds a signed Statement learns which files are not the ones
// it vouches for. Subject names are only compared with what the scan
// found, never opened, so a hostile Statement cannot make Verify read
// outside dir.
func (s *Statement) Verify(ctx context.Context, dir string) (*ledger.VerifyReport, error) {
	want := make([]ledger.Entry, 0, len(s.Subject)+1)
	listed := make(map[string]bool, len(s.Subject))
	for _, sub := range s.Subject {
		// SHA256SUMS lines name files "./path", and so do the subjects
		// made from them; a bare path is the same file.
		name := strings.TrimPrefix(sub.Name, "./")
		if !filepath.IsLocal(filepath.FromSlash(name)) || path.Clean(name) != name {
			return nil, fmt.Errorf("subject %q is not a clean path inside the bundle", sub.Name)
		}
		if name == ledger.FileName {
			// A ledger never lists itself; the predicate's ledger digest
			// stands for it.
			return nil, fmt.Errorf("subject %q: the Statement lists the ledger as a subject", sub.Name)
		}
		sum, err := sha256Of(sub)
		if err != nil {
			return nil, err
		}
		if listed[name] {
			return nil, fmt.Errorf("subject %q is listed twice", sub.Name)
		}
		listed[name] = true
		want = append(want, ledger.Entry{Name: name, Sum: sum})
	}
	res, err := ledger.Scan(ctx, dir, ledger.ScanOptions{})
	if err != nil {
		return nil, err
	}
	got := res.Entries
	if s.Predicate != nil && s.Predicate.LedgerDigest != "" {
		sum, err := hex.DecodeString(s.Predicate.LedgerDigest)
		if err != nil || len(sum) != 32 {
			return nil, fmt.Errorf("predicate: ledger digest %q is not a SHA-256", s.Predicate.LedgerDigest)
		}
		want = append(want, ledger.Entry{Name: ledger.FileName, Sum: [32]byte(sum)})
		e, err := ledger.HashFile(dir, ledger.FileName)
		switch {
		case err == nil:
			got = append(got, e)
		case !errors.Is(err, fs.ErrNotExist):
			return nil, err
		}
	}
	return ledger.Compare(want, got), nil
}

func sha256Of(sub Subject) ([32]byte, error) {
	b, err := hex.DecodeString(sub.Digest["sha256"])
	if err != nil || len(b) != 32 {
		return [32]byte{}, fmt.Errorf("subject %q: sha256 %q is not a SHA-256", sub.Name, sub.Digest["sha256"])
	}
	return [32]byte(b), nil
}
