// Package diff compares two report bundles by their SHA256SUMS ledgers and
// tells drift (artefacts that differ although the mission did not change)
// from the files expected to change between identical runs, such as logs.
// For changed JSON artefacts it names the keys whose values moved, and for
// changed text files (Markdown, plain text, CSV, YAML, TOML) it shows the
// first lines of a unified diff.
package diff

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/helios-action/helios-action/internal/glob"
	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/regular"
)

// DefaultVolatile are the globs of files that differ between identical runs
// of any mission (manifest.DefaultVolatile).
var DefaultVolatile = manifest.DefaultVolatile

const (
	// manifestName is the bundle's manifest, read for its "volatile" globs.
	manifestName = "manifest.json"
	// maxJSONSize bounds the files loaded for a key or line diff (and the
	// manifest), so a huge artefact cannot exhaust memory.
	maxJSONSize = 8 << 20

	defaultMaxJSONChanges = 50
	defaultMaxValueLen    = 200
	// defaultMaxFiles keeps a diff of two unrelated million-file bundles
	// to a few megabytes while listing every file of any real drift.
	defaultMaxFiles = 1000
)

// Options tune Compare. The zero value is ready to use.
type Options struct {
	// Volatile adds globs (see package glob) of files expected to change
	// between identical runs, to DefaultVolatile and the bundles' own.
	Volatile []string
	// MaxJSONChanges bounds the key changes listed per file; 0 means 50
	// and a negative value means no bound.
	MaxJSONChanges int
	// MaxValueLen bounds, in characters, each value shown in a key change;
	// 0 means 200 and a negative value means no bound.
	MaxValueLen int
	// MaxFiles bounds the files kept in each of Result's lists (Changed,
	// Added, Removed, Volatile); Result.Total still counts them all. 0
	// means 1000 and a negative value means no bound. Only kept changed
	// files are compared key by key or line by line.
	MaxFiles int
	// MaxTextLines bounds the lines of unified diff kept per text file,
	// hunk headers included; 0 means 40 and a negative value means no
	// bound.
	MaxTextLines int
	// MaxLineLen bounds, in characters, the text of each line of a
	// unified diff, cut with "…"; 0 means 200 and a negative value means
	// no bound.
	MaxLineLen int
	// OldVolatileOnly leaves the new bundle's own volatile globs out:
	// when the new bundle is a pull request's and the old one its base
	// branch's, the pull request must not be able to call the files it
	// changed volatile and so hide them. A file only the new globs match
	// is then drift until the base branch declares it too.
	OldVolatileOnly bool
	// Inside, when set, says which changed files are compared inside (JSON
	// keys, text lines); the others are listed by name only. A caller that
	// holds only part of a bundle names the files it holds.
	Inside func(name string) bool
}

// Change is a file that differs between the bundles.
type Change struct {
	// Name is the file's path in the bundle, '/'-separated.
	Name string
	// Old and New are the hex SHA-256 sums, "" on the side the file is absent.
	Old, New string
	// Volatile is set when the file matches a volatile glob.
	Volatile bool
	// JSON lists the keys that moved in a changed JSON file, in document
	// order with object keys sorted; JSONTruncated counts those left out.
	JSON          []KeyChange
	JSONTruncated int
	// Text holds the first lines of a unified diff of a changed text file
	// (.md, .markdown, .txt, .csv, .tsv, .yml, .yaml, .toml): hunk headers
	// "@@ -a,b +c,d @@" and lines marked ' ' (context, three around each
	// change), '-' or '+', without the "---"/"+++" header or line endings.
	// Each line's text is cut to Options.MaxLineLen characters and made
	// safe to print (control characters but tab become Control Pictures
	// or U+FFFD; see cleanLine), and is otherwise the file's, for each
	// report to escape. TextTruncated counts the lines left out by
	// Options.MaxTextLines.
	Text          []string
	TextTruncated int
	// Note says why a changed JSON or text file was not compared (too
	// large, not valid JSON, binary, not matching its ledger sum), that
	// only a JSON file's formatting changed, or what a text diff does not
	// show: a change of line endings, a missing final newline, or changes
	// shown as whole blocks past the bounds on work.
	Note string
	// MadeBy names the step behind the file in the new bundle ("phase /
	// step", or each step that may have made it), when its manifest
	// records products.
	MadeBy string
}

// Kind is "added", "removed" or "changed".
func (c Change) Kind() string {
	switch {
	case c.Old == "":
		return "added"
	case c.New == "":
		return "removed"
	}
	return "changed"
}

