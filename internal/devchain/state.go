package devchain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"slices"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Fixed addresses. The token, ENS and thermodynamics addresses are
// upstream's (config/agialpha.json, mainnet ENS, thermodynamics.hardhat.json),
// so configs written for them read the same here.
var (
	TokenAddress        = common.HexToAddress("0xA61a3B3a130a9c20768EEBF97E21515A6046a1fA")
	ENSRegistryAddress  = common.HexToAddress("0x00000000000C2E074eC69A0dFb2997BA6C7d2e1e")
	NameWrapperAddress  = common.HexToAddress("0xD4416b13d2b3a9aBae7AcD5D6C2BbDBE25686401")
	ResolverAddress     = common.HexToAddress("0x231b0Ee14048e9dCcD1d247744d114a4EB5E8E63")
	SystemPauseAddress  = common.HexToAddress("0x5000000000000000000000000000000000000000")
	RewardEngineAddress = common.HexToAddress("0x8888888888888888888888888888888888888888")
	ThermostatAddress   = common.HexToAddress("0x4444444444444444444444444444444444444444")
	TreasuryAddress     = common.HexToAddress("0xF777777777777777777777777777777777777777")
	// ReverterAddress reverts every call; GarbageAddress answers every call
	// with three bytes; EmptyAddress holds no code. They serve the fault tests.
	ReverterAddress = common.HexToAddress("0xBAD0000000000000000000000000000000000001")
	GarbageAddress  = common.HexToAddress("0xBAD0000000000000000000000000000000000002")
	EmptyAddress    = common.HexToAddress("0x1111111111111111111111111111111111111111")
)

// ModuleGetters are SystemPause's module getters, in slot order.
var ModuleGetters = []string{"jobRegistry", "stakeManager", "validationModule", "disputeModule", "platformRegistry", "feePool", "reputationEngine", "arbitratorCommittee"}

// ModuleAddress is the i-th module's address: 0x51…0i.
func ModuleAddress(i int) common.Address {
	return common.HexToAddress(fmt.Sprintf("0x51%038x", i+1))
}

// Roles in RewardEngineMB's order.
var Roles = []string{"agent", "validator", "operator", "employer"}

// ThermostatGetters are the Thermostat's scalar getters.
var ThermostatGetters = []string{"systemTemperature", "minTemp", "maxTemp", "kp", "ki", "kd", "wEmission", "wBacklog", "wSla", "integralMin", "integralMax"}

// How a signer's name is authorised on the dev chain.
const (
	ViaNameWrapper = "nameWrapper" // NameWrapper.ownerOf(node)
	ViaResolver    = "resolver"    // registry.resolver(node).addr(node)
	ViaAllowList   = "allowList"   // only the config's additionalAgents/Validators
)

// Signer is an actor whose ENS name the dev chain authorises.
type Signer struct {
	Name    string
	Address common.Address
	Via     string
}

// Values is a complete chain state.
type Values struct {
	Token struct {
		Name, Symbol string
		Decimals     uint8
		TotalSupply  *big.Int
	}
	Signers []Signer
	Reward  struct {
		Kappa, Temperature, MaxProofs    *big.Int
		RoleSharePct                     [4]int64 // percent, as the config writes them
		RoleShareWad, Mu, BaselineEnergy [4]*big.Int
	}
	Thermo struct {
		Values    map[string]*big.Int
		RoleTemps [4]*big.Int
	}
	paused map[string]bool
	lost   map[string]bool
}

func n(s string) *big.Int {
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic("devchain: bad number " + s)
	}
	return v
}

// Base is the chain as the repository expects it: the values of upstream's
// thermodynamics.hardhat.json and agialpha.json.
var Base = func() Values {
	var v Values
	v.Token.Name, v.Token.Symbol, v.Token.Decimals = "AGI ALPHA", "AGIALPHA", 18
	v.Token.TotalSupply = n("1000000000000000000000000000")
	v.Signers = []Signer{
		{"alice.agent.agi.eth", common.HexToAddress("0xa11ce00000000000000000000000000000000001"), ViaNameWrapper},
		{"bob.club.agi.eth", common.HexToAddress("0xb0b0000000000000000000000000000000000002"), ViaResolver},
		{"carol.agent.agi.eth", common.HexToAddress("0xca40100000000000000000000000000000000003"), ViaAllowList},
	}
	v.Reward.Kappa, v.Reward.Temperature, v.Reward.MaxProofs = n("1000000000000000000"), n("1500000000000000000"), big.NewInt(256)
	v.Reward.RoleSharePct = [4]int64{65, 15, 15, 5}
	for i, p := range v.Reward.RoleSharePct {
		v.Reward.RoleShareWad[i] = new(big.Int).Mul(big.NewInt(p), n("10000000000000000"))
	}
	v.Reward.Mu = [4]*big.Int{n("100000000000000000"), n("100000000000000000"), n("50000000000000000"), n("50000000000000000")}
	v.Reward.BaselineEnergy = [4]*big.Int{n("1000000000000000000"), n("800000000000000000"), n("700000000000000000"), n("600000000000000000")}
	v.Thermo.Values = map[string]*big.Int{
		"systemTemperature": n("1500000000000000000"), "minTemp": n("500000000000000000"), "maxTemp": n("2000000000000000000"),
		"kp": n("200000000000000000"), "ki": n("50000000000000000"), "kd": n("25000000000000000"),
		"wEmission": n("1000000000000000000"), "wBacklog": n("500000000000000000"), "wSla": n("750000000000000000"),
		"integralMin": n("-2000000000000000000"), "integralMax": n("2000000000000000000"),
	}
	v.Thermo.RoleTemps = [4]*big.Int{n("1600000000000000000"), n("1400000000000000000"), n("1300000000000000000"), n("1250000000000000000")}
	return v
}()

