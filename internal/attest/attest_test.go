package attest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
)

var sum = strings.Repeat("ab", 32)

// merged is a merged bundle's manifest with a chain step whose data is as
// the engine records it in process (uint64s), and one as a manifest read
// back from JSON gives it (float64s), pinned to the same block.
func merged() *manifest.Manifest {
	zero := 0
	hash := "0x" + strings.Repeat("cd", 32)
	return &manifest.Manifest{
		Tool:       manifest.Tool{Name: "helios", Version: "test"},
		Mission:    manifest.Mission{Name: "m", File: "helios.yml", SHA256: sum, ReportRoot: "reports"},
		Git:        manifest.Git{Commit: "0123456789abcdef0123456789abcdef01234567"},
		Network:    "hardhat",
		Conclusion: manifest.Failure, ContentDigest: sum,
		Phases: []manifest.Phase{
			{Name: "preflight", Status: manifest.Success, DurationMs: 5, Steps: []manifest.Step{
				{ID: "token", Name: "Token", Kind: "uses", Uses: "helios/token", Status: manifest.Success, DurationMs: 3, LogSHA256: sum,
					Data: map[string]any{"chainId": uint64(31337), "block": map[string]any{"number": uint64(7), "hash": hash}}},
			}},
			{Name: "plan [eu]", Shard: "eu", Status: manifest.Failure, DurationMs: 9, Steps: []manifest.Step{
				{ID: "pause", Name: "Pause", Kind: "uses", Uses: "helios/pause", Status: manifest.Success, LogSHA256: sum,
					Data: map[string]any{"chainId": float64(31337), "block": map[string]any{"number": float64(7), "hash": hash}}},
				{ID: "rehearse", Name: "Rehearse", Kind: "run", Command: []string{"bash", "-e", "{0}"}, Script: "exit 0 && a > b",
					Status: manifest.Success, ExitCode: &zero, LogSHA256: sum, Products: []manifest.Product{
						{Path: "shards/eu/plan.json", SHA256: sum, Size: 12, Change: "created", Ambiguous: []string{"preflight / Token"}},
						{Path: "shards/eu/old.json", Change: "removed"},
						{Path: "shards/eu/owner.txt", SHA256: sum, Size: 3, Change: "created", From: "owner.txt"},
					}},
			}},
		},
		Shards: []manifest.Shard{
			{ShardJob: manifest.ShardJob{Spec: "1-of-2", IDs: []string{"eu"}, Job: "shard", Runner: "r"}, Artifact: "helios-m-1-of-2",
				Folder: "jobs/1-of-2", Digest: sum, ContentDigest: sum, Conclusion: manifest.Success, DurationMs: 4, Files: 3},
			{ShardJob: manifest.ShardJob{Spec: "2-of-2", IDs: []string{"us"}}, Conclusion: manifest.Missing, Problem: "no artifact"},
		},
	}
}

