// Package attest describes a mission run as an in-toto attestation: the
// predicate (what ran, from which mission, commit and workflow run, pinned to
// which blocks, leaving which ledger) and the Statement that binds it to the
// bundle's files as SHA256SUMS lists them. actions/attest signs the
// predicate; `helios attest` writes the whole Statement for other signers.
// Its JSON Schema is published as schema/predicate.schema.json.
package attest

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/helios-action/helios-action/internal/manifest"
)

// PredicateType names the predicate's format; the version at its end changes
// when a field changes meaning or goes away (adding an optional one does not).
const PredicateType = "https://github.com/helios-action/helios-action/predicate/mission/v1"

// Predicate is one mission run, as the attestation vouches for it. Field
// order is the JSON's: encoding/json keeps it, so the bytes are the same
// for the same run.
type Predicate struct {
	Tool       manifest.Tool `json:"tool"`
	Mission    Mission       `json:"mission"`
	Commit     string        `json:"commit,omitempty"`
	Run        *Run          `json:"run,omitempty"`
	Network    string        `json:"network"`
	Conclusion string        `json:"conclusion"`
	// LedgerDigest is the SHA-256 of the bundle's SHA256SUMS; ContentDigest
	// is the manifest's (the same for two runs of one commit).
	LedgerDigest  string `json:"ledgerDigest"`
	ContentDigest string `json:"contentDigest,omitempty"`
	// ChainPins are the distinct blocks the run's chain reads were pinned
	// to, in plan order of the first step that used each.
	ChainPins []Pin   `json:"chainPins,omitempty"`
	Phases    []Phase `json:"phases"`
	Shards    []Shard `json:"shards,omitempty"`
}

// Mission is the mission file that ran.
type Mission struct {
	Name   string `json:"name"`
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
}

// Run is the GitHub Actions workflow run the bundle came from.
type Run struct {
	ServerURL   string `json:"serverUrl"`
	Repository  string `json:"repository"`
	ID          string `json:"id"`
	Attempt     string `json:"attempt,omitempty"`
	WorkflowRef string `json:"workflowRef,omitempty"`
}

// RunFromEnv reads the workflow run from the variables GitHub Actions sets;
// outside a workflow run (no GITHUB_RUN_ID) there is none.
func RunFromEnv(getenv func(string) string) *Run {
	if getenv("GITHUB_RUN_ID") == "" {
		return nil
	}
	return &Run{
		ServerURL:   getenv("GITHUB_SERVER_URL"),
		Repository:  getenv("GITHUB_REPOSITORY"),
		ID:          getenv("GITHUB_RUN_ID"),
		Attempt:     getenv("GITHUB_RUN_ATTEMPT"),
		WorkflowRef: getenv("GITHUB_WORKFLOW_REF"),
	}
}

// Phase is one phase (or sharded phase instance) in plan order.
type Phase struct {
	Name       string `json:"name"`
	Shard      string `json:"shard,omitempty"`
	Status     string `json:"status"`
	DurationMs int64  `json:"durationMs"`
	Steps      []Step `json:"steps"`
}

// Step is one step's receipt: what it ran and how it ended.
type Step struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Uses is the built-in step; Argv and Script what a run or collect step
	// ran (secrets masked, as the manifest has them).
	Uses       string    `json:"uses,omitempty"`
	Argv       []string  `json:"argv,omitempty"`
	Script     string    `json:"script,omitempty"`
	Status     string    `json:"status"`
	ExitCode   *int      `json:"exitCode,omitempty"`
	DurationMs int64     `json:"durationMs"`
	LogSHA256  string    `json:"logSha256,omitempty"`
	Chain      *Pin      `json:"chain,omitempty"`
	Products   []Product `json:"products,omitempty"`
}

// Product is a file a step created, changed or removed in the report root.
type Product struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256,omitempty"`
	Size   int64  `json:"size"`
	Change string `json:"change"`
	// Ambiguous names the other steps ("phase / step") that ran while the
	// change was seen; From is the source a collect step copied it from.
	Ambiguous []string `json:"ambiguous,omitempty"`
	From      string   `json:"from,omitempty"`
}

// Pin is the block a chain step's reads were pinned to.
type Pin struct {
	ChainID     uint64 `json:"chainId"`
	BlockNumber uint64 `json:"blockNumber"`
	BlockHash   string `json:"blockHash"`
}

// Shard is one shard job a merged bundle expected.
type Shard struct {
	Spec          string   `json:"spec"`
	IDs           []string `json:"ids"`
	Job           string   `json:"job,omitempty"`
	Artifact      string   `json:"artifact,omitempty"`
	Folder        string   `json:"folder,omitempty"`
	Digest        string   `json:"digest,omitempty"`
	ContentDigest string   `json:"contentDigest,omitempty"`
	Conclusion    string   `json:"conclusion"`
}

