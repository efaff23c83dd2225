package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
)

// secretScan is what the ledger scan looks for: every value the run's
// masker hides (the token, the RPC URL and its parts, pass-env secrets and
// their escaped forms), with their base64 forms. It is built when the
// bundle is hashed, so that values added to the masker during the run
// count too.
func (r *run) secretScan() *ledger.Secrets {
	return ledger.NewSecrets(r.masker.Secrets())
}

// reportLeaks fails the run when the scan found a secret in the bundle:
// such a bundle must not leave the machine (the action does not upload
// it). The manifest, the console and the Result name the files, never the
// value; a file whose name holds the secret is named by its folder only.
func (r *run) reportLeaks(res *Result, leaks []string, secrets *ledger.Secrets) {
	if len(leaks) == 0 {
		return
	}
	shown := make([]string, len(leaks))
	for i, name := range leaks {
		shown[i] = leakName(name, secrets)
	}
	res.Leaks = shown
	list := strings.Join(shown, ", ")
	r.con.printf("✗ the bundle holds a secret (a token, the RPC URL or a pass-env value, maybe base64- or URL-encoded) in %s; the value is not shown\n", list)
	mf := res.Manifest
	reason := "the bundle holds a secret in " + list
	if mf.Conclusion != manifest.Cancelled {
		mf.Conclusion = manifest.Failure
	}
	if mf.Reason != "" {
		reason += "; " + mf.Reason
	}
	mf.Reason = reason
}

// leakName quotes a bundle path for a message. A path that itself holds a
// secret is shown as its first clean folder and a count of what was cut.
func leakName(name string, secrets *ledger.Secrets) string {
	if !secrets.Contains([]byte(name)) {
		return strconv.Quote(name)
	}
	parts := strings.Split(name, "/")
	keep := 0
	for keep < len(parts)-1 && !secrets.Contains([]byte(strings.Join(parts[:keep+1], "/"))) {
		keep++
	}
	if keep == 0 {
		return fmt.Sprintf("a file whose name holds the secret (%d path components)", len(parts))
	}
	return fmt.Sprintf("a file under %s whose name holds the secret", strconv.Quote(strings.Join(parts[:keep], "/")))
}