func TestPredicate(t *testing.T) {
	p, err := NewPredicate(merged(), sum, &Run{ServerURL: "https://github.com", Repository: "o/r", ID: "1"})
	if err != nil {
		t.Fatal(err)
	}
	want := Pin{ChainID: 31337, BlockNumber: 7, BlockHash: "0x" + strings.Repeat("cd", 32)}
	if len(p.ChainPins) != 1 || p.ChainPins[0] != want {
		t.Errorf("chain pins %+v, want one: %+v", p.ChainPins, want)
	}
	for _, ph := range p.Phases {
		for _, st := range ph.Steps {
			if (st.Kind == "uses") != (st.Chain != nil) {
				t.Errorf("%s / %s: chain %+v", ph.Name, st.Name, st.Chain)
			}
		}
	}
	got := p.Phases[1].Steps[1].Products
	if len(got) != 3 || got[0].Ambiguous[0] != "preflight / Token" || got[1].Change != "removed" || got[1].SHA256 != "" || got[2].From != "owner.txt" {
		t.Errorf("products %+v, want the receipt's three", got)
	}
	if len(p.Shards) != 2 || p.Shards[0].Folder != "jobs/1-of-2" || p.Shards[1].Conclusion != manifest.Missing {
		t.Errorf("shards %+v", p.Shards)
	}
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"exit 0 && a > b"`)) {
		t.Errorf("the script is escaped:\n%s", b)
	}
	again, _ := p.Marshal()
	if !bytes.Equal(b, again) {
		t.Error("two renderings of one predicate differ")
	}
	validate(t, b, true)
}

// TestSchemaRefuses: the schema is not a rubber stamp.
func TestSchemaRefuses(t *testing.T) {
	p, err := NewPredicate(merged(), sum, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		edit func(*Predicate)
	}{
		{"short ledger digest", func(p *Predicate) { p.LedgerDigest = "abc" }},
		{"unknown step kind", func(p *Predicate) { p.Phases[0].Steps[0].Kind = "docker" }},
		{"bad block hash", func(p *Predicate) { p.ChainPins[0].BlockHash = "cd" }},
		{"product outside the root", func(p *Predicate) {
			p.Phases[0].Steps[0].Products = []Product{{Path: "../x", SHA256: sum, Change: "created"}}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := *p
			c.Phases = clonePhases(p.Phases)
			c.ChainPins = append([]Pin(nil), p.ChainPins...)
			tt.edit(&c)
			b, err := c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			validate(t, b, false)
		})
	}
}

func clonePhases(in []Phase) []Phase {
	out := append([]Phase(nil), in...)
	for i := range out {
		out[i].Steps = append([]Step(nil), out[i].Steps...)
	}
	return out
}

func validate(t *testing.T, b []byte, ok bool) {
	t.Helper()
	sch, err := jsonschema.NewCompiler().Compile(filepath.Join("..", "..", "schema", "predicate.schema.json"))
	if err != nil {
		t.Fatalf("compile predicate schema: %v", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); (err == nil) != ok {
		t.Errorf("Validate = %v, want ok %v\n%s", err, ok, b)
	}
}

func TestPinErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		data map[string]any
	}{
		{"chain id without a block", map[string]any{"chainId": uint64(1)}},
		{"block without a chain id", map[string]any{"block": map[string]any{"number": uint64(1), "hash": "0x1"}}},
		{"negative number", map[string]any{"chainId": uint64(1), "block": map[string]any{"number": float64(-1), "hash": "0x1"}}},
		{"number past float precision", map[string]any{"chainId": float64(1 << 60), "block": map[string]any{"number": float64(1), "hash": "0x1"}}},
		{"no hash", map[string]any{"chainId": uint64(1), "block": map[string]any{"number": uint64(1)}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := merged()
			m.Phases[0].Steps[0].Data = tt.data
			if _, err := NewPredicate(m, sum, nil); err == nil || !strings.Contains(err.Error(), "preflight / Token: chain pin") {
				t.Errorf("NewPredicate = %v, want a chain pin error naming the step", err)
			}
		})
	}
}

func TestRunFromEnv(t *testing.T) {
	if r := RunFromEnv(func(string) string { return "" }); r != nil {
		t.Errorf("outside a workflow run: %+v", r)
	}
	env := map[string]string{"GITHUB_SERVER_URL": "https://ghe.example", "GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "9", "GITHUB_RUN_ATTEMPT": "2", "GITHUB_WORKFLOW_REF": "o/r/.github/workflows/w.yml@refs/heads/main"}
	want := Run{ServerURL: "https://ghe.example", Repository: "o/r", ID: "9", Attempt: "2", WorkflowRef: "o/r/.github/workflows/w.yml@refs/heads/main"}
	if r := RunFromEnv(func(k string) string { return env[k] }); r == nil || *r != want {
		t.Errorf("RunFromEnv = %+v, want %+v", r, want)
	}
}

// bundle writes files and a SHA256SUMS listing them into a temp folder.
func bundle(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	var entries []ledger.Entry
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		entries = append(entries, ledger.Entry{Name: name, Sum: sha256.Sum256([]byte(body)), Size: int64(len(body))})
	}
	ledger.Sort(entries)
	var buf bytes.Buffer
	if err := ledger.Encode(&buf, entries); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ledger.FileName), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoadStatement(t *testing.T) {
	mb, err := merged().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	dir := bundle(t, map[string]string{"manifest.json": string(mb), "b/x.json": "{}", "a b/y": "y"})
	b, err := Load(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, ledger.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if d := sha256.Sum256(raw); b.LedgerDigest != hex.EncodeToString(d[:]) {
		t.Errorf("ledger digest %s", b.LedgerDigest)
	}
	st, err := b.Statement(nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range st.Subject {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, ","); got != "./a b/y,./b/x.json,./manifest.json" {
		t.Errorf("subjects %s, want ledger order, named as SHA256SUMS names them", got)
	}
	y := sha256.Sum256([]byte("y"))
	if st.Subject[0].Digest["sha256"] != hex.EncodeToString(y[:]) {
		t.Errorf("subject digest %v", st.Subject[0].Digest)
	}
	out, err := st.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(out, &top); err != nil {
		t.Fatal(err)
	}
	if string(top["_type"]) != `"`+StatementType+`"` || string(top["predicateType"]) != `"`+PredicateType+`"` {
		t.Errorf("statement:\n%s", out)
	}
	validate(t, top["predicate"], true)

	path := filepath.Join(t.TempDir(), "statement.json")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := ReadStatement(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Subject) != 3 || back.Subject[2].Name != "./manifest.json" {
		t.Errorf("read back %+v", back.Subject)
	}
	// Subjects named without "./" (another signer's spelling) are the
	// same files.
	for _, bare := range []bool{false, true} {
		st := *back
		st.Subject = nil
		for _, sub := range back.Subject {
			if bare {
				sub.Name = strings.TrimPrefix(sub.Name, "./")
			}
			st.Subject = append(st.Subject, sub)
		}
		r, err := st.Verify(context.Background(), dir)
		if err != nil || len(r.Missing)+len(r.Extra)+len(r.Changed) != 0 || r.OK != 4 {
			t.Errorf("bare names %v: Verify = %+v, %v", bare, r, err)
		}
	}
}

func TestLoadRefuses(t *testing.T) {
	mb, err := merged().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("manifest not the ledger's", func(t *testing.T) {
		dir := bundle(t, map[string]string{"manifest.json": string(mb)})
		if err := os.WriteFile(filepath.Join(dir, "manifest.json"), append(mb, ' '), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(context.Background(), dir); !errors.Is(err, errManifestMismatch) {
			t.Errorf("Load = %v, want %v", err, errManifestMismatch)
		}
	})
	t.Run("manifest not listed", func(t *testing.T) {
		dir := bundle(t, map[string]string{"x": "x"})
		if err := os.WriteFile(filepath.Join(dir, "manifest.json"), mb, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(context.Background(), dir); !errors.Is(err, errManifestMismatch) {
			t.Errorf("Load = %v, want %v", err, errManifestMismatch)
		}
	})
	t.Run("name not UTF-8", func(t *testing.T) {
		if _, err := NewStatement([]ledger.Entry{{Name: "bad\xff"}}, &Predicate{}); err == nil {
			t.Error("NewStatement took a name that is not UTF-8")
		}
	})
	for _, tt := range []struct{ name, body, want string }{
		{"another predicate type", `{"_type": "` + StatementType + `", "subject": [], "predicateType": "https://slsa.dev/provenance/v1", "predicate": {"buildDefinition": 1}}`, "is not the mission predicate"},
		{"no ledger digest", `{"_type": "` + StatementType + `", "subject": [], "predicateType": "` + PredicateType + `", "predicate": {}}`, "no ledger digest"},
		{"no predicate", `{"_type": "` + StatementType + `", "subject": [], "predicateType": "` + PredicateType + `"}`, "no ledger digest"},
		// protojson (gh) reads predicateType: SLSA; Go's decoder would
		// let the second spelling win.
		{"a key spelled twice", `{"_type": "` + StatementType + `", "subject": [], "predicateType": "https://slsa.dev/provenance/v1", "PredicateType": "` + PredicateType + `", "predicate": {"ledgerDigest": "` + sum + `"}}`, "spelled otherwise"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.json")
			if err := os.WriteFile(path, []byte(tt.body), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := ReadStatement(context.Background(), path); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadStatement = %v, want %q", err, tt.want)
			}
		})
	}
	t.Run("statement of another type", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "s.json")
		if err := os.WriteFile(path, []byte(fmt.Sprintf(`{"_type": %q, "subject": []}`, "https://in-toto.io/Statement/v0.1")), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadStatement(context.Background(), path); err == nil {
			t.Error("ReadStatement took a v0.1 statement")
		}
	})
}

// TestVerifyRefusesHostileSubjects: names a scan could never find are the
// Statement's fault, said as such, never "missing".
func TestVerifyRefusesHostileSubjects(t *testing.T) {
	dir := bundle(t, map[string]string{"x": "x"})
	for _, tt := range []struct {
		name string
		subs []Subject
		want string
	}{
		{"climbs out", []Subject{{Name: "../x", Digest: map[string]string{"sha256": sum}}}, "not a clean path"},
		{"absolute", []Subject{{Name: "/etc/passwd", Digest: map[string]string{"sha256": sum}}}, "not a clean path"},
		{"unclean", []Subject{{Name: "a//x", Digest: map[string]string{"sha256": sum}}}, "not a clean path"},
		{"twice", []Subject{{Name: "x", Digest: map[string]string{"sha256": sum}}, {Name: "x", Digest: map[string]string{"sha256": sum}}}, "listed twice"},
		{"twice, spelled two ways", []Subject{{Name: "./x", Digest: map[string]string{"sha256": sum}}, {Name: "x", Digest: map[string]string{"sha256": sum}}}, "listed twice"},
		{"climbs out after ./", []Subject{{Name: "./../x", Digest: map[string]string{"sha256": sum}}}, "not a clean path"},
		{"./ twice", []Subject{{Name: "././x", Digest: map[string]string{"sha256": sum}}}, "not a clean path"},
		{"the ledger as ./", []Subject{{Name: "./SHA256SUMS", Digest: map[string]string{"sha256": sum}}}, "lists the ledger"},
		{"the ledger", []Subject{{Name: "SHA256SUMS", Digest: map[string]string{"sha256": sum}}}, "lists the ledger"},
		{"short digest", []Subject{{Name: "x", Digest: map[string]string{"sha256": "ab"}}}, "not a SHA-256"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := &Statement{Type: StatementType, Subject: tt.subs, PredicateType: PredicateType, Predicate: &Predicate{}}
			if _, err := st.Verify(context.Background(), dir); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Verify = %v, want %q", err, tt.want)
			}
		})
	}
}