// stepProducts copies a step's products from its receipt. The predicate
// has its own type so that its schema, which is versioned in the predicate
// type URI, does not change when the manifest's does.
func stepProducts(st manifest.Step) []Product {
	if len(st.Products) == 0 {
		return nil
	}
	out := make([]Product, len(st.Products))
	for i, pr := range st.Products {
		out[i] = Product{Path: pr.Path, SHA256: pr.SHA256, Size: pr.Size, Change: pr.Change,
			Ambiguous: pr.Ambiguous, From: pr.From}
	}
	return out
}

// NewPredicate describes the run m recorded, whose SHA256SUMS has the
// SHA-256 ledgerDigest (hex), in workflow run run (nil outside one).
func NewPredicate(m *manifest.Manifest, ledgerDigest string, run *Run) (*Predicate, error) {
	p := &Predicate{
		Tool:          m.Tool,
		Mission:       Mission{Name: m.Mission.Name, File: m.Mission.File, SHA256: m.Mission.SHA256},
		Commit:        m.Git.Commit,
		Run:           run,
		Network:       m.Network,
		Conclusion:    m.Conclusion,
		LedgerDigest:  ledgerDigest,
		ContentDigest: m.ContentDigest,
		Phases:        make([]Phase, 0, len(m.Phases)),
	}
	seen := map[Pin]bool{}
	for _, ph := range m.Phases {
		out := Phase{Name: ph.Name, Shard: ph.Shard, Status: ph.Status, DurationMs: ph.DurationMs, Steps: make([]Step, 0, len(ph.Steps))}
		for _, st := range ph.Steps {
			pin, err := pinOf(st.Data)
			if err != nil {
				return nil, fmt.Errorf("%s / %s: %w", ph.Name, st.Name, err)
			}
			if pin != nil && !seen[*pin] {
				seen[*pin] = true
				p.ChainPins = append(p.ChainPins, *pin)
			}
			out.Steps = append(out.Steps, Step{
				ID: st.ID, Name: st.Name, Kind: st.Kind,
				Uses: st.Uses, Argv: st.Command, Script: st.Script,
				Status: st.Status, ExitCode: st.ExitCode, DurationMs: st.DurationMs,
				LogSHA256: st.LogSHA256, Chain: pin, Products: stepProducts(st),
			})
		}
		p.Phases = append(p.Phases, out)
	}
	for _, s := range m.Shards {
		p.Shards = append(p.Shards, Shard{
			Spec: s.Spec, IDs: s.IDs, Job: s.Job, Artifact: s.Artifact, Folder: s.Folder,
			Digest: s.Digest, ContentDigest: s.ContentDigest, Conclusion: s.Conclusion,
		})
	}
	return p, nil
}

// Marshal renders the predicate as indented JSON with a final newline.
func (p *Predicate) Marshal() ([]byte, error) {
	return marshal(p)
}

// pinOf reads the pin a chain step records in its data (see
// chainstep: "chainId" and "block" {number, hash}). A step without them has
// none; a step with half of them, or with values of the wrong type, is an
// error: the attestation would otherwise vouch for less than the run read.
func pinOf(data map[string]any) (*Pin, error) {
	id, hasID := data["chainId"]
	blk, hasBlock := data["block"]
	if !hasID && !hasBlock {
		return nil, nil
	}
	b, ok := blk.(map[string]any)
	if !hasID || !ok {
		return nil, fmt.Errorf("chain pin: data has chainId %v and block %v", id, blk)
	}
	chainID, err := uintOf(id)
	if err != nil {
		return nil, fmt.Errorf("chain pin: chainId: %w", err)
	}
	num, err := uintOf(b["number"])
	if err != nil {
		return nil, fmt.Errorf("chain pin: block number: %w", err)
	}
	hash, ok := b["hash"].(string)
	if !ok || hash == "" {
		return nil, fmt.Errorf("chain pin: block hash %v", b["hash"])
	}
	return &Pin{ChainID: chainID, BlockNumber: num, BlockHash: hash}, nil
}

// uintOf takes a number as the engine records it (uint64) or as a
// manifest read back gives it (float64, or json.Number).
func uintOf(v any) (uint64, error) {
	switch n := v.(type) {
	case uint64:
		return n, nil
	case int:
		if n >= 0 {
			return uint64(n), nil
		}
	case int64:
		if n >= 0 {
			return uint64(n), nil
		}
	case float64:
		// Integers past 2^53 do not survive a float64: refuse, not round.
		if n >= 0 && n <= 1<<53 && n == math.Trunc(n) {
			return uint64(n), nil
		}
	case json.Number:
		return strconv.ParseUint(string(n), 10, 64)
	}
	return 0, fmt.Errorf("not a block or chain number: %v", v)
}
