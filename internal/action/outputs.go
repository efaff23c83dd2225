package action

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sethvargo/go-githubactions"
)

// fileCommandDelimiter is the fixed heredoc delimiter go-githubactions writes
// outputs with; a value holding it (or a line equal to it) could forge
// further outputs, so such values are refused.
const fileCommandDelimiter = "_GitHubActionsFileCommandDelimeter_"

// maxOutputBytes: "step output: 1 MB each" (github-facts).
const maxOutputBytes = 1_000_000

// maxSubjectsBytes: actions/attest-build-provenance's subject-checksums
// file is at most 512 KiB, and so is what we hand the SLSA generator.
const maxSubjectsBytes = 512 << 10

// outputs collects the step outputs and writes them in one go, sorted, so
// every exit path (success, failure, cancellation) sets the same names.
type outputs struct {
	vals map[string]string
}

func newOutputs() *outputs { return &outputs{vals: map[string]string{}} }

func (o *outputs) set(k, v string) { o.vals[k] = v }

// checkValue refuses a value that could break out of its file command.
func checkValue(k, v string) error {
	if strings.Contains(v, fileCommandDelimiter) {
		return fmt.Errorf("output %s holds the file-command delimiter; not written", k)
	}
	if strings.ContainsAny(v, "\r\n") {
		return fmt.Errorf("output %s holds a line break; not written", k)
	}
	if len(v) > maxOutputBytes {
		return fmt.Errorf("output %s is %d bytes, more than a step output may hold (1 MB); not written", k, len(v))
	}
	return nil
}

// write sets every output through GITHUB_OUTPUT; without it (a local run)
// they are printed instead. go-githubactions panics when the file command
// fails, so the file's presence is checked first.
func (o *outputs) write(a *githubactions.Action, getenv func(string) string) []error {
	keys := make([]string, 0, len(o.vals))
	for k := range o.vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []error
	path := getenv("GITHUB_OUTPUT")
	for _, k := range keys {
		v := o.vals[k]
		if err := checkValue(k, v); err != nil {
			errs = append(errs, err)
			continue
		}
		if path == "" {
			a.Infof("output %s=%s", k, v)
			continue
		}
		if err := writable(path); err != nil {
			errs = append(errs, fmt.Errorf("GITHUB_OUTPUT: %w", err))
			return errs
		}
		a.SetOutput(k, v)
	}
	return errs
}

func writable(path string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// relToWorkspace makes a path relative to the workspace: container paths
// mean nothing to the workflow's later steps.
func relToWorkspace(ws, p string) string {
	if rel, err := filepath.Rel(ws, p); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return p
}
