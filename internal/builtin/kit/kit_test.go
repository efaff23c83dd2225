package kit

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"go.yaml.in/yaml/v3"

	"github.com/helios-action/helios-action/internal/bundlefs"
	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/golden"
	"github.com/helios-action/helios-action/internal/mission"
)

// bundle writes a report root as the phases before a kit leave it.
func bundle(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"asi-takeoff/project-plan.json":         "{\"plan\": 1}\n",
		"asi-takeoff/receipts/dry-run.json":     "{\"ok\": true}\n",
		"asi-takeoff/receipts/summary.md":       "# Summary\n",
		"asi-takeoff/receipts/a|b <odd>.txt":    "odd name\n",
		"asi-takeoff/logs/rehearsal.log":        "took 12ms\n", // volatile by the mission's glob
		"asi-takeoff/.tmp-summary.md-123":       "half written",
		"asi-takeoff/other-kit.json":            "{}", // another kit of the mission
		"logs/plan/asi-takeoff-rehearsal.log":   "volatile\n",
		"owner/parameter-matrix.md":             "| a | b |\n",
		"owner/emergency-runbook.md":            "# Runbook\n",
		"SHA256SUMS":                            "stale ledger of an earlier step\n",
		"asi-takeoff/helios-asi-takeoff-kit.md": "stale copy of this kit\n",
	}
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const missionYAML = `version: 1
name: Kit test <mission>
volatile: ["*/logs/**"]
phases:
  plan:
    steps:
      - run: "true"
  governance:
    steps:
      - run: "true"
  kits:
    needs: [plan, governance]
    steps:
      - id: kit
        uses: helios/kit
        with:
          name: helios-asi-takeoff-kit
          to: asi-takeoff
          title: "asi-takeoff governance kit | *draft*"
          artefacts:
            - key: plan
              path: asi-takeoff/project-plan.json
              description: The mission's project plan
            - key: receipts
              path: asi-takeoff/receipts/
              description: Receipts of the rehearsal
            - key: takeoff-all
              path: "asi-takeoff/**"
              description: Everything under asi-takeoff, other kits and temporary files left out
            - key: owner
              path: "owner/*.md"
            - key: ledger
              path: SHA256SUMS
              optional: true
            - key: rehearsal-log
              path: asi-takeoff/logs/rehearsal.log
          checklist:
            - "Owner signs the parameter matrix"
            - "Check <thresholds> & [limits]"
          references:
            - https://example.com/runbooks/emergency
            - {title: Upstream runbook, url: "https://github.com/MontrealAI/AGIJobsv0/blob/main/demo/README.md"}
      - id: other
        uses: helios/kit
        with:
          name: other-kit
          to: asi-takeoff
          artefacts: [{key: plan, path: asi-takeoff/project-plan.json}]
`

