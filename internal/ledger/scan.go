package ledger

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// ScanOptions tunes Scan.
type ScanOptions struct {
	// Workers is the number of files hashed at once; 0 means runtime.NumCPU().
	Workers int
	// Exclude leaves out files (not directories) by their relative,
	// '/'-separated name, e.g. "manifest.json". It is called from one
	// goroutine at a time. The root SHA256SUMS is always left out.
	Exclude func(name string) bool
	// Secrets, when set, are looked for in every byte hashed and in every
	// name; ScanResult.Leaks lists the files that hold one.
	Secrets *Secrets
}

// ScanResult is what Scan found.
type ScanResult struct {
	// Entries are the regular files, hashed, in ledger order.
	Entries []Entry
	// Skipped are the other non-directory entries (symlinks, sockets, FIFOs,
	// devices), sorted, which `find -type f` would not list either.
	Skipped []string
	// Leaks are the files, sorted, whose bytes or name hold one of
	// ScanOptions.Secrets; the value itself is not recorded. A name that
	// holds one is listed as found (the caller decides how to show it).
	Leaks []string
}

// hashBufSize is each worker's read buffer: large enough that big files cost
// few syscalls, small enough to stay in cache and keep memory flat.
const hashBufSize = 128 << 10

// chunkSize is how many files the walker hands over at a time: enough to
// make channel traffic negligible, few enough that hashing starts early.
const chunkSize = 128

// errStopped is returned by the inner loops when the scan was cancelled;
// Scan turns it into ctx.Err() or the error that caused the stop.
var errStopped = errors.New("scan stopped")

// chunk is a run of files found by the walker. Every worker receives every
// chunk and claims files from it one at a time, so a chunk of a few huge
// files is still shared by all workers.
type chunk struct {
	entries []Entry
	next    atomic.Int64
}

// Scan lists the regular files under root and hashes them. One goroutine
// walks while the workers hash what it has found so far; each worker owns
// its buffer and hash state and writes results into the walker's slots, so
// the per-file cost is the syscalls and the hashing. The entries are sorted
// into ledger order at the end. Exclude is called from one goroutine.
func Scan(ctx context.Context, root string, opts ScanOptions) (*ScanResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dir, err := openRoot(root)
	if err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	defer dir.close()

	g, gctx := errgroup.WithContext(ctx)
	// The hot loops poll an atomic flag, cheaper than ctx.Err() per read.
	var stop atomic.Bool
	defer context.AfterFunc(gctx, func() { stop.Store(true) })()

	workers := opts.workers()
	chunks := make(chan *chunk, 4*workers)
	var found []*chunk
	var skipped []string
	g.Go(func() error {
		defer close(chunks)
		var err error
		found, skipped, err = walkChunks(gctx, root, opts.Exclude, &stop, workers, chunks)
		return err
	})
	var leaks leakList
	for range workers {
		g.Go(func() error { return hashChunks(dir, chunks, &stop, opts.Secrets, &leaks) })
	}
	err = g.Wait()
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, ctxErr
	}
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", root, err)
	}
	res := collect(found, skipped)
	res.Leaks = leaks.names(res, opts.Secrets)
	return res, nil
}

func (o ScanOptions) workers() int {
	if o.Workers > 0 {
		return o.Workers
	}
	return runtime.NumCPU()
}

// walkChunks runs the walk and sends each chunk once per worker.
func walkChunks(ctx context.Context, root string, exclude func(string) bool, stop *atomic.Bool, workers int, out chan<- *chunk) ([]*chunk, []string, error) {
	var found []*chunk
	cur := &chunk{entries: make([]Entry, 0, chunkSize)}
	flush := func() error {
		if len(cur.entries) == 0 {
			return nil
		}
		found = append(found, cur)
		for range workers {
			select {
			case out <- cur:
			case <-ctx.Done():
				return errStopped
			}
		}
		cur = &chunk{entries: make([]Entry, 0, chunkSize)}
		return nil
	}
	add := func(name string) error {
		cur.entries = append(cur.entries, Entry{Name: name})
		if len(cur.entries) == chunkSize {
			return flush()
		}
		return nil
	}
	skipped, err := walk(root, exclude, stop, add)
	if err == nil {
		err = flush()
	}
	if errors.Is(err, errStopped) {
		// Whoever stopped the scan reports why.
		err = nil
	}
	return found, skipped, err
}

