package engine

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
)

// finish writes the bundle's closing files in their fixed order: whatever
// BeforeLedger adds, then manifest.json (every file so far, with hashes),
// then SHA256SUMS over all of them.
func (r *run) finish(ctx context.Context, res *Result) error {
	scan, err := ledger.Scan(ctx, r.reportRoot, ledger.ScanOptions{
		Exclude: func(name string) bool { return name == manifest.FileName },
	})
	if err != nil {
		return fmt.Errorf("hash bundle: %w", err)
	}
	if r.opts.BeforeLedger != nil {
		added, err := r.opts.BeforeLedger(ctx, res, scan.Entries)
		if err != nil {
			return fmt.Errorf("before ledger: %w", err)
		}
		// Hash only what the hook added; a name it rewrote replaces its entry.
		byName := map[string]int{}
		for i, e := range scan.Entries {
			byName[e.Name] = i
		}
		for _, name := range added {
			e, err := ledger.HashFile(r.reportRoot, name)
			if err != nil {
				return fmt.Errorf("hash %s: %w", name, err)
			}
			if i, ok := byName[name]; ok {
				scan.Entries[i] = e
			} else {
				scan.Entries = append(scan.Entries, e)
			}
		}
		ledger.Sort(scan.Entries)
	}
	for _, s := range scan.Skipped {
		r.con.printf("warning: %s is not a regular file; the ledger leaves it out\n", s)
	}
	byName := make(map[string]ledger.Entry, len(scan.Entries))
	for _, e := range scan.Entries {
		byName[e.Name] = e
	}
	mf := res.Manifest
	logs := map[string]bool{}
	for i := range mf.Phases {
		for j := range mf.Phases[i].Steps {
			st := &mf.Phases[i].Steps[j]
			if e, ok := byName[st.Log]; ok {
				st.LogSHA256 = hex.EncodeToString(e.Sum[:])
				logs[st.Log] = true
			}
		}
	}
	for _, e := range scan.Entries {
		if logs[e.Name] {
			continue
		}
		mf.Files = append(mf.Files, manifest.File{Path: e.Name, Size: e.Size, SHA256: hex.EncodeToString(e.Sum[:])})
	}
	if err := mf.WriteFile(r.reportRoot); err != nil {
		return err
	}
	me, err := ledger.HashFile(r.reportRoot, manifest.FileName)
	if err != nil {
		return fmt.Errorf("hash manifest: %w", err)
	}
	entries := append(scan.Entries, me)
	ledger.Sort(entries)
	digest, err := ledger.WriteFile(r.reportRoot, entries)
	if err != nil {
		return fmt.Errorf("write ledger: %w", err)
	}
	res.Digest, res.Files = digest, len(entries)
	return nil
}
