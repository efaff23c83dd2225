package engine

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
)

// secretScan is what the ledger scan looks for: every value the run's
// masker hides (the token, the RPC URL's credentials, pass-env secrets and
// their escaped forms), with their base64 forms. The RPC URL taken whole
// is left out (see mask.WholeURLForms): a local node's URL is no secret,
// and a copy of a URL with a key holds the key. It is built when the
// bundle is hashed, so that values added to the masker during the run
// count too.
func (r *run) secretScan() *ledger.Secrets {
	// The masker also takes the URL from the environment (secretEnv).
	return ledger.NewSecrets(r.masker.ScanSecrets(r.opts.RPCURL, r.hostEnv["HELIOS_RPC_URL"], r.hostEnv["INPUT_RPC-URL"]))
}

// leakPrefix starts the manifest's reason when the bundle holds a secret.
const leakPrefix = "the bundle holds a secret in "

// reportLeaks fails the run when a scan found a secret in the bundle: such
// a bundle must not leave the machine (the action does not upload it). The
// manifest, the console and the Result name the files, never the value; a
// file whose name holds the secret is named by its folder only. It is
// called for each scan (the bundle, the files added or re-hashed after it,
// the manifest) and adds to what earlier calls found.
func (r *run) reportLeaks(res *Result, leaks []string, secrets *ledger.Secrets) {
	var fresh []string
	for _, s := range LeakNames(leaks, secrets) {
		if !slices.Contains(res.Leaks, s) {
			fresh = append(fresh, s)
		}
	}
	if len(fresh) == 0 {
		return
	}
	r.con.printf("✗ the bundle holds a secret (a token, the RPC URL or a pass-env value, maybe base64- or URL-encoded) in %s; the value is not shown\n", strings.Join(fresh, ", "))
	mf := res.Manifest
	// What the reason said before the first leak stays after the list.
	rest := mf.Reason
	if len(res.Leaks) > 0 {
		rest = strings.TrimPrefix(rest, leakPrefix+strings.Join(res.Leaks, ", "))
		rest = strings.TrimPrefix(rest, "; ")
	}
	res.Leaks = append(res.Leaks, fresh...)
	slices.Sort(res.Leaks)
	reason := leakPrefix + strings.Join(res.Leaks, ", ")
	if mf.Conclusion != manifest.Cancelled {
		mf.Conclusion = manifest.Failure
	}
	if rest != "" {
		reason += "; " + rest
	}
	mf.Reason = reason
}

// LeakNames quotes the bundle paths a scan found a secret in, for a
// message, once each; a path that itself holds a secret is shown without
// it (see leakName).
func LeakNames(leaks []string, secrets *ledger.Secrets) []string {
	var out []string
	for _, name := range leaks {
		if s := leakName(name, secrets); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
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
