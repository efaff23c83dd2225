package state

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"

	"github.com/helios-action/helios-action/internal/builtin/chainstep"
	"github.com/helios-action/helios-action/internal/chain"
	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/markup"
)

// Defaults of the thermodynamics preset.
const (
	DefaultThermoConfig = "config/thermodynamics.json"
	DefaultThermoOut    = "owner/thermodynamics"
)

// roles in RewardEngineMB's order: Agent=0 Validator=1 Operator=2 Employer=3.
var roles = []string{"agent", "validator", "operator", "employer"}

// num is a config value written as a JSON number or a decimal string.
type num string

func (n *num) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*n = num(s)
		return nil
	}
	var x json.Number
	if err := json.Unmarshal(b, &x); err != nil {
		return fmt.Errorf("want a number or a decimal string, got %s", b)
	}
	*n = num(x.String())
	return nil
}

type pair struct {
	Min num `json:"min"`
	Max num `json:"max"`
}

// thermoConfig is upstream's config/thermodynamics.json.
type thermoConfig struct {
	RewardEngine struct {
		Address        string         `json:"address"`
		Treasury       string         `json:"treasury"`
		Thermostat     string         `json:"thermostat"`
		RoleShares     map[string]num `json:"roleShares"`
		Mu             map[string]num `json:"mu"`
		BaselineEnergy map[string]num `json:"baselineEnergy"`
		Kappa          num            `json:"kappa"`
		MaxProofs      num            `json:"maxProofs"`
		Temperature    num            `json:"temperature"`
	} `json:"rewardEngine"`
	Thermostat struct {
		Address           string `json:"address"`
		SystemTemperature num    `json:"systemTemperature"`
		Bounds            pair   `json:"bounds"`
		PID               struct {
			Kp num `json:"kp"`
			Ki num `json:"ki"`
			Kd num `json:"kd"`
		} `json:"pid"`
		KPIWeights struct {
			Emission num `json:"emission"`
			Backlog  num `json:"backlog"`
			SLA      num `json:"sla"`
		} `json:"kpiWeights"`
		IntegralBounds   pair           `json:"integralBounds"`
		RoleTemperatures map[string]num `json:"roleTemperatures"`
	} `json:"thermostat"`
}

type kind int

const (
	kInt kind = iota
	kAddress
	kShare // config in percent, chain in wad
)

type param struct {
	name   string
	sig    string
	args   []any
	config string
	kind   kind
}

// Statuses of a thermodynamics row, as upstream's report names them.
const (
	stMatch           = "match"
	stDrift           = "drift"
	stConfigMissing   = "config missing"
	stContractMissing = "contract missing"
	stSkipped         = "skipped"
)

// Row is one parameter of the thermodynamics report.
type Row struct {
	Config  string `json:"config"`
	OnChain string `json:"onChain"`
	Status  string `json:"status"`
	Notes   string `json:"notes,omitempty"`
}

// Section is one contract of the thermodynamics report.
type Section struct {
	Contract   string         `json:"contract"`
	Address    string         `json:"address"`
	Parameters map[string]Row `json:"parameters"`
	Order      []string       `json:"order"`
}

// Summary counts a section's rows.
type Summary struct {
	Section         string `json:"section"`
	Checks          int    `json:"checks"`
	Match           int    `json:"match"`
	Drift           int    `json:"drift"`
	ConfigMissing   int    `json:"configMissing"`
	ContractMissing int    `json:"contractMissing"`
	Skipped         int    `json:"skipped"`
}

// ThermoReport is the thermodynamics report's JSON.
type ThermoReport struct {
	chainstep.Observed
	Config       string    `json:"config"`
	Summary      []Summary `json:"summary"`
	RewardEngine *Section  `json:"rewardEngine,omitempty"`
	Thermostat   *Section  `json:"thermostat,omitempty"`
	Status       string    `json:"status"` // pass, drift, fail
	Errors       []string  `json:"errors,omitempty"`
}

func runThermo(ctx context.Context, sc *engine.StepContext, w With, failOnDrift bool) error {
	if w.Config == "" {
		w.Config = DefaultThermoConfig
	}
	rep := &ThermoReport{Observed: chainstep.Observed{Network: sc.Network}, Config: w.Config, Status: "fail"}
	err := thermo(ctx, sc, w, rep, failOnDrift)
	if err != nil {
		rep.Errors = append(rep.Errors, err.Error())
	}
	rep.Settle()
	return chainstep.Finish(sc, chainstep.OutBase(w.Common, DefaultThermoOut), renderThermo(rep), rep, err)
}

