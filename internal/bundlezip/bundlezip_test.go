package bundlezip_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/bundlezip"
	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
)

// files is a bundle with the names helios' writer lets through that a
// careless reader could trip on: nested folders, spaces, UTF-8, bytes that
// are not UTF-8, a backslash (an ordinary byte on Linux), an empty file.
var files = map[string]string{
	"manifest.json":                     `{"tool":{"name":"helios"},"volatile":["logs/**"]}`,
	"index.html":                        "<!doctype html>",
	"phases/01-dev/chain/steps.json":    `{"thermostat":{"setpoint":21}}`,
	"phases/01-dev/notes with space.md": "# notes\n",
	"logs/run.log":                      strings.Repeat("a log line\n", 5000),
	"café.json":                         `{"é":1}`,
	"caf\xe9.txt":                       "latin-1 name",
	`back\slash.txt`:                    "a backslash",
	"empty":                             "",
}

func open(t *testing.T, path string, lim bundlezip.Limits) *bundlezip.Bundle {
	t.Helper()
	b, err := bundlezip.Open(path, lim)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func verify(t *testing.T, b *bundlezip.Bundle) *bundlezip.Report {
	t.Helper()
	r, err := b.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestHeliosZipVerifiesAndExtracts(t *testing.T) {
	root := writeBundle(t, files)
	b := open(t, heliosZip(t, root, nil), bundlezip.Limits{})
	if got, want := len(b.Ledger()), len(files); got != want {
		t.Fatalf("ledger has %d entries, want %d", got, want)
	}
	r := verify(t, b)
	if !r.Clean() || r.OK != len(files) {
		t.Fatalf("report %+v, want clean with %d files", r, len(files))
	}

	dir := filepath.Join(t.TempDir(), "out")
	var names []string
	for _, e := range b.Ledger() {
		names = append(names, e.Name)
	}
	if err := b.Extract(context.Background(), dir, names); err != nil {
		t.Fatal(err)
	}
	got := tree(t, dir)
	want := tree(t, root)
	if !sameMap(got, want) {
		t.Errorf("extracted %q, want %q", sortedKeys(got), sortedKeys(want))
	}
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Log("no sha256sum here; the coreutils check is skipped")
		return
	}
	cmd := exec.Command("sha256sum", "-c", "--strict", "--quiet", ledger.FileName)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c in the extracted folder: %v\n%s", err, out)
	}
}

func TestExtractOnlyWhatIsAsked(t *testing.T) {
	root := writeBundle(t, files)
	b := open(t, heliosZip(t, root, nil), bundlezip.Limits{})
	dir := filepath.Join(t.TempDir(), "out")
	// Repeats are written once; SHA256SUMS and the manifest always are.
	names := []string{"phases/01-dev/chain/steps.json", "phases/01-dev/chain/steps.json", ledger.FileName}
	if err := b.Extract(context.Background(), dir, names); err != nil {
		t.Fatal(err)
	}
	got := sortedKeys(tree(t, dir))
	want := []string{ledger.FileName, manifest.FileName, "phases/01-dev/chain/steps.json"}
	if !slices.Equal(got, want) {
		t.Errorf("extracted %q, want %q", got, want)
	}
}

