package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/ghapi/ghtest"
	"github.com/helios-action/helios-action/internal/manifest"
)

// noEndpoint is the reason a chain step of an `rpc: optional` mission gives
// when the run has no RPC endpoint.
const noEndpoint = "no RPC endpoint: chain pre-flight skipped; pass rpc-url to run it"

// rpcMission has a token check in a pre-flight phase and a phase that
// needs it; rpcLine ("" for none) says whether the check is optional.
func rpcMission(rpcLine string) string {
	return `version: 1
name: rpc policy
report-root: reports/rpc
` + rpcLine + `phases:
  preflight:
    steps:
      - name: token
        uses: helios/token
        with: {config: config/agialpha.json}
  build:
    needs: preflight
    steps:
      - run: echo built > "$HELIOS_REPORT_ROOT/built.txt"
`
}

// TestRPCPolicyWithoutEndpoint runs the same mission through the binary
// without an endpoint (no --rpc-url, no HELIOS_RPC_URL): `rpc: optional`
// skips the token check with its reason everywhere it is reported and the
// later phase runs; `rpc: required`, and no rpc key, fail as before.
func TestRPCPolicyWithoutEndpoint(t *testing.T) {
	tests := []struct {
		name, rpcLine string
		code          int
		token, build  string // statuses
	}{
		{"optional", "rpc: optional\n", 0, manifest.Skipped, manifest.Success},
		{"required", "rpc: required\n", 1, manifest.Failure, manifest.Skipped},
		{"absent", "", 1, manifest.Failure, manifest.Skipped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The example's config: without it a required check would fail
			// on the missing file before it looked for an endpoint.
			ws := workspace(t, "example")
			writeFile(t, filepath.Join(ws, "helios.yml"), rpcMission(tt.rpcLine))
			res := run(t, ws, nil, "run")
			if res.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", res.code, tt.code, res.stdout, res.stderr)
			}
			root := filepath.Join(ws, "reports", "rpc")
			sha256sumCheck(t, root)
			validateManifest(t, root)
			m := readManifest(t, root)
			tok := stepByID(m, "preflight", "token")
			if tok == nil {
				t.Fatalf("no token step in %s", mustJSON(t, m.Phases))
			}
			if tok.Status != tt.token {
				t.Errorf("token step %s (%q), want %s", tok.Status, tok.Error, tt.token)
			}
			if got := phaseStatus(m)["build"]; got != tt.build {
				t.Errorf("build phase %s, want %s", got, tt.build)
			}
			_, err := os.Stat(filepath.Join(root, "built.txt"))
			if built := err == nil; built != (tt.build == manifest.Success) {
				t.Errorf("built.txt written: %v, build phase %s", built, tt.build)
			}
			if tt.token != manifest.Skipped {
				if m.Conclusion != manifest.Failure || !strings.Contains(tok.Error, "no RPC endpoint: give --rpc-url or set HELIOS_RPC_URL [rpc-down]") || tok.SkipReason != "" {
					t.Errorf("conclusion %s, token error %q, skip reason %q", m.Conclusion, tok.Error, tok.SkipReason)
				}
				return
			}
			if m.Conclusion != manifest.Success || m.Reason != "" || phaseStatus(m)["preflight"] != manifest.Success {
				t.Errorf("conclusion %s (%q), phases %v", m.Conclusion, m.Reason, phaseStatus(m))
			}
			if tok.SkipReason != noEndpoint || tok.Error != "" || len(tok.Outputs) != 0 {
				t.Errorf("token receipt: skip reason %q, error %q, outputs %v", tok.SkipReason, tok.Error, tok.Outputs)
			}
			// The raw manifest.json names the field as the schema does.
			if raw := readFile(t, filepath.Join(root, "manifest.json")); !strings.Contains(raw, `"skipReason": "`+noEndpoint+`"`) {
				t.Errorf("manifest.json lacks the skipReason:\n%s", raw)
			}
			if _, err := os.Stat(filepath.Join(root, "chain", "token.md")); err == nil {
				t.Error("a skipped chain step wrote its report")
			}
			if log := readFile(t, filepath.Join(root, tok.Log)); !strings.Contains(log, "Status: skipped\nSkip reason: "+noEndpoint+"\n") {
				t.Errorf("token log:\n%s", log)
			}
			for _, want := range []string{"token: skipped: " + noEndpoint, "preflight: success", "(1 of 1 steps skipped)", "helios: success"} {
				if !strings.Contains(res.stdout, want) {
					t.Errorf("console lacks %q:\n%s", want, res.stdout)
				}
			}
			// The index page shows the reason with the step.
			if page := readFile(t, filepath.Join(root, "index.html")); !strings.Contains(page, noEndpoint) {
				t.Error("index.html does not give the skip reason")
			}

			plan := run(t, ws, nil, "plan")
			if want := "rpc: optional (without an RPC endpoint the chain steps are skipped, not failed)\n"; plan.code != 0 || !strings.Contains(plan.stdout, want) {
				t.Errorf("plan: exit %d, want it to say %q:\n%s%s", plan.code, want, plan.stdout, plan.stderr)
			}
		})
	}
}

