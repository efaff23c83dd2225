// Package token is the helios/token built-in: an ERC-20's decimals(),
// symbol(), name() and totalSupply() at the pinned block against the values
// the repository expects (upstream's config/agialpha.json, or the mission's
// own fields). Runbook §1.3: Helios runs hot only if they match.
package token

import (
	"context"
	"errors"
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
const Name = "helios/token"

// With is the step's `with:` block. Inline fields override the config's.
type With struct {
	// Config is a workspace file in upstream's config/agialpha.json format.
	Config           string `with:"config"`
	Address          string `with:"address"`
	Decimals         *int   `with:"decimals"`
	Symbol           string `with:"symbol"`
	TokenNm          string `with:"name"`
	chainstep.Common `with:",inline"`
}

// config is upstream's config/agialpha.json (the fields this step reads).
type config struct {
	Address  string `json:"address"`
	Decimals *int   `json:"decimals"`
	Symbol   string `json:"symbol"`
	Name     string `json:"name"`
}

// Step is the built-in.
type Step struct{}

// New returns the helios/token built-in.
func New() *Step { return &Step{} }

// Name implements engine.Builtin.
func (*Step) Name() string { return Name }

// Check implements engine.Builtin.
func (*Step) Check(file string, with *yaml.Node) error {
	var w With
	if err := mission.DecodeWith(file, Name, with, &w); err != nil {
		return err
	}
	if w.Config == "" && w.Address == "" {
		return mission.NodeError(file, with, mission.KindValue, "%s: needs config (a file in config/agialpha.json's format) or address", Name)
	}
	if w.Decimals != nil && (*w.Decimals < 0 || *w.Decimals > 255) {
		return mission.NodeError(file, mission.ValueNode(with, "decimals"), mission.KindValue, "%s: decimals %d is not a uint8", Name, *w.Decimals)
	}
	if err := chainstep.CheckAddress(file, Name, with, "address", w.Address); err != nil {
		return err
	}
	return chainstep.CheckCommon(file, Name, with, w.Common)
}

// Check is one row of the report.
type Check struct {
	Field   string `json:"field"`
	Config  string `json:"config"`
	OnChain string `json:"onChain"`
	Status  string `json:"status"` // match, mismatch, read, error
	Error   string `json:"error,omitempty"`
}

// Report is the step's JSON report.
type Report struct {
	chainstep.Observed
	Config  string   `json:"config,omitempty"`
	Address string   `json:"address"`
	Checks  []Check  `json:"checks"`
	Status  string   `json:"status"` // pass, fail
	Errors  []string `json:"errors,omitempty"`
}

var (
	mDecimals    = chain.MustMethod("decimals()(uint8)")
	mSymbol      = chain.MustMethod("symbol()(string)")
	mName        = chain.MustMethod("name()(string)")
	mTotalSupply = chain.MustMethod("totalSupply()(uint256)")
)

// Run implements engine.Builtin.
func (s *Step) Run(ctx context.Context, sc *engine.StepContext) error {
	if err := chainstep.Preflight(sc); err != nil {
		return err
	}
	var w With
	if err := chainstep.DecodeWith(sc, &w); err != nil {
		return err
	}
	rep := &Report{Observed: chainstep.Observed{Network: sc.Network}, Config: w.Config, Status: "fail"}
	err := s.run(ctx, sc, w, rep)
	if err != nil {
		rep.Errors = append(rep.Errors, err.Error())
	}
	rep.Settle()
	return chainstep.Finish(sc, chainstep.OutBase(w.Common, chainstep.DefaultOut(sc)), render(rep), rep, err)
}

func (s *Step) run(ctx context.Context, sc *engine.StepContext, w With, rep *Report) error {
	var want config
	if w.Config != "" {
		if err := chainstep.ReadJSON(sc, w.Config, &want); err != nil {
			return err
		}
	}
	if w.Address != "" {
		want.Address = w.Address
	}
	if w.Decimals != nil {
		want.Decimals = w.Decimals
	}
	if w.Symbol != "" {
		want.Symbol = w.Symbol
	}
	if w.TokenNm != "" {
		want.Name = w.TokenNm
	}
	if !common.IsHexAddress(want.Address) {
		return fmt.Errorf("token address %q is not an address", want.Address)
	}
	addr := common.HexToAddress(want.Address)
	rep.Address = addr.Hex()

	cl, err := chainstep.Connect(ctx, sc, w.Common, &rep.Observed)
	if err != nil {
		return err
	}
	// An address without code fails once, with that reason, rather than as
	// "decimals mismatch: 0".
	has, err := cl.HasCode(ctx, addr)
	if err != nil {
		return err
	}
	if !has {
		return &chain.Error{Kind: chain.NoCode, Call: "token", Addr: addr, Msg: "no contract code at " + addr.Hex()}
	}
	type field struct {
		name string
		m    *chain.Method
		want string
		set  bool
	}
	fields := []field{
		{"decimals", mDecimals, intText(want.Decimals), want.Decimals != nil},
		{"symbol", mSymbol, want.Symbol, want.Symbol != ""},
		{"name", mName, want.Name, want.Name != ""},
		{"totalSupply", mTotalSupply, "", false},
	}
	var mismatches []string
	var fatal error
	for _, f := range fields {
		c := Check{Field: f.name, Config: f.want}
		v, err := cl.Call1(ctx, addr, f.m)
		switch {
		case err != nil:
			c.Status, c.Error = "error", err.Error()
			if fatal == nil {
				fatal = err
			}
		case !f.set:
			c.OnChain, c.Status = chain.Format(v), "read"
		default:
			c.OnChain = chain.Format(v)
			if c.OnChain == f.want {
				c.Status = "match"
			} else {
				c.Status = "mismatch"
				mismatches = append(mismatches, fmt.Sprintf("On-chain %s mismatch: config %s vs chain %s", f.name, f.want, c.OnChain))
			}
		}
		rep.Checks = append(rep.Checks, c)
		// A timeout, a dead or rate-limiting endpoint, or a cancelled run will
		// not answer the next call either.
		if chain.Unanswered(err) {
			break
		}
	}
	switch {
	case fatal != nil:
		return fatal
	case len(mismatches) > 0:
		return errors.New(strings.Join(mismatches, "; "))
	}
	rep.Status = "pass"
	fmt.Fprintf(sc.Log, "token %s at %s: decimals, symbol and name match\n", want.Symbol, addr.Hex())
	return nil
}

func intText(p *int) string {
	if p == nil {
		return ""
	}
	return fmt.Sprint(*p)
}

func render(r *Report) string {
	var b strings.Builder
	b.WriteString("# Token check\n\n")
	fmt.Fprintf(&b, "%s", r.Header())
	if r.Config != "" {
		fmt.Fprintf(&b, "- Config: %s\n", markup.Code(r.Config))
	}
	fmt.Fprintf(&b, "- Address: %s\n- Result: **%s**\n\n", markup.Code(r.Address), r.Status)
	if len(r.Checks) > 0 {
		rows := make([][]string, len(r.Checks))
		for i, c := range r.Checks {
			rows[i] = []string{c.Field, c.Config, c.OnChain, c.Status, c.Error}
		}
		b.WriteString(chainstep.Table([]string{"Field", "Config", "On-chain", "Status", "Notes"}, rows))
	}
	if len(r.Errors) > 0 {
		b.WriteString("\n## Errors\n\n")
		for _, e := range r.Errors {
			fmt.Fprintf(&b, "- %s\n", e)
		}
	}
	return b.String()
}
