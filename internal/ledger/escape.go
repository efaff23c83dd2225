package ledger

import (
	"errors"
	"strings"
)

// GNU coreutils 9.1 escapes a file name when it holds a backslash, a newline
// or a carriage return: the whole line then starts with '\' and those three
// bytes are written as `\\`, `\n` and `\r`. Everything else, tabs and
// non-UTF-8 bytes included, is written raw.

func needsEscape(name string) bool {
	return strings.ContainsAny(name, "\\\n\r")
}

func appendEscaped(dst []byte, name string) []byte {
	for i := 0; i < len(name); i++ {
		switch c := name[i]; c {
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// unescape reverses appendEscaped. Like `sha256sum -c` it refuses any other
// escape and a lone trailing backslash.
func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b = append(b, c)
			continue
		}
		i++
		if i == len(s) {
			return "", errors.New("name ends in a lone backslash")
		}
		switch s[i] {
		case '\\':
			b = append(b, '\\')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		default:
			return "", errors.New(`only \\, \n and \r may be escaped in a name`)
		}
	}
	return string(b), nil
}
