package mission

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// parseOne parses src as helios.yml with the test built-ins.
func parseOne(t *testing.T, src string) (*Mission, error) {
	t.Helper()
	return Parse("helios.yml", []byte(src), Options{Builtins: testBuiltins})
}

func mustParse(t *testing.T, src string) *Mission {
	t.Helper()
	m, err := parseOne(t, src)
	if err != nil {
		t.Fatalf("Parse:\n%v", err)
	}
	return m
}

// withPhases puts phase definitions under a minimal valid mission.
func withPhases(phases string) string {
	return "version: 1\nphases:\n" + phases
}

func TestOrder(t *testing.T) {
	tests := []struct {
		name   string
		phases []*Phase
		want   []string
	}{
		{
			name:   "no needs keeps file order",
			phases: []*Phase{{Name: "c"}, {Name: "a"}, {Name: "b"}},
			want:   []string{"c", "a", "b"},
		},
		{
			name:   "needs move a phase after its dependency",
			phases: []*Phase{{Name: "deploy", Needs: []string{"build"}}, {Name: "build"}},
			want:   []string{"build", "deploy"},
		},
		{
			name: "ties go to the phase earlier in the file",
			phases: []*Phase{
				{Name: "report", Needs: []string{"left", "right"}},
				{Name: "right", Needs: []string{"root"}},
				{Name: "left", Needs: []string{"root"}},
				{Name: "root"},
				{Name: "lonely"},
			},
			want: []string{"root", "right", "left", "report", "lonely"},
		},
		{
			name: "a phase that becomes ready takes its file position among the ready",
			phases: []*Phase{
				{Name: "a"},
				{Name: "z", Needs: []string{"a"}},
				{Name: "b"},
			},
			want: []string{"a", "z", "b"},
		},
		{
			name: "a phase that becomes ready does not overtake earlier ready ones",
			phases: []*Phase{
				{Name: "c", Needs: []string{"b"}},
				{Name: "a"},
				{Name: "b"},
				{Name: "d"},
			},
			want: []string{"a", "b", "c", "d"},
		},
		{
			name: "chain declared backwards",
			phases: []*Phase{
				{Name: "c", Needs: []string{"b"}},
				{Name: "b", Needs: []string{"a"}},
				{Name: "a"},
			},
			want: []string{"a", "b", "c"},
		},
		{
			name:   "unknown and repeated needs are ignored",
			phases: []*Phase{{Name: "b", Needs: []string{"nope", "a", "a"}}, {Name: "a"}},
			want:   []string{"a", "b"},
		},
		{
			name: "a hand-built cycle still lists every phase once",
			phases: []*Phase{
				{Name: "x", Needs: []string{"y"}},
				{Name: "y", Needs: []string{"x"}},
				{Name: "free"},
				{Name: "after", Needs: []string{"x"}},
			},
			want: []string{"free", "x", "y", "after"},
		},
		{
			name: "empty mission",
			want: []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &Mission{Phases: tt.phases}
			got := []string{}
			for _, ph := range m.Order() {
				got = append(got, ph.Name)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Order() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPhaseLookup(t *testing.T) {
	m := mustParse(t, withPhases("  a:\n    steps: [{run: x}]\n  b:\n    steps: [{run: y}]\n"))
	tests := []struct {
		name string
		want bool
	}{
		{"a", true},
		{"b", true},
		{"c", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run("name="+tt.name, func(t *testing.T) {
			got := m.Phase(tt.name)
			if (got != nil) != tt.want {
				t.Fatalf("Phase(%q) = %v, want found=%v", tt.name, got, tt.want)
			}
			if got != nil && got.Name != tt.name {
				t.Errorf("Phase(%q).Name = %q", tt.name, got.Name)
			}
		})
	}
}

func TestSlug(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"words", "Verify toolchain", "verify-toolchain"},
		{"already a slug", "build-2.x_y", "build-2.x_y"},
		{"command", "npm run ci:verify-toolchain", "npm-run-ci-verify-toolchain"},
		{"runs collapse", "a  --  b", "a-b"},
		{"dashes collapse", "a--b", "a-b"},
		{"upper case", "ABC Def", "abc-def"},
		{"trim ends", "  --hello--  ", "hello"},
		{"trim dots and underscores", "._hello_.", "hello"},
		{"slash", "helios/token", "helios-token"},
		{"non-ascii", "Café ünïcode", "caf-n-code"},
		{"empty", "", "step"},
		{"only punctuation", "!?¡¿", "step"},
		{"only dots", "...", "step"},
		{"newlines", "echo a\necho b", "echo-a-echo-b"},
		{"cut at 64", strings.Repeat("a", 100), strings.Repeat("a", 64)},
		{"no dash left at the cut", strings.Repeat("a", 63) + " b", strings.Repeat("a", 63)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Slug(tt.in)
			if got != tt.want {
				t.Errorf("Slug(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if !nameRE.MatchString(got) || len(got) > maxSlug {
				t.Errorf("Slug(%q) = %q is not a valid id", tt.in, got)
			}
		})
	}
}

func TestDerivedIDs(t *testing.T) {
	tests := []struct {
		name  string
		steps string
		want  []string
	}{
		{
			name:  "from the name",
			steps: "- name: Verify toolchain\n  run: x\n",
			want:  []string{"verify-toolchain"},
		},
		{
			name:  "from the command's first non-blank line",
			steps: "- run: |\n\n    npm ci\n    npm test\n",
			want:  []string{"npm-ci"},
		},
		{
			name:  "from the first glob",
			steps: "- collect: {from: [reports/*.json, b]}\n",
			want:  []string{"collect-reports-.json"},
		},
		{
			name:  "from the built-in",
			steps: "- uses: helios/token\n",
			want:  []string{"helios-token"},
		},
		{
			name:  "collisions count up",
			steps: "- run: make\n- run: make\n- run: make\n",
			want:  []string{"make", "make-2", "make-3"},
		},
		{
			name:  "explicit ids are reserved first",
			steps: "- run: make\n- run: make\n  id: make\n",
			want:  []string{"make-2", "make"},
		},
		{
			name:  "a suffix that is taken is skipped",
			steps: "- run: make\n- run: make\n- run: echo\n  id: make-2\n",
			want:  []string{"make", "make-3", "make-2"},
		},
		{
			name:  "name wins over command",
			steps: "- name: Build\n  run: make\n- run: build\n",
			want:  []string{"build", "build-2"},
		},
		{
			name:  "suffix keeps the id within 64 characters",
			steps: "- run: " + strings.Repeat("a", 80) + "\n- run: " + strings.Repeat("a", 70) + "\n",
			want:  []string{strings.Repeat("a", 64), strings.Repeat("a", 62) + "-2"},
		},
		{
			name:  "ids are per phase",
			steps: "- run: make\n",
			want:  []string{"make"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := withPhases("  p:\n    steps:\n" + indent(tt.steps, "      ") + "  q:\n    steps: [{run: make}]\n")
			m := mustParse(t, src)
			var got []string
			for _, s := range m.Phase("p").Steps {
				got = append(got, s.ID)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ids = %q, want %q", got, tt.want)
			}
			if id := m.Phase("q").Steps[0].ID; id != "make" {
				t.Errorf("other phase's id = %q, want make", id)
			}
		})
	}
}

func indent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" && l != "\n" {
			b.WriteString(prefix)
		}
		b.WriteString(l)
	}
	return b.String()
}

