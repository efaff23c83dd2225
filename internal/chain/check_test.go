package chain_test

import (
	"strings"
	"testing"
)

// TestWithValidation: a bad `with:` block is refused when the mission is
// loaded, at the offending key.
func TestWithValidation(t *testing.T) {
	cases := []struct {
		name, step, want string
	}{
		{"token needs an address", "uses: helios/token\n        with: {symbol: X}", "helios.yml:6:15: helios/token: needs config"},
		{"token bad address", "uses: helios/token\n        with: {address: 0x12}", `helios/token: address "0x12" is not a 0x-prefixed 20-byte address`},
		{"token decimals range", "uses: helios/token\n        with: {address: \"0xA61a3B3a130a9c20768EEBF97E21515A6046a1fA\", decimals: 300}", "decimals 300 is not a uint8"},
		{"unknown key", "uses: helios/token\n        with: {config: c.json, symbl: X}", `helios.yml:6:32: helios/token: unknown key "symbl"`},
		{"bad timeout", "uses: helios/pause\n        with: {system-pause: \"0x5000000000000000000000000000000000000000\", timeout: soon}", `timeout "soon" is not a positive duration`},
		{"out leaves the bundle", "uses: helios/pause\n        with: {config: c.json, out: ../x}", `out: "../x" leads outside its folder`},
		{"pause expect", "uses: helios/pause\n        with: {config: c.json, expect: asleep}", `expect "asleep" is not one of paused, live, mixed, any`},
		{"identity signers", "uses: helios/identity\n        with: {config: c.json}", "signers must list at least one"},
		{"identity signer address", "uses: helios/identity\n        with: {signers: [{name: a.agent.agi.eth, address: nope}]}", `signer "a.agent.agi.eth" needs an address`},
		{"state needs calls", "uses: helios/state\n        with: {}", "needs calls"},
		{"state preset", "uses: helios/state\n        with: {preset: weather}", `unknown preset "weather"`},
		{"state bad signature", "uses: helios/state\n        with: {calls: [{label: t, address: \"0x4444444444444444444444444444444444444444\", call: \"temperature(int256\"}]}", "unclosed parenthesis"},
		{"state contract name", "uses: helios/state\n        with: {calls: [{label: t, address: thermo, call: \"kp()(int256)\"}]}", `address "thermo" is neither an address nor a name in contracts`},
		{"state duplicate label", "uses: helios/state\n        with: {contracts: {th: \"0x4444444444444444444444444444444444444444\"}, calls: [{label: t, address: th, call: \"kp()(int256)\"}, {label: t, address: th, call: \"ki()(int256)\"}]}", `label "t" is used twice`},
		{"state arg count", "uses: helios/state\n        with: {calls: [{label: t, address: \"0x4444444444444444444444444444444444444444\", call: \"getRoleTemperature(uint8)(int256)\"}]}", "takes 1 arguments, got 0"},
		{"preset with calls", "uses: helios/state\n        with: {preset: thermodynamics, calls: [{label: t}]}", "preset thermodynamics takes no calls"},
		{"config key without preset", "uses: helios/state\n        with: {config: x.json, calls: [{label: t, address: \"0x4444444444444444444444444444444444444444\", call: \"kp()(int256)\"}]}", "config belongs to preset: thermodynamics"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := "version: 1\nphases:\n  p:\n    steps:\n      - " + c.step + "\n"
			_, err := registry().Parse("helios.yml", []byte(src))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v\nwant an error containing %q", err, c.want)
			}
		})
	}
	ok := "version: 1\nphases:\n  p:\n    steps:\n      - uses: helios/state\n        with: {contracts: {th: \"0x4444444444444444444444444444444444444444\"}, calls: [{label: role, address: th, call: \"getRoleTemperature(uint8)(int256)\", args: [\"0\"], min: \"0\"}]}\n"
	if _, err := registry().Parse("helios.yml", []byte(ok)); err != nil {
		t.Errorf("a valid state step: %v", err)
	}
}
