package docs

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/engine"
)

func TestStepAnnotations(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "bundle")
	write := func(p string, b []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rep := &Report{Files: 2, Problems: []Problem{
		{File: "README.md", Line: 3, Kind: KindAnchor, Message: "no heading for anchor #x"},
		{File: "docs/a.md", Line: 1, Kind: KindBrokenLink, Target: "b.md", Message: "link target b.md does not exist"},
	}}
	js, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(root, "docs", "docs-check.json"), js)
	write(filepath.Join(root, "checks", "clean.json"), []byte(`{"files": 1, "problems": []}`))
	write(filepath.Join(root, "docs", "broken.json"), []byte("{"))
	// Reports outside the bundle, which a path in another run's data
	// could name: read, they would give annotations.
	write(filepath.Join(dir, "outside.json"), js)
	write(filepath.Join(dir, "bundle-sibling", "r.json"), js)

	tests := []struct {
		name    string
		data    map[string]any
		want    []engine.Annotation
		wantErr string
	}{
		{name: "the report's problems, in order", data: map[string]any{"report": "docs/docs-check.json", "problems": 2}, want: []engine.Annotation{
			{File: "README.md", Line: 3, Title: "docs: broken-anchor", Message: "no heading for anchor #x"},
			{File: "docs/a.md", Line: 1, Title: "docs: broken-link", Message: "link target b.md does not exist"},
		}},
		{name: "a clean report", data: map[string]any{"report": "checks/clean.json"}, want: []engine.Annotation{}},
		{name: "no data", data: nil},
		{name: "no report", data: map[string]any{"files": 3}},
		{name: "a report that is not a path", data: map[string]any{"report": 3}},
		{name: "a report above the bundle", data: map[string]any{"report": "../outside.json"}},
		{name: "a report that climbs out", data: map[string]any{"report": "docs/../../bundle-sibling/r.json"}},
		{name: "an absolute report", data: map[string]any{"report": filepath.ToSlash(filepath.Join(dir, "outside.json"))}},
		{name: "a missing report", data: map[string]any{"report": "docs/none.json"}, wantErr: "docs report docs/none.json: "},
		{name: "a report that is not JSON", data: map[string]any{"report": "docs/broken.json"}, wantErr: "docs report docs/broken.json: unexpected end of JSON input"},
		// Links a bundle from another run can hold (its ledger lists no
		// links): none is followed out of the bundle, and what is not a
		// regular file is not read, so /dev/zero cannot hang the job.
		{name: "a link that leads out of the bundle", data: map[string]any{"report": "docs/out.json"}, wantErr: "docs report docs/out.json: "},
		{name: "a link to a device", data: map[string]any{"report": "docs/zero.json"}, wantErr: "docs report docs/zero.json: "},
		{name: "a folder", data: map[string]any{"report": "docs"}, wantErr: "docs report docs: "},
	}
	if err := os.Symlink(filepath.Join(dir, "outside.json"), filepath.Join(root, "docs", "out.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(root, "docs", "zero.json")); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := New().Annotations(context.Background(), root, tt.data)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one starting %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
