// Package identity is the helios/identity built-in: every required actor's
// ENS name must be authorised for its expected address, as upstream's
// identity registry decides — the NameWrapper's ownerOf(uint256(node)) is
// the address, or the name's resolver's addr(node) is, or the address is on
// the config's additional allow-list. A missing or mismatched signer fails
// the step, so the phases that need it do not run (runbook §5.3).
package identity

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
	"github.com/helios-action/helios-action/internal/markup"
	"github.com/helios-action/helios-action/internal/mission"
)

// Name is the `uses:` name.
const Name = "helios/identity"

// Signer is one required actor.
type Signer struct {
	Name    string `with:"name"`
	Address string `with:"address"`
}

// With is the step's `with:` block.
type With struct {
	// Config is upstream's config/identity-registry.<network>.json (the
	// default when empty).
	Config string `with:"config"`
	// Registry and NameWrapper override the config's ens addresses.
	Registry         string   `with:"registry"`
	NameWrapper      string   `with:"name-wrapper"`
	Signers          []Signer `with:"signers,item=signer"`
	chainstep.Common `with:",inline"`
}

// Config is the part of upstream's identity-registry config this step reads.
type Config struct {
	ENS struct {
		Registry    string `json:"registry"`
		NameWrapper string `json:"nameWrapper"`
		AgentRoot   Root   `json:"agentRoot"`
		ClubRoot    Root   `json:"clubRoot"`
	} `json:"ens"`
	AdditionalAgents     map[string]bool `json:"additionalAgents"`
	AdditionalValidators map[string]bool `json:"additionalValidators"`
}

// Root is an ENS root with its aliases.
type Root struct {
	Name    string   `json:"name"`
	Aliases []string `json:"aliases"`
}

// Step is the built-in.
type Step struct{}

// New returns the helios/identity built-in.
func New() *Step { return &Step{} }

// Name implements engine.Builtin.
func (*Step) Name() string { return Name }