func thermo(ctx context.Context, sc *engine.StepContext, w With, rep *ThermoReport, failOnDrift bool) error {
	var cfg thermoConfig
	if err := chainstep.ReadJSON(sc, w.Config, &cfg); err != nil {
		return err
	}
	// Role shares are percentages of the rewards: they must add up.
	sum := new(big.Rat)
	for _, r := range roles {
		v, ok := cfg.RewardEngine.RoleShares[r]
		if !ok {
			continue
		}
		x, ok := new(big.Rat).SetString(string(v))
		if !ok {
			return fmt.Errorf("%s: rewardEngine.roleShares.%s %q is not a number", w.Config, r, v)
		}
		sum.Add(sum, x)
	}
	if len(cfg.RewardEngine.RoleShares) > 0 && sum.Cmp(big.NewRat(100, 1)) != 0 {
		return fmt.Errorf("%s: role shares sum to %s %%, not 100 %%", w.Config, sum.FloatString(2))
	}
	re, th := cfg.RewardEngine.Address, cfg.Thermostat.Address
	if w.RewardEngine != "" {
		re = w.RewardEngine
	}
	if w.Thermostat != "" {
		th = w.Thermostat
	}
	rep.RewardEngine = &Section{Contract: "RewardEngineMB", Address: addrText(re), Parameters: map[string]Row{}}
	rep.Thermostat = &Section{Contract: "Thermostat", Address: addrText(th), Parameters: map[string]Row{}}

	cl, err := chainstep.Connect(ctx, sc, w.Common, &rep.Observed)
	if err != nil {
		return err
	}
	var drift []string
	for _, s := range []struct {
		sec    *Section
		params []param
	}{{rep.RewardEngine, rewardParams(&cfg)}, {rep.Thermostat, thermostatParams(&cfg)}} {
		sum := Summary{Section: s.sec.Contract}
		var shareSum *big.Int
		for _, p := range s.params {
			row, err := readParam(ctx, cl, s.sec.Address, p)
			if chain.Unanswered(err) {
				return err
			}
			if p.kind == kShare && row.Status != stContractMissing && row.Status != stSkipped {
				if shareSum == nil {
					shareSum = new(big.Int)
				}
				v, _ := new(big.Int).SetString(strings.Fields(row.OnChain)[0], 10)
				if v != nil {
					shareSum.Add(shareSum, v)
				}
			}
			addRow(s.sec, &sum, p.name, row)
			if row.Status == stDrift || row.Status == stContractMissing {
				drift = append(drift, fmt.Sprintf("%s.%s %s", s.sec.Contract, p.name, row.Status))
			}
		}
		if shareSum != nil {
			row := Row{Config: "100 %", OnChain: percent(shareSum), Status: stMatch}
			if shareSum.Cmp(wad) != 0 {
				row.Status, row.Notes = stDrift, "role shares on chain do not sum to 100 %"
				drift = append(drift, s.sec.Contract+".roleShare total drift")
			}
			addRow(s.sec, &sum, "roleShare.total", row)
		}
		rep.Summary = append(rep.Summary, sum)
	}
	if len(drift) > 0 {
		rep.Status = "drift"
		fmt.Fprintf(sc.Log, "thermodynamics: %s\n", strings.Join(drift, "; "))
		if failOnDrift {
			return errors.New("thermodynamics: " + strings.Join(drift, "; "))
		}
		return nil
	}
	rep.Status = "pass"
	fmt.Fprintln(sc.Log, "thermodynamics: every parameter matches the config")
	return nil
}

func addRow(s *Section, sum *Summary, name string, row Row) {
	s.Parameters[name] = row
	s.Order = append(s.Order, name)
	sum.Checks++
	switch row.Status {
	case stMatch:
		sum.Match++
	case stDrift:
		sum.Drift++
	case stConfigMissing:
		sum.ConfigMissing++
	case stContractMissing:
		sum.ContractMissing++
	case stSkipped:
		sum.Skipped++
	}
}

func addrText(a string) string {
	if !common.IsHexAddress(a) || common.HexToAddress(a) == (common.Address{}) {
		return ""
	}
	return common.HexToAddress(a).Hex()
}

func rewardParams(c *thermoConfig) []param {
	r := &c.RewardEngine
	ps := []param{
		{name: "kappa", sig: "kappa()(uint256)", config: string(r.Kappa)},
		{name: "temperature", sig: "temperature()(int256)", config: string(r.Temperature)},
		{name: "maxProofs", sig: "maxProofs()(uint256)", config: string(r.MaxProofs)},
		{name: "thermostat", sig: "thermostat()(address)", config: r.Thermostat, kind: kAddress},
		{name: "treasury", sig: "treasury()(address)", config: r.Treasury, kind: kAddress},
	}
	for i, role := range roles {
		ps = append(ps, param{name: "roleShare." + role, sig: "roleShare(uint8)(uint256)", args: []any{uint8(i)}, config: string(r.RoleShares[role]), kind: kShare})
	}
	for i, role := range roles {
		ps = append(ps, param{name: "mu." + role, sig: "mu(uint8)(int256)", args: []any{uint8(i)}, config: string(r.Mu[role])})
	}
	for i, role := range roles {
		ps = append(ps, param{name: "baselineEnergy." + role, sig: "baselineEnergy(uint8)(int256)", args: []any{uint8(i)}, config: string(r.BaselineEnergy[role])})
	}
	return ps
}