// TestRPCOptionalWithEndpoint: given an endpoint, an `rpc: optional`
// mission's chain steps run (and check) as they always have.
func TestRPCOptionalWithEndpoint(t *testing.T) {
	ws := workspace(t, "example")
	writeFile(t, filepath.Join(ws, "helios.yml"), rpcMission("rpc: optional\n"))
	res := run(t, ws, rpcEnv(startChain(t, "")), "run")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	root := filepath.Join(ws, "reports", "rpc")
	sha256sumCheck(t, root)
	tok := stepByID(readManifest(t, root), "preflight", "token")
	if tok == nil || tok.Status != manifest.Success || tok.SkipReason != "" || tok.Data["block"] == nil {
		t.Fatalf("token receipt %+v", tok)
	}
	if md := readFile(t, filepath.Join(root, "chain", "token.md")); !strings.Contains(md, "Result: **pass**") {
		t.Errorf("token report:\n%s", md)
	}
}

// TestActionRPCOptional: the action without the rpc-url input reports the
// skip in the job summary, the PR comment and the check run, whose
// conclusion stays success, with a notice annotation on the step.
func TestActionRPCOptional(t *testing.T) {
	gh := ghtest.NewServer(t)
	ar := newActionRun(t, "example", prEvent(9), "pull_request", gh, nil, map[string]string{"upload": "false"})
	writeFile(t, filepath.Join(ar.ws, "helios.yml"), rpcMission("rpc: optional\n"))
	res := ar.run(t)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if outs := outputsOf(t, ar.outputs); outs["conclusion"] != manifest.Success {
		t.Errorf("conclusion output %q", outs["conclusion"])
	}
	if want := "::notice::1 step skipped: " + noEndpoint; !strings.Contains(res.stdout, want) {
		t.Errorf("the log lacks %q:\n%s", want, res.stdout)
	}
	// mdText escapes Markdown's punctuation; this is how the reason reads
	// in the Markdown source.
	const md = `no RPC endpoint\: chain pre\-flight skipped; pass rpc\-url to run it`
	if s := readFile(t, ar.summary); !strings.Contains(s, "⏭️ **1 step skipped:** "+md) || !strings.Contains(s, "`helios/token` · "+md) {
		t.Errorf("job summary lacks the skip:\n%s", s)
	}
	if c := gh.Comments("octo", "helios", 9); len(c) != 1 || !strings.Contains(c[0].Body, "⏭️ **1 step skipped:** "+md) {
		t.Errorf("comments %+v", c)
	}
	runs := gh.CheckRuns()
	if len(runs) != 1 {
		t.Fatalf("check runs %+v", runs)
	}
	cr := runs[0]
	if cr.Conclusion != "success" || !strings.Contains(cr.Title, "· 1 skipped ·") || !strings.Contains(cr.Summary, "⏭️ **1 step skipped:** "+md) {
		t.Errorf("check run: conclusion %q title %q\n%s", cr.Conclusion, cr.Title, cr.Summary)
	}
	if len(cr.Annotations) != 1 || cr.Annotations[0].Level != "notice" || cr.Annotations[0].Path != "helios.yml" || !strings.Contains(cr.Annotations[0].Message, noEndpoint) {
		t.Errorf("annotations %+v", cr.Annotations)
	}
}
