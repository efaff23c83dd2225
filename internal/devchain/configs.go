package devchain

import (
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"

	"github.com/ethereum/go-ethereum/common"
)

// Config file names WriteConfigs writes, as upstream names them.
const (
	AgialphaConfig       = "agialpha.json"
	ThermodynamicsConfig = "thermodynamics.json"
)

// IdentityConfig is the identity registry config's name for a network.
func IdentityConfig(network string) string { return "identity-registry." + network + ".json" }

// Configs renders the configs that describe the chain as the repository
// expects it: Base's values, whatever the drill. Only the identity config
// follows the drill, dropping lost signers from its allow-list, since
// upstream's identity-recovery drill removes a signer there (runbook §5.3).
// Keys are in a fixed order so the files are stable.
func Configs(network string, st State) (map[string][]byte, error) {
	lost := map[string]bool{}
	for _, l := range st.LostSigners {
		lost[l] = true
	}
	zero := common.Address{}.Hex()
	modules := map[string]string{"systemPause": SystemPauseAddress.Hex()}
	for i, g := range ModuleGetters {
		modules[g] = ModuleAddress(i).Hex()
	}
	agialpha := ordered{
		{"address", TokenAddress.Hex()},
		{"decimals", Base.Token.Decimals},
		{"symbol", Base.Token.Symbol},
		{"name", Base.Token.Name},
		{"burnAddress", zero},
		{"modules", modules},
	}
	agents, validators := map[string]bool{}, map[string]bool{}
	for _, s := range Base.Signers {
		if s.Via != ViaAllowList || lost[s.Name] {
			continue
		}
		if isUnder(s.Name, "club.agi.eth") {
			validators[s.Address.Hex()] = true
		} else {
			agents[s.Address.Hex()] = true
		}
	}
	root := func(name, alias string) ordered {
		return ordered{{"name", name}, {"node", namehash(name).Hex()}, {"aliases", []string{alias}}}
	}
	identity := ordered{
		{"address", zero},
		{"ens", ordered{
			{"registry", ENSRegistryAddress.Hex()},
			{"nameWrapper", NameWrapperAddress.Hex()},
			{"agentRoot", root("agent.agi.eth", "alpha.agent.agi.eth")},
			{"clubRoot", root("club.agi.eth", "alpha.club.agi.eth")},
		}},
		{"merkle", ordered{{"agent", common.Hash{}.Hex()}, {"validator", common.Hash{}.Hex()}}},
		{"additionalAgents", agents},
		{"additionalValidators", validators},
		{"agentTypes", map[string]any{}},
		{"agentProfiles", map[string]any{}},
	}
	perRole := func(v [4]*big.Int) ordered {
		o := make(ordered, len(Roles))
		for i, r := range Roles {
			o[i] = kv{r, v[i].String()}
		}
		return o
	}
	shares := make(ordered, len(Roles))
	for i, r := range Roles {
		shares[i] = kv{r, Base.Reward.RoleSharePct[i]}
	}
	t := Base.Thermo.Values
	thermo := ordered{
		{"rewardEngine", ordered{
			{"address", RewardEngineAddress.Hex()},
			{"treasury", TreasuryAddress.Hex()},
			{"thermostat", ThermostatAddress.Hex()},
			{"roleShares", shares},
			{"mu", perRole(Base.Reward.Mu)},
			{"baselineEnergy", perRole(Base.Reward.BaselineEnergy)},
			{"kappa", Base.Reward.Kappa.String()},
			{"maxProofs", Base.Reward.MaxProofs.Int64()},
			{"temperature", Base.Reward.Temperature.String()},
		}},
		{"thermostat", ordered{
			{"address", ThermostatAddress.Hex()},
			{"systemTemperature", t["systemTemperature"].String()},
			{"bounds", ordered{{"min", t["minTemp"].String()}, {"max", t["maxTemp"].String()}}},
			{"pid", ordered{{"kp", t["kp"].String()}, {"ki", t["ki"].String()}, {"kd", t["kd"].String()}}},
			{"kpiWeights", ordered{{"emission", t["wEmission"].String()}, {"backlog", t["wBacklog"].String()}, {"sla", t["wSla"].String()}}},
			{"integralBounds", ordered{{"min", t["integralMin"].String()}, {"max", t["integralMax"].String()}}},
			{"roleTemperatures", perRole(Base.Thermo.RoleTemps)},
		}},
	}
	out := map[string][]byte{}
	for name, doc := range map[string]any{AgialphaConfig: agialpha, IdentityConfig(network): identity, ThermodynamicsConfig: thermo} {
		b, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", name, err)
		}
		out[name] = append(b, '\n')
	}
	return out, nil
}

// WriteConfigs writes Configs into dir.
func WriteConfigs(dir, network string, st State) ([]string, error) {
	files, err := Configs(network, st)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("write configs: %w", err)
	}
	var names []string
	for _, name := range []string{AgialphaConfig, IdentityConfig(network), ThermodynamicsConfig} {
		if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
			return nil, fmt.Errorf("write configs: %w", err)
		}
		names = append(names, name)
	}
	return names, nil
}

func isUnder(name, root string) bool {
	return len(name) > len(root) && name[len(name)-len(root)-1:] == "."+root
}

// ordered is a JSON object that keeps its keys in the order written, as
// upstream's hand-written configs do.
type ordered []kv

type kv struct {
	k string
	v any
}

func (o ordered) MarshalJSON() ([]byte, error) {
	buf := []byte{'{'}
	for i, e := range o {
		if i > 0 {
			buf = append(buf, ',')
		}
		k, err := json.Marshal(e.k)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(e.v)
		if err != nil {
			return nil, err
		}
		buf = append(append(append(buf, k...), ':'), v...)
	}
	return append(buf, '}'), nil
}
