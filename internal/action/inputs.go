// Package action is `helios action`, the GitHub Action's entrypoint: it reads
// the inputs, runs (or verifies) the mission, then reports it where reviewers
// look: outputs, the job summary, a sticky PR comment, a check run or commit
// status, and the bundle as a workflow artifact.
package action

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"
)

// Inputs are the action's inputs (action.yml), parsed and checked.
type Inputs struct {
	// WorkingDirectory is the folder the mission runs in, relative to the
	// workspace ("" for the workspace itself); Mission and ReportRoot are
	// relative to it.
	WorkingDirectory string
	Mission          string
	ReportRoot       string
	Network          string
	RPCURL           string
	GitHubToken      string
	Comment          string // update, recreate, off
	CheckName        string
	Status           string // check-run, commit-status, both, off
	Baseline         string
	FailOnDrift      bool
	Needs            string
	Key              string
	FailOnFailure    bool
	Run              bool
	Upload           bool
	ArtifactName     string
	RetentionDays    int
	CompressionLvl   int
	Jobs             int
	// Shard makes this use one shard job of a sharded mission: a shard id
	// or K-of-N. Merge makes it the merge job. At most one is set.
	Shard string
	Merge bool
}

// InputError is a bad input value (exit code 2).
type InputError struct{ Name, Msg string }

func (e *InputError) Error() string { return fmt.Sprintf("input %q: %s", e.Name, e.Msg) }

// readInputs reads every input with its default, refusing values that
// are not among an input's choices.
func readInputs(a *githubactions.Action) (*Inputs, error) {
	in := &Inputs{
		WorkingDirectory: a.GetInput("working-directory"),
		Mission:          a.GetInput("mission"),
		ReportRoot:       a.GetInput("report-root"),
		Network:          a.GetInput("network"),
		RPCURL:           a.GetInput("rpc-url"),
		Baseline:         a.GetInput("baseline"),
		Needs:            a.GetInput("needs"),
		Key:              a.GetInput("key"),
	}
	in.GitHubToken = a.GetInput("github-token")
	var err error
	pick := func(name, def string, choices ...string) string {
		v := a.GetInput(name)
		if v == "" {
			return def
		}
		for _, c := range choices {
			if v == c {
				return v
			}
		}
		if err == nil {
			err = &InputError{name, fmt.Sprintf("must be one of %s, got %q", strings.Join(choices, ", "), v)}
		}
		return def
	}
	boolean := func(name string, def bool) bool {
		v := strings.ToLower(a.GetInput(name))
		switch v {
		case "":
			return def
		case "true", "yes", "1", "on":
			return true
		case "false", "no", "0", "off":
			return false
		}
		if err == nil {
			err = &InputError{name, fmt.Sprintf("must be true or false, got %q", v)}
		}
		return def
	}
	integer := func(name string, def, lo, hi int) int {
		v := a.GetInput(name)
		if v == "" {
			return def
		}
		n, perr := strconv.Atoi(v)
		if perr != nil || n < lo || n > hi {
			if err == nil {
				err = &InputError{name, fmt.Sprintf("must be a whole number from %d to %d, got %q", lo, hi, v)}
			}
			return def
		}
		return n
	}
	in.Comment = pick("comment", "update", "update", "recreate", "off")
	in.Status = pick("status", "check-run", "check-run", "commit-status", "both", "off")
	in.CheckName = a.GetInput("check-name")
	if in.CheckName == "" {
		in.CheckName = "Helios mission"
	}
	in.FailOnDrift = boolean("fail-on-drift", false)
	in.FailOnFailure = boolean("fail-on-failure", true)
	in.Run = boolean("run", true)
	in.Upload = boolean("upload", true)
	in.ArtifactName = a.GetInput("artifact-name")
	in.RetentionDays = integer("retention-days", 0, 0, 90)
	in.CompressionLvl = integer("compression-level", 6, 0, 9)
	in.Jobs = integer("jobs", 0, 0, 256)
	in.Shard = strings.TrimSpace(a.GetInput("shard"))
	in.Merge = boolean("merge", false)
	if msg := shardProblem(in); msg != "" && err == nil {
		err = &InputError{"shard", msg}
	}
	if in.Merge && !in.Run && err == nil {
		err = &InputError{"merge", "the merge job runs the merge phases over the shard jobs' artifacts: it cannot be combined with run: false"}
	}
	if in.Baseline == "" {
		in.Baseline = baselineAuto
	}
	if msg := baselineProblem(in.Baseline); msg != "" && err == nil {
		err = &InputError{"baseline", msg}
	}
	return in, err
}

