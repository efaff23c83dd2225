package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	intoto "github.com/in-toto/attestation/go/v1"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/helios-action/helios-action/internal/attest"
	"github.com/helios-action/helios-action/internal/golden"
)

// runVolatile are the predicate's values that differ between two runs of
// the example: times, log hashes (logs hold durations), the ledger digest
// (the ledger lists the manifest, which holds times) and the dev chain's
// block hash (its genesis has the start time).
var runVolatile = regexp.MustCompile(`("(?:durationMs)": )[0-9]+|("(?:logSha256|ledgerDigest)": )"[0-9a-f]{64}"|("blockHash": )"0x[0-9a-f]{64}"|("version": )"[^"]*"`)

// TestExamplePredicate: the example mission's predicate, as `helios attest`
// would make it in a workflow run, with the values that change from run to
// run blanked, is the golden one, and matches schema/predicate.schema.json.
func TestExamplePredicate(t *testing.T) {
	ws := workspace(t, "example")
	if res := run(t, ws, rpcEnv(startChain(t, "")), "run", "--jobs", "1"); res.code != 0 {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	b, err := attest.Load(context.Background(), filepath.Join(ws, exampleRoot))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "octo/drill",
		"GITHUB_RUN_ID": "42", "GITHUB_RUN_ATTEMPT": "1",
		"GITHUB_WORKFLOW_REF": "octo/drill/.github/workflows/drill.yml@refs/heads/main",
	}
	p, err := attest.NewPredicate(b.Manifest, b.LedgerDigest, attest.RunFromEnv(func(k string) string { return env[k] }))
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	validatePredicate(t, got)
	golden.Assert(t, filepath.Join("testdata", "example-predicate.json"), runVolatile.ReplaceAllString(string(got), `$1$2$3$4"…"`))

	st, err := attest.NewStatement(b.Ledger, p)
	if err != nil {
		t.Fatal(err)
	}
	out, err := st.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	validateInToto(t, out, len(b.Ledger))

	// The auditor's side, with the binary: the Statement helios attest
	// writes in the same run is this one, the bundle passes sha256sum -c
	// and verify --statement, and a changed file is named.
	stmt := filepath.Join(t.TempDir(), "statement.json")
	var runEnv []string
	for k, v := range env {
		runEnv = append(runEnv, k+"="+v)
	}
	root := filepath.Join(ws, exampleRoot)
	if res := run(t, ws, runEnv, "attest", exampleRoot, "-o", stmt); res.code != 0 {
		t.Fatalf("helios attest: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if written := readFile(t, stmt); written != string(out) {
		t.Errorf("helios attest wrote another Statement:\n%s", written)
	}
	sha256sumCheck(t, root)
	if res := run(t, ws, nil, "verify", "--statement", stmt, exampleRoot); res.code != 0 || !strings.Contains(res.stdout, "verifies against") {
		t.Errorf("helios verify --statement: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	// The README's auditor recipe, gh standing in for github.com.
	auditorAccepts(t, root, out)

	// Made by, through the binary: index.html names the step behind a
	// report, and helios diff names it for a changed one.
	page := readFile(t, filepath.Join(root, "index.html"))
	if !regexp.MustCompile(`owner/thermodynamics\.md</a></td><td class="num">\d+</td><td class="hash">[0-9a-f]{64}</td><td>governance / Thermodynamics report</td>`).MatchString(page) {
		t.Error("index.html does not say that governance / Thermodynamics report made owner/thermodynamics.md")
	}
	old := t.TempDir()
	if err := os.CopyFS(old, os.DirFS(root)); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(old, "owner", "thermodynamics.md"), "# an older report\n")
	if r := run(t, old, nil, "digest", "."); r.code != 0 {
		t.Fatalf("helios digest: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := run(t, ws, nil, "diff", old, exampleRoot); !strings.Contains(r.stdout, "~ owner/thermodynamics.md ") || !strings.Contains(r.stdout, "made by governance / Thermodynamics report\n") {
		t.Errorf("helios diff does not name the step behind owner/thermodynamics.md: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	writeFile(t, filepath.Join(root, "owner", "parameter-matrix.md"), "edited\n")
	if res := run(t, ws, nil, "verify", "--statement", stmt, exampleRoot); res.code != 1 || !strings.Contains(res.stdout, "changed  owner/parameter-matrix.md\n") {
		t.Errorf("helios verify --statement after an edit: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}

// validateInToto parses a Statement with in-toto's own Go types (protojson
// refuses a field they do not know) and runs their Validate: the in-toto
// spec ships no JSON Schema.
func validateInToto(t *testing.T, statement []byte, subjects int) {
	t.Helper()
	var s intoto.Statement
	if err := protojson.Unmarshal(statement, &s); err != nil {
		t.Fatalf("in-toto Statement: %v", err)
	}
	if err := s.Validate(); err != nil {
		t.Errorf("in-toto Statement.Validate: %v", err)
	}
	if s.GetPredicateType() != attest.PredicateType || len(s.GetSubject()) != subjects {
		t.Errorf("in-toto Statement: predicate type %q, %d subjects, want %d", s.GetPredicateType(), len(s.GetSubject()), subjects)
	}
}

func validatePredicate(t *testing.T, b []byte) {
	t.Helper()
	sch, err := jsonschema.NewCompiler().Compile(filepath.Join("..", "schema", "predicate.schema.json"))
	if err != nil {
		t.Fatalf("compile predicate schema: %v", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Errorf("the predicate does not match schema/predicate.schema.json: %v\n%s", err, b)
	}
}
