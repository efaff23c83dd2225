// Package chainstep is what the chain built-ins (helios/token,
// helios/identity, helios/pause, helios/state) share: the `with:` keys every
// one of them takes, the run's one pinned connection, config files read from
// the workspace, and the Markdown + JSON report each writes.
package chainstep

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/helios-action/helios-action/internal/chain"
	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/markup"
	"github.com/helios-action/helios-action/internal/mission"
	"github.com/helios-action/helios-action/internal/regular"
)

// Common holds the `with:` keys of every chain step. Each step's With
// embeds it last, so its keys come last in the known keys a message lists.
type Common struct {
	// ChainID overrides the network's expected chain id (needed for a
	// network helios does not know).
	ChainID uint64 `with:"chain-id"`
	// Timeout bounds each JSON-RPC request (default 15s).
	Timeout string `with:"timeout"`
	// Out is the report's base name in the bundle, without extension.
	Out string `with:"out"`
}

// Duration is the parsed Timeout.
func (c Common) Duration() time.Duration {
	d, _ := time.ParseDuration(c.Timeout)
	return d
}

// CheckCommon validates the common keys' values.
func CheckCommon(file, name string, with *yaml.Node, c Common) error {
	if c.Timeout != "" {
		d, err := time.ParseDuration(c.Timeout)
		if err != nil || d <= 0 {
			return mission.NodeError(file, mission.ValueNode(with, "timeout"), mission.KindValue, "%s: timeout %q is not a positive duration such as 15s", name, c.Timeout)
		}
	}
	if c.Out != "" {
		if err := checkRel(c.Out); err != nil {
			return mission.NodeError(file, mission.ValueNode(with, "out"), mission.KindValue, "%s: out: %v", name, err)
		}
	}
	return nil
}

// CheckAddress validates an address-valued key.
func CheckAddress(file, name string, with *yaml.Node, key, val string) error {
	if val != "" && !isAddress(val) {
		return mission.NodeError(file, mission.ValueNode(with, key), mission.KindValue, "%s: %s %q is not a 0x-prefixed 20-byte address", name, key, val)
	}
	return nil
}

func isAddress(s string) bool {
	if !strings.HasPrefix(s, "0x") || len(s) != 42 {
		return false
	}
	for _, r := range s[2:] {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
			return false
		}
	}
	return true
}

func checkRel(p string) error {
	if p == "" || path.IsAbs(p) || filepath.IsAbs(p) {
		return fmt.Errorf("%q must be a relative path", p)
	}
	c := path.Clean(p)
	if c == ".." || strings.HasPrefix(c, "../") {
		return fmt.Errorf("%q leads outside its folder", p)
	}
	return nil
}

// NoEndpoint is the reason a chain step gives when it skips itself. One
// text for the CLI and the action: rpc-url is both the flag (--rpc-url) and
// the input.
const NoEndpoint = "no RPC endpoint: chain pre-flight skipped; pass rpc-url to run it"

// Preflight is the first thing every chain step does: in a mission that
// says `rpc: optional`, a run without an RPC endpoint skips the step (an
// engine.Skip) rather than failing it [rpc-down]; the step reads no config
// and writes no report then, since it checked nothing. Otherwise it returns
// nil and the step runs, and without an endpoint fails as it always has.
func Preflight(sc *engine.StepContext) error {
	if sc.RPCURL == "" && sc.Mission != nil && sc.Mission.RPC == mission.RPCOptional {
		return engine.Skip(NoEndpoint)
	}
	return nil
}

// sharedKey names the run's connection in StepContext.Shared.
const sharedKey = "chain/client"

// Observed is what a chain report's header says of the endpoint: only
// what the step saw of it. Every built-in's report embeds it, so its fields
// lead the JSON as network and chainId always have.
type Observed struct {
	Network string `json:"network"`
	// ChainID is the chain id the network (or the step's chain-id) expects.
	ChainID uint64 `json:"chainId"`
	// Reached says whether the step read the endpoint's chain id; Served
	// is that id.
	Reached bool   `json:"reached"`
	Served  uint64 `json:"servedChainId,omitempty"`
	// Pin is ByNumberNote when the node refused EIP-1898 block hashes.
	Pin string `json:"pin,omitempty"`

	cl *chain.Client
}

// Settle takes in what the step's reads learned after Connect (the node may
// turn block hashes down at the first one); call it before rendering.
func (o *Observed) Settle() {
	if o.cl != nil && o.cl.ByNumber() {
		o.Pin = chain.ByNumberNote
	}
}