// KeyChange is one value that moved inside a JSON file.
type KeyChange struct {
	// Path is a JSON Pointer (RFC 6901): "/thermostat/kp", "/steps/0".
	Path string
	// Old and New are compact JSON, "" on the side the key is absent.
	// Values over Options.MaxValueLen characters are cut to that many and
	// the cut marked with "…"; when two long values differ only further on,
	// both are cut to a window around the first difference, with "…" on
	// each end that was cut.
	Old, New string
	// Kind is "changed", "added" or "removed".
	Kind string
}

// Pointer is Path as a reader sees it: the empty pointer, the whole
// document, by name.
func (k KeyChange) Pointer() string {
	if k.Path == "" {
		return "(whole document)"
	}
	return k.Path
}

// Result is the outcome of Compare. Every list is sorted by name.
type Result struct {
	// Old and New are the paths compared, as given.
	Old, New string
	// Added, Removed and Changed hold the files outside the volatile globs.
	Added, Removed, Changed []Change
	// Volatile holds the added, removed and changed files that match a
	// volatile glob; they are not drift.
	Volatile []Change
	// Unchanged counts the files with the same sum on both sides.
	Unchanged int
	// Total counts the files of each list, those left out by
	// Options.MaxFiles included.
	Total Counts
	// VolatileGlobs are the globs that were applied, defaults first.
	VolatileGlobs []string
}

// Counts are numbers of files by kind of change.
type Counts struct {
	Changed  int `json:"changed"`
	Added    int `json:"added"`
	Removed  int `json:"removed"`
	Volatile int `json:"volatile"`
}

// Counts returns how many files each list holds, those left out by
// Options.MaxFiles included. A Result built by hand, without Total, counts
// its lists.
func (r *Result) Counts() Counts {
	return Counts{
		Changed:  max(r.Total.Changed, len(r.Changed)),
		Added:    max(r.Total.Added, len(r.Added)),
		Removed:  max(r.Total.Removed, len(r.Removed)),
		Volatile: max(r.Total.Volatile, len(r.Volatile)),
	}
}

// Drift reports whether any file outside the volatile globs was added,
// removed or changed.
func (r *Result) Drift() bool {
	c := r.Counts()
	return c.Added+c.Removed+c.Changed > 0
}

// bundle is one side of the comparison.
type bundle struct {
	// sums is the path of the bundle's SHA256SUMS.
	sums     string
	volatile []string
	// madeBy is the step behind each file, from the manifest's products.
	madeBy map[string]manifest.Maker
	// root is the bundle folder, nil when only a SHA256SUMS file was given:
	// then there are no files to look into. Opening files through it keeps
	// names from the ledger ("../x", links) inside the folder.
	root *os.Root
}

func (b *bundle) close() {
	if b != nil && b.root != nil {
		b.root.Close()
	}
}

// Compare is CompareContext without cancellation.
func Compare(oldPath, newPath string, opts Options) (*Result, error) {
	return CompareContext(context.Background(), oldPath, newPath, opts)
}

// CompareContext compares the bundle at oldPath with the one at newPath.
// Each may be a bundle folder, holding SHA256SUMS and usually
// manifest.json, or a SHA256SUMS file. The volatile globs are
// DefaultVolatile, those listed under the "volatile" key of either folder's
// manifest.json, and opts.Volatile. Changed .json files are compared key by
// key, and changed text files line by line, when both sides are folders.
// Reading stops when ctx is done.
//
// Ledgers in ledger order (all that helios and coreutils write) are merged
// as they are read, so memory does not grow with their length; others are
// read whole and sorted first.
func CompareContext(ctx context.Context, oldPath, newPath string, opts Options) (*Result, error) {
	if opts.MaxJSONChanges == 0 {
		opts.MaxJSONChanges = defaultMaxJSONChanges
	}
	if opts.MaxValueLen == 0 {
		opts.MaxValueLen = defaultMaxValueLen
	}
	if opts.MaxFiles == 0 {
		opts.MaxFiles = defaultMaxFiles
	}
	if opts.MaxTextLines == 0 {
		opts.MaxTextLines = defaultMaxTextLines
	}
	if opts.MaxLineLen == 0 {
		opts.MaxLineLen = defaultMaxLineLen
	}
	oldB, err := openBundle(ctx, oldPath)
	if err != nil {
		return nil, fmt.Errorf("diff old bundle: %w", err)
	}
	defer oldB.close()
	newB, err := openBundle(ctx, newPath)
	if err != nil {
		return nil, fmt.Errorf("diff new bundle: %w", err)
	}
	defer newB.close()

	newVolatile := newB.volatile
	if opts.OldVolatileOnly {
		newVolatile = nil
	}
	globs, err := volatileGlobs(
		source{"default", DefaultVolatile},
		source{"new manifest.json", newVolatile},
		source{"old manifest.json", oldB.volatile},
		source{"options", opts.Volatile},
	)
	if err != nil {
		return nil, fmt.Errorf("diff: %w", err)
	}

	newResult := func() *comparer {
		return &comparer{
			r:    &Result{Old: oldPath, New: newPath, VolatileGlobs: globs},
			opts: opts, old: oldB, new: newB,
		}
	}
	c := newResult()
	err = merge(streamed(ctx, oldB.sums), streamed(ctx, newB.sums), c.add)
	if errors.Is(err, ledger.ErrNotInOrder) {
		c = newResult()
		err = merge(loaded(ctx, oldB.sums), loaded(ctx, newB.sums), c.add)
	}
	if err != nil {
		return nil, err
	}
	return c.r, nil
}