// TestVerifyFindsDifferences zips bundles whose files no longer match
// their ledger with helios' own writer, as a tampered or broken baseline
// would be.
func TestVerifyFindsDifferences(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, root string) []string // files to zip; nil: the ledger's
		check func(r *bundlezip.Report) bool
	}{
		{"a changed byte", func(t *testing.T, root string) []string {
			p := filepath.Join(root, "phases/01-dev/chain/steps.json")
			if err := os.WriteFile(p, []byte(`{"thermostat":{"setpoint":22}}`), 0o644); err != nil {
				t.Fatal(err)
			}
			return nil
		}, func(r *bundlezip.Report) bool {
			return slices.Equal(r.Mismatched, []string{"phases/01-dev/chain/steps.json"}) && r.OK == len(files)-1
		}},
		{"a missing file", func(t *testing.T, root string) []string {
			fs, _ := bundleFiles(t, root)
			return slices.DeleteFunc(fs, func(s string) bool { return s == "index.html" })
		}, func(r *bundlezip.Report) bool {
			return slices.Equal(r.Missing, []string{"index.html"}) && r.OK == len(files)-1
		}},
		{"an extra file", func(t *testing.T, root string) []string {
			if err := os.WriteFile(filepath.Join(root, "extra.json"), []byte("{}"), 0o644); err != nil {
				t.Fatal(err)
			}
			fs, _ := bundleFiles(t, root)
			return append(fs, "extra.json")
		}, func(r *bundlezip.Report) bool {
			return slices.Equal(r.Extra, []string{"extra.json"}) && r.OK == len(files)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := writeBundle(t, files)
			b := open(t, heliosZip(t, root, tc.setup(t, root)), bundlezip.Limits{})
			r := verify(t, b)
			if r.Clean() || !tc.check(r) {
				t.Fatalf("report %+v", r)
			}
		})
	}
}

func bundleFiles(t *testing.T, root string) ([]string, error) {
	t.Helper()
	es, err := ledger.ReadFile(filepath.Join(root, ledger.FileName))
	if err != nil {
		t.Fatal(err)
	}
	var fs []string
	for _, e := range es {
		fs = append(fs, e.Name)
	}
	return append(fs, ledger.FileName), nil
}