func TestEnvValues(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"plain string", "production", "production"},
		{"quoted number stays text", `"1.10"`, "1.10"},
		{"float keeps its text", "1.10", "1.10"},
		{"int", "3", "3"},
		{"octal-looking int keeps its text", "0640", "0640"},
		{"hex int keeps its text", "0x1F", "0x1F"},
		{"exponent keeps its text", "1e3", "1e3"},
		{"negative", "-2", "-2"},
		{"true", "true", "true"},
		{"capitalised boolean is normalised", "True", "true"},
		{"upper-case false is normalised", "FALSE", "false"},
		{"yes is a string in YAML 1.2", "yes", "yes"},
		{"date stays text", "2024-01-15", "2024-01-15"},
		{"empty string", `""`, ""},
		{"block scalar", "|\n    a\n    b", "a\nb\n"},
		{"tilde quoted", `"~"`, "~"},
		{"alias to a scalar", "*v", "shared"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "version: 1\nname: &v shared\nenv:\n  X: " + tt.yaml + "\nphases:\n  p:\n    steps: [{run: x}]\n"
			m := mustParse(t, src)
			if len(m.Env) != 1 || m.Env[0].Name != "X" {
				t.Fatalf("env = %+v", m.Env)
			}
			if got := m.Env[0].Value; got != tt.want {
				t.Errorf("X = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEnvRejects(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"null", "", `helios.yml:4:5: env X must be a string, number or boolean, got null [type]`},
		{"list", "[a]", `helios.yml:4:6: env X must be a string, number or boolean, got list [type]`},
		{"mapping", "{a: b}", `helios.yml:4:6: env X must be a string, number or boolean, got mapping [type]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "version: 1\nname: x\nenv:\n  X: " + tt.yaml + "\nphases:\n  p:\n    steps: [{run: x}]\n"
			_, err := parseOne(t, src)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error = %v, want %s", err, tt.want)
			}
		})
	}
}

func TestReportRoot(t *testing.T) {
	tests := []struct {
		name, value, want, wantErr string
	}{
		{name: "default", want: DefaultReportRoot},
		{name: "plain", value: "reports/x", want: "reports/x"},
		{name: "cleaned", value: "./reports//x/./", want: "reports/x"},
		{name: "parent", value: "../x", wantErr: `"report-root" must not contain "..", got "../x"`},
		{name: "parent inside", value: "a/../b", wantErr: `"report-root" must not contain "..", got "a/../b"`},
		{name: "parent at the end", value: "a/..", wantErr: `"report-root" must not contain "..", got "a/.."`},
		{name: "absolute", value: "/reports", wantErr: `"report-root" must be relative, got the absolute path "/reports"`},
		{name: "workspace itself", value: ".", wantErr: `"report-root" must name a folder below the workspace, not the workspace itself`},
		{name: "workspace with slashes", value: ".//", wantErr: `"report-root" must name a folder below the workspace, not the workspace itself`},
		{name: "backslashes", value: `'a\b'`, wantErr: `"report-root" must use forward slashes, got "a\\b"`},
		{name: "empty", value: `""`, wantErr: `"report-root" must not be empty`},
		{name: "dots in a name are fine", value: "..reports/x..", want: "..reports/x.."},
		{name: "not a string", value: "[a]", wantErr: `"report-root" must be a string, got list`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "version: 1\n"
			if tt.value != "" {
				src += "report-root: " + tt.value + "\n"
			}
			src += "phases:\n  p:\n    steps: [{run: x}]\n"
			m, err := parseOne(t, src)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ReportRoot = %q, want error %q", m.ReportRoot, tt.wantErr)
				}
				if got := err.(Errors)[0].Msg; got != tt.wantErr {
					t.Errorf("error = %q, want %q", got, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.ReportRoot != tt.want {
				t.Errorf("ReportRoot = %q, want %q", m.ReportRoot, tt.want)
			}
		})
	}
}

// TestRPC covers the top-level "rpc" key: its default, its two values, and
// the messages (positioned at the value, with a suggestion for a near miss)
// for everything else.
func TestRPC(t *testing.T) {
	tests := []struct {
		name, line string
		want       RPC
		wantErr    string // the whole message, file:line:col first
		kind       Kind
	}{
		{name: "absent is required", want: RPCRequired},
		{name: "required", line: "rpc: required", want: RPCRequired},
		{name: "optional", line: "rpc: optional", want: RPCOptional},
		{name: "quoted", line: `rpc: "optional"`, want: RPCOptional},
		{name: "typo", line: "rpc: optinal", kind: KindValue,
			wantErr: `helios.yml:2:6: "rpc" must be "required" or "optional", got "optinal" (did you mean "optional"?) [value]`},
		{name: "capitalised", line: "rpc: Required", kind: KindValue,
			wantErr: `helios.yml:2:6: "rpc" must be "required" or "optional", got "Required" (did you mean "required"?) [value]`},
		{name: "no near value", line: "rpc: sometimes", kind: KindValue,
			wantErr: `helios.yml:2:6: "rpc" must be "required" or "optional", got "sometimes" [value]`},
		{name: "a URL is not a policy", line: "rpc: http://127.0.0.1:8545", kind: KindValue,
			wantErr: `helios.yml:2:6: "rpc" must be "required" or "optional", got "http://127.0.0.1:8545" [value]`},
		{name: "boolean", line: "rpc: false", kind: KindType,
			wantErr: `helios.yml:2:6: "rpc" must be "required" or "optional", got boolean [type]`},
		{name: "empty", line: "rpc:", kind: KindType,
			wantErr: `helios.yml:2:5: "rpc" must be "required" or "optional", got null [type]`},
		{name: "mistyped key", line: "rpcs: optional", kind: KindUnknownKey,
			wantErr: `helios.yml:2:1: unknown key "rpcs" in mission (did you mean "rpc"?) [unknown-key]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "version: 1\n"
			if tt.line != "" {
				src += tt.line + "\n"
			}
			src += "phases:\n  p:\n    steps: [{run: x}]\n"
			m, err := Parse("helios.yml", []byte(src), Options{})
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("RPC = %q, want error %q", m.RPC, tt.wantErr)
				}
				if err.Error() != tt.wantErr {
					t.Errorf("error:\n%v\nwant:\n%s", err, tt.wantErr)
				}
				if k := err.(Errors)[0].Kind; k != tt.kind {
					t.Errorf("kind = %q, want %q", k, tt.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.RPC != tt.want {
				t.Errorf("RPC = %q, want %q", m.RPC, tt.want)
			}
		})
	}
}

func TestWorkingDirectoryAndCollectTo(t *testing.T) {
	tests := []struct {
		name, value, want string
	}{
		{"workspace", ".", ""},
		{"workspace with slash", "./", ""},
		{"sub folder", "sub/dir/", "sub/dir"},
		{"cleaned", "./a//b/.", "a/b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := withPhases("  p:\n    steps:\n      - run: x\n        working-directory: " + tt.value +
				"\n      - collect: {from: a, to: " + tt.value + "}\n")
			m := mustParse(t, src)
			steps := m.Phase("p").Steps
			if got := steps[0].WorkingDirectory; got != tt.want {
				t.Errorf("WorkingDirectory = %q, want %q", got, tt.want)
			}
			if got := steps[1].Collect.To; got != tt.want {
				t.Errorf("Collect.To = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	tests := []struct {
		name, file, wantName string
	}{
		{"yml", "helios.yml", "helios"},
		{"nested path", "ci/missions/nightly.yaml", "nightly"},
		{"no extension", "mission", "mission"},
		{"only an extension", ".yml", "mission"},
		{"empty", "", "mission"},
	}
	src := []byte(withPhases("  p:\n    steps: [{run: x}]\n"))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(tt.file, src, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if m.Name != tt.wantName {
				t.Errorf("Name = %q, want %q", m.Name, tt.wantName)
			}
			if m.File != tt.file || m.Version != 1 || m.ReportRoot != DefaultReportRoot || m.Network != DefaultNetwork {
				t.Errorf("defaults: %+v", m)
			}
			sum := sha256.Sum256(src)
			if m.Digest != hex.EncodeToString(sum[:]) {
				t.Errorf("Digest = %q, want the SHA-256 of the source", m.Digest)
			}
		})
	}
}

func TestStepFields(t *testing.T) {
	m := mustParse(t, withPhases(`  p:
    timeout: 1h30m
    continue-on-error: true
    steps:
      - run: make
        timeout: 90s
        continue-on-error: true
        env: {A: b}
      - uses: helios/token
        with: &w {symbol: X}
      - collect: {from: "a/**", optional: true}
`))
	ph := m.Phase("p")
	if ph.Timeout != 90*time.Minute || !ph.ContinueOnError {
		t.Errorf("phase: timeout %v continue-on-error %v", ph.Timeout, ph.ContinueOnError)
	}
	run, uses, col := ph.Steps[0], ph.Steps[1], ph.Steps[2]
	tests := []struct {
		name      string
		got, want any
	}{
		{"run kind", run.Kind, Run},
		{"run timeout", run.Timeout, 90 * time.Second},
		{"run continue-on-error", run.ContinueOnError, true},
		{"run env", run.Env, []EnvVar{{Name: "A", Value: "b", Pos: Pos{10, 15}}}},
		{"run position", run.Pos, Pos{7, 9}},
		{"uses kind", uses.Kind, Uses},
		{"uses name", uses.Uses, "helios/token"},
		{"with is the mapping", uses.With.Kind, yaml.MappingNode},
		{"with position is its anchor's", Pos{uses.With.Line, uses.With.Column}, Pos{12, 15}},
		{"collect kind", col.Kind, Collect},
		{"collect spec", *col.Collect, CollectSpec{From: []string{"a/**"}, Optional: true}},
		{"kind names", []string{Run.String(), Collect.String(), Uses.String(), StepKind(0).String()}, []string{"run", "collect", "uses", "StepKind(0)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}
}

// TestMessages pins the message and position of single problems that the
// fixtures do not isolate.
func TestMessages(t *testing.T) {
	tests := []struct {
		name, src, want string
		kind            Kind
	}{
		{
			name: "unknown key suggestion",
			src:  "version: 1\nphase: {}\n",
			want: "helios.yml:1:1: missing required key \"phases\" in mission [missing]\nhelios.yml:2:1: unknown key \"phase\" in mission (did you mean \"phases\"?) [unknown-key]",
			kind: KindMissing,
		},
		{
			name: "needs points at the list item",
			src:  withPhases("  plan:\n    steps: [{run: x}]\n  kits:\n    needs: [plan, plans]\n    steps: [{run: x}]\n"),
			want: `helios.yml:6:19: phase "kits" needs unknown phase "plans" (did you mean "plan"?) [unknown-needs]`,
			kind: KindUnknownNeeds,
		},
		{
			name: "duration value",
			src:  withPhases("  p:\n    timeout: ten\n    steps: [{run: x}]\n"),
			want: `helios.yml:4:14: "timeout" must be a duration such as "90s" or "10m", got "ten" [value]`,
			kind: KindValue,
		},
		{
			name: "cycle at the first phase",
			src:  withPhases("  a:\n    needs: b\n    steps: [{run: x}]\n  b:\n    needs: a\n    steps: [{run: x}]\n"),
			want: `helios.yml:3:3: phases form a cycle: a -> b -> a [cycle]`,
			kind: KindCycle,
		},
		{
			name: "cycle named from its earliest phase",
			src:  withPhases("  entry:\n    needs: b\n    steps: [{run: x}]\n  a:\n    needs: b\n    steps: [{run: x}]\n  b:\n    needs: a\n    steps: [{run: x}]\n"),
			want: `helios.yml:6:3: phases form a cycle: a -> b -> a [cycle]`,
			kind: KindCycle,
		},
		{
			name: "duplicate phase key",
			src:  withPhases("  a:\n    steps: [{run: x}]\n  a:\n    steps: [{run: y}]\n"),
			want: `helios.yml:5:3: phase "a" is defined twice (first at line 3) [duplicate]`,
			kind: KindDuplicate,
		},
		{
			name: "steps type",
			src:  withPhases("  a:\n    steps: \"x\"\n"),
			want: `helios.yml:4:12: "steps" must be a list, got string [type]`,
			kind: KindType,
		},
		{
			name: "no built-ins",
			src:  withPhases("  a:\n    steps: [{uses: helios/token}]\n"),
			want: `helios.yml:4:20: unknown built-in step "helios/token"; no built-in steps are available [value]`,
			kind: KindValue,
		},
		{
			name: "merge of a scalar",
			src:  withPhases("  a:\n    <<: 1\n    steps: [{run: x}]\n"),
			want: `helios.yml:4:9: a merge ("<<") must be a mapping or a list of mappings, got number [type]`,
			kind: KindType,
		},
		{
			name: "non-scalar key",
			src:  withPhases("  ? [a]\n  : {steps: [{run: x}]}\n  b:\n    steps: [{run: x}]\n"),
			want: `helios.yml:3:5: keys in phases must be strings, got list [type]`,
			kind: KindType,
		},
		{
			name: "phases that only merge an empty mapping",
			src:  "version: 1\nphases: {<<: {}}\n",
			want: `helios.yml:2:9: "phases" must not be empty [empty]`,
			kind: KindEmpty,
		},
		{
			name: "anchor that contains itself",
			src:  "version: 1\nenv: &e\n  A: 1\n  <<: *e\nphases: {a: {steps: [{run: x}]}}\n",
			want: `helios.yml:4:7: invalid YAML: anchor "e" value contains itself [syntax]`,
			kind: KindSyntax,
		},
		{
			name: "version float other than 1",
			src:  "version: 1.5\nphases: {a: {steps: [{run: x}]}}\n",
			want: `helios.yml:1:10: unsupported mission version 1.5; this helios reads version 1 [value]`,
			kind: KindValue,
		},
		{
			name: "network pattern",
			src:  "version: 1\nnetwork: my network\nphases: {a: {steps: [{run: x}]}}\n",
			want: `helios.yml:2:10: "network" must be a network name such as "hardhat" or "sepolia" (letters, digits, '.', '_' and '-'), got "my network" [value]`,
			kind: KindValue,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("helios.yml", []byte(tt.src), Options{})
			if err == nil {
				t.Fatal("Parse succeeded")
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n%v\nwant:\n%s", err, tt.want)
			}
			if k := err.(Errors)[0].Kind; k != tt.kind {
				t.Errorf("kind = %q, want %q", k, tt.kind)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct {
		word string
		want string
	}{
		{"phase", "phases"},
		{"continue_on_error", "continue-on-error"},
		{"Working-Directory", "working-directory"},
		{"working-dir", "working-directory"},
		{"timout", "timeout"},
		{"envv", "env"},
		{"xyz", ""},
		{"", ""},
		{strings.Repeat("a", 200), ""},
	}
	known := append(append([]string{}, stepKeys...), "phases")
	for _, tt := range tests {
		t.Run(tt.word, func(t *testing.T) {
			if got := suggest(tt.word, known); got != tt.want {
				t.Errorf("suggest(%q) = %q, want %q", tt.word, got, tt.want)
			}
		})
	}
}

// TestSyntaxErrorLines checks that YAML errors point at the line a user has
// to fix, whatever yaml.v3 itself prints.
func TestSyntaxErrorLines(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"mapping value on the first line", "a: b: c\n", 1, "mapping values are not allowed in this context"},
		{"stray bracket on line 2", "a: 1\n]\n", 2, "did not find expected key"},
		{"dedented key", "a:\n  - x\n  - y\n  b: c\n", 4, "did not find expected '-' indicator"},
		{"unclosed flow sequence points at its start", "version: 1\nx: [a,\n  b\ny: 2\n", 2, "did not find expected ',' or ']'"},
		{"unterminated quote points at its start", "a: 1\nb: \"x\n\nc: d\n", 2, "found unexpected end of stream"},
		{"tab", "a:\n\t- b\n", 2, "found character that cannot start any token"},
		{"unknown alias", "a: 1\nb: [x, *nope]\n", 2, "unknown anchor 'nope' referenced"},
		{"control character", "a: 1\nb: x\x07\n", 2, "control character U+0007 is not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("f.yml", []byte(tt.src), Options{})
			es, ok := AsErrors(err)
			if !ok || len(es) != 1 {
				t.Fatalf("error = %v, want one", err)
			}
			e := es[0]
			if e.Kind != KindSyntax || e.Line != tt.line || e.Msg != "invalid YAML: "+tt.msg {
				t.Errorf("got %s (kind %s, line %d), want line %d: invalid YAML: %s", e, e.Kind, e.Line, tt.line, tt.msg)
			}
		})
	}
}

// TestErrorFormat: errors read as actionlint's do, "file:line:col: message
// [kind]", leaving out what is unknown.
func TestErrorFormat(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"full", &Error{File: "helios.yml", Line: 12, Col: 5, Msg: "m", Kind: KindUnknownNeeds}, "helios.yml:12:5: m [unknown-needs]"},
		{"no column", &Error{File: "helios.yml", Line: 3, Msg: "m", Kind: KindSyntax}, "helios.yml:3: m [syntax]"},
		{"no line", &Error{File: "helios.yml", Col: 7, Msg: "m", Kind: KindValue}, "helios.yml: m [value]"},
		{"no file", &Error{Line: 2, Col: 1, Msg: "m", Kind: KindType}, "2:1: m [type]"},
		{"no kind", &Error{File: "helios.yml", Line: 12, Col: 5, Msg: "m"}, "helios.yml:12:5: m"},
		{"nothing", &Error{Msg: "m"}, "m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
	es := Errors{{File: "a.yml", Line: 1, Col: 1, Msg: "x", Kind: KindMissing}, {File: "a.yml", Line: 2, Col: 3, Msg: "y", Kind: KindType}}
	if got, want := es.Error(), "a.yml:1:1: x [missing]\na.yml:2:3: y [type]"; got != want {
		t.Errorf("Errors.Error() = %q, want %q", got, want)
	}
}

func TestErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nphases:\n")
	for i := range 80 {
		b.WriteString("  p" + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + ":\n    stepz: []\n")
	}
	_, err := Parse("big.yml", []byte(b.String()), Options{})
	es, ok := AsErrors(err)
	if !ok {
		t.Fatalf("error %T is not Errors", err)
	}
	t.Run("capped at 50", func(t *testing.T) {
		if len(es) != maxErrors {
			t.Errorf("%d errors, want %d", len(es), maxErrors)
		}
	})
	t.Run("sorted by position", func(t *testing.T) {
		for i := 1; i < len(es); i++ {
			a, b := es[i-1], es[i]
			if a.Line > b.Line || (a.Line == b.Line && a.Col > b.Col) {
				t.Errorf("%s before %s", a, b)
			}
		}
	})
	t.Run("one per line", func(t *testing.T) {
		if n := strings.Count(err.Error(), "\n"); n != len(es)-1 {
			t.Errorf("%d newlines for %d errors", n, len(es))
		}
	})
	t.Run("unwrap finds each", func(t *testing.T) {
		var one *Error
		if !errors.As(err, &one) || one != es[0] {
			t.Errorf("errors.As found %v, want %v", one, es[0])
		}
		if got := len(es.Unwrap()); got != len(es) {
			t.Errorf("Unwrap() has %d errors, want %d", got, len(es))
		}
	})
}

func TestNodeError(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("a:\n  amount: -1\n"), &doc); err != nil {
		t.Fatal(err)
	}
	amount := doc.Content[0].Content[1].Content[1]
	tests := []struct {
		name string
		node *yaml.Node
		want string
	}{
		{"positioned", amount, "helios.yml:2:11: amount must be positive, got -1 [value]"},
		{"nil node", nil, "helios.yml: amount must be positive, got -1 [value]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NodeError("helios.yml", tt.node, KindValue, "amount must be positive, got %s", "-1")
			if e.Error() != tt.want || e.Kind != KindValue {
				t.Errorf("got %q (kind %q), want %q", e, e.Kind, tt.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "helios.yml")
	if err := os.WriteFile(good, []byte(withPhases("  p:\n    steps: [{run: x}]\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(bad, []byte("version: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("good", func(t *testing.T) {
		m, err := Load(good, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if m.File != good || m.Name != "helios" {
			t.Errorf("File %q Name %q", m.File, m.Name)
		}
	})
	t.Run("errors name the path", func(t *testing.T) {
		_, err := Load(bad, Options{})
		if es, ok := AsErrors(err); !ok || es[0].File != bad {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := Load(filepath.Join(dir, "nope.yml"), Options{})
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("error = %v, want not exist", err)
		}
		if _, ok := AsErrors(err); ok {
			t.Errorf("a read error is reported as mission errors")
		}
	})
}

// TestAliases checks that YAML reuse works and that it cannot be abused.
func TestAliases(t *testing.T) {
	t.Run("a step reused by alias is checked once", func(t *testing.T) {
		_, err := parseOne(t, withPhases("  a:\n    steps: [&s {run: x, bogus: 1}]\n  b:\n    steps: [*s]\n"))
		if es, _ := AsErrors(err); len(es) != 1 {
			t.Errorf("errors:\n%v\nwant exactly one", err)
		}
	})
	t.Run("billion laughs", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("version: 1\nx0: &x0 [a, a, a, a, a, a, a, a, a, a]\n")
		for i := 1; i < 9; i++ {
			b.WriteString("x" + string(rune('0'+i)) + ": &x" + string(rune('0'+i)) + " [")
			for j := 0; j < 10; j++ {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString("*x" + string(rune('0'+i-1)))
			}
			b.WriteString("]\n")
		}
		b.WriteString("phases: {a: {steps: [{run: x}]}}\n")
		_, err := parseOne(t, b.String())
		es, ok := AsErrors(err)
		if !ok || len(es) != 1 || !strings.Contains(es[0].Msg, "aliases expand") {
			t.Errorf("error = %v, want the expansion limit", err)
		}
	})
	t.Run("merge keys do not override", func(t *testing.T) {
		m := mustParse(t, withPhases("  a:\n    <<: {timeout: 1m, continue-on-error: true}\n    timeout: 2m\n    steps: [{run: x}]\n"))
		if ph := m.Phase("a"); ph.Timeout != 2*time.Minute || !ph.ContinueOnError {
			t.Errorf("timeout %v continue-on-error %v", ph.Timeout, ph.ContinueOnError)
		}
	})
}
