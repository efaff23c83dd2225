package docs

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/helios-action/helios-action/internal/bundlefs"
	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/mask"
	"github.com/helios-action/helios-action/internal/mission"
)

func withNode(t *testing.T, src string) *yaml.Node {
	t.Helper()
	if src == "" {
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}

func TestStepCheck(t *testing.T) {
	tests := []struct {
		name, with, wantErr string
	}{
		{"absent", "", ""},
		{"all keys", "{paths: [\"docs/**\"], exclude: vendor/**, report: out/docs, fail-on-problems: false}", ""},
		{"unknown key", "{path: x}", `helios.yml:1:2: helios/docs: unknown key "path"`},
		{"not a mapping", "[a]", "helios.yml:1:1: helios/docs: with must be a mapping"},
		{"bad glob", "{paths: [\"../x\"]}", `helios.yml:1:10: helios/docs: glob "../x": ".." segment not allowed`},
		{"empty list", "{paths: []}", "helios.yml:1:9: helios/docs: empty list of globs"},
		{"report outside", "{report: ../x}", `helios.yml:1:10: helios/docs: report "../x" must be a clean relative path`},
		{"report absolute", "{report: /x}", `report "/x" must be`},
		{"bad bool", "{fail-on-problems: maybe}", "fail-on-problems must be true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := New().Check("helios.yml", withNode(t, tt.with))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestStepRun(t *testing.T) {
	ws := t.TempDir()
	write := func(name, body string) {
		p := filepath.Join(ws, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("README.md", "# Hi\n\n[gone](gone.md) <https://user:s3cret@example.com/x>\n")
	write("reports/run/old.md", "[ignored](nowhere.md)\n") // the report root is never checked
	reportRoot := filepath.Join(ws, "reports", "run")

	tests := []struct {
		name, with, missionRoot string
		wantErr                 bool
	}{
		{"fails on problems", "", "reports/run", true},
		{"reports only", "{fail-on-problems: false, report: checks/docs}", "reports/run", false},
		{"report root moved by --report-root", "", "reports/mission-default", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log bytes.Buffer
			dir, err := bundlefs.Open(ws, "reports/run")
			if err != nil {
				t.Fatal(err)
			}
			defer dir.Close()
			sc := &engine.StepContext{
				Bundle: dir,
				// --report-root moved the bundle from the mission's
				// report-root: the folder being written is left out.
				Mission:    &mission.Mission{File: "helios.yml", ReportRoot: tt.missionRoot},
				Step:       &mission.Step{ID: "docs", With: withNode(t, tt.with)},
				Workspace:  ws,
				ReportRoot: reportRoot,
				Log:        &log,
				Masker:     mask.New("s3cret"),
			}
			err = New().Run(context.Background(), sc)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Run error = %v, want error: %v", err, tt.wantErr)
			}
			if !strings.Contains(log.String(), "README.md:3: link target gone.md does not exist [broken-link]") {
				t.Errorf("log lacks the problem with file:line:\n%s", log.String())
			}
			if strings.Contains(log.String(), "nowhere.md") {
				t.Errorf("the report root was checked:\n%s", log.String())
			}
			cfg, _ := parseWith("helios.yml", sc.Step.With)
			for _, ext := range []string{".md", ".json"} {
				b, err := os.ReadFile(filepath.Join(reportRoot, filepath.FromSlash(string(cfg.Report)+ext)))
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(string(b), "s3cret") {
					t.Errorf("%s%s holds the secret:\n%s", string(cfg.Report), ext, b)
				}
			}
			rep, err := ReadReport(context.Background(), reportRoot, string(cfg.Report)+".json")
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Problems) != 1 || len(Annotations(rep)) != 1 {
				t.Errorf("report problems = %+v, want one", rep.Problems)
			}
		})
	}
}