func thermostatParams(c *thermoConfig) []param {
	t := &c.Thermostat
	ps := []param{
		{name: "systemTemperature", sig: "systemTemperature()(int256)", config: string(t.SystemTemperature)},
		{name: "minTemp", sig: "minTemp()(int256)", config: string(t.Bounds.Min)},
		{name: "maxTemp", sig: "maxTemp()(int256)", config: string(t.Bounds.Max)},
		{name: "kp", sig: "kp()(int256)", config: string(t.PID.Kp)},
		{name: "ki", sig: "ki()(int256)", config: string(t.PID.Ki)},
		{name: "kd", sig: "kd()(int256)", config: string(t.PID.Kd)},
		{name: "wEmission", sig: "wEmission()(int256)", config: string(t.KPIWeights.Emission)},
		{name: "wBacklog", sig: "wBacklog()(int256)", config: string(t.KPIWeights.Backlog)},
		{name: "wSla", sig: "wSla()(int256)", config: string(t.KPIWeights.SLA)},
		{name: "integralMin", sig: "integralMin()(int256)", config: string(t.IntegralBounds.Min)},
		{name: "integralMax", sig: "integralMax()(int256)", config: string(t.IntegralBounds.Max)},
	}
	for i, role := range roles {
		ps = append(ps, param{name: "roleTemperature." + role, sig: "getRoleTemperature(uint8)(int256)", args: []any{uint8(i)}, config: string(t.RoleTemperatures[role])})
	}
	return ps
}

var wad = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)

// percent renders a wad share as "650000000000000000 (65 %)".
func percent(w *big.Int) string {
	r := new(big.Rat).SetFrac(new(big.Int).Mul(w, big.NewInt(100)), wad)
	return w.String() + " (" + strings.TrimSuffix(strings.TrimRight(r.FloatString(4), "0"), ".") + " %)"
}

func readParam(ctx context.Context, cl *chain.Client, addr string, p param) (Row, error) {
	row := Row{Config: p.config}
	if p.kind == kShare && p.config != "" {
		row.Config = p.config + " %"
	}
	if addr == "" {
		row.Status, row.Notes = stSkipped, "no contract address in the config"
		return row, nil
	}
	m := chain.MustMethod(p.sig)
	v, err := cl.Call1(ctx, common.HexToAddress(addr), m, p.args...)
	if err != nil {
		row.Status, row.Notes = stContractMissing, err.Error()
		return row, err
	}
	row.OnChain = chain.Format(v)
	if p.kind == kShare {
		row.OnChain = percent(v.(*big.Int))
	}
	if p.config == "" {
		row.Status, row.Notes = stConfigMissing, "not in the config"
		return row, nil
	}
	if equal(p, v) {
		row.Status = stMatch
	} else {
		row.Status = stDrift
	}
	return row, nil
}

func equal(p param, v any) bool {
	switch p.kind {
	case kAddress:
		return common.IsHexAddress(p.config) && common.HexToAddress(p.config) == v.(common.Address)
	case kShare:
		pct, ok := new(big.Rat).SetString(p.config)
		if !ok {
			return false
		}
		onchain := new(big.Rat).SetFrac(new(big.Int).Mul(v.(*big.Int), big.NewInt(100)), wad)
		return pct.Cmp(onchain) == 0
	}
	want, ok := new(big.Int).SetString(p.config, 0)
	return ok && want.String() == chain.Format(v)
}

func renderThermo(r *ThermoReport) string {
	var b strings.Builder
	b.WriteString("# Thermodynamics report\n\n")
	fmt.Fprintf(&b, "%s- Config: %s\n- Result: **%s**\n\n", r.Header(), markup.Code(r.Config), r.Status)
	if len(r.Summary) > 0 {
		b.WriteString("## Summary\n\n")
		rows := make([][]string, len(r.Summary))
		for i, s := range r.Summary {
			rows[i] = []string{s.Section, fmt.Sprint(s.Checks), fmt.Sprint(s.Match), fmt.Sprint(s.Drift), fmt.Sprint(s.ConfigMissing), fmt.Sprint(s.ContractMissing), fmt.Sprint(s.Skipped)}
		}
		b.WriteString(chainstep.Table([]string{"Section", "Checks", "Match", "Drift", "Config missing", "Contract missing", "Skipped"}, rows))
	}
	for _, s := range []*Section{r.RewardEngine, r.Thermostat} {
		if s == nil || len(s.Order) == 0 {
			continue
		}
		addr := s.Address
		if addr == "" {
			addr = "not configured"
		}
		fmt.Fprintf(&b, "\n## %s (%s)\n\n", s.Contract, markup.Code(addr))
		rows := make([][]string, len(s.Order))
		for i, name := range s.Order {
			p := s.Parameters[name]
			rows[i] = []string{name, p.Config, p.OnChain, p.Status, p.Notes}
		}
		b.WriteString(chainstep.Table([]string{"Parameter", "Config", "On-chain", "Status", "Notes"}, rows))
	}
	if len(r.Errors) > 0 {
		b.WriteString("\n## Errors\n\n")
		for _, e := range r.Errors {
			fmt.Fprintf(&b, "- %s\n", e)
		}
	}
	return b.String()
}
