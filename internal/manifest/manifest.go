// Package manifest defines manifest.json, the record of one mission run:
// what ran, how it ended, and every file of the bundle with its hash. Its JSON
// Schema is published as schema/manifest.schema.json.
package manifest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// FileName is the manifest's name at the root of a report bundle.
const FileName = "manifest.json"

// DefaultVolatile are the globs of files that differ between two runs of
// any mission: the manifest (times, durations), logs, and the HTML index
// that shows them. Every manifest lists them first in its volatile globs;
// the diff applies them to bundles whose manifest predates that.
var DefaultVolatile = []string{FileName, "logs/**", "**/*.log", "index.html"}

// SchemaURL identifies the manifest format; bump the version on breaking changes.
const SchemaURL = "https://github.com/helios-action/helios-action/schema/manifest.schema.json"

// Conclusions of a run, a phase or a step, named as GitHub names them.
const (
	Success   = "success"
	Failure   = "failure"
	Cancelled = "cancelled"
	Skipped   = "skipped"
)

// Manifest is the top-level document.
type Manifest struct {
	Schema     string    `json:"$schema"`
	Tool       Tool      `json:"tool"`
	Mission    Mission   `json:"mission"`
	Git        Git       `json:"git"`
	Network    string    `json:"network"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	DurationMs int64     `json:"durationMs"`
	Conclusion string    `json:"conclusion"`
	// Reason says why a run did not succeed (the first failing step, or the signal).
	Reason string `json:"reason,omitempty"`
	// Volatile are the globs (see package glob) of the files expected to
	// differ between two runs of one commit; DefaultVolatile first.
	Volatile []string `json:"volatile"`
	// ContentDigest is the hex SHA-256 of the SHA256SUMS lines of the
	// files Volatile does not match, in ledger order: the identity of the
	// evidence, the same for two runs of one commit (see
	// ledger.ContentDigest). Files marks the files it leaves out.
	ContentDigest string `json:"contentDigest,omitempty"`
	// Shard is set in the bundle of a shard job: which shards it ran and
	// where. The merge reads it to check that a shard's artifact holds the
	// shard its name says.
	Shard *ShardJob `json:"shard,omitempty"`
	// Shards is set in a merged bundle: one entry per shard job the merge
	// expected, sorted by spec, including those it could not use.
	Shards []Shard `json:"shards,omitempty"`
	Phases []Phase `json:"phases"`
	Files  []File  `json:"files"`
}

// ShardJob says what one shard job of a sharded mission ran.
type ShardJob struct {
	// Spec is the job's shard input: a shard id ("eu-energy") or K-of-N.
	Spec string `json:"spec"`
	// IDs are the shards (matrix combinations) the job ran, in plan order;
	// each wrote into shards/<id>/.
	IDs []string `json:"ids"`
	// Job and Runner name the GitHub Actions job and runner (GITHUB_JOB,
	// RUNNER_NAME), when the run had them.
	Job    string `json:"job,omitempty"`
	Runner string `json:"runner,omitempty"`
}

// Shard is the merge's record of one shard job.
type Shard struct {
	ShardJob
	// Artifact is the workflow artifact the shard's bundle came from.
	Artifact string `json:"artifact,omitempty"`
	// Folder holds the shard bundle's own files (its SHA256SUMS, manifest
	// and what its unsharded phases wrote), relative to the merged root;
	// its shards' files are under shards/<id>/.
	Folder string `json:"folder,omitempty"`
	// Digest and ContentDigest are the shard bundle's, as its own ledger
	// and manifest give them.
	Digest        string `json:"digest,omitempty"`
	ContentDigest string `json:"contentDigest,omitempty"`
	// Conclusion is the shard run's own, or "missing" (no artifact) or
	// "tampered" (its files do not match its ledger); Problem says why it
	// failed the merge.
	Conclusion string    `json:"conclusion"`
	Problem    string    `json:"problem,omitempty"`
	StartedAt  time.Time `json:"startedAt,omitzero"`
	FinishedAt time.Time `json:"finishedAt,omitzero"`
	DurationMs int64     `json:"durationMs"`
	Files      int       `json:"files"`
}

// Conclusions of a shard in a merge besides a run's own: no artifact, or
// an artifact that cannot stand for the shard its name says (its files do
// not match its ledger, or its manifest records another shard or mission).
const (
	Missing  = "missing"
	Tampered = "tampered"
)

// Tool names the program that wrote the manifest.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Mission identifies the mission file that ran.
type Mission struct {
	Name       string `json:"name"`
	File       string `json:"file"`
	SHA256     string `json:"sha256"`
	ReportRoot string `json:"reportRoot"`
}

// Git is the commit the workspace was at, when it is a git checkout.
type Git struct {
	Commit          string `json:"commit,omitempty"`
	SourceDateEpoch int64  `json:"sourceDateEpoch,omitempty"`
}

// Phase is one phase of the mission, in plan order.
type Phase struct {
	// Name is the phase's name, and for a sharded phase's instance the
	// shard's id after it in brackets: "plan [eu-energy]".
	Name string `json:"name"`
	// Shard is the id of the shard a sharded phase's instance ran for.
	Shard           string    `json:"shard,omitempty"`
	Needs           []string  `json:"needs"`
	Status          string    `json:"status"`
	ContinueOnError bool      `json:"continueOnError,omitempty"`
	StartedAt       time.Time `json:"startedAt,omitzero"`
	FinishedAt      time.Time `json:"finishedAt,omitzero"`
	DurationMs      int64     `json:"durationMs"`
	Steps           []Step    `json:"steps"`
}

// Step is the receipt of one step.
type Step struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
	Uses string `json:"uses,omitempty"`
	// Command is the argv the step ran, secrets masked: for a run step,
	// its shell's, with "{0}" for the file its Script was written to.
	Command []string `json:"command,omitempty"`
	// Script is a run step's script, secrets masked.
	Script           string    `json:"script,omitempty"`
	WorkingDirectory string    `json:"workingDirectory,omitempty"`
	Status           string    `json:"status"`
	ContinueOnError  bool      `json:"continueOnError,omitempty"`
	ExitCode         *int      `json:"exitCode,omitempty"`
	StartedAt        time.Time `json:"startedAt,omitzero"`
	FinishedAt       time.Time `json:"finishedAt,omitzero"`
	DurationMs       int64     `json:"durationMs"`
	Error            string    `json:"error,omitempty"`
	// SkipReason says why a built-in step skipped itself (status skipped),
	// such as a chain step without an RPC endpoint in a mission whose chain
	// checks are optional. Steps skipped because their phase was blocked or
	// stopped have none: the phase says why.
	SkipReason string `json:"skipReason,omitempty"`
	Log        string `json:"log,omitempty"`
	LogSHA256  string `json:"logSha256,omitempty"`
	// Outputs lists the bundle files a step wrote or collected.
	Outputs []string `json:"outputs,omitempty"`
	// Data holds what a built-in step records beyond its files (for example
	// the block its chain reads were pinned to).
	Data map[string]any `json:"data,omitempty"`
	// Products are the files of the report root the step created, changed
	// or removed, in path order: what it copied for a collect step, else
	// what moved between a snapshot of its folder before and after it.
	Products []Product `json:"products,omitempty"`
}

// Changes a step made to a product.
const (
	Created = "created"
	Changed = "changed"
	Removed = "removed"
)

// Product is one file a step created, changed or removed.
type Product struct {
	// Path is relative to the report root, '/'-separated.
	Path string `json:"path"`
	// SHA256 and Size are the file's when the step ended; a removed file
	// has neither.
	SHA256 string `json:"sha256,omitempty"`
	Size   int64  `json:"size"`
	Change string `json:"change"`
	// From is the workspace path a collect step copied the file from.
	From string `json:"from,omitempty"`
	// Ambiguous names the steps of other phases ("phase / step") that
	// were running while the step was observed: any of them may have
	// made the change, and helios does not guess. Run with --jobs 1 for
	// exact attribution.
	Ambiguous []string `json:"ambiguous,omitempty"`
}

// Maker is the step behind a file, "phase / step"; Others are the steps
// of other phases that ran at the same time, when the change could be
// theirs (the product was ambiguous).
type Maker struct {
	Step   string
	Others []string
	// SHA256 is the file's hash when that step ended (hex).
	SHA256 string
}

// Of names the maker of a file whose hash (hex) is now sum, or is "" when
// the file changed after its maker ended with no step's products saying
// so: a step whose products are unknown (a failed sync, a cancelled run),
// a write through a memory mapping, a process a step left running. Naming
// the step then would vouch for content it did not make.
func (m Maker) Of(sum string) string {
	if m.Step == "" || m.SHA256 != sum {
		return ""
	}
	return m.String()
}

// String is "phase / step", or for an ambiguous product each step that
// may have made it.
func (m Maker) String() string {
	if len(m.Others) == 0 {
		return m.Step
	}
	return m.Step + " or " + strings.Join(m.Others, " or ") + " (they ran side by side)"
}

// MadeBy maps each path of the report root to the step whose products
// last created or changed it; a path a later step removed has none.
// "Last" is in the order the steps finished (plan order between steps that
// finished at the same instant), not plan order: with phases side by side
// a step later in the plan may have run first. A step's receipt is timed
// just before its window closes, and a step whose window opened after
// another's closed finished after it, so the maker is the step that
// changed the file last, or for an ambiguous product one of those named.
// Show it with Maker.Of, which checks that the file is still what that
// step left.
func MadeBy(phases []Phase) map[string]Maker {
	type ran struct {
		phase string
		st    *Step
	}
	var steps []ran
	for _, p := range phases {
		for i := range p.Steps {
			if len(p.Steps[i].Products) > 0 {
				steps = append(steps, ran{p.Name, &p.Steps[i]})
			}
		}
	}
	slices.SortStableFunc(steps, func(a, b ran) int { return a.st.FinishedAt.Compare(b.st.FinishedAt) })
	out := map[string]Maker{}
	for _, s := range steps {
		for _, pr := range s.st.Products {
			if pr.Change == Removed {
				delete(out, pr.Path)
				continue
			}
			out[pr.Path] = Maker{Step: s.phase + " / " + s.st.Name, Others: pr.Ambiguous, SHA256: pr.SHA256}
		}
	}
	return out
}

// File is one bundle file with its size and hash.
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// Volatile marks a file the content digest leaves out: the files
	// without it, in order, are the lines the digest covers, so it can be
	// recomputed from the manifest alone (see the README).
	Volatile bool `json:"volatile,omitempty"`
}

// Read loads a manifest.json (see readFile for what it refuses).
func Read(path string) (*Manifest, error) {
	b, err := readFile(path)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}

// Marshal renders the manifest as indented JSON with a final newline.
func (m *Manifest) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// SkipReasons lists, in plan order and once each, the reasons steps gave for
// skipping themselves, with how many steps gave each. Steps skipped because
// their phase did not run give none.
func SkipReasons(phases []Phase) (reasons []string, count map[string]int) {
	count = map[string]int{}
	for _, p := range phases {
		for _, st := range p.Steps {
			if st.SkipReason == "" {
				continue
			}
			if count[st.SkipReason] == 0 {
				reasons = append(reasons, st.SkipReason)
			}
			count[st.SkipReason]++
		}
	}
	return reasons, count
}

// VolatileOf is the volatile globs that apply to a bundle with manifest m.
// A manifest that records a content digest lists every glob it used (the
// defaults of its day first), and those are the globs, so that defaults
// added later do not change its digest. Older manifests, and bundles
// without one (nil m), get DefaultVolatile first.
func VolatileOf(m *Manifest) []string {
	if m != nil && m.ContentDigest != "" {
		return m.Volatile
	}
	out := append([]string{}, DefaultVolatile...)
	if m != nil {
		out = append(out, m.Volatile...)
	}
	return out
}
