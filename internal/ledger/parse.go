package ledger

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/helios-action/helios-action/internal/regular"
)

// maxLine bounds one ledger line: a PATH_MAX name fully escaped is about
// 8 KiB, so this leaves room without letting a corrupt file eat memory.
const maxLine = 1 << 20

// MaxFileSize bounds a SHA256SUMS that helios reads. At about 150 bytes a
// line it fits some 1.7 million files, far past any real bundle, while a
// hostile or corrupt ledger fails at once instead of filling memory.
const MaxFileSize = 256 << 20

// ParseError is a ledger that is not valid sha256sum output, with the
// 1-based line at fault.
type ParseError struct {
	// Path is the ledger's path, empty when parsed from a reader.
	Path string
	Line int
	Err  error
}

func (e *ParseError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Parse reads sha256sum lines: text mode "<hex>  name" and binary mode
// "<hex> *name", with the leading '\' that marks an escaped name. It follows
// `sha256sum -c` on the details: '#' comment lines and empty lines are
// skipped, leading blanks and a trailing carriage return are dropped, and hex
// may be upper case. A leading "./" is stripped from names. Sizes are -1.
// Errors are *ParseError, naming the 1-based line.
func Parse(r io.Reader) ([]Entry, error) {
	return parseChecked(r, nil)
}

// parseChecked is Parse with check, when not nil, run on every entry; its
// error names the entry's line.
func parseChecked(r io.Reader, check func(Entry) error) ([]Entry, error) {
	var entries []Entry
	// lines[i] is the line of entries[i], kept to name both lines of a
	// duplicate; a map of every name would cost far more on big ledgers.
	var lines []int32
	sorted := true
	err := parse(r, func(n int, e Entry) error {
		if check != nil {
			if err := check(e); err != nil {
				return err
			}
		}
		if k := len(entries); k > 0 {
			switch c := strings.Compare(entries[k-1].Name, e.Name); {
			case c == 0:
				return fmt.Errorf("duplicate name %q (first on line %d)", e.Name, lines[k-1])
			case c > 0:
				sorted = false
			}
		}
		entries = append(entries, e)
		lines = append(lines, int32(n))
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !sorted {
		if err := checkDuplicates(entries, lines); err != nil {
			return nil, err
		}
	}
	return entries, nil
}

// checkDuplicates finds repeated names in a ledger out of ledger order and
// reports the one whose second line comes first, as a reader going down
// the file would meet it.
func checkDuplicates(entries []Entry, lines []int32) error {
	idx := make([]int32, len(entries))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int {
		return cmp.Or(strings.Compare(entries[a].Name, entries[b].Name), cmp.Compare(a, b))
	})
	var dup *ParseError
	for i := 1; i < len(idx); i++ {
		a, b := idx[i-1], idx[i]
		if entries[a].Name != entries[b].Name || (dup != nil && int(lines[b]) >= dup.Line) {
			continue
		}
		dup = &ParseError{Line: int(lines[b]), Err: fmt.Errorf("duplicate name %q (first on line %d)", entries[b].Name, lines[a])}
	}
	if dup != nil {
		return dup
	}
	return nil
}

// parse calls fn with each entry and its line, in file order, without
// holding more than one line: the streaming core of Parse and of readers
// that keep less than every entry. An error from fn is returned as a
// *ParseError for that line.
func parse(r io.Reader, fn func(line int, e Entry) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	// bufio.ScanLines drops one '\r' before the '\n', as sha256sum -c does.
	n := 0
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		e, err := parseLine(line)
		if err == nil {
			err = fn(n, e)
		}
		if err != nil {
			return &ParseError{Line: n, Err: err}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &ParseError{Line: n + 1, Err: fmt.Errorf("line longer than %s", regular.Bytes(maxLine))}
		}
		return fmt.Errorf("parse ledger: %w", err)
	}
	return nil
}

func parseLine(s []byte) (Entry, error) {
	s = bytes.TrimLeft(s, " \t")
	escaped := len(s) > 0 && s[0] == '\\'
	if escaped {
		s = s[1:]
	}
	const hexLen = 2 * 32
	if len(s) < hexLen+3 {
		return Entry{}, errors.New("not a sha256sum line")
	}
	e := Entry{Size: -1}
	if _, err := hex.Decode(e.Sum[:], s[:hexLen]); err != nil {
		return Entry{}, fmt.Errorf("bad digest: %w", err)
	}
	if s[hexLen] != ' ' || (s[hexLen+1] != ' ' && s[hexLen+1] != '*') {
		return Entry{}, errors.New(`digest must be followed by "  " or " *"`)
	}
	// Copy only the name, so an entry does not keep its whole line alive.
	name := string(s[hexLen+2:])
	if escaped {
		var err error
		if name, err = unescape(name); err != nil {
			return Entry{}, err
		}
	}
	name = strings.TrimPrefix(name, "./")
	if err := checkName(name); err != nil {
		return Entry{}, err
	}
	e.Name = name
	return e, nil
}

// ReadFile parses the ledger at path; see ReadFileContext.
func ReadFile(path string) ([]Entry, error) {
	return ReadFileContext(context.Background(), path)
}

// ReadFileContext parses the ledger at path. It must be a regular file (a
// FIFO or device is refused, never waited on) of at most MaxFileSize bytes,
// and reading stops when ctx is done. Syntax errors are *ParseError with
// Path set.
func ReadFileContext(ctx context.Context, path string) ([]Entry, error) {
	var entries []Entry
	err := readFile(ctx, path, func(r io.Reader) error {
		var err error
		entries, err = Parse(r)
		return err
	})
	return entries, err
}

// readFile opens the ledger at path and hands fn a bounded, cancellable
// reader of it; a *ParseError from fn gets the path.
func readFile(ctx context.Context, path string, fn func(io.Reader) error) error {
	f, err := regular.Open(path)
	if err != nil {
		return fmt.Errorf("read ledger: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("read ledger: %w", err)
	}
	tooLarge := &regular.TooLargeError{Path: path, Size: fi.Size(), Limit: MaxFileSize, What: "a ledger"}
	if fi.Size() > MaxFileSize {
		return fmt.Errorf("read ledger: %w", tooLarge)
	}
	// The file may grow while it is read: the reader stops one byte past
	// the limit, and a parse that reached that byte is refused.
	lr := &io.LimitedReader{R: f, N: MaxFileSize + 1}
	err = fn(regular.NewReader(ctx, lr))
	if lr.N == 0 {
		tooLarge.Size = -1
		return fmt.Errorf("read ledger: %w", tooLarge)
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("read ledger %s: %w", path, ctxErr)
	}
	var pe *ParseError
	if errors.As(err, &pe) {
		pe.Path = path
		return pe
	}
	if err != nil {
		return fmt.Errorf("read ledger %s: %w", path, err)
	}
	return nil
}

// ErrNotInOrder is returned by ReadInOrder for a ledger whose lines are not
// in ledger order; read it with ReadFileContext and Sort instead.
var ErrNotInOrder = errors.New("ledger lines are not in ledger order")

// ReadInOrder reads the ledger at path like ReadFileContext, but hands each
// entry to fn as it is parsed instead of holding them all, provided the
// file lists them in ledger order, as every ledger helios or the coreutils
// pipeline writes does. A duplicate is a *ParseError; the first entry out
// of order stops the read with ErrNotInOrder; an error from fn is returned
// as is.
func ReadInOrder(ctx context.Context, path string, fn func(Entry) error) error {
	var prev string
	var prevLine int
	var fnErr error
	err := readFile(ctx, path, func(r io.Reader) error {
		return parse(r, func(n int, e Entry) error {
			if prevLine > 0 {
				switch c := strings.Compare(prev, e.Name); {
				case c == 0:
					return fmt.Errorf("duplicate name %q (first on line %d)", e.Name, prevLine)
				case c > 0:
					fnErr = ErrNotInOrder
					return fnErr
				}
			}
			prev, prevLine = e.Name, n
			if err := fn(e); err != nil {
				fnErr = err
				return err
			}
			return nil
		})
	})
	if fnErr != nil {
		return fnErr
	}
	return err
}
