package bundlezip_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/bundlezip"
	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
)

// sink collects what Stream writes, by name, in order.
type sink struct {
	names []string
	data  map[string]*bytes.Buffer
}

func (s *sink) open(name string) (io.WriteCloser, error) {
	if s.data == nil {
		s.data = map[string]*bytes.Buffer{}
	}
	s.names = append(s.names, name)
	b := &bytes.Buffer{}
	s.data[name] = b
	return nopCloser{b}, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func TestStreamWritesEveryListedFile(t *testing.T) {
	root := writeBundle(t, files)
	b := open(t, heliosZip(t, root, nil), bundlezip.Limits{})
	var s sink
	r, err := b.Stream(context.Background(), s.open)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Clean() || r.OK != len(files) {
		t.Fatalf("report %+v, want clean with %d files", r, len(files))
	}
	want := tree(t, root)
	if len(s.names) != len(want) || s.names[0] != ledger.FileName {
		t.Errorf("streamed %q, want SHA256SUMS first, then %d files", s.names, len(want)-1)
	}
	for name, data := range want {
		if got := s.data[name]; got == nil || got.String() != data {
			t.Errorf("%s: streamed %v, want %q", name, got, data)
		}
	}
	sums, err := os.ReadFile(filepath.Join(root, ledger.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if b.Digest() != sha256.Sum256(sums) {
		t.Error("Digest is not the SHA-256 of SHA256SUMS")
	}
	m, err := b.ReadFile(context.Background(), manifest.FileName, manifest.MaxFileSize)
	if err != nil || string(m) != want[manifest.FileName] {
		t.Errorf("ReadFile(manifest.json) = %q, %v", m, err)
	}
	if _, err := b.ReadFile(context.Background(), "nope.json", 1<<20); err == nil || !strings.Contains(err.Error(), "does not list nope.json") {
		t.Errorf("ReadFile(nope.json): %v", err)
	}
}

// TestStreamStops: a zip whose entries do not match its ledger streams
// nothing; one whose bytes do not stops at the first such file.
func TestStreamStops(t *testing.T) {
	three := map[string]string{"a.json": "{}", "b.json": "[]", "c.json": "1"}
	sums3 := sums(t, three)
	tests := []struct {
		name    string
		ents    []ent
		written []string
		check   func(*bundlezip.Report) bool
	}{
		{"a file changed", []ent{{name: ledger.FileName, data: sums3}, {name: "a.json", data: "{}"}, {name: "b.json", data: "[1]"}, {name: "c.json", data: "1"}},
			[]string{ledger.FileName, "a.json", "b.json"},
			func(r *bundlezip.Report) bool { return slices.Equal(r.Mismatched, []string{"b.json"}) && r.OK == 1 }},
		{"an extra entry", []ent{{name: ledger.FileName, data: sums3}, {name: "a.json", data: "{}"}, {name: "b.json", data: "[]"}, {name: "c.json", data: "1"}, {name: "d.json", data: "2"}},
			nil,
			func(r *bundlezip.Report) bool { return slices.Equal(r.Extra, []string{"d.json"}) }},
		{"an entry missing", []ent{{name: ledger.FileName, data: sums3}, {name: "a.json", data: "{}"}, {name: "c.json", data: "1"}},
			nil,
			func(r *bundlezip.Report) bool { return slices.Equal(r.Missing, []string{"b.json"}) }},
		{"a link", []ent{{name: ledger.FileName, data: sums3}, {name: "a.json", data: "{}"}, {name: "b.json", data: "[]"}, {name: "c.json", data: "1", mode: os.ModeSymlink | 0o777}},
			nil,
			func(r *bundlezip.Report) bool { return hasWhy(r.Unsafe, "c.json", "symbolic link") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := open(t, writeZipFile(t, rawZip(t, tt.ents)), bundlezip.Limits{})
			var s sink
			r, err := b.Stream(context.Background(), s.open)
			if err != nil {
				t.Fatal(err)
			}
			if r.Clean() || !tt.check(r) {
				t.Errorf("report %+v", r)
			}
			if !slices.Equal(s.names, tt.written) {
				t.Errorf("streamed %q, want %q", s.names, tt.written)
			}
		})
	}
}

func TestStreamLimits(t *testing.T) {
	root := writeBundle(t, map[string]string{"a.json": strings.Repeat("a", 3000), "b.json": strings.Repeat("b", 3000)})
	zip := heliosZip(t, root, nil)
	for _, lim := range []bundlezip.Limits{{MaxFile: 2000}, {MaxTotal: 5000}} {
		var s sink
		_, err := open(t, zip, lim).Stream(context.Background(), s.open)
		if !errors.Is(err, bundlezip.ErrLimit) || len(s.names) != 0 {
			t.Errorf("%+v: err %v, streamed %q before refusing", lim, err, s.names)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var s sink
	if _, err := open(t, zip, bundlezip.Limits{}).Stream(ctx, s.open); !errors.Is(err, context.Canceled) {
		t.Errorf("Stream with a cancelled context: %v", err)
	}
	failing := func(string) (io.WriteCloser, error) { return nil, errors.New("disk full") }
	if _, err := open(t, zip, bundlezip.Limits{}).Stream(context.Background(), failing); err == nil || err.Error() != "disk full" {
		t.Errorf("Stream with a failing writer: %v", err)
	}
}