// Check implements engine.Builtin.
func (*Step) Check(file string, with *yaml.Node) error {
	var w With
	if err := mission.DecodeWith(file, Name, with, &w); err != nil {
		return err
	}
	if len(w.Signers) == 0 {
		return mission.NodeError(file, with, mission.KindValue, "%s: signers must list at least one {name, address}", Name)
	}
	sn := mission.ValueNode(with, "signers")
	var errs mission.Errors
	for i, s := range w.Signers {
		n := sn
		if sn != nil && i < len(sn.Content) {
			n = sn.Content[i]
		}
		if s.Name == "" || !strings.Contains(s.Name, ".") {
			errs = append(errs, mission.NodeError(file, n, mission.KindValue, "%s: signer %d needs an ENS name such as alice.agent.agi.eth", Name, i+1))
		}
		if !common.IsHexAddress(s.Address) {
			errs = append(errs, mission.NodeError(file, n, mission.KindValue, "%s: signer %q needs an address", Name, s.Name))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	for _, k := range []struct{ key, v string }{{"registry", w.Registry}, {"name-wrapper", w.NameWrapper}} {
		if err := chainstep.CheckAddress(file, Name, with, k.key, k.v); err != nil {
			return err
		}
	}
	return chainstep.CheckCommon(file, Name, with, w.Common)
}

// Row is one signer in the report.
type Row struct {
	Name         string `json:"name"`
	Node         string `json:"node"`
	Expected     string `json:"expected"`
	WrapperOwner string `json:"nameWrapperOwner"`
	ResolverAddr string `json:"resolverAddr"`
	AllowList    bool   `json:"allowList"`
	AuthorisedBy string `json:"authorisedBy,omitempty"` // nameWrapper, resolver, allowList
	Status       string `json:"status"`                 // authorised, missing, error
	Notes        string `json:"notes,omitempty"`
}

// Report is the step's JSON report.
type Report struct {
	chainstep.Observed
	Config      string   `json:"config"`
	Registry    string   `json:"registry"`
	NameWrapper string   `json:"nameWrapper"`
	Signers     []Row    `json:"signers"`
	Status      string   `json:"status"`
	Errors      []string `json:"errors,omitempty"`
}

var (
	mOwnerOf  = chain.MustMethod("ownerOf(uint256)(address)")
	mResolver = chain.MustMethod("resolver(bytes32)(address)")
	mAddr     = chain.MustMethod("addr(bytes32)(address)")
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
	if w.Config == "" {
		w.Config = "config/identity-registry." + sc.Network + ".json"
	}
	rep := &Report{Observed: chainstep.Observed{Network: sc.Network}, Config: w.Config, Status: "fail"}
	err := run(ctx, sc, w, rep)
	if err != nil {
		rep.Errors = append(rep.Errors, err.Error())
	}
	rep.Settle()
	return chainstep.Finish(sc, chainstep.OutBase(w.Common, chainstep.DefaultOut(sc)), render(rep), rep, err)
}

func run(ctx context.Context, sc *engine.StepContext, w With, rep *Report) error {
	var cfg Config
	if err := chainstep.ReadJSON(sc, w.Config, &cfg); err != nil {
		return err
	}
	reg, wrap := cfg.ENS.Registry, cfg.ENS.NameWrapper
	if w.Registry != "" {
		reg = w.Registry
	}
	if w.NameWrapper != "" {
		wrap = w.NameWrapper
	}
	if !common.IsHexAddress(reg) || !common.IsHexAddress(wrap) {
		return fmt.Errorf("%s: ens.registry and ens.nameWrapper must be addresses (or give registry and name-wrapper)", w.Config)
	}
	regA, wrapA := common.HexToAddress(reg), common.HexToAddress(wrap)
	rep.Registry, rep.NameWrapper = regA.Hex(), wrapA.Hex()

	cl, err := chainstep.Connect(ctx, sc, w.Common, &rep.Observed)
	if err != nil {
		return err
	}
	var problems []string
	for _, sg := range w.Signers {
		row, err := check(ctx, cl, &cfg, regA, wrapA, sg)
		rep.Signers = append(rep.Signers, row)
		if chain.Unanswered(err) || chain.KindOf(err) == chain.NoCode {
			return err
		}
		if row.Status != "authorised" {
			problems = append(problems, fmt.Sprintf("%s is not authorised for %s (%s)", sg.Name, row.Expected, row.Notes))
		}
	}
	if len(problems) > 0 {
		return errors.New("identity: " + strings.Join(problems, "; "))
	}
	rep.Status = "pass"
	fmt.Fprintf(sc.Log, "identity: %d signers authorised\n", len(rep.Signers))
	return nil
}

// check decides one signer, reading every source so the report shows them
// all (an operator recovering a signer wants to see which path broke).
func check(ctx context.Context, cl *chain.Client, cfg *Config, reg, wrap common.Address, sg Signer) (Row, error) {
	node := Namehash(sg.Name)
	want := common.HexToAddress(sg.Address)
	row := Row{Name: sg.Name, Node: node.Hex(), Expected: want.Hex(), Status: "missing"}
	var firstErr error
	note := func(err error) {
		if firstErr == nil {
			firstErr = err
		}
		if row.Notes != "" {
			row.Notes += "; "
		}
		row.Notes += err.Error()
	}

	if v, err := cl.Call1(ctx, wrap, mOwnerOf, new(big.Int).SetBytes(node[:])); err != nil {
		note(err)
	} else {
		owner := v.(common.Address)
		row.WrapperOwner = owner.Hex()
		if owner == want {
			row.AuthorisedBy = "nameWrapper"
		}
	}
	if v, err := cl.Call1(ctx, reg, mResolver, [32]byte(node)); err != nil {
		note(err)
	} else if res := v.(common.Address); res != (common.Address{}) {
		if v, err := cl.Call1(ctx, res, mAddr, [32]byte(node)); err != nil {
			note(err)
		} else {
			a := v.(common.Address)
			row.ResolverAddr = a.Hex()
			if a == want && row.AuthorisedBy == "" {
				row.AuthorisedBy = "resolver"
			}
		}
	}
	row.AllowList = allowListed(cfg, sg.Name, want)
	if row.AllowList && row.AuthorisedBy == "" {
		row.AuthorisedBy = "allowList"
	}
	switch {
	case row.AuthorisedBy != "":
		row.Status = "authorised"
	case firstErr != nil:
		row.Status = "error"
	default:
		if row.Notes == "" {
			row.Notes = "neither the NameWrapper owner nor the resolver's addr is the expected address, and it is not on the allow-list"
		}
	}
	return row, firstErr
}

// allowListed: additionalAgents covers names under the agent root (or its
// aliases), additionalValidators those under the club root.
func allowListed(cfg *Config, name string, addr common.Address) bool {
	under := func(r Root) bool {
		for _, root := range append([]string{r.Name}, r.Aliases...) {
			if root != "" && strings.HasSuffix(strings.ToLower(name), "."+strings.ToLower(root)) {
				return true
			}
		}
		return false
	}
	listed := func(m map[string]bool) bool {
		for k, ok := range m {
			if ok && common.IsHexAddress(k) && common.HexToAddress(k) == addr {
				return true
			}
		}
		return false
	}
	return (under(cfg.ENS.AgentRoot) && listed(cfg.AdditionalAgents)) ||
		(under(cfg.ENS.ClubRoot) && listed(cfg.AdditionalValidators))
}

func render(r *Report) string {
	var b strings.Builder
	b.WriteString("# Identity check\n\n")
	fmt.Fprintf(&b, "%s- Config: %s\n", r.Header(), markup.Code(r.Config))
	fmt.Fprintf(&b, "- ENS registry: %s\n- NameWrapper: %s\n- Result: **%s**\n\n", markup.Code(r.Registry), markup.Code(r.NameWrapper), r.Status)
	if len(r.Signers) > 0 {
		rows := make([][]string, len(r.Signers))
		for i, s := range r.Signers {
			allow := "no"
			if s.AllowList {
				allow = "yes"
			}
			rows[i] = []string{s.Name, s.Expected, s.WrapperOwner, s.ResolverAddr, allow, s.Status, s.AuthorisedBy, s.Notes}
		}
		b.WriteString(chainstep.Table([]string{"Name", "Expected", "NameWrapper owner", "Resolver addr", "Allow-list", "Status", "Authorised by", "Notes"}, rows))
	}
	if len(r.Errors) > 0 {
		b.WriteString("\n## Errors\n\n")
		for _, e := range r.Errors {
			fmt.Fprintf(&b, "- %s\n", e)
		}
	}
	return b.String()
}
