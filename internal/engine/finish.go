package engine

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
)

// finish writes the bundle's closing files in their fixed order: whatever
// BeforeLedger adds, then manifest.json (every file so far, with hashes),
// then SHA256SUMS over all of them.
func (r *run) finish(ctx context.Context, res *Result) error {
	r.clearReserved(res)
	secrets := r.secretScan()
	scan, err := ledger.Scan(ctx, r.reportRoot, ledger.ScanOptions{
		Exclude: func(name string) bool { return name == manifest.FileName },
		Secrets: secrets,
	})
	if err != nil {
		return fmt.Errorf("hash bundle: %w", err)
	}
	r.reportLeaks(res, scan.Leaks, secrets)
	if r.opts.BeforeLedger != nil {
		added, err := r.opts.BeforeLedger(ctx, res, scan.Entries)
		if err != nil {
			// The bundle still gets its manifest and ledger.
			r.con.printf("warning: %s\n", oneLine(r.masker.String(err.Error())))
			added = existing(r.reportRoot, added)
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
		r.con.printf("warning: %q is not a regular file; the ledger leaves it out\n", s)
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

// reserved are the bundle paths the engine writes itself after the phases.
var reserved = []string{manifest.FileName, ledger.FileName}

// clearReserved removes what a step left at a path the engine writes
// itself, so a step cannot keep the bundle from being sealed; the run
// says so.
func (r *run) clearReserved(res *Result) {
	names := append([]string{}, reserved...)
	if r.opts.Reserved != nil {
		names = append(names, r.opts.Reserved...)
	}
	for _, n := range names {
		p := filepath.Join(r.reportRoot, filepath.FromSlash(n))
		if _, err := os.Lstat(p); err != nil {
			continue
		}
		if err := os.RemoveAll(p); err == nil {
			r.con.printf("warning: a step wrote %s, which helios writes itself; it was replaced\n", n)
			if res.Manifest.Reason == "" && res.Manifest.Conclusion == manifest.Success {
				res.Manifest.Conclusion = manifest.Failure
				res.Manifest.Reason = fmt.Sprintf("a step wrote %s, a name helios reserves", n)
			}
		}
	}
}

// existing keeps the names that are regular files in root.
func existing(root string, names []string) []string {
	var out []string
	for _, n := range names {
		if fi, err := os.Lstat(filepath.Join(root, filepath.FromSlash(n))); err == nil && fi.Mode().IsRegular() {
			out = append(out, n)
		}
	}
	return out
}
