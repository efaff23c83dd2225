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
// the README's auditor recipe, which need github.com. It holds the recipe
// to its own first line's values ($repo, $run, $artifact). "gh run
// download" copies the bundle the test gives ($AUDIT_BUNDLE, an unzipped
// artifact) into --dir, as gh unzips an artifact there. "gh attestation
// verify" checks what it can without Sigstore (the signer workflow, the
// predicate type, that the file's SHA-256 is one of the subjects in
// $AUDIT_SUBJECTS), then applies the recipe's --jq with jq to JSON shaped
// as gh prints it ($AUDIT_GH_JSON). Any other form fails, so a change to
// the README's commands must come here too.
const ghStandIn = `
gh() {
  local dir= name= file= type= format= query= repo_= signer=
  case "$1 $2" in
  "run download")
    [ "$3" = "$run" ] || { echo "gh stand-in: run download $3, the recipe's run is $run" >&2; return 2; }
    shift 3
    while [ $# -gt 0 ]; do
      case $1 in
      --repo) repo_=$2; shift ;;
      --name) name=$2; shift ;;
      --dir) dir=$2; shift ;;
      *) echo "gh stand-in: run download: unexpected $1" >&2; return 2 ;;
      esac
      shift
    done
    [ "$repo_" = "$repo" ] && [ "$name" = "$artifact" ] && [ -n "$dir" ] || { echo "gh stand-in: run download --repo $repo_ --name $name --dir $dir" >&2; return 2; }
    mkdir -p "$dir" && cp -R "$AUDIT_BUNDLE/." "$dir/"
    ;;
  "attestation verify")
    file=$3
    shift 3
    while [ $# -gt 0 ]; do
      case $1 in
      --repo) repo_=$2; shift ;;
      --signer-workflow) signer=$2; shift ;;
      --predicate-type) type=$2; shift ;;
      --format) format=$2; shift ;;
      --jq) query=$2; shift ;;
      *) echo "gh stand-in: attestation verify: unexpected $1" >&2; return 2 ;;
      esac
      shift
    done
    [ "$repo_" = "$repo" ] && [ "$signer" = "$repo/$AUDIT_WORKFLOW" ] || { echo "gh stand-in: no attestation by $signer in $repo_" >&2; return 1; }
    [ "$type" = "$AUDIT_TYPE" ] || { echo "gh stand-in: no attestation of predicate type $type" >&2; return 1; }
    [ "$format" = json ] || { echo "gh stand-in: format $format" >&2; return 2; }
    local sum
    sum=$(sha256sum < "$file") && sum=${sum%% *}
    grep -qx "$sum" "$AUDIT_SUBJECTS" || { echo "gh stand-in: $file is no subject of the attestation" >&2; return 1; }
    jq "$query" "$AUDIT_GH_JSON"
    ;;
  *) echo "gh stand-in: unexpected gh $*" >&2; return 2 ;;
  esac
}
`

// auditWorkflow is the file of the README's attest workflow, which the
// recipe names as the signer.
const auditWorkflow = ".github/workflows/helios.yml"

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
	for _, tool := range []string{"bash", "sha256sum", "grep", "cp", "jq"} {
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
	// As gh prints a verified attestation: its Statement compact, as
	// protojson writes it.
	var st struct {
		Subject []struct {
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
	}
	var compact bytes.Buffer
	if err := json.Unmarshal(statement, &st); err != nil || json.Compact(&compact, statement) != nil {
		t.Fatalf("the signed Statement is not JSON: %v", err)
	}
	var subjects strings.Builder
	for _, s := range st.Subject {
		subjects.WriteString(s.Digest["sha256"] + "\n")
	}
	ghJSON := filepath.Join(bin, "gh-verify.json")
	writeFile(t, ghJSON, `[{"attestation": {}, "verificationResult": {"mediaType": "application/vnd.dev.sigstore.verificationresult+json;version=0.1", "statement": `+compact.String()+`}}]`+"\n")
	subjectsFile := filepath.Join(bin, "subjects")
	writeFile(t, subjectsFile, subjects.String())
	audit := filepath.Join(work, "audit")
	if err := os.Mkdir(audit, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", ghStandIn+readmeFence(t, "auditor", "sh"))
	cmd.Dir = audit
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"AUDIT_BUNDLE="+bundle, "AUDIT_SUBJECTS="+subjectsFile, "AUDIT_GH_JSON="+ghJSON,
		"AUDIT_TYPE="+attest.PredicateType, "AUDIT_WORKFLOW="+auditWorkflow)
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
