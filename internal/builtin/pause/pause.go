// Package pause is the helios/pause built-in: each module's OpenZeppelin
// paused(), the modules read from the SystemPause getters (SystemPause has
// no paused() of its own), rolled up as paused (all), live (none), mixed, or
// unknown (a read failed). The mission says which state it expects: the
// pause drill of runbook §5.1 expects paused, a normal run live.
package pause

import (
	"context"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"go.yaml.in/yaml/v3"

	"github.com/helios-action/helios-action/internal/builtin/chainstep"
	"github.com/helios-action/helios-action/internal/chain"
	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/markup"
	"github.com/helios-action/helios-action/internal/mission"
)

// Name is the `uses:` name.
const Name = "helios/pause"

// Roll-up states.
const (
	Paused  = "paused"
	Live    = "live"
	Mixed   = "mixed"
	Unknown = "unknown"
)

// DefaultModules are the SystemPause getters upstream's modules sit behind.
var DefaultModules = []string{"jobRegistry", "stakeManager", "validationModule", "disputeModule", "platformRegistry", "feePool", "reputationEngine", "arbitratorCommittee"}

// With is the step's `with:` block.
type With struct {
	// Config is upstream's config/agialpha.json, whose modules.systemPause
	// is the SystemPause address; SystemPause overrides it.
	Config      string   `with:"config"`
	SystemPause string   `with:"system-pause"`
	Modules     []string `with:"modules"`
	// Expect is paused, live, mixed or any (default live).
	Expect           string `with:"expect"`
	chainstep.Common `with:",inline"`
}

// Step is the built-in.
type Step struct{}

// New returns the helios/pause built-in.
func New() *Step { return &Step{} }

// Name implements engine.Builtin.
func (*Step) Name() string { return Name }

// Check implements engine.Builtin.
func (*Step) Check(file string, with *yaml.Node) error {
	var w With
	if err := mission.DecodeWith(file, Name, with, &w); err != nil {
		return err
	}
	if w.Config == "" && w.SystemPause == "" {
		return mission.NodeError(file, with, mission.KindValue, "%s: needs system-pause (an address) or config (config/agialpha.json with modules.systemPause)", Name)
	}
	switch w.Expect {
	case "", Paused, Live, Mixed, "any":
	default:
		return mission.NodeError(file, mission.ValueNode(with, "expect"), mission.KindValue, "%s: expect %q is not one of paused, live, mixed, any", Name, w.Expect)
	}
	for _, m := range w.Modules {
		if _, err := chain.ParseMethod(m + "()(address)"); err != nil {
			return mission.NodeError(file, mission.ValueNode(with, "modules"), mission.KindValue, "%s: module getter %q: %v", Name, m, err)
		}
	}
	if err := chainstep.CheckAddress(file, Name, with, "system-pause", w.SystemPause); err != nil {
		return err
	}
	return chainstep.CheckCommon(file, Name, with, w.Common)
}

// Module is one row of the report.
type Module struct {
	Getter  string `json:"getter"`
	Address string `json:"address"`
	Paused  string `json:"paused"` // true, false, or "" when unread
	Error   string `json:"error,omitempty"`
}

// Report is the step's JSON report.
type Report struct {
	chainstep.Observed
	SystemPause string   `json:"systemPause"`
	Modules     []Module `json:"modules"`
	State       string   `json:"state"`
	Expect      string   `json:"expect"`
	Status      string   `json:"status"`
	Errors      []string `json:"errors,omitempty"`
}

var mPaused = chain.MustMethod("paused()(bool)")

// Run implements engine.Builtin.
func (s *Step) Run(ctx context.Context, sc *engine.StepContext) error {
	if err := chainstep.Preflight(sc); err != nil {
		return err
	}
	var w With
	if err := chainstep.DecodeWith(sc, &w); err != nil {
		return err
	}
	if w.Expect == "" {
		w.Expect = Live
	}
	if len(w.Modules) == 0 {
		w.Modules = DefaultModules
	}
	rep := &Report{Observed: chainstep.Observed{Network: sc.Network}, Expect: w.Expect, State: Unknown, Status: "fail"}
	err := run(ctx, sc, w, rep)
	if err != nil {
		rep.Errors = append(rep.Errors, err.Error())
	}
	sc.Record("pauseState", rep.State)
	rep.Settle()
	return chainstep.Finish(sc, chainstep.OutBase(w.Common, chainstep.DefaultOut(sc)), render(rep), rep, err)
}

