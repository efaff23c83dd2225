package engine

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"sync"

	"github.com/helios-action/helios-action/internal/bundlefs"
	"github.com/helios-action/helios-action/internal/glob"
	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
)

// maxReseal bounds how often the bundle is sealed again after a file
// changed under it or a signal arrived while it was sealed.
const maxReseal = 2

// finish writes the bundle's closing files in their fixed order: whatever
// BeforeLedger adds, then manifest.json (every file so far, with hashes),
// then SHA256SUMS over all of them. It then checks that no file changed
// after it was hashed, and that no signal arrived meanwhile (rctx is the
// run's own context), sealing again with the conclusion corrected if so.
func (r *run) finish(ctx, rctx context.Context, res *Result) error {
	if r.bundle.Replaced() {
		where := r.bundle.Where()
		r.con.printf("warning: the report root %s was replaced (a step moved it or put a link there); helios seals the folder it created (now %s), not what the path names now\n", r.reportRel, orGone(where))
		r.fail(res, fmt.Sprintf("the report root %s was replaced during the run", r.reportRel))
		if where != "" {
			res.ReportRoot = where
		}
	}
	r.clearReserved(res)
	// Read through the descriptor's path, so a swapped root is not followed.
	root := r.bundle.ReadPath()
	secrets := r.secretScan()
	scan, err := ledger.Scan(ctx, root, ledger.ScanOptions{
		Exclude: func(name string) bool { return name == manifest.FileName },
		Secrets: secrets,
	})
	if err != nil {
		return r.rootErr(fmt.Errorf("hash bundle: %w", err))
	}
	r.reportLeaks(res, scan.Leaks, secrets)
	if r.opts.BeforeLedger != nil {
		added, err := r.opts.BeforeLedger(ctx, res, scan.Entries)
		if err != nil {
			// The bundle still gets its manifest and ledger.
			r.con.printf("warning: %s\n", oneLine(r.masker.String(err.Error())))
			var le *bundlefs.LinkError
			if errors.As(err, &le) {
				r.fail(res, r.masker.String(le.Error()))
			}
			added = r.existing(added)
		}
		// Hash only what the hook added; a name it rewrote replaces its entry.
		byName := map[string]int{}
		for i, e := range scan.Entries {
			byName[e.Name] = i
		}
		for _, name := range added {
			// The index page renders the bundle's Markdown, which can turn
			// an entity-encoded secret into the value itself.
			e, leaked, err := ledger.ScanFile(root, name, secrets)
			if err != nil {
				return fmt.Errorf("hash %s: %w", name, err)
			}
			if leaked {
				r.reportLeaks(res, []string{name}, secrets)
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
	entries := scan.Entries
	for attempt := 0; ; attempt++ {
		sealed, err := r.seal(res, entries, secrets)
		if err != nil {
			return err
		}
		changed := r.changed(sealed)
		signalled := rctx.Err() != nil && res.Manifest.Conclusion != manifest.Cancelled
		if len(changed) == 0 && !signalled {
			return nil
		}
		if attempt == maxReseal {
			if len(changed) > 0 {
				return fmt.Errorf("seal bundle: %s keeps changing after it is hashed (a process a step left behind is still writing?); the bundle cannot be sealed", changed[0])
			}
			return nil
		}
		if signalled {
			markCancelled(rctx, res.Manifest)
		}
		if entries, err = r.rehash(res, root, entries, changed, secrets); err != nil {
			return err
		}
		for _, name := range changed {
			r.con.printf("warning: %s changed after helios hashed it (a process a step left behind?); sealing again\n", name)
		}
		if len(changed) > 0 {
			r.fail(res, fmt.Sprintf("%s changed after helios hashed it (a process a step left behind?)", changed[0]))
		}
	}
}

func orGone(p string) string {
	if p == "" {
		return "deleted"
	}
	return p
}

// seal writes manifest.json and SHA256SUMS for entries (the bundle's
// files but the manifest) and returns everything the ledger lists. The
// manifest is searched for secrets before it is written, so that a hit
// fails the run in the manifest itself; helios masks what it writes there,
// so a hit is a file name that holds a secret or a masking bug.
func (r *run) seal(res *Result, entries []ledger.Entry, secrets *ledger.Secrets) ([]ledger.Entry, error) {
	byName := make(map[string]ledger.Entry, len(entries))
	for _, e := range entries {
		byName[e.Name] = e
	}
	mf := res.Manifest
	mf.Files = []manifest.File{}
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
	// The globs were checked when the mission was read.
	volatile := func(name string) bool { return glob.MatchAny(mf.Volatile, name) }
	for _, e := range entries {
		if logs[e.Name] {
			continue
		}
		mf.Files = append(mf.Files, manifest.File{Path: e.Name, Size: e.Size, SHA256: hex.EncodeToString(e.Sum[:]), Volatile: volatile(e.Name)})
	}
	// The manifest is volatile (manifest.DefaultVolatile), so leaving it
	// out of entries changes nothing and lets it record the digest.
	content := ledger.ContentDigest(entries, volatile)
	mf.ContentDigest = hex.EncodeToString(content[:])
	data, err := mf.Marshal()
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	if secrets != nil && secrets.Contains(data) {
		// The hit fails the run, which the manifest then says.
		r.reportLeaks(res, []string{manifest.FileName}, secrets)
		if data, err = mf.Marshal(); err != nil {
			return nil, fmt.Errorf("encode manifest: %w", err)
		}
	}
	if err := r.bundle.WriteFile(manifest.FileName, data, 0o644); err != nil {
		return nil, r.rootErr(fmt.Errorf("write manifest: %w", err))
	}
	me, err := ledger.HashFile(r.bundle.ReadPath(), manifest.FileName)
	if err != nil {
		return nil, fmt.Errorf("hash manifest: %w", err)
	}
	all := append(append(make([]ledger.Entry, 0, len(entries)+1), entries...), me)
	ledger.Sort(all)
	digest, err := ledger.WriteFile(r.bundle, all)
	if err != nil {
		return nil, r.rootErr(fmt.Errorf("write ledger: %w", err))
	}
	res.Digest, res.ContentDigest, res.Files = digest, content, len(all)
	return all, nil
}

// rootErr adds to a failed closing write that the root was replaced, when
// it was: that is the likelier cause.
func (r *run) rootErr(err error) error {
	if r.bundle.Replaced() {
		return fmt.Errorf("%w (the report root %s was replaced during the run)", err, r.reportRel)
	}
	return err
}

// changed is the sealing check: the sealed files whose size or
// modification time is no longer what it was when they were hashed. It
// costs one stat per file and catches a file a leftover process still
// writes to, which would make `sha256sum -c` fail on the bundle.
func (r *run) changed(entries []ledger.Entry) []string {
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name
	}
	// Contiguous slices of the sorted list, one per CPU, keep each
	// worker's folders open across its files.
	bad := make([]bool, len(entries))
	workers := min(runtime.NumCPU(), len(entries)/256+1)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*len(names)/workers, (w+1)*len(names)/workers
		wg.Go(func() {
			r.bundle.LstatEach(names[lo:hi], func(i int, fi fs.FileInfo, err error) {
				e := entries[lo+i]
				bad[lo+i] = err != nil || !fi.Mode().IsRegular() || fi.Size() != e.Size || fi.ModTime().UnixNano() != e.ModTime
			})
		})
	}
	wg.Wait()
	var out []string
	for i, b := range bad {
		if b {
			out = append(out, entries[i].Name)
		}
	}
	return out
}

// rehash hashes and searches the changed names again; one that is gone or
// no longer a regular file leaves the ledger.
func (r *run) rehash(res *Result, root string, entries []ledger.Entry, changed []string, secrets *ledger.Secrets) ([]ledger.Entry, error) {
	redo := map[string]bool{}
	for _, n := range changed {
		redo[n] = true
	}
	out := entries[:0:0]
	for _, e := range entries {
		if !redo[e.Name] {
			out = append(out, e)
			continue
		}
		ne, leaked, err := ledger.ScanFile(root, e.Name, secrets)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			r.con.printf("warning: %s: %v; the ledger leaves it out\n", e.Name, err)
			continue
		}
		if leaked {
			r.reportLeaks(res, []string{e.Name}, secrets)
		}
		out = append(out, ne)
	}
	return out, nil
}