// TestUnsafeEntries builds zips with one hostile entry each, listed in the
// ledger beside a harmless file: Verify reports it, Extract refuses it and
// leaves the folder's parent as it was, and the harmless file still
// extracts.
func TestUnsafeEntries(t *testing.T) {
	const fine = "fine.json"
	tests := []struct {
		name  string
		ents  []ent // besides fine.json and SHA256SUMS
		bad   string
		why   string
		inLed bool // whether the ledger lists bad (else only the zip has it)
	}{
		{"zip slip", []ent{{name: "../evil", data: "x"}}, "../evil", `has a ".." segment`, true},
		{"absolute", []ent{{name: "/abs", data: "x"}}, "/abs", "absolute", true},
		{"climbing from a folder", []ent{{name: "a/../../b", data: "x"}}, "a/../../b", `".."`, true},
		{"backslash slip", []ent{{name: `..\evil`, data: "x"}}, `..\evil`, "backslashes are read as folder separators", true},
		{"backslash absolute", []ent{{name: `\abs`, data: "x"}}, `\abs`, "absolute name once its backslashes", true},
		{"drive letter", []ent{{name: "C:/x", data: "x"}}, "C:/x", "drive letter", true},
		{"unclean", []ent{{name: "a//b", data: "x"}}, "a//b", "not a clean path", true},
		{"dot segment", []ent{{name: "./a", data: "x"}}, "./a", "not a clean path", false},
		{"git folder", []ent{{name: ".git/config", data: "x"}}, ".git/config", ".git folder", true},
		{"symbolic link", []ent{{name: "link", data: "/etc/passwd", mode: os.ModeSymlink | 0o777}}, "link", "symbolic link", true},
		{"link under a FAT creator", []ent{{name: "link", data: "/etc/passwd", fat: true, extAttrs: 0o120777 << 16}}, "link", "symbolic link", true},
		{"FIFO", []ent{{name: "fifo", data: "", mode: os.ModeNamedPipe | 0o644}}, "fifo", "FIFO", true},
		{"folder link", []ent{{name: "d/", extAttrs: 0o120755 << 16}}, "d/", "folder entry marked as a symbolic link", false},
		{"folder marked a file", []ent{{name: "d/", extAttrs: 0o100644 << 16}}, "d/", "folder entry marked as a regular file", false},
		{"encrypted", []ent{{name: "secret.json", data: "{}", flags: 1}}, "secret.json", "encrypted", true},
		{"other method", []ent{{name: "bz.json", data: "{}", method: 12, store: false}}, "bz.json", "compression method 12", true},
		{"duplicate", []ent{{name: "dup.json", data: "one"}, {name: "dup.json", data: "two"}}, "dup.json", "same name as another entry", true},
		{"duplicate once cleaned", []ent{{name: "dup.json", data: "one"}, {name: "x/../dup.json", data: "two"}}, "dup.json", "same name as another entry", true},
		{"file and folder", []ent{{name: "dup", data: "one"}, {name: "dup/", mode: os.ModeDir | 0o755}}, "dup", "same name as another entry", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ledgerFiles := map[string]string{fine: "{}"}
			if tc.inLed {
				ledgerFiles[tc.bad] = tc.ents[0].data
			}
			ents := append([]ent{{name: fine, data: "{}"}}, tc.ents...)
			ents = append(ents, ent{name: ledger.FileName, data: sums(t, ledgerFiles)})
			zipPath := writeZipFile(t, rawZip(t, ents))
			b := open(t, zipPath, bundlezip.Limits{})
			r := verify(t, b)
			if r.Clean() || !hasWhy(r.Unsafe, tc.bad, tc.why) {
				t.Fatalf("report %+v, want %q refused for %q", r, tc.bad, tc.why)
			}
			if slices.Contains(r.Missing, tc.bad) || slices.Contains(r.Mismatched, tc.bad) || slices.Contains(r.Extra, tc.bad) {
				t.Errorf("refused %q is listed again: %+v", tc.bad, r)
			}

			parent := t.TempDir()
			dir := filepath.Join(parent, "out")
			if err := os.WriteFile(filepath.Join(parent, "b"), []byte("keep"), 0o644); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, filepath.Dir(parent), dir)
			err := b.Extract(context.Background(), dir, []string{fine, tc.bad})
			if err == nil {
				t.Fatalf("Extract of %q succeeded", tc.bad)
			}
			if _, serr := os.Lstat(dir); !os.IsNotExist(serr) {
				t.Errorf("Extract refused %q but created %s first", tc.bad, dir)
			}
			if after := snapshot(t, filepath.Dir(parent), dir); !sameMap(before, after) {
				t.Errorf("Extract changed the folders around dir:\nbefore %v\nafter  %v", before, after)
			}
			if err := b.Extract(context.Background(), dir, []string{fine}); err != nil {
				t.Fatalf("Extract of the harmless file: %v", err)
			}
			if got := sortedKeys(tree(t, dir)); !slices.Equal(got, []string{ledger.FileName, fine}) {
				t.Errorf("extracted %q", got)
			}
			if after := snapshot(t, filepath.Dir(parent), dir); !sameMap(before, after) {
				t.Errorf("Extract changed the folders around dir:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

// TestLedgerNamesOutside: a ledger that lists names no bundle can hold
// has them refused even when the zip does not hold them.
func TestLedgerNamesOutside(t *testing.T) {
	led := sums(t, map[string]string{"ok": "x"}) +
		"2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881  ../../etc/passwd\n" +
		"2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881  SHA256SUMS\n"
	b := open(t, writeZipFile(t, rawZip(t, []ent{{name: "ok", data: "x"}, {name: ledger.FileName, data: led}})), bundlezip.Limits{})
	r := verify(t, b)
	if !hasWhy(r.Unsafe, "../../etc/passwd", "SHA256SUMS lists it, but it has a \"..\" segment") ||
		!hasWhy(r.Unsafe, ledger.FileName, "listed in itself") || r.OK != 1 || len(r.Missing) != 0 {
		t.Fatalf("report %+v", r)
	}
	if err := b.Extract(context.Background(), filepath.Join(t.TempDir(), "out"), []string{"../../etc/passwd"}); err == nil {
		t.Fatal("Extract of a name outside the bundle succeeded")
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"no SHA256SUMS", rawZip(t, []ent{{name: "a", data: "x"}}), "not a helios bundle: no SHA256SUMS at its root"},
		{"SHA256SUMS in a folder", rawZip(t, []ent{{name: "x/SHA256SUMS", data: sums(t, map[string]string{})}}), "no SHA256SUMS at its root"},
		{"SHA256SUMS a link", rawZip(t, []ent{{name: "SHA256SUMS", data: "/etc/passwd", mode: os.ModeSymlink | 0o777}}), "its SHA256SUMS is a symbolic link"},
		{"two SHA256SUMS", rawZip(t, []ent{{name: "SHA256SUMS", data: ""}, {name: "SHA256SUMS", data: ""}}), "its SHA256SUMS has the same name as another entry"},
		{"a bad ledger", rawZip(t, []ent{{name: "SHA256SUMS", data: "# ok\nnot a line\n"}}), "SHA256SUMS:2: not a sha256sum line"},
		{"a duplicate in the ledger", rawZip(t, []ent{{name: "SHA256SUMS", data: sums(t, map[string]string{"a": ""}) + sums(t, map[string]string{"a": ""})}}), "duplicate name"},
		{"not a zip", []byte("PK\x03\x04 but nothing else"), "not a zip file"},
		{"empty", nil, "not a zip file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := bundlezip.Open(writeZipFile(t, tc.data), bundlezip.Limits{})
			if err == nil {
				b.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want it to say %q", err, tc.want)
			}
		})
	}
}

func TestOpenRefusesAFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo.zip")
	if err := mkfifo(p); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	if _, err := bundlezip.Open(p, bundlezip.Limits{}); err == nil || !strings.Contains(err.Error(), "FIFO") {
		t.Fatalf("Open of a FIFO: %v", err)
	}
}

// TestBombs: sizes over the limits are refused before reading, and a
// header that lies about its size does not get past the bytes it declares.
func TestBombs(t *testing.T) {
	zeros := strings.Repeat("\x00", 4<<20) // deflates to a few KiB
	tests := []struct {
		name    string
		ents    []ent
		ledger  map[string]string
		lim     bundlezip.Limits
		wantErr bool   // from Verify; else a refused entry
		why     string // in the error or the refusal
	}{
		{"a declared size over the total", []ent{{name: "big", data: "small", usize: 1 << 40}},
			map[string]string{"big": "small"}, bundlezip.Limits{}, true, "declare 1024 GiB uncompressed in all, over the 4 GiB limit"},
		{"real bytes over the total", []ent{{name: "zeros", data: zeros}},
			map[string]string{"zeros": zeros}, bundlezip.Limits{MaxTotal: 1 << 20}, true, "declare 4 MiB uncompressed in all, over the 1 MiB limit"},
		{"files over the total together", []ent{{name: "a", data: zeros}, {name: "b", data: zeros}},
			map[string]string{"a": zeros, "b": zeros}, bundlezip.Limits{MaxTotal: 6 << 20}, true, "declare 8 MiB"},
		{"a size declared smaller than the data", []ent{{name: "liar", data: zeros, usize: 10}},
			map[string]string{"liar": zeros}, bundlezip.Limits{MaxTotal: 1 << 20}, false, "does not match its zip header"},
		{"a stored size declared larger than the data", []ent{{name: "liar", data: "abc", store: true, usize: 1 << 20}},
			map[string]string{"liar": "abc"}, bundlezip.Limits{}, false, "stored but declares"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ents := append(tc.ents, ent{name: ledger.FileName, data: sums(t, tc.ledger)})
			b := open(t, writeZipFile(t, rawZip(t, ents)), tc.lim)
			r, err := b.Verify(context.Background())
			if tc.wantErr {
				if !errors.Is(err, bundlezip.ErrLimit) || !strings.Contains(err.Error(), tc.why) {
					t.Fatalf("Verify: %v, report %+v; want ErrLimit saying %q", err, r, tc.why)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !hasWhy(r.Unsafe, tc.ents[0].name, tc.why) {
				t.Fatalf("report %+v, want %q refused for %q", r, tc.ents[0].name, tc.why)
			}
		})
	}
}

func TestOpenBoundsEntries(t *testing.T) {
	var ents []ent
	for i := range 11 {
		ents = append(ents, ent{name: strings.Repeat("f", i+1), data: ""})
	}
	ents = append(ents, ent{name: ledger.FileName, data: ""})
	_, err := bundlezip.Open(writeZipFile(t, rawZip(t, ents)), bundlezip.Limits{MaxEntries: 10})
	if !errors.Is(err, bundlezip.ErrLimit) || !strings.Contains(err.Error(), "more than 10 entries") {
		t.Fatalf("Open: %v", err)
	}
	// A ledger longer than the limit is refused too.
	files := map[string]string{}
	for i := range 11 {
		files[strings.Repeat("f", i+1)] = ""
	}
	_, err = bundlezip.Open(writeZipFile(t, rawZip(t, []ent{{name: ledger.FileName, data: sums(t, files)}})), bundlezip.Limits{MaxEntries: 10})
	if !errors.Is(err, bundlezip.ErrLimit) || !strings.Contains(err.Error(), "lists more than 10 files") {
		t.Fatalf("Open: %v", err)
	}
}

func TestExtractLimits(t *testing.T) {
	big := strings.Repeat("x", 2<<20)
	root := writeBundle(t, map[string]string{"big.log": big, "small.json": "{}"})
	b := open(t, heliosZip(t, root, nil), bundlezip.Limits{MaxFile: 1 << 20})
	dir := filepath.Join(t.TempDir(), "out")
	err := b.Extract(context.Background(), dir, []string{"small.json", "big.log"})
	if !errors.Is(err, bundlezip.ErrLimit) || !strings.Contains(err.Error(), `extract "big.log"`) {
		t.Fatalf("Extract: %v", err)
	}
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		t.Errorf("a refused Extract created %s", dir)
	}
	if err := b.Extract(context.Background(), dir, []string{"small.json"}); err != nil {
		t.Fatal(err)
	}
}

// TestExtractFolder: the target must be a new or empty folder; a link
// planted in it, or the folder being a link, is refused.
func TestExtractFolder(t *testing.T) {
	root := writeBundle(t, map[string]string{"a.json": "{}"})
	zipPath := heliosZip(t, root, nil)
	tests := []struct {
		name  string
		setup func(t *testing.T, parent string) string // returns dir
		want  string
	}{
		{"a link inside", func(t *testing.T, parent string) string {
			dir := filepath.Join(parent, "out")
			os.Mkdir(dir, 0o755)
			if err := os.Symlink(filepath.Join(parent, "victim"), filepath.Join(dir, "a.json")); err != nil {
				t.Fatal(err)
			}
			return dir
		}, "is not empty"},
		{"a link to the ledger's place", func(t *testing.T, parent string) string {
			dir := filepath.Join(parent, "out")
			os.Mkdir(dir, 0o755)
			if err := os.Symlink("../victim", filepath.Join(dir, ledger.FileName)); err != nil {
				t.Fatal(err)
			}
			return dir
		}, "is not empty"},
		{"the folder a link", func(t *testing.T, parent string) string {
			os.Mkdir(filepath.Join(parent, "real"), 0o755)
			dir := filepath.Join(parent, "out")
			if err := os.Symlink("real", dir); err != nil {
				t.Fatal(err)
			}
			return dir
		}, "is a symbolic link, not a folder"},
		{"a file", func(t *testing.T, parent string) string {
			dir := filepath.Join(parent, "out")
			os.WriteFile(dir, nil, 0o644)
			return dir
		}, "is a file, not a folder"},
		{"no parent", func(t *testing.T, parent string) string {
			return filepath.Join(parent, "none", "out")
		}, "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := open(t, zipPath, bundlezip.Limits{})
			parent := t.TempDir()
			if err := os.WriteFile(filepath.Join(parent, "victim"), []byte("keep"), 0o644); err != nil {
				t.Fatal(err)
			}
			dir := tc.setup(t, parent)
			before := snapshot(t, parent, "")
			err := b.Extract(context.Background(), dir, []string{"a.json"})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Extract: %v, want it to say %q", err, tc.want)
			}
			if after := snapshot(t, parent, ""); !sameMap(before, after) {
				t.Errorf("Extract changed the folder:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
	t.Run("an empty folder", func(t *testing.T) {
		b := open(t, zipPath, bundlezip.Limits{})
		dir := t.TempDir()
		if err := b.Extract(context.Background(), dir, []string{"a.json"}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestExtractRefusesNamesOutsideTheLedger(t *testing.T) {
	root := writeBundle(t, map[string]string{"a.json": "{}"})
	os.WriteFile(filepath.Join(root, "extra.json"), []byte("{}"), 0o644)
	b := open(t, heliosZip(t, root, []string{"a.json", "extra.json", ledger.FileName}), bundlezip.Limits{})
	for _, name := range []string{"extra.json", "nowhere.json"} {
		err := b.Extract(context.Background(), filepath.Join(t.TempDir(), "out"), []string{name})
		if err == nil || !strings.Contains(err.Error(), "SHA256SUMS does not list it") {
			t.Errorf("Extract %q: %v", name, err)
		}
	}
}

// TestExtractChecksEveryFile: a file whose bytes differ from the ledger is
// removed and fails Extract.
func TestExtractChecksEveryFile(t *testing.T) {
	root := writeBundle(t, map[string]string{"a.json": "{}", "b.json": "[]"})
	os.WriteFile(filepath.Join(root, "b.json"), []byte("[1]"), 0o644)
	b := open(t, heliosZip(t, root, nil), bundlezip.Limits{})
	dir := filepath.Join(t.TempDir(), "out")
	err := b.Extract(context.Background(), dir, []string{"a.json", "b.json"})
	if err == nil || !strings.Contains(err.Error(), `extract "b.json": its bytes do not match SHA256SUMS`) {
		t.Fatalf("Extract: %v", err)
	}
	if got := sortedKeys(tree(t, dir)); !slices.Equal(got, []string{ledger.FileName, "a.json"}) {
		t.Errorf("left %q, want only the checked files", got)
	}
}

func TestVerifyStopsOnContext(t *testing.T) {
	root := writeBundle(t, files)
	b := open(t, heliosZip(t, root, nil), bundlezip.Limits{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.Verify(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Verify with a cancelled context: %v", err)
	}
	if err := b.Extract(ctx, filepath.Join(t.TempDir(), "out"), nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Extract with a cancelled context: %v", err)
	}
}

// TestNamesTheLedgerEscapes: a newline and a backslash are valid in a
// ledger name (escaped there); helios' writer refuses newlines, but a zip
// that holds one still verifies, extracts and checks with coreutils.
func TestNamesTheLedgerEscapes(t *testing.T) {
	fs := map[string]string{"new\nline.txt": "one", `a\b.txt`: "two", "cr\rname": "three"}
	ents := []ent{{name: ledger.FileName, data: sums(t, fs)}}
	for _, n := range sortedKeys(fs) {
		ents = append(ents, ent{name: n, data: fs[n]})
	}
	b := open(t, writeZipFile(t, rawZip(t, ents)), bundlezip.Limits{})
	if r := verify(t, b); !r.Clean() || r.OK != 3 {
		t.Fatalf("report %+v", r)
	}
	dir := filepath.Join(t.TempDir(), "out")
	if err := b.Extract(context.Background(), dir, sortedKeys(fs)); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Skip("no sha256sum here")
	}
	cmd := exec.Command("sha256sum", "-c", "--strict", "--quiet", ledger.FileName)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c: %v\n%s", err, out)
	}
}