func hashChunks(dir rootDir, chunks <-chan *chunk, stop *atomic.Bool, secrets *Secrets, leaks *leakList) error {
	h := newHasher(dir)
	h.secrets = secrets.stream()
	for c := range chunks {
		for !stop.Load() {
			i := int(c.next.Add(1) - 1)
			if i >= len(c.entries) {
				break
			}
			e := &c.entries[i]
			sum, size, err := h.hash(e.Name, stop)
			if errors.Is(err, errStopped) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("hash %q: %w", e.Name, err)
			}
			e.Sum, e.Size, e.ModTime = sum, size, h.modTime()
			if h.secrets != nil && h.secrets.hit {
				leaks.add(e.Name)
			}
		}
	}
	return nil
}

// leakList gathers the files in which the workers found a secret.
type leakList struct {
	mu   sync.Mutex
	list []string
}

func (l *leakList) add(name string) {
	l.mu.Lock()
	l.list = append(l.list, name)
	l.mu.Unlock()
}

// names returns the files found by the workers and those whose name holds
// a secret (a step can name a file after the token), sorted, once each.
func (l *leakList) names(res *ScanResult, secrets *Secrets) []string {
	if secrets == nil {
		return nil
	}
	out := l.list
	for _, e := range res.Entries {
		if secrets.Contains([]byte(e.Name)) {
			out = append(out, e.Name)
		}
	}
	for _, n := range res.Skipped {
		if secrets.Contains([]byte(n)) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func collect(found []*chunk, skipped []string) *ScanResult {
	n := 0
	for _, c := range found {
		n += len(c.entries)
	}
	res := &ScanResult{Entries: make([]Entry, 0, n), Skipped: skipped}
	for _, c := range found {
		res.Entries = append(res.Entries, c.entries...)
	}
	Sort(res.Entries)
	slices.Sort(res.Skipped)
	return res
}

// HashFile hashes the one regular file root/name, e.g. a manifest written
// after a Scan. The name must be local to root.
func HashFile(root, name string) (Entry, error) {
	e, _, err := ScanFile(root, name, nil)
	return e, err
}

// ScanFile is HashFile that also looks for secrets, as Scan does, in the
// bytes hashed and in the name: a file added or rewritten after a Scan must
// not carry a secret past it. leaked is false when secrets is nil.
func ScanFile(root, name string, secrets *Secrets) (e Entry, leaked bool, err error) {
	if err := checkName(name); err != nil {
		return Entry{}, false, fmt.Errorf("hash %q: %w", name, err)
	}
	// A name like "./x" or "a//b" would be listed under a second spelling.
	if !filepath.IsLocal(filepath.FromSlash(name)) || path.Clean(name) != name {
		return Entry{}, false, fmt.Errorf("hash %q: name is not a clean path inside the root", name)
	}
	dir, err := openRoot(root)
	if err != nil {
		return Entry{}, false, fmt.Errorf("hash %q: %w", name, err)
	}
	defer dir.close()
	var never atomic.Bool
	h := newHasher(dir)
	h.secrets = secrets.stream()
	sum, size, err := h.hash(name, &never)
	if err != nil {
		return Entry{}, false, fmt.Errorf("hash %q: %w", name, err)
	}
	leaked = (h.secrets != nil && h.secrets.hit) || secrets.Contains([]byte(name))
	return Entry{Name: name, Sum: sum, Size: size, ModTime: h.modTime()}, leaked, nil
}
