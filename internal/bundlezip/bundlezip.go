// Package bundlezip reads a report bundle's artifact zip (SHA256SUMS at the
// root, manifest.json, the files) that another run produced, such as the
// base branch's last bundle that a pull request is compared with. Every
// byte of it is treated as hostile: each entry's name, type and declared
// sizes are checked before any data is read, every read is bounded, the zip
// is verified against its own ledger without extracting anything, and only
// the files asked for are extracted, through an os.Root, each checked
// against its ledger line.
package bundlezip

import (
	"archive/zip"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/regular"
)

// Limits bound what a zip can make its reader do. A zero field takes its
// default.
type Limits struct {
	// MaxEntries bounds the zip's entries and the ledger's lines, checked
	// before archive/zip loads the central directory.
	MaxEntries int
	// MaxTotal bounds the uncompressed bytes one Verify, Extract, Stream
	// or ReadFile reads, checked against the sizes the entries declare
	// before any is read, and against the bytes actually read.
	MaxTotal int64
	// MaxFile bounds one extracted or streamed file. SHA256SUMS and manifest.json have
	// their readers' own bounds, ledger.MaxFileSize and
	// manifest.MaxFileSize.
	MaxFile int64
}

// The defaults are far past any real bundle (a mission leaves hundreds of
// files, megabytes in all) while keeping a hostile zip cheap:
const (
	// DefaultMaxEntries: archive/zip keeps about 200 bytes per entry, so
	// the central directory costs tens of megabytes at most.
	DefaultMaxEntries = 200_000
	// DefaultMaxTotal: Verify inflates and hashes every file the ledger
	// lists, so this bounds the whole bundle. Inflating and hashing ran at
	// 39 MB/s on a busy 2-core machine, so 4 GiB is under two minutes
	// there; the caller's context bounds the time too.
	DefaultMaxTotal = 4 << 30
	// DefaultMaxFile: a diff loads JSON files of up to 8 MiB and shows the
	// first lines of text files; 64 MiB leaves room for a long log.
	DefaultMaxFile = 64 << 20
)

func (l Limits) withDefaults() Limits {
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	if l.MaxTotal <= 0 {
		l.MaxTotal = DefaultMaxTotal
	}
	if l.MaxFile <= 0 {
		l.MaxFile = DefaultMaxFile
	}
	return l
}

// ErrLimit marks a zip refused for going past its Limits (or the bounds
// of the ledger and the central directory): a zip bomb, or a bundle far
// larger than any mission writes.
var ErrLimit = errors.New("too large")

// Bundle is an open bundle zip and its parsed ledger. Its methods may not
// be called concurrently.
type Bundle struct {
	f    *os.File
	size int64
	lim  Limits

	entries []ledger.Entry
	listed  map[string]int // ledger name → index in entries
	// sums is the SHA256SUMS entry and digest its bytes had when parsed.
	sums       *zip.File
	sumsDigest [32]byte

	// files are the entries that are safe regular files, by name.
	files map[string]*zip.File
	// unsafe are the refused entries and ledger names, sorted; refused
	// holds their names.
	unsafe  []Unsafe
	refused map[string]bool
}

// Unsafe is a zip entry, or a name the ledger lists, that is refused.
type Unsafe struct {
	Name string
	// Why completes a sentence about the entry: "is a symbolic link, not a
	// regular file".
	Why string
}

// Open opens the bundle zip at path and reads its SHA256SUMS. It fails
// when the file is not a zip, the zip or its ledger is over the limits,
// the ledger does not parse, or the zip has no usable SHA256SUMS at its
// root. Entries that are unsafe do not make Open fail: Verify reports them
// and Extract refuses them.
func Open(path string, lim Limits) (*Bundle, error) {
	f, err := regular.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open bundle zip: %w", err)
	}
	b, err := open(f, lim.withDefaults())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("bundle zip %s: %w", path, err)
	}
	return b, nil
}

