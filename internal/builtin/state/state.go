// Package state is the helios/state built-in: a declarative snapshot of
// view calls (address, signature such as temperature()(int256), label, an
// optional expected value or range) read at the run's pinned block, written
// as Markdown and JSON so two bundles' diff names any value that moved. Its
// first instance, `preset: thermodynamics`, is upstream's thermodynamics
// report: the RewardEngineMB and Thermostat getters against
// config/thermodynamics.json (see thermo.go).
package state

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"go.yaml.in/yaml/v3"

	"github.com/helios-action/helios-action/internal/builtin/chainstep"
	"github.com/helios-action/helios-action/internal/chain"
	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/mission"
)

// Name is the `uses:` name.
const Name = "helios/state"

// PresetThermodynamics is the thermodynamics report.
const PresetThermodynamics = "thermodynamics"

// Call is one view call of a snapshot.
type Call struct {
	Label string `with:"label"`
	// Address is a 0x address or a name from `contracts`.
	Address string   `with:"address"`
	Call    string   `with:"call"`
	Args    []string `with:"args"`
	// Expect is the value as reports render it (decimal integers,
	// checksummed or lowercase addresses, true/false, text).
	Expect *string `with:"expect"`
	// Min and Max bound an integer result (inclusive).
	Min *string `with:"min"`
	Max *string `with:"max"`
}

// With is the step's `with:` block.
type With struct {
	Preset    string            `with:"preset"`
	Contracts map[string]string `with:"contracts"`
	Calls     []Call            `with:"calls,item=call"`
	// FailOnDrift fails the step when a value is not the expected one
	// (default true).
	FailOnDrift *bool `with:"fail-on-drift"`
	// Config, RewardEngine and Thermostat are the thermodynamics preset's:
	// upstream's config/thermodynamics.json and address overrides.
	Config           string `with:"config"`
	RewardEngine     string `with:"reward-engine"`
	Thermostat       string `with:"thermostat"`
	chainstep.Common `with:",inline"`
}

// Step is the built-in.
type Step struct{}

// New returns the helios/state built-in.
func New() *Step { return &Step{} }

// Name implements engine.Builtin.
func (*Step) Name() string { return Name }

