// Package diff compares two report bundles by their SHA256SUMS ledgers and
// tells drift (artefacts that differ although the mission did not change)
// from the files expected to change between identical runs, such as logs.
// For changed JSON artefacts it names the keys whose values moved.
package diff

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/helios-action/helios-action/internal/glob"
	"github.com/helios-action/helios-action/internal/ledger"
)

// DefaultVolatile are the globs of files that differ between identical runs
// of any mission: the manifest (times, durations), logs and the HTML index
// that shows them.
var DefaultVolatile = []string{"manifest.json", "logs/**", "**/*.log", "index.html"}

const (
	// manifestName is the bundle's manifest, read for its "volatile" globs.
	manifestName = "manifest.json"
	// maxJSONSize bounds the JSON files loaded for a key diff (and the
	// manifest), so a huge artefact cannot exhaust memory.
	maxJSONSize = 8 << 20

	defaultMaxJSONChanges = 50
	defaultMaxValueLen    = 200
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
	// Note says why a changed JSON file's keys were not compared (too large,
	// not valid JSON, not matching its ledger sum), or that only its
	// formatting changed.
	Note string
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
	// VolatileGlobs are the globs that were applied, defaults first.
	VolatileGlobs []string
}

// Drift reports whether any file outside the volatile globs was added,
// removed or changed.
func (r *Result) Drift() bool {
	return len(r.Added)+len(r.Removed)+len(r.Changed) > 0
}

// bundle is one side of the comparison.
type bundle struct {
	sums     map[string]ledger.Entry
	volatile []string
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

// Compare compares the bundle at oldPath with the one at newPath. Each may
// be a bundle folder, holding SHA256SUMS and usually manifest.json, or a
// SHA256SUMS file. The volatile globs are DefaultVolatile, those listed
// under the "volatile" key of either folder's manifest.json, and
// opts.Volatile. Changed .json files are compared key by key when both sides
// are folders.
func Compare(oldPath, newPath string, opts Options) (*Result, error) {
	if opts.MaxJSONChanges == 0 {
		opts.MaxJSONChanges = defaultMaxJSONChanges
	}
	if opts.MaxValueLen == 0 {
		opts.MaxValueLen = defaultMaxValueLen
	}
	oldB, err := openBundle(oldPath)
	if err != nil {
		return nil, fmt.Errorf("diff old bundle: %w", err)
	}
	defer oldB.close()
	newB, err := openBundle(newPath)
	if err != nil {
		return nil, fmt.Errorf("diff new bundle: %w", err)
	}
	defer newB.close()

	globs, err := volatileGlobs(
		source{"default", DefaultVolatile},
		source{"new manifest.json", newB.volatile},
		source{"old manifest.json", oldB.volatile},
		source{"options", opts.Volatile},
	)
	if err != nil {
		return nil, fmt.Errorf("diff: %w", err)
	}

	r := &Result{Old: oldPath, New: newPath, VolatileGlobs: globs}
	names := slices.Sorted(maps.Keys(oldB.sums))
	for name := range newB.sums {
		if _, ok := oldB.sums[name]; !ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		o, inOld := oldB.sums[name]
		n, inNew := newB.sums[name]
		if inOld && inNew && o.Sum == n.Sum {
			r.Unchanged++
			continue
		}
		c := Change{Name: name, Volatile: glob.MatchAny(globs, name)}
		if inOld {
			c.Old = hex.EncodeToString(o.Sum[:])
		}
		if inNew {
			c.New = hex.EncodeToString(n.Sum[:])
		}
		switch {
		case c.Volatile:
			// Expected to change, so its keys would only be noise.
			r.Volatile = append(r.Volatile, c)
		case !inNew:
			r.Removed = append(r.Removed, c)
		case !inOld:
			r.Added = append(r.Added, c)
		default:
			if isJSON(name) && oldB.root != nil && newB.root != nil {
				compareJSON(&c, oldB, newB, o.Sum, n.Sum, opts)
			}
			r.Changed = append(r.Changed, c)
		}
	}
	return r, nil
}

func isJSON(name string) bool {
	return strings.EqualFold(filepath.Ext(name), ".json")
}

// openBundle reads a bundle folder or a bare SHA256SUMS file.
func openBundle(p string) (*bundle, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	sumsPath := p
	if fi.IsDir() {
		sumsPath = filepath.Join(p, ledger.FileName)
	}
	entries, err := ledger.ReadFile(sumsPath)
	if err != nil {
		return nil, err
	}
	b := &bundle{sums: make(map[string]ledger.Entry, len(entries))}
	for _, e := range entries {
		b.sums[e.Name] = e
	}
	if !fi.IsDir() {
		return b, nil
	}
	if b.root, err = os.OpenRoot(p); err != nil {
		return nil, err
	}
	if b.volatile, err = readVolatile(b.root); err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

// readVolatile returns the "volatile" globs of the manifest in root, if any.
// Only that key is read, so manifests of other versions still work.
func readVolatile(root *os.Root) ([]string, error) {
	data, err := readLimited(root, manifestName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m struct {
		Volatile []string `json:"volatile"`
	}
	if err := jsonUnmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", manifestName, err)
	}
	return m.Volatile, nil
}

// errTooLarge is returned by readLimited for files over maxJSONSize.
var errTooLarge = errors.New("larger than 8 MiB")

// readLimited reads name from root, refusing files over maxJSONSize.
func readLimited(root *os.Root, name string) ([]byte, error) {
	f, err := root.Open(filepath.FromSlash(name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Read one byte past the limit rather than trusting Stat, which a file
	// still being written would get wrong.
	data, err := io.ReadAll(io.LimitReader(f, maxJSONSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxJSONSize {
		return nil, fmt.Errorf("%s: %w", name, errTooLarge)
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
