package engine_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/glob"
	"github.com/helios-action/helios-action/internal/manifest"
)

// contentMission writes evidence, a log that names the time (volatile by
// default), and a file the mission declares volatile.
const contentMission = `version: 1
name: content
volatile: ["stamps/**"]
phases:
  build:
    steps:
      - run: |
          echo evidence > "$HELIOS_REPORT_ROOT/evidence.txt"
          mkdir -p "$HELIOS_REPORT_ROOT/stamps"
          date +%s%N > "$HELIOS_REPORT_ROOT/stamps/now.txt"
          date +%s%N > "$HELIOS_REPORT_ROOT/tool.log"
          date +%s%N
`

// TestContentDigest: two runs of one mission differ in their ledger
// digest (logs, times) but not in their content digest, which is the
// SHA-256 of the SHA256SUMS lines of the files no volatile glob matches,
// and which the manifest's files recompute without helios.
func TestContentDigest(t *testing.T) {
	ws := t.TempDir()
	first, _ := runMission(t, ws, contentMission)
	old := first.ContentDigestHex()
	oldLedger := first.DigestHex()
	second, _ := runMission(t, ws, contentMission)
	root := second.ReportRoot
	if second.DigestHex() == oldLedger {
		t.Fatalf("the ledger digests of two runs are equal (%s); the test's volatile files did not change", oldLedger)
	}
	if got := second.ContentDigestHex(); got != old {
		t.Errorf("content digest %s on the second run, %s on the first", got, old)
	}
	mf := second.Manifest
	if mf.ContentDigest != second.ContentDigestHex() {
		t.Errorf("manifest contentDigest %q, result %s", mf.ContentDigest, second.ContentDigestHex())
	}

	// The definition: SHA256SUMS lines of non-volatile names, in order.
	f, err := os.Open(filepath.Join(root, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	var kept []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name := strings.TrimPrefix(strings.SplitN(sc.Text(), "  ", 2)[1], "./")
		if glob.MatchAny(mf.Volatile, name) {
			continue
		}
		kept = append(kept, name)
		h.Write([]byte(sc.Text() + "\n"))
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != mf.ContentDigest {
		t.Errorf("SHA-256 of the non-volatile SHA256SUMS lines %s, manifest says %s", got, mf.ContentDigest)
	}
	if strings.Join(kept, " ") != "evidence.txt" {
		t.Errorf("the content digest covers %v, want only evidence.txt", kept)
	}

	// The README's recipe: the manifest's files without "volatile", as
	// ledger lines.
	var lines strings.Builder
	for _, fl := range mf.Files {
		if !fl.Volatile {
			lines.WriteString(fl.SHA256 + "  ./" + fl.Path + "\n")
		}
	}
	if sum := sha256.Sum256([]byte(lines.String())); hex.EncodeToString(sum[:]) != mf.ContentDigest {
		t.Errorf("the manifest's non-volatile files give %x, contentDigest is %s", sum, mf.ContentDigest)
	}
	for _, want := range []string{manifest.FileName, "logs/**", "**/*.log", "index.html", "stamps/**"} {
		if !glob.MatchAny(mf.Volatile, strings.ReplaceAll(want, "**", "x")) {
			t.Errorf("volatile %v does not cover %s", mf.Volatile, want)
		}
	}
}