// shardProblem checks the shard and merge inputs as written; whether the
// mission has that shard is checked once it is loaded (see shardMission).
// The shard ends the artifact's name, which is one path component.
func shardProblem(in *Inputs) string {
	switch {
	case in.Shard == "":
		return ""
	case in.Merge:
		return "a job is a shard job (shard) or the merge job (merge: true), not both; give merge: true in the job that needs the shard jobs, without shard"
	case !in.Run:
		return "a shard job runs its shard: it cannot be combined with run: false"
	case strings.ContainsAny(in.Shard, `/\"`+":<>|*?\r\n"):
		return fmt.Sprintf("must be a shard id or K-of-N (it ends the artifact's name, which may not hold / \\ \" : < > | * ? or a line break), got %q", in.Shard)
	}
	return ""
}

// baselineProblem checks the baseline input as written: auto, none, or a
// bundle folder or SHA256SUMS inside the workspace. Links are checked
// when the path is used (see baselinePath), once the mission has run.
func baselineProblem(v string) string {
	switch {
	case v == baselineAuto || v == baselineNone:
		return ""
	case filepath.IsAbs(v) || strings.HasPrefix(v, "/"):
		return fmt.Sprintf("must be a path inside the workspace (a bundle folder or its SHA256SUMS), got the absolute path %q", v)
	case !filepath.IsLocal(filepath.FromSlash(v)):
		return fmt.Sprintf("must be a path inside the workspace (a bundle folder or its SHA256SUMS); %q climbs out of it with \"..\"", v)
	}
	return ""
}

// missionProblem checks the mission input against the workspace ws: a
// path relative to dir (the working directory, ws by default), or an
// absolute path inside ws (${{ github.workspace }}-style). Anything that
// leads out (an absolute path elsewhere, or "../" past ws) is refused: a
// workflow reads its mission from the checkout; `helios run --mission` has
// no such bound.
func missionProblem(ws, dir, v string) string {
	if v == "" {
		return ""
	}
	p := v
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	rel, err := filepath.Rel(filepath.Clean(ws), filepath.Clean(p))
	if err != nil || !filepath.IsLocal(rel) {
		if filepath.Clean(dir) != filepath.Clean(ws) {
			return fmt.Sprintf("must be a mission file in the workspace %s (relative to the working-directory %s, or absolute inside the workspace), got %q", ws, relToWorkspace(ws, dir), v)
		}
		return fmt.Sprintf("must be a mission file in the workspace %s (relative to it, or absolute inside it), got %q", ws, v)
	}
	return ""
}

// workingDir resolves the working-directory input v in the workspace ws,
// for missions in a subfolder of a monorepo: "" is ws itself. It must be
// a folder inside ws, written as a relative path or an absolute one inside
// ws, and stay inside once links are followed. The folder returned is
// spelled from ws without links, so that paths in it stay relative to ws.
func workingDir(ws, v string) (string, error) {
	if v == "" {
		return ws, nil
	}
	bad := func(format string, args ...any) error {
		return &InputError{"working-directory", fmt.Sprintf(format, args...)}
	}
	p := v
	if !filepath.IsAbs(p) {
		if !filepath.IsLocal(filepath.FromSlash(v)) {
			return "", bad("must be a folder inside the workspace; %q climbs out of it with \"..\"", v)
		}
		p = filepath.Join(ws, filepath.FromSlash(v))
	} else if !within(filepath.Clean(ws), filepath.Clean(p)) {
		return "", bad("must be a folder inside the workspace %s, got the absolute path %q", ws, v)
	}
	realWS, err := filepath.EvalSymlinks(ws)
	if err != nil {
		return "", fmt.Errorf("workspace: %w", err)
	}
	real, err := filepath.EvalSymlinks(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", bad("%s: no such folder in the workspace", v)
	}
	if err != nil {
		return "", bad("%v", err)
	}
	if !within(realWS, real) {
		return "", bad("%s leads outside the workspace through a link (to %s); the mission must run inside the workspace", v, real)
	}
	if fi, err := os.Stat(real); err != nil || !fi.IsDir() {
		return "", bad("%s is not a folder", v)
	}
	rel, _ := filepath.Rel(realWS, real)
	return filepath.Join(ws, rel), nil
}

// defaultKey tells matrix legs apart, since a container action sees no
// matrix context: the job id plus a short hash of the mission and the
// inputs that change what runs.
func defaultKey(job string, in *Inputs) string {
	h := sha256.New()
	// Not the baseline nor fail-on-drift: a pull request looks up its base
	// branch's artifact by a name that holds the key. The baseline's old
	// place stays, empty, so that keys are what they were for every run
	// that did not set one.
	parts := []string{in.Mission, in.ReportRoot, in.Network, "", strconv.FormatBool(in.Run)}
	if in.WorkingDirectory != "" {
		// Only when given, so that the keys of runs without it stay as
		// they were (the comment marker and the artifact name hold them).
		parts = append(parts, in.WorkingDirectory)
	}
	for _, s := range parts {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	if job == "" {
		job = "job"
	}
	return job + "-" + hex.EncodeToString(h.Sum(nil))[:8]
}