// fail makes a run that would have succeeded fail, with why.
func (r *run) fail(res *Result, why string) {
	if res.Manifest.Conclusion == manifest.Success {
		res.Manifest.Conclusion = manifest.Failure
		res.Manifest.Reason = why
	}
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
	linked := map[string]bool{}
	for _, n := range names {
		_, err := r.bundle.Lstat(n)
		var le *bundlefs.LinkError
		if errors.As(err, &le) {
			// A folder on the way is a link: the write will be refused.
			if !linked[le.Comp] {
				linked[le.Comp] = true
				why := fmt.Sprintf("%s is a symbolic link or not a folder (did a step replace it?); helios does not write through links in the bundle", le.Comp)
				r.con.printf("warning: %s\n", why)
				r.fail(res, why)
			}
			continue
		}
		if err != nil {
			continue
		}
		if err := r.bundle.RemoveAll(n); err == nil {
			r.con.printf("warning: a step wrote %s, which helios writes itself; it was replaced\n", n)
			r.fail(res, fmt.Sprintf("a step wrote %s, a name helios reserves", n))
		}
	}
}

// existing keeps the names that are regular files in the bundle.
func (r *run) existing(names []string) []string {
	var out []string
	for _, n := range names {
		if fi, err := r.bundle.Lstat(n); err == nil && fi.Mode().IsRegular() {
			out = append(out, n)
		}
	}
	return out
}