// comparer builds a Result from the pairs merge finds.
type comparer struct {
	r        *Result
	opts     Options
	old, new *bundle
}

// keep reports whether a list with n files has room for one more.
func (c *comparer) keep(n int) bool {
	return c.opts.MaxFiles < 0 || n < c.opts.MaxFiles
}

// add records one name: o and n are its entries on each side, nil where
// it is absent.
func (c *comparer) add(o, n *ledger.Entry) {
	r := c.r
	if o != nil && n != nil && o.Sum == n.Sum {
		r.Unchanged++
		return
	}
	name := ""
	if o != nil {
		name = o.Name
	} else {
		name = n.Name
	}
	volatile := glob.MatchAny(r.VolatileGlobs, name)
	var list *[]Change
	switch {
	case volatile:
		// Expected to change, so its keys would only be noise.
		r.Total.Volatile++
		list = &r.Volatile
	case n == nil:
		r.Total.Removed++
		list = &r.Removed
	case o == nil:
		r.Total.Added++
		list = &r.Added
	default:
		r.Total.Changed++
		list = &r.Changed
	}
	if !c.keep(len(*list)) {
		return
	}
	ch := Change{Name: name, Volatile: volatile}
	if o != nil {
		ch.Old = hex.EncodeToString(o.Sum[:])
	}
	if n != nil {
		ch.New = hex.EncodeToString(n.Sum[:])
		ch.MadeBy = c.new.madeBy[name].Of(ch.New)
	}
	if !volatile && o != nil && n != nil && c.old.root != nil && c.new.root != nil && (c.opts.Inside == nil || c.opts.Inside(name)) {
		switch {
		case isJSON(name):
			compareJSON(&ch, c.old, c.new, o.Sum, n.Sum, c.opts)
		case isText(name):
			compareText(&ch, c.old, c.new, o.Sum, n.Sum, c.opts)
		}
	}
	*list = append(*list, ch)
}

// entries yields a ledger's entries in ledger order, then a nil entry;
// stop releases what it holds.
type entries struct {
	next func() (*ledger.Entry, error)
	stop func()
}