func run(ctx context.Context, sc *engine.StepContext, w With, rep *Report) error {
	sp := w.SystemPause
	if sp == "" {
		var cfg struct {
			Modules struct {
				SystemPause string `json:"systemPause"`
			} `json:"modules"`
		}
		if err := chainstep.ReadJSON(sc, w.Config, &cfg); err != nil {
			return err
		}
		sp = cfg.Modules.SystemPause
		if !common.IsHexAddress(sp) || common.HexToAddress(sp) == (common.Address{}) {
			return fmt.Errorf("%s: modules.systemPause is not set", w.Config)
		}
	}
	spA := common.HexToAddress(sp)
	rep.SystemPause = spA.Hex()
	cl, err := chainstep.Connect(ctx, sc, w.Common, &rep.Observed)
	if err != nil {
		return err
	}
	var npaused, nlive, nunknown int
	for _, g := range w.Modules {
		row := Module{Getter: g}
		err := readModule(ctx, cl, spA, g, &row)
		rep.Modules = append(rep.Modules, row)
		switch {
		case err != nil:
			nunknown++
			if chain.Unanswered(err) {
				rep.State = Unknown
				return err
			}
		case row.Paused == "true":
			npaused++
		default:
			nlive++
		}
	}
	switch {
	case nunknown > 0:
		rep.State = Unknown
	case npaused == len(w.Modules):
		rep.State = Paused
	case nlive == len(w.Modules):
		rep.State = Live
	default:
		rep.State = Mixed
	}
	fmt.Fprintf(sc.Log, "pause: %s (%d paused, %d live, %d unknown); expected %s\n", rep.State, npaused, nlive, nunknown, w.Expect)
	if w.Expect != "any" && rep.State != w.Expect {
		return fmt.Errorf("pause state is %s, expected %s", rep.State, w.Expect)
	}
	rep.Status = "pass"
	return nil
}

func readModule(ctx context.Context, cl *chain.Client, sp common.Address, getter string, row *Module) error {
	m, err := chain.ParseMethod(getter + "()(address)")
	if err != nil {
		row.Error = err.Error()
		return err
	}
	v, err := cl.Call1(ctx, sp, m)
	if err != nil {
		row.Error = err.Error()
		return err
	}
	addr := v.(common.Address)
	row.Address = addr.Hex()
	if addr == (common.Address{}) {
		err := fmt.Errorf("SystemPause.%s() is not set", getter)
		row.Error = err.Error()
		return err
	}
	p, err := cl.Call1(ctx, addr, mPaused)
	if err != nil {
		row.Error = err.Error()
		return err
	}
	row.Paused = chain.Format(p)
	return nil
}

func render(r *Report) string {
	var b strings.Builder
	b.WriteString("# Pause state\n\n")
	fmt.Fprintf(&b, "%s- SystemPause: %s\n", r.Header(), markup.Code(r.SystemPause))
	fmt.Fprintf(&b, "- State: **%s** (expected %s)\n- Result: **%s**\n\n", r.State, r.Expect, r.Status)
	if len(r.Modules) > 0 {
		rows := make([][]string, len(r.Modules))
		for i, m := range r.Modules {
			rows[i] = []string{m.Getter, m.Address, m.Paused, m.Error}
		}
		b.WriteString(chainstep.Table([]string{"Module", "Address", "paused()", "Notes"}, rows))
	}
	if len(r.Errors) > 0 {
		b.WriteString("\n## Errors\n\n")
		for _, e := range r.Errors {
			fmt.Fprintf(&b, "- %s\n", e)
		}
	}
	return b.String()
}
