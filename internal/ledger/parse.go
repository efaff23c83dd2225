package ledger

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxLine bounds one ledger line: a PATH_MAX name fully escaped is about
// 8 KiB, so this leaves room without letting a corrupt file eat memory.
const maxLine = 1 << 20

// Parse reads sha256sum lines: text mode "<hex>  name" and binary mode
// "<hex> *name", with the leading '\' that marks an escaped name. It follows
// `sha256sum -c` on the details: '#' comment lines and empty lines are
// skipped, leading blanks and a trailing carriage return are dropped, and hex
// may be upper case. A leading "./" is stripped from names. Sizes are -1.
// Errors name the 1-based line.
func Parse(r io.Reader) ([]Entry, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	// bufio.ScanLines drops one '\r' before the '\n', as sha256sum -c does.
	var entries []Entry
	seen := make(map[string]int)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		e, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if first, ok := seen[e.Name]; ok {
			return nil, fmt.Errorf("line %d: duplicate name %q (first on line %d)", n, e.Name, first)
		}
		seen[e.Name] = n
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("parse ledger: %w", err)
	}
	return entries, nil
}

func parseLine(s string) (Entry, error) {
	s = strings.TrimLeft(s, " \t")
	escaped := strings.HasPrefix(s, `\`)
	if escaped {
		s = s[1:]
	}
	const hexLen = 2 * 32
	if len(s) < hexLen+3 {
		return Entry{}, errors.New("not a sha256sum line")
	}
	e := Entry{Size: -1}
	if _, err := hex.Decode(e.Sum[:], []byte(s[:hexLen])); err != nil {
		return Entry{}, fmt.Errorf("bad digest: %w", err)
	}
	if s[hexLen] != ' ' || (s[hexLen+1] != ' ' && s[hexLen+1] != '*') {
		return Entry{}, errors.New(`digest must be followed by "  " or " *"`)
	}
	name := s[hexLen+2:]
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

// ReadFile parses the ledger at path.
func ReadFile(path string) ([]Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	defer f.Close()
	entries, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("read ledger %s: %w", path, err)
	}
	return entries, nil
}