// Check implements engine.Builtin.
func (*Step) Check(file string, with *yaml.Node) error {
	var w With
	if err := mission.DecodeWith(file, Name, with, &w); err != nil {
		return err
	}
	switch w.Preset {
	case "":
		if len(w.Calls) == 0 {
			return mission.NodeError(file, with, mission.KindValue, "%s: needs calls (a list of {label, address, call}) or preset: %s", Name, PresetThermodynamics)
		}
		for _, k := range []string{"config", "reward-engine", "thermostat"} {
			if n := mission.ValueNode(with, k); n != with {
				return mission.NodeError(file, n, mission.KindValue, "%s: %s belongs to preset: %s", Name, k, PresetThermodynamics)
			}
		}
	case PresetThermodynamics:
		if len(w.Calls) > 0 {
			return mission.NodeError(file, mission.ValueNode(with, "calls"), mission.KindValue, "%s: preset %s takes no calls", Name, w.Preset)
		}
		for _, k := range []struct{ key, v string }{{"reward-engine", w.RewardEngine}, {"thermostat", w.Thermostat}} {
			if err := chainstep.CheckAddress(file, Name, with, k.key, k.v); err != nil {
				return err
			}
		}
	default:
		return mission.NodeError(file, mission.ValueNode(with, "preset"), mission.KindValue, "%s: unknown preset %q (known: %s)", Name, w.Preset, PresetThermodynamics)
	}
	for name, a := range w.Contracts {
		if !common.IsHexAddress(a) {
			return mission.NodeError(file, mission.ValueNode(with, "contracts"), mission.KindValue, "%s: contract %s: %q is not an address", Name, name, a)
		}
	}
	cn := mission.ValueNode(with, "calls")
	seen := map[string]bool{}
	var errs mission.Errors
	for i, c := range w.Calls {
		n := cn
		if cn != nil && i < len(cn.Content) {
			n = cn.Content[i]
		}
		if err := checkCall(c, w.Contracts, seen); err != nil {
			errs = append(errs, mission.NodeError(file, n, mission.KindValue, "%s: call %d: %v", Name, i+1, err))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return chainstep.CheckCommon(file, Name, with, w.Common)
}

func checkCall(c Call, contracts map[string]string, seen map[string]bool) error {
	if c.Label == "" {
		return errors.New("needs a label")
	}
	if seen[c.Label] {
		return fmt.Errorf("label %q is used twice", c.Label)
	}
	seen[c.Label] = true
	if _, err := resolve(c.Address, contracts); err != nil {
		return err
	}
	m, err := chain.ParseMethod(c.Call)
	if err != nil {
		return err
	}
	if m.Outputs() != 1 {
		return fmt.Errorf("%s must declare exactly one return type", c.Call)
	}
	if _, err := m.ParseArgs(c.Args); err != nil {
		return err
	}
	for _, b := range []*string{c.Min, c.Max} {
		if b != nil {
			if _, ok := new(big.Int).SetString(*b, 0); !ok {
				return fmt.Errorf("min/max %q is not an integer", *b)
			}
		}
	}
	return nil
}

func resolve(a string, contracts map[string]string) (common.Address, error) {
	if v, ok := contracts[a]; ok {
		a = v
	}
	if !common.IsHexAddress(a) {
		return common.Address{}, fmt.Errorf("address %q is neither an address nor a name in contracts", a)
	}
	return common.HexToAddress(a), nil
}

// Value is one call's row in the generic report.
type Value struct {
	Address string   `json:"address"`
	Call    string   `json:"call"`
	Args    []string `json:"args,omitempty"`
	Expect  string   `json:"expect,omitempty"`
	Value   string   `json:"value"`
	Status  string   `json:"status"` // match, drift, read, error
	Notes   string   `json:"notes,omitempty"`
}

// Report is the generic snapshot's JSON report.
type Report struct {
	chainstep.Observed
	Values map[string]Value `json:"values"`
	Order  []string         `json:"order"`
	Status string           `json:"status"` // pass, drift, fail
	Errors []string         `json:"errors,omitempty"`
}

// Run implements engine.Builtin.
func (s *Step) Run(ctx context.Context, sc *engine.StepContext) error {
	if err := chainstep.Preflight(sc); err != nil {
		return err
	}
	var w With
	if err := chainstep.DecodeWith(sc, &w); err != nil {
		return err
	}
	failOnDrift := w.FailOnDrift == nil || *w.FailOnDrift
	if w.Preset == PresetThermodynamics {
		return runThermo(ctx, sc, w, failOnDrift)
	}
	rep := &Report{Observed: chainstep.Observed{Network: sc.Network}, Values: map[string]Value{}, Status: "fail"}
	err := runCalls(ctx, sc, w, rep, failOnDrift)
	if err != nil {
		rep.Errors = append(rep.Errors, err.Error())
	}
	rep.Settle()
	return chainstep.Finish(sc, chainstep.OutBase(w.Common, chainstep.DefaultOut(sc)), renderCalls(rep), rep, err)
}

func runCalls(ctx context.Context, sc *engine.StepContext, w With, rep *Report, failOnDrift bool) error {
	cl, err := chainstep.Connect(ctx, sc, w.Common, &rep.Observed)
	if err != nil {
		return err
	}
	var drift, failed []string
	for _, c := range w.Calls {
		v, err := readCall(ctx, cl, c, w.Contracts)
		rep.Values[c.Label] = v
		rep.Order = append(rep.Order, c.Label)
		if chain.Unanswered(err) {
			return err
		}
		switch v.Status {
		case "drift":
			drift = append(drift, fmt.Sprintf("%s: %s (%s)", c.Label, v.Value, v.Notes))
		case "error":
			failed = append(failed, fmt.Sprintf("%s: %s", c.Label, v.Notes))
		}
	}
	switch {
	case len(failed) > 0:
		return errors.New(strings.Join(failed, "; "))
	case len(drift) > 0:
		rep.Status = "drift"
		fmt.Fprintf(sc.Log, "state: drift in %s\n", strings.Join(drift, "; "))
		if failOnDrift {
			return errors.New("drift: " + strings.Join(drift, "; "))
		}
		return nil
	}
	rep.Status = "pass"
	fmt.Fprintf(sc.Log, "state: %d values read, all as expected\n", len(w.Calls))
	return nil
}

func readCall(ctx context.Context, cl *chain.Client, c Call, contracts map[string]string) (Value, error) {
	v := Value{Call: c.Call, Args: c.Args, Status: "error"}
	if c.Expect != nil {
		v.Expect = *c.Expect
	}
	addr, err := resolve(c.Address, contracts)
	if err != nil {
		v.Notes = err.Error()
		return v, err
	}
	v.Address = addr.Hex()
	m, err := chain.ParseMethod(c.Call)
	if err != nil {
		v.Notes = err.Error()
		return v, err
	}
	args, err := m.ParseArgs(c.Args)
	if err != nil {
		v.Notes = err.Error()
		return v, err
	}
	out, err := cl.Call1(ctx, addr, m, args...)
	if err != nil {
		v.Notes = err.Error()
		return v, err
	}
	v.Value = chain.Format(out)
	v.Status = "read"
	if c.Expect != nil {
		if sameValue(v.Value, *c.Expect) {
			v.Status = "match"
		} else {
			v.Status, v.Notes = "drift", "expected "+*c.Expect
		}
	}
	if c.Min != nil || c.Max != nil {
		n, ok := new(big.Int).SetString(v.Value, 10)
		switch {
		case !ok:
			v.Status, v.Notes = "drift", "not an integer, so not in range"
		case c.Min != nil && n.Cmp(bigOf(*c.Min)) < 0:
			v.Status, v.Notes = "drift", "below min "+*c.Min
		case c.Max != nil && n.Cmp(bigOf(*c.Max)) > 0:
			v.Status, v.Notes = "drift", "above max "+*c.Max
		case v.Status != "drift":
			v.Status = "match"
		}
	}
	return v, nil
}

func bigOf(s string) *big.Int {
	n, _ := new(big.Int).SetString(s, 0)
	return n
}

// sameValue compares a rendered value with an expected one: integers by
// value (so 0x10 is 16), addresses without regard to case.
func sameValue(got, want string) bool {
	if got == want {
		return true
	}
	if common.IsHexAddress(got) && common.IsHexAddress(want) {
		return common.HexToAddress(got) == common.HexToAddress(want)
	}
	a, ok1 := new(big.Int).SetString(got, 0)
	b, ok2 := new(big.Int).SetString(want, 0)
	return ok1 && ok2 && a.Cmp(b) == 0
}

func renderCalls(r *Report) string {
	var b strings.Builder
	b.WriteString("# State snapshot\n\n")
	fmt.Fprintf(&b, "%s- Result: **%s**\n\n", r.Header(), r.Status)
	if len(r.Order) > 0 {
		rows := make([][]string, 0, len(r.Order))
		for _, l := range r.Order {
			v := r.Values[l]
			call := v.Call
			if len(v.Args) > 0 {
				call += " [" + strings.Join(v.Args, ", ") + "]"
			}
			rows = append(rows, []string{l, v.Address, call, v.Expect, v.Value, v.Status, v.Notes})
		}
		b.WriteString(chainstep.Table([]string{"Label", "Address", "Call", "Expected", "On-chain", "Status", "Notes"}, rows))
	}
	if len(r.Errors) > 0 {
		b.WriteString("\n## Errors\n\n")
		for _, e := range r.Errors {
			fmt.Fprintf(&b, "- %s\n", e)
		}
	}
	return b.String()
}
