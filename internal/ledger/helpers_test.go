package ledger

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// writeFile creates root/name (a '/'-separated name) with data, making parents.
func writeFile(t testing.TB, root, name string, data []byte) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// randomBytes is deterministic so failures reproduce.
func randomBytes(seed uint64, n int) []byte {
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16)})
	b := make([]byte, n)
	r.Read(b)
	return b
}

// needSha256sum skips tests that compare against coreutils when it is absent.
func needSha256sum(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Skip("sha256sum not on PATH")
	}
}

// coreutilsLedger runs the reference pipeline in root and drops the line for
// ./SHA256SUMS, as a ledger never lists itself. Names that hold a newline are
// escaped by sha256sum, so splitting on '\n' is safe.
func coreutilsLedger(t testing.TB, root string) []byte {
	t.Helper()
	cmd := exec.Command("bash", "-c", "set -o pipefail; find . -type f -print0 | sort -z | xargs -0 sha256sum")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("coreutils pipeline: %v: %s", err, stderr.Bytes())
	}
	var kept []byte
	for line := range bytes.Lines(out) {
		if bytes.HasSuffix(line, []byte("  ./"+FileName+"\n")) && line[0] != '\\' {
			continue
		}
		kept = append(kept, line...)
	}
	return kept
}

// hostileNames are the file names the generated tree holds; each one is a
// way a naive ledger writer goes wrong.
var hostileNames = []string{
	"plain.txt",
	"with space.txt",
	" leading space",
	"trailing space ",
	"new\nline",
	"back\\slash",
	"literal\\n-not-a-newline",
	"carriage\rreturn",
	"ends-in-cr\r",
	"all\\three\n\r",
	"tab\tname",
	"star*name",
	"\xff\xfe-not-utf8-\xe9",
	"-leading-dash",
	"--",
	".hidden",
	"ünïcødé/日本語.txt",
	"a b/x",
	"a/b",
	"a/b c/d",
	"a-b",
	"deep/1/2/3/4/5/file",
	"sub/SHA256SUMS",
	"sub/new\ndir\\/in\rside",
	"empty",
}