func open(f *os.File, lim Limits) (*Bundle, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	b := &Bundle{f: f, size: fi.Size(), lim: lim, refused: map[string]bool{}}
	if _, err := countEntries(f, b.size, lim.MaxEntries); err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(f, b.size)
	// ErrInsecurePath (under GODEBUG=zipinsecurepath=0) comes with a
	// usable reader; names are checked below, more strictly.
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, err
	}
	if len(zr.File) > lim.MaxEntries {
		return nil, fmt.Errorf("%w: the zip has more than %d entries", ErrLimit, lim.MaxEntries)
	}
	b.classify(zr.File)
	if err := b.readLedger(); err != nil {
		return nil, err
	}
	slices.SortFunc(b.unsafe, func(x, y Unsafe) int {
		if c := strings.Compare(x.Name, y.Name); c != 0 {
			return c
		}
		return strings.Compare(x.Why, y.Why)
	})
	b.unsafe = slices.Compact(b.unsafe)
	return b, nil
}

// classify sorts the entries into safe files, safe folders (which need no
// more thought: extraction makes its own) and refused ones.
func (b *Bundle) classify(files []*zip.File) {
	keys := make(map[string]int, len(files))
	for _, f := range files {
		keys[sameKey(f.Name)]++
	}
	b.files = make(map[string]*zip.File, len(files))
	for _, f := range files {
		dir, why := checkEntry(f, b.size)
		if why == "" && keys[sameKey(f.Name)] > 1 {
			why = "has the same name as another entry"
			if k := sameKey(f.Name); k != strings.TrimSuffix(f.Name, "/") {
				why += fmt.Sprintf(" once cleaned (%q)", k)
			}
		}
		switch {
		case why != "":
			b.refuse(f.Name, why)
		case !dir:
			b.files[f.Name] = f
		}
	}
}

func (b *Bundle) refuse(name, why string) {
	b.unsafe = append(b.unsafe, Unsafe{Name: name, Why: why})
	b.refused[name] = true
}

// readLedger reads and parses SHA256SUMS, bounded as ledger.ReadFile
// bounds it on disk, and refuses the names no bundle can hold.
func (b *Bundle) readLedger() error {
	f := b.files[ledger.FileName]
	if f == nil {
		for _, u := range b.unsafe {
			if u.Name == ledger.FileName {
				return fmt.Errorf("its %s %s", ledger.FileName, u.Why)
			}
		}
		return fmt.Errorf("not a helios bundle: no %s at its root", ledger.FileName)
	}
	if f.UncompressedSize64 > ledger.MaxFileSize {
		return fmt.Errorf("%s: %w", ledger.FileName, tooLarge(f, ledger.MaxFileSize, "a ledger"))
	}
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("read %s: %w", ledger.FileName, err)
	}
	defer rc.Close()
	h := sha256.New()
	// archive/zip stops at the declared size, so this reads at most
	// ledger.MaxFileSize bytes.
	entries, err := ledger.Parse(io.TeeReader(rc, h))
	var pe *ledger.ParseError
	if errors.As(err, &pe) {
		pe.Path = ledger.FileName
		return pe
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", ledger.FileName, err)
	}
	if len(entries) > b.lim.MaxEntries {
		return fmt.Errorf("%w: %s lists more than %d files", ErrLimit, ledger.FileName, b.lim.MaxEntries)
	}
	h.Sum(b.sumsDigest[:0])
	b.sums = f
	b.entries = entries
	b.listed = make(map[string]int, len(entries))
	for i, e := range entries {
		b.listed[e.Name] = i
		why := checkName(e.Name)
		if e.Name == ledger.FileName {
			why = "is listed in itself, which a ledger never is"
		}
		// A name whose zip entry is refused already is reported once.
		if why != "" && !b.refused[e.Name] {
			b.refuse(e.Name, ledger.FileName+" lists it, but it "+why)
		}
	}
	return nil
}

// Close closes the zip file.
func (b *Bundle) Close() error { return b.f.Close() }

// Ledger returns the entries of the zip's SHA256SUMS, in file order. The
// slice is the Bundle's own: do not modify it.
func (b *Bundle) Ledger() []ledger.Entry { return b.entries }
