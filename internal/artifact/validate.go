package artifact

import (
	"errors"
	"fmt"
	"strings"
)

// forbidden is one character the artifact service refuses, with the words the
// toolkit uses for it, so our message reads like upload-artifact's.
type forbidden struct {
	char  string
	words string
}

// pathForbidden are the characters the toolkit refuses in the path of a file
// inside an artifact ("not allowed due to limitations with certain file
// systems such as NTFS"); the service refuses them too.
var pathForbidden = []forbidden{
	{`"`, `double quote "`},
	{":", "colon :"},
	{"<", "less than <"},
	{">", "greater than >"},
	{"|", "vertical bar |"},
	{"*", "asterisk *"},
	{"?", "question mark ?"},
	{"\r", `carriage return \r`},
	{"\n", `line feed \n`},
}

// nameForbidden adds the two separators: an artifact name is one path
// component.
var nameForbidden = append(append([]forbidden(nil), pathForbidden...),
	forbidden{`\`, `backslash \`},
	forbidden{"/", "forward slash /"},
)

// listChars renders the set for an error message: " : < > | * ? \r \n
func listChars(set []forbidden) string {
	var b strings.Builder
	for i, f := range set {
		if i > 0 {
			b.WriteByte(' ')
		}
		switch f.char {
		case "\r":
			b.WriteString(`\r`)
		case "\n":
			b.WriteString(`\n`)
		default:
			b.WriteString(f.char)
		}
	}
	return b.String()
}

// ErrInvalidName and ErrInvalidPath mark validation failures, which happen
// before any request is sent.
var (
	ErrInvalidName = errors.New("invalid artifact name")
	ErrInvalidPath = errors.New("invalid artifact file path")
)

// ValidateName refuses artifact names the service would refuse, naming the
// offending character: upload-artifact checks the same set before any call.
func ValidateName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: the name is empty", ErrInvalidName)
	}
	for _, f := range nameForbidden {
		if strings.Contains(name, f.char) {
			return fmt.Errorf("%w: %q contains a %s; artifact names may not contain %s",
				ErrInvalidName, name, f.words, listChars(nameForbidden))
		}
	}
	return nil
}

// ValidatePath refuses a file path (relative to the artifact root, '/'
// separated) that the service would refuse (the toolkit's set), and, beyond
// the toolkit, one that would not unzip inside the folder it is extracted to
// (absolute, "..", ".", empty segments).
func ValidatePath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("%w: the path is empty", ErrInvalidPath)
	case strings.IndexByte(p, 0) >= 0:
		return fmt.Errorf("%w: %q holds a NUL byte", ErrInvalidPath, p)
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("%w: %q is absolute; paths are relative to the artifact root", ErrInvalidPath, p)
	}
	for _, f := range pathForbidden {
		if strings.Contains(p, f.char) {
			return fmt.Errorf("%w: %q contains a %s; file paths in an artifact may not contain %s",
				ErrInvalidPath, p, f.words, listChars(pathForbidden))
		}
	}
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "":
			return fmt.Errorf("%w: %q has an empty path segment", ErrInvalidPath, p)
		case ".", "..":
			return fmt.Errorf("%w: %q has a %q segment", ErrInvalidPath, p, seg)
		}
	}
	return nil
}