func parseMission(t *testing.T) *mission.Mission {
	t.Helper()
	m, err := engine.NewRegistry(New()).Parse("helios.yml", []byte(missionYAML))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRunGolden(t *testing.T) {
	m := parseMission(t)
	root := bundle(t)
	dir, err := bundlefs.Open(filepath.Dir(root), filepath.Base(root))
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	run := func() (string, string) {
		var log bytes.Buffer
		sc := &engine.StepContext{
			Mission: m, Phase: m.Phase("kits"), Step: m.Phase("kits").Steps[0],
			Workspace: t.TempDir(), ReportRoot: root, Bundle: dir, Network: "hardhat", Log: &log,
		}
		if err := New().Run(context.Background(), sc); err != nil {
			t.Fatalf("Run: %v\n%s", err, log.String())
		}
		js, err := os.ReadFile(filepath.Join(root, "asi-takeoff", "helios-asi-takeoff-kit.json"))
		if err != nil {
			t.Fatal(err)
		}
		md, err := os.ReadFile(filepath.Join(root, "asi-takeoff", "helios-asi-takeoff-kit.md"))
		if err != nil {
			t.Fatal(err)
		}
		return string(js), string(md)
	}
	js, md := run()
	golden.Assert(t, filepath.Join("testdata", "kit.json"), []byte(js))
	golden.Assert(t, filepath.Join("testdata", "kit.md"), []byte(md))

	// A rerun after the volatile files changed gives the same bytes.
	if err := os.WriteFile(filepath.Join(root, "asi-takeoff", "logs", "rehearsal.log"), []byte("took 15ms\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	js2, md2 := run()
	if js2 != js || md2 != md {
		t.Error("a rerun with different volatile files changed the kit")
	}
	var k Kit
	if err := json.Unmarshal([]byte(js), &k); err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, a := range k.Artefacts {
		if a.Type == TypeFile {
			listed = append(listed, a.Path)
		}
		for _, e := range a.Entries {
			listed = append(listed, e.Path)
		}
	}
	for _, p := range listed {
		if strings.Contains(p, "kit.") || strings.Contains(p, ".tmp-") || p == "SHA256SUMS" {
			t.Errorf("the kit lists %s", p)
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct{ name, with, wantErr string }{
		{"minimal", "{name: k, artefacts: [{key: a, path: x}]}", ""},
		{"absent", "", "with must be a mapping"},
		{"no name", "{artefacts: [{key: a, path: x}]}", "name is required"},
		{"no artefacts", "{name: k}", "artefacts is required"},
		{"empty artefacts", "{name: k, artefacts: []}", "non-empty list"},
		{"bad name", "{name: ../k, artefacts: [{key: a, path: x}]}", "must be a file name"},
		{"duplicate key", "{name: k, artefacts: [{key: a, path: x}, {key: a, path: y}]}", `artefact key "a" given twice`},
		{"artefact without path", "{name: k, artefacts: [{key: a}]}", "needs key and path"},
		{"bad glob", "{name: k, artefacts: [{key: a, path: ../x}]}", `".." segment not allowed`},
		{"to outside", "{name: k, to: ../up, artefacts: [{key: a, path: x}]}", "must be a clean relative folder"},
		{"unknown key", "{name: k, artefact: [], artefacts: [{key: a, path: x}]}", `helios.yml:1:11: helios/kit: unknown key "artefact"`},
		{"bad reference", "{name: k, artefacts: [{key: a, path: x}], references: [{title: t}]}", "a reference needs url"},
		{"checklist not a list", "{name: k, artefacts: [{key: a, path: x}], checklist: do it}", "checklist must be a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n *yaml.Node
			if tt.with != "" {
				var doc yaml.Node
				if err := yaml.Unmarshal([]byte(tt.with), &doc); err != nil {
					t.Fatal(err)
				}
				n = doc.Content[0]
			}
			err := New().Check("helios.yml", n)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestMissingArtefactFails(t *testing.T) {
	root := t.TempDir()
	_, err := Build(root, Spec{Name: "k", Artefacts: []ArtefactSpec{{Key: "a", Path: "nope.json"}}}, Options{})
	if err == nil || !strings.Contains(err.Error(), `artefact "a": nope.json: no such file in the report`) {
		t.Fatalf("error = %v", err)
	}
}

// TestReferenceLinks: a reference's URL, whatever it holds, is one link in
// one list item; it cannot end the link early or start another line.
func TestReferenceLinks(t *testing.T) {
	k := &Kit{Name: "k", References: []Reference{
		{Title: "runbook", URL: "docs/runbook.md"},
		{Title: "odd", URL: "https://x.example/a>b c)\n- [evil](https://evil.example)"},
		{Title: "[t](u)", URL: "https://x.example/?a=1&b=2"},
	}}
	var buf bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert(k.Markdown(), &buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	refs := out[strings.Index(out, "References"):]
	for _, want := range []string{
		`<li><a href="docs/runbook.md">runbook</a></li>`,
		`<li><a href="https://x.example/a%3Eb%20c%29%0A-%20%5Bevil%5D%28https://evil.example%29">odd</a></li>`,
		`<li><a href="https://x.example/?a=1&amp;b=2">[t](u)</a></li>`,
	} {
		if !strings.Contains(refs, want) {
			t.Errorf("references lack %s:\n%s", want, refs)
		}
	}
	if n := strings.Count(refs, "<li>"); n != 3 {
		t.Errorf("%d list items, want 3:\n%s", n, refs)
	}
}