// Header is the report's "- Network: …" line (and the pin's, if the reads
// fell back to the block number).
//
// The pinned block's number and hash stay out of it, on failure too: they
// are in the manifest's step data, and a report stays a pure function of
// the chain state and the endpoint's behaviour, so two runs against the
// same state render the same bytes. What the header must not do is claim
// an id that was never observed: an endpoint never read is "not reached",
// and a wrong chain shows the id the endpoint actually serves.
func (o *Observed) Header() string {
	var line string
	switch {
	case !o.Reached:
		line = fmt.Sprintf("- Network: %s (chain id: not reached)\n", o.Network)
	case o.Served != o.ChainID:
		line = fmt.Sprintf("- Network: %s (expects chain id %d; the endpoint serves %d)\n", o.Network, o.ChainID, o.Served)
	default:
		line = fmt.Sprintf("- Network: %s (chain id %d)\n", o.Network, o.Served)
	}
	if o.Pin != "" {
		line += "- Block: " + o.Pin + "\n"
	}
	return line
}

// Connect returns the run's client (dialled and pinned by the first chain
// step of the run, shared by the others) after checking that it serves the
// chain this step expects, records the chain id and pinned block in the
// step's manifest entry, and what it observed in obs.
func Connect(ctx context.Context, sc *engine.StepContext, c Common, obs *Observed) (*chain.Client, error) {
	want := c.ChainID
	if want == 0 {
		id, ok := chain.ExpectedChainID(sc.Network)
		if !ok {
			return nil, fmt.Errorf("network %q has no known chain id: set chain-id in the step's with", sc.Network)
		}
		want = id
	}
	obs.ChainID = want
	v, err := sc.Shared(sharedKey, func() (any, error) {
		return chain.Open(ctx, sc.RPCURL, c.Duration())
	})
	if err != nil {
		return nil, err
	}
	// The run shares the connection and the block; each step keeps its own
	// timeout.
	cl := v.(*chain.Client).WithTimeout(c.Duration())
	pin := cl.Pin()
	obs.Reached, obs.Served, obs.cl = true, pin.ChainID, cl
	obs.Settle()
	sc.Record("chainId", pin.ChainID)
	sc.Record("block", map[string]any{"number": pin.Number, "hash": pin.Hash.Hex()})
	if err := cl.CheckChainID(want, sc.Network); err != nil {
		return nil, err
	}
	return cl, nil
}

// maxConfig bounds a config file read from the workspace; upstream's are
// a few KiB.
const maxConfig = 16 << 20

// ReadJSON reads a workspace file (a config in upstream's format) into v.
func ReadJSON(sc *engine.StepContext, rel string, v any) error {
	if err := checkRel(rel); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	// A pull request controls the file: a regular file of bounded size
	// only, so a FIFO or a huge file cannot hang or exhaust the run.
	b, err := regular.ReadFile(context.Background(), filepath.Join(sc.Workspace, filepath.FromSlash(rel)), maxConfig, "config")
	if err != nil {
		return fmt.Errorf("read config %s: %w", rel, unwrapPath(err))
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("parse config %s: %w", rel, err)
	}
	return nil
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// OutBase is the report's base name: the step's `out`, else def.
func OutBase(c Common, def string) string {
	if c.Out != "" {
		return path.Clean(c.Out)
	}
	return def
}

// DefaultOut is chain/<step-id>.
func DefaultOut(sc *engine.StepContext) string { return "chain/" + sc.Step.ID }

// DecodeWith decodes the step's with: block (already validated by Check)
// into v; a step without one leaves v as it is.
func DecodeWith(sc *engine.StepContext, v any) error {
	file := ""
	if sc.Mission != nil {
		file = sc.Mission.File
	}
	return mission.DecodeWith(file, sc.Step.Uses, sc.Step.With, v)
}

// Finish writes the step's report whether or not the step failed, since a
// failed check's report is the evidence, and returns the step's own error
// before any error of writing it.
func Finish(sc *engine.StepContext, base, md string, rep any, runErr error) error {
	if err := WriteReport(sc, base, md, rep); err != nil && runErr == nil {
		return err
	}
	return runErr
}

// WriteReport writes base.md and base.json in the bundle (both masked, so a
// secret that reached a value cannot land in a report) and records them as
// the step's outputs.
func WriteReport(sc *engine.StepContext, base, md string, v any) error {
	js, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	for _, f := range []struct{ ext, body string }{{".md", md}, {".json", string(js) + "\n"}} {
		rel := base + f.ext
		body := f.body
		if sc.Masker != nil {
			body = sc.Masker.String(body)
		}
		if err := sc.Bundle.WriteFile(rel, []byte(body), 0o644); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		sc.AddOutput(rel)
	}
	return nil
}

// Table renders a Markdown table. Every cell, the header's too, is
// markup.Text: values come from config files and from the chain (a revert
// reason, a string a contract returns), so they are escaped as any
// untrusted text; a blank cell reads "—".
func Table(header []string, rows [][]string) string {
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + cmp.Or(markup.Text(c), "—") + " |")
		}
		b.WriteString("\n")
	}
	line(header)
	b.WriteString("|" + strings.Repeat(" --- |", len(header)) + "\n")
	for _, r := range rows {
		line(r)
	}
	return b.String()
}

// ErrorText is err's message for a report ("" for nil).
func ErrorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
