// Package report renders a mission run for GitHub: the job summary, the
// sticky pull-request comment, the check run's output and annotations, and
// the commit status description. Everything here is a pure function of its
// Input (no network, no clock), each within the limit GitHub enforces, and
// every piece of text that came from a file or a log is escaped so it can
// neither break the Markdown nor ping anyone.
package report

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/helios-action/helios-action/internal/diff"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/markup"
	"github.com/helios-action/helios-action/internal/mission"
)

// Input is everything a report shows.
type Input struct {
	Manifest *manifest.Manifest
	// Conclusion overrides the manifest's (for example "failure" when the
	// CI gate or drift failed the run); "" means Manifest.Conclusion.
	Conclusion string
	// LedgerDigest is the hex SHA-256 of SHA256SUMS; Files the number of
	// files the ledger lists.
	LedgerDigest string
	Files        int
	// ContentDigest is the hex SHA-256 of the SHA256SUMS lines of the
	// non-volatile files (the evidence's identity; stable across reruns of
	// one commit).
	ContentDigest string
	// Compare is what the bundle was compared with; nil when no comparison
	// was asked for (baseline: none). Drift holds the result when one was
	// made.
	Compare *Comparison
	Drift   *diff.Result
	// Gate holds the upstream jobs of the CI summary gate (see Gate); nil
	// when the needs input was not given.
	Gate []GateRow
	// Links; each is left out when empty or not http(s).
	ArtifactName string
	ArtifactURL  string
	CheckRunURL  string
	RunURL       string
	// Key tells matrix legs apart; Mission is the mission's name (default
	// Manifest.Mission.Name).
	Key     string
	Mission string
	// MissionFile is the mission file's path relative to the repository,
	// for annotations; StepLines maps "phase/step-id" to the line of the
	// step in it (see StepLines).
	MissionFile string
	StepLines   map[string]int
}

// Comparison is the baseline a bundle was compared with, or why there was
// none to compare with.
type Comparison struct {
	// Label is how a reader names the baseline: the branch ("main") for
	// baseline: auto, the path for an explicit baseline input.
	Label string
	// SHA is the baseline run's commit ("" for a path), RunNumber its
	// number (0 for a path) and RunURL its page.
	SHA       string
	RunNumber int
	RunURL    string
	// ContentDigest is the baseline's content digest (hex), "" when unknown.
	ContentDigest string
	// Manifest is the baseline's manifest, for the blocks that chain values
	// that moved were read at; it may be nil.
	Manifest *manifest.Manifest
	// Missing says in one line why nothing was compared (no successful run
	// on the base branch yet, the artifact expired, the token may not read
	// actions, a fork). It is never a failure. Text between backticks shows
	// as code.
	Missing string
	// Tampered lists what did not verify against the baseline's own ledger
	// (file names, refused zip entries with why); the baseline was not
	// used. Text between backticks shows as code.
	Tampered []string
}

func (in *Input) conclusion() string {
	if in.Conclusion != "" {
		return in.Conclusion
	}
	if in.Manifest != nil && in.Manifest.Conclusion != "" {
		return in.Manifest.Conclusion
	}
	return "unknown"
}

func (in *Input) missionName() string {
	if in.Mission != "" {
		return in.Mission
	}
	if in.Manifest != nil && in.Manifest.Mission.Name != "" {
		return in.Manifest.Mission.Name
	}
	return "mission"
}

func (in *Input) phases() []manifest.Phase {
	if in.Manifest == nil {
		return nil
	}
	return in.Manifest.Phases
}

// StepLines maps "phase/step-id" to the line of each step in m's file, for
// Input.StepLines.
func StepLines(m *mission.Mission) map[string]int {
	out := map[string]int{}
	if m == nil {
		return out
	}
	for _, p := range m.Phases {
		for _, s := range p.Steps {
			if s.Pos.Line > 0 {
				out[p.Name+"/"+s.ID] = s.Pos.Line
			}
		}
	}
	return out
}

// GateRow is one upstream job of the CI summary gate.
type GateRow struct {
	Job    string
	Result string // success, failure, cancelled, skipped
}

// Failed reports whether the row fails the gate: anything but success and
// skipped (a job that was skipped because its condition said so is fine).
func (r GateRow) Failed() bool { return r.Result != "success" && r.Result != "skipped" }

// Gate reads ${{ toJson(needs) }} ({"job": {"result": "success",
// "outputs": {}}}) into rows sorted by job, and says whether any job failed
// or was cancelled. An empty or blank input gives no rows.
func Gate(needsJSON string) (rows []GateRow, failed bool, err error) {
	if strings.TrimSpace(needsJSON) == "" {
		return nil, false, nil
	}
	var needs map[string]struct {
		Result string `json:"result"`
	}
	if err := json.Unmarshal([]byte(needsJSON), &needs); err != nil {
		return nil, false, fmt.Errorf("needs: not the JSON of toJson(needs): %w", err)
	}
	for job, n := range needs {
		r := GateRow{Job: job, Result: n.Result}
		if r.Result == "" {
			r.Result = "unknown"
		}
		failed = failed || r.Failed()
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Job < rows[j].Job })
	return rows, failed, nil
}

// Marker is the hidden first line of the sticky comment of a mission and
// key: <!-- helios:mission=<name> key=<key> -->. Both values are
// percent-encoded outside [A-Za-z0-9._~/-], so neither can end the HTML
// comment nor be confused with the other.
func Marker(missionName, key string) string {
	return fmt.Sprintf("<!-- helios:mission=%s key=%s -->", markerValue(missionName), markerValue(key))
}

func markerValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._~/-", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// safeURL returns u as a link destination (markup.LinkDest) when it is an
// absolute http(s) URL, else "": the URLs come from the environment, and
// anything else there is not a page to link to.
func safeURL(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return ""
	}
	return markup.LinkDest(p.String())
}