// streamed reads the ledger at path as merge asks for entries, holding one
// at a time; it fails with ledger.ErrNotInOrder on a ledger out of order.
func streamed(ctx context.Context, path string) entries {
	next, stop := iter.Pull2(func(yield func(*ledger.Entry, error) bool) {
		err := ledger.ReadInOrder(ctx, path, func(e ledger.Entry) error {
			if !yield(&e, nil) {
				return errStopped
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStopped) {
			yield(nil, err)
		}
	})
	return entries{func() (*ledger.Entry, error) {
		e, err, _ := next()
		return e, err
	}, stop}
}

// loaded reads the whole ledger at path and sorts it.
func loaded(ctx context.Context, path string) entries {
	all, err := ledger.ReadFileContext(ctx, path)
	ledger.Sort(all)
	i := 0
	return entries{func() (*ledger.Entry, error) {
		if err != nil || i == len(all) {
			return nil, err
		}
		i++
		return &all[i-1], nil
	}, func() {}}
}

var errStopped = errors.New("stopped")

// merge walks two ledgers in ledger order and calls add once per name,
// with nil for the side that lacks it.
func merge(old, new entries, add func(o, n *ledger.Entry)) error {
	defer old.stop()
	defer new.stop()
	oldNext, newNext := old.next, new.next
	o, err := oldNext()
	if err != nil {
		return fmt.Errorf("diff old bundle: %w", err)
	}
	n, err := newNext()
	if err != nil {
		return fmt.Errorf("diff new bundle: %w", err)
	}
	for o != nil || n != nil {
		advanceOld, advanceNew := true, true
		switch {
		case n == nil || (o != nil && o.Name < n.Name):
			add(o, nil)
			advanceNew = false
		case o == nil || n.Name < o.Name:
			add(nil, n)
			advanceOld = false
		default:
			add(o, n)
		}
		if advanceOld {
			if o, err = oldNext(); err != nil {
				return fmt.Errorf("diff old bundle: %w", err)
			}
		}
		if advanceNew {
			if n, err = newNext(); err != nil {
				return fmt.Errorf("diff new bundle: %w", err)
			}
		}
	}
	return nil
}

// ShowsInside reports whether a changed file named name is compared
// inside (its JSON keys or its lines) when both bundles hold it: a caller
// that extracts only part of a bundle extracts these.
func ShowsInside(name string) bool { return isJSON(name) || isText(name) }

func isJSON(name string) bool {
	return strings.EqualFold(filepath.Ext(name), ".json")
}

// openBundle finds a bundle folder's SHA256SUMS, or takes p as one, and
// reads the folder's volatile globs. The ledger is read later, by merge.
func openBundle(ctx context.Context, p string) (*bundle, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		if !fi.Mode().IsRegular() {
			return nil, &regular.NotRegularError{Path: p, Mode: fi.Mode()}
		}
		return &bundle{sums: p}, nil
	}
	b := &bundle{sums: filepath.Join(p, ledger.FileName)}
	if b.root, err = os.OpenRoot(p); err != nil {
		return nil, err
	}
	if b.volatile, b.madeBy, err = readVolatile(ctx, b.root); err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

// readVolatile returns the "volatile" globs of the manifest in root, if
// any, and the step behind each file when it records products. Only those
// keys are read, so manifests of other versions still work; phases that
// do not read as this version's give no makers rather than an error.
func readVolatile(ctx context.Context, root *os.Root) ([]string, map[string]manifest.Maker, error) {
	data, err := readLimitedContext(ctx, root, manifestName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var m struct {
		Volatile []string `json:"volatile"`
	}
	if err := jsonUnmarshal(data, &m); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", manifestName, err)
	}
	var ph struct {
		Phases []manifest.Phase `json:"phases"`
	}
	var madeBy map[string]manifest.Maker
	if json.Unmarshal(data, &ph) == nil {
		madeBy = manifest.MadeBy(ph.Phases)
	}
	return m.Volatile, madeBy, nil
}

// errTooLarge is returned by readLimited for files over maxJSONSize.
var errTooLarge = errors.New("larger than 8 MiB")

// readLimited reads name from root, refusing files over maxJSONSize and
// anything but a regular file (a FIFO would block the read for ever).
func readLimited(root *os.Root, name string) ([]byte, error) {
	return readLimitedContext(context.Background(), root, name)
}

func readLimitedContext(ctx context.Context, root *os.Root, name string) ([]byte, error) {
	data, err := regular.ReadFileIn(ctx, root, filepath.FromSlash(name), maxJSONSize, "a JSON file")
	var tl *regular.TooLargeError
	if errors.As(err, &tl) {
		return nil, fmt.Errorf("%s: %w", name, errTooLarge)
	}
	return data, err
}

// readVerified reads a file of a bundle for a key or line diff and checks it
// against its ledger sum: a diff of the file on disk would otherwise pass
// for a diff of what the ledger vouches for. Its errors leave out the name,
// which the change shows already.
func readVerified(b *bundle, name string, sum [32]byte) ([]byte, error) {
	data, err := readLimited(b.root, name)
	if errors.Is(err, errTooLarge) {
		return nil, errTooLarge
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("unreadable: %w", err)
	}
	if sha256.Sum256(data) != sum {
		return nil, errors.New("file does not match SHA256SUMS")
	}
	return data, nil
}

type source struct {
	name  string
	globs []string
}

// volatileGlobs joins the glob lists in order, without repeats, and checks
// each, so a typo in a manifest fails loudly instead of turning into drift.
func volatileGlobs(sources ...source) ([]string, error) {
	var out []string
	for _, s := range sources {
		for _, g := range s.globs {
			if err := glob.Valid(g); err != nil {
				return nil, fmt.Errorf("volatile glob from %s: %w", s.name, err)
			}
			if !slices.Contains(out, g) {
				out = append(out, g)
			}
		}
	}
	return out, nil
}
