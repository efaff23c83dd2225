package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/attest"
)

// ghStandIn is a bash function that stands in for the two gh commands of
// the README's auditor recipe, which need github.com: "gh run download"
// copies the bundle the test gives ($AUDIT_BUNDLE, an unzipped artifact)
// into --dir, as gh unzips an artifact there; "gh attestation verify"
// checks what it can without Sigstore (the predicate type, and that the
// file's SHA-256 is a subject) and prints the Statement ($AUDIT_STATEMENT)
// as the recipe's --jq selects it from gh's JSON. Any other form fails, so
// a change to the README's commands must come here too.
const ghStandIn = `
gh() {
  local dir= name= file= type= format= query=
  case "$1 $2" in
  "run download")
    shift 3
    while [ $# -gt 0 ]; do
      case $1 in
      --repo) shift ;;
      --name) name=$2; shift ;;
      --dir) dir=$2; shift ;;
      *) echo "gh stand-in: run download: unexpected $1" >&2; return 2 ;;
      esac
      shift
    done
    [ -n "$name" ] && [ -n "$dir" ] || { echo "gh stand-in: run download needs --name and --dir" >&2; return 2; }
    mkdir -p "$dir" && cp -R "$AUDIT_BUNDLE/." "$dir/"
    ;;
  "attestation verify")
    file=$3
    shift 3
    while [ $# -gt 0 ]; do
      case $1 in
      --repo) shift ;;
      --predicate-type) type=$2; shift ;;
      --format) format=$2; shift ;;
      --jq) query=$2; shift ;;
      *) echo "gh stand-in: attestation verify: unexpected $1" >&2; return 2 ;;
      esac
      shift
    done
    [ "$type" = "$AUDIT_TYPE" ] || { echo "gh stand-in: no attestation of predicate type $type" >&2; return 1; }
    [ "$format" = json ] && [ "$query" = '.[0].verificationResult.statement' ] || { echo "gh stand-in: format $format, jq $query" >&2; return 2; }
    local sum
    sum=$(sha256sum < "$file") && sum=${sum%% *}
    grep -q "\"sha256\": \"$sum\"" "$AUDIT_STATEMENT" || { echo "gh stand-in: $file is no subject of the attestation" >&2; return 1; }
    cat "$AUDIT_STATEMENT"
    ;;
  *) echo "gh stand-in: unexpected gh $*" >&2; return 2 ;;
  esac
}
`

// auditResult is what the README's auditor recipe did.
type auditResult struct {
	err            error
	stdout, stderr string
}

// runAuditor runs the README's auditor recipe (<!-- e2e: auditor -->) with
// bash, coreutils and the helios binary, gh standing in (ghStandIn): the
// artifact is bundle, the signed Statement statement (JSON, indented as
// json.MarshalIndent does).
func runAuditor(t *testing.T, bundle string, statement []byte) auditResult {
	t.Helper()
	for _, tool := range []string{"bash", "sha256sum", "grep", "cp"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	work := t.TempDir()
	bin := filepath.Join(work, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(helios, filepath.Join(bin, "helios")); err != nil {
		t.Fatal(err)
	}
	stmt := filepath.Join(bin, "signed-statement.json")
	writeFile(t, stmt, string(statement))
	audit := filepath.Join(work, "audit")
	if err := os.Mkdir(audit, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", ghStandIn+readmeFence(t, "auditor", "sh"))
	cmd.Dir = audit
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"AUDIT_BUNDLE="+bundle, "AUDIT_STATEMENT="+stmt, "AUDIT_TYPE="+attest.PredicateType)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return auditResult{err: err, stdout: out.String(), stderr: errb.String()}
}

// auditorAccepts runs the recipe on an honest bundle, then on one where a
// file and the ledger were both rewritten: sha256sum -c and the signature
// of manifest.json cannot tell, helios verify --statement names the file.
func auditorAccepts(t *testing.T, bundle string, statement []byte) {
	t.Helper()
	res := runAuditor(t, bundle, statement)
	if res.err != nil || !strings.Contains(res.stdout, "verifies against") {
		t.Fatalf("the README's auditor recipe on the run's bundle: %v\n%s%s", res.err, res.stdout, res.stderr)
	}

	forged := t.TempDir()
	if err := os.CopyFS(forged, os.DirFS(bundle)); err != nil {
		t.Fatal(err)
	}
	victim := ""
	for _, line := range strings.Split(readFile(t, filepath.Join(forged, "SHA256SUMS")), "\n") {
		if _, name, ok := strings.Cut(line, "  ./"); ok && strings.HasSuffix(name, ".md") {
			victim = name
			break
		}
	}
	if victim == "" {
		t.Fatal("the bundle has no Markdown report to forge")
	}
	writeFile(t, filepath.Join(forged, victim), "forged\n")
	if r := run(t, forged, nil, "digest", "."); r.code != 0 {
		t.Fatalf("helios digest: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	res = runAuditor(t, forged, statement)
	if res.err == nil || !strings.Contains(res.stdout, "changed  "+victim+"\n") || !strings.Contains(res.stdout, "changed  SHA256SUMS\n") {
		t.Errorf("the auditor recipe on a bundle whose %s and ledger were rewritten: %v, want both named as changed\n%s%s",
			victim, res.err, res.stdout, res.stderr)
	}
}

// attestStatement is the Statement actions/attest signs from its inputs:
// subject-checksums parsed as it parses them (digest, a space, an optional
// '*' or ' ', the name), the predicate file as JSON, the predicate type.
func attestStatement(t *testing.T, checksums, predicate []byte, predicateType string) []byte {
	t.Helper()
	type subject struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	}
	var subs []subject
	for _, line := range strings.Split(string(checksums), "\n") {
		digest, rest, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if len(digest) != 64 {
			t.Fatalf("subject-checksums line %q: actions/attest takes only hex digests", line)
		}
		if strings.HasPrefix(rest, "*") || strings.HasPrefix(rest, " ") {
			rest = rest[1:]
		}
		subs = append(subs, subject{Name: rest, Digest: map[string]string{"sha256": digest}})
	}
	st := map[string]any{
		"_type":         attest.StatementType,
		"subject":       subs,
		"predicateType": predicateType,
		"predicate":     json.RawMessage(predicate),
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}