// State is a drill: how the chain departs from Base. It is read from the
// JSON file given to `devchain --state`.
type State struct {
	// Drill names the drill in messages (free text).
	Drill string `json:"drill,omitempty"`
	// Token overrides the token's metadata (the wrong-symbol drill).
	Token struct {
		Name        string `json:"name,omitempty"`
		Symbol      string `json:"symbol,omitempty"`
		Decimals    *int   `json:"decimals,omitempty"`
		TotalSupply string `json:"totalSupply,omitempty"`
	} `json:"token,omitzero"`
	// Paused lists SystemPause module getters whose module is paused, or
	// "all" (the pause drill).
	Paused []string `json:"paused,omitempty"`
	// LostSigners are ENS names whose on-chain authorisation is gone and
	// which the written identity config no longer allow-lists (the
	// identity-recovery drill).
	LostSigners []string `json:"lostSigners,omitempty"`
	// Thermostat and RewardEngine override scalar getters by name, values
	// as decimal strings (the thermostat swing: {"kp": "…"}).
	Thermostat   map[string]string `json:"thermostat,omitempty"`
	RewardEngine map[string]string `json:"rewardEngine,omitempty"`
}

// ReadState reads a drill file; unknown keys are errors, so a typo cannot
// silently run the base chain.
func ReadState(path string) (State, error) {
	var st State
	b, err := os.ReadFile(path)
	if err != nil {
		return st, fmt.Errorf("read state: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return st, fmt.Errorf("state %s: %w", path, err)
	}
	return st, st.Validate()
}

// Validate checks names and numbers.
func (st State) Validate() error {
	for _, p := range st.Paused {
		if p != "all" && !slices.Contains(ModuleGetters, p) {
			return fmt.Errorf("state: paused: %q is not a module (known: all, %s)", p, strings.Join(ModuleGetters, ", "))
		}
	}
	for _, l := range st.LostSigners {
		if !slices.ContainsFunc(Base.Signers, func(s Signer) bool { return s.Name == l }) {
			return fmt.Errorf("state: lostSigners: %q is not a dev chain signer", l)
		}
	}
	for k, v := range st.Thermostat {
		if !slices.Contains(ThermostatGetters, k) {
			return fmt.Errorf("state: thermostat: %q is not a getter (known: %s)", k, strings.Join(ThermostatGetters, ", "))
		}
		if _, ok := new(big.Int).SetString(v, 10); !ok {
			return fmt.Errorf("state: thermostat.%s: %q is not an integer", k, v)
		}
	}
	for k, v := range st.RewardEngine {
		switch k {
		case "kappa", "temperature", "maxProofs":
		default:
			return fmt.Errorf("state: rewardEngine: %q is not a scalar getter (kappa, temperature, maxProofs)", k)
		}
		if _, ok := new(big.Int).SetString(v, 10); !ok {
			return fmt.Errorf("state: rewardEngine.%s: %q is not an integer", k, v)
		}
	}
	if st.Token.TotalSupply != "" {
		if _, ok := new(big.Int).SetString(st.Token.TotalSupply, 10); !ok {
			return fmt.Errorf("state: token.totalSupply %q is not an integer", st.Token.TotalSupply)
		}
	}
	if d := st.Token.Decimals; d != nil && (*d < 0 || *d > 255) {
		return fmt.Errorf("state: token.decimals %d is not a uint8", *d)
	}
	return nil
}

// apply is Base with the drill's departures (a deep enough copy that Base
// is never changed).
func (v Values) apply(st State) Values {
	out := v
	out.Token.TotalSupply = new(big.Int).Set(v.Token.TotalSupply)
	if st.Token.Name != "" {
		out.Token.Name = st.Token.Name
	}
	if st.Token.Symbol != "" {
		out.Token.Symbol = st.Token.Symbol
	}
	if st.Token.Decimals != nil {
		out.Token.Decimals = uint8(*st.Token.Decimals)
	}
	if st.Token.TotalSupply != "" {
		out.Token.TotalSupply = n(st.Token.TotalSupply)
	}
	out.paused = map[string]bool{}
	for _, p := range st.Paused {
		if p == "all" {
			for _, g := range ModuleGetters {
				out.paused[g] = true
			}
		}
		out.paused[p] = true
	}
	out.lost = map[string]bool{}
	for _, l := range st.LostSigners {
		out.lost[l] = true
	}
	out.Thermo.Values = map[string]*big.Int{}
	for k, x := range v.Thermo.Values {
		out.Thermo.Values[k] = x
	}
	for k, x := range st.Thermostat {
		out.Thermo.Values[k] = n(x)
	}
	for k, x := range st.RewardEngine {
		switch k {
		case "kappa":
			out.Reward.Kappa = n(x)
		case "temperature":
			out.Reward.Temperature = n(x)
		case "maxProofs":
			out.Reward.MaxProofs = n(x)
		}
	}
	return out
}

// namehash is EIP-137's node of name.
func namehash(name string) common.Hash {
	var node common.Hash
	if name == "" {
		return node
	}
	labels := strings.Split(strings.ToLower(name), ".")
	for i := len(labels) - 1; i >= 0; i-- {
		node = crypto.Keccak256Hash(node[:], crypto.Keccak256([]byte(labels[i])))
	}
	return node
}

// roleKey is a uint8 mapping key's 32-byte word.
func roleKey(i int) common.Hash { return common.BigToHash(big.NewInt(int64(i))) }
