package bundlezip

import (
	"archive/zip"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/helios-action/helios-action/internal/regular"
)

// checkName says why a '/'-separated name cannot be a file of a bundle, or
// returns "". A bundle's names are the ledger's: any bytes but NUL, UTF-8
// or not, newlines included (the ledger escapes them). On top of that a
// name must be local and written one way only, as a scan of a folder
// writes it: not absolute, no drive letter, no empty, "." or ".."
// segment, no ".git" folder (helios never writes one into a bundle).
//
// A backslash is an ordinary byte in a name on Linux, and helios' own
// artifact writer passes it through, so a file called `a\b.json` is
// accepted. But Windows unzippers read it as a folder separator, so a name
// must also pass with every backslash read as '/': `..\evil`,
// `\abs` and `a\..\..\b` are refused wherever this runs.
func checkName(name string) string {
	switch {
	case name == "":
		return "has an empty name"
	case strings.IndexByte(name, 0) >= 0:
		return "has a NUL byte in its name"
	case len(name) >= 2 && name[1] == ':' && isLetter(name[0]):
		return "starts with a drive letter"
	}
	if why := checkSegments(name, "/"); why != "" {
		return why
	}
	if strings.Contains(name, `\`) {
		if why := checkSegments(strings.ReplaceAll(name, `\`, "/"), "/"); why != "" {
			return why + ` once its backslashes are read as folder separators, as Windows reads them`
		}
	}
	return ""
}

func checkSegments(name, sep string) string {
	if strings.HasPrefix(name, sep) {
		return "has an absolute name"
	}
	for seg := range strings.SplitSeq(name, sep) {
		switch {
		case seg == "..":
			return `has a ".." segment`
		case seg == "" || seg == ".":
			return fmt.Sprintf("is not a clean path (%q segment)", seg)
		case strings.EqualFold(seg, ".git"):
			return "is inside a .git folder, which a bundle never holds"
		}
	}
	return ""
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// sameKey is the name two entries share when an unzipper that cleans names
// (folds backslashes, drops "." and "..", strips a leading '/') would
// write them to one place. Two entries with one key are duplicates: which
// of them is "the" file depends on the tool, so neither is trusted.
func sameKey(name string) string {
	return path.Clean("/" + strings.ReplaceAll(name, `\`, "/"))[1:]
}

// Unix file type bits of the external attributes' high half.
const (
	sIFMT  = 0o170000
	sIFREG = 0o100000
	sIFDIR = 0o040000
)

// rawKind names the kind of file that S_IFMT bits t stand for.
func rawKind(t uint32) string {
	if t == sIFREG {
		return "a regular file"
	}
	return regular.Kind(unixType(t))
}

func unixType(t uint32) fs.FileMode {
	switch t {
	case 0o120000:
		return fs.ModeSymlink
	case 0o010000:
		return fs.ModeNamedPipe
	case 0o020000:
		return fs.ModeDevice | fs.ModeCharDevice
	case 0o060000:
		return fs.ModeDevice
	case 0o140000:
		return fs.ModeSocket
	case sIFDIR:
		return fs.ModeDir
	}
	return fs.ModeIrregular
}

// flagEncrypted and flagStrong mark traditional and strong encryption.
const (
	flagEncrypted = 0x0001
	flagStrong    = 0x0040
)

// checkEntry says why a zip entry cannot be a file (or, with a trailing
// '/', a folder) of the bundle, or returns "". size is the zip's size.
func checkEntry(f *zip.File, size int64) (dir bool, why string) {
	name := f.Name
	dir = strings.HasSuffix(name, "/") && len(name) > 1
	if dir {
		name = name[:len(name)-1]
	}
	if why := checkName(name); why != "" {
		return dir, why
	}
	// archive/zip reads the mode from the attributes as their creator
	// system defines them; the raw Unix bits are checked as well, so a
	// link cannot hide behind another creator byte.
	mode := f.Mode().Type()
	raw := (f.ExternalAttrs >> 16) & sIFMT
	switch {
	case dir && mode&^fs.ModeDir != 0:
		return dir, "is a folder entry marked as " + regular.Kind(mode&^fs.ModeDir)
	case dir && raw != 0 && raw != sIFDIR:
		return dir, "is a folder entry marked as " + rawKind(raw)
	case !dir && mode != 0:
		return dir, "is " + regular.Kind(mode) + ", not a regular file"
	case !dir && raw != 0 && raw != sIFREG:
		return dir, "is " + rawKind(raw) + ", not a regular file"
	case dir:
		return dir, ""
	case f.Flags&(flagEncrypted|flagStrong) != 0:
		return dir, "is encrypted"
	case f.Method != zip.Store && f.Method != zip.Deflate:
		return dir, fmt.Sprintf("uses compression method %d; a bundle's zip uses only store (0) and deflate (8)", f.Method)
	case f.CompressedSize64 > uint64(size):
		return dir, fmt.Sprintf("declares %d compressed bytes, more than the whole zip holds", f.CompressedSize64)
	case f.Method == zip.Store && f.CompressedSize64 != f.UncompressedSize64:
		return dir, "is stored but declares a compressed size other than its size"
	}
	return dir, ""
}
