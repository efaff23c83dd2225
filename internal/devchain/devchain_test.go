package devchain

import (
	"bytes"
	"context"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/helios-action/helios-action/internal/golden"
)

// TestExampleConfigs: the example mission's config/ is what the dev chain
// writes for its base state, so the demo's checks pass; -update rewrites it.
func TestExampleConfigs(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "example", "config")
	files, err := Configs("hardhat", State{})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		golden.Assert(t, filepath.Join(dir, name), want)
	}
}

// TestFixturesCopy: the embedded copy is the committed compiler output.
func TestFixturesCopy(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("..", "..", "testdata", "contracts", "build", "fixtures.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fixturesJSON, want) {
		t.Error("internal/devchain/fixtures.json differs from testdata/contracts/build/fixtures.json: run sh testdata/contracts/generate.sh")
	}
}

func TestStateValidate(t *testing.T) {
	cases := map[string]string{
		`{"paused": ["nope"]}`:                 `"nope" is not a module`,
		`{"lostSigners": ["mallory.agi.eth"]}`: "is not a dev chain signer",
		`{"thermostat": {"kp": "1.5"}}`:        "is not an integer",
		`{"thermostat": {"kq": "1"}}`:          `"kq" is not a getter`,
		`{"rewardEngine": {"roleShare": "1"}}`: "is not a scalar getter",
		`{"token": {"decimals": 300}}`:         "is not a uint8",
		`{"paused": ["all"], "typo": 1}`:       `unknown field "typo"`,
	}
	for src, want := range cases {
		t.Run(want, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "s.json")
			os.WriteFile(p, []byte(src), 0o644)
			if _, err := ReadState(p); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("ReadState(%s) = %v, want %q", src, err, want)
			}
		})
	}
}

func TestLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:8545", "192.0.2.1:1", "example.com:80", "127.0.0.1:x"} {
		if _, err := Start(Options{Addr: addr}); err == nil {
			t.Errorf("Start(%s) served", addr)
		}
	}
}

// TestServesTheFixtures reads a few values straight over JSON-RPC, with
// the chain id and a drill applied.
func TestServesTheFixtures(t *testing.T) {
	st := State{Paused: []string{"feePool"}, Thermostat: map[string]string{"kp": "-7"}}
	st.Token.Symbol = "AGIX"
	c, err := Start(Options{Addr: "127.0.0.1:0", ChainID: 1, State: st})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	cl, err := ethclient.DialContext(ctx, c.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if id, err := cl.ChainID(ctx); err != nil || id.Uint64() != 1 {
		t.Fatalf("chain id %v %v", id, err)
	}
	call := func(to common.Address, sel string, arg ...byte) []byte {
		t.Helper()
		data := common.FromHex(sel)
		if arg != nil {
			data = append(data, common.LeftPadBytes(arg, 32)...)
		}
		out, err := cl.CallContract(ctx, ethereum.CallMsg{To: &to, Data: data}, nil)
		if err != nil {
			t.Fatalf("call %s on %s: %v", sel, to, err)
		}
		return out
	}
	if got := string(bytes.TrimRight(call(TokenAddress, "0x95d89b41")[64:], "\x00")); got != "AGIX" {
		t.Errorf("symbol %q", got)
	}
	if got := new(big.Int).SetBytes(call(TokenAddress, "0x313ce567")).Int64(); got != 18 {
		t.Errorf("decimals %d", got)
	}
	feePool := ModuleAddress(5)
	if got := common.BytesToAddress(call(SystemPauseAddress, "0x"+selector("feePool()"))); got != feePool {
		t.Errorf("SystemPause.feePool() = %s, want %s", got, feePool)
	}
	if got := call(feePool, "0x5c975abb"); got[31] != 1 {
		t.Error("feePool not paused")
	}
	if got := call(ModuleAddress(0), "0x5c975abb"); got[31] != 0 {
		t.Error("jobRegistry paused")
	}
	kp := new(big.Int).SetBytes(call(ThermostatAddress, "0x"+selector("kp()")))
	if kp.Sub(kp, new(big.Int).Lsh(big.NewInt(1), 256)).Int64() != -7 {
		t.Errorf("kp %s, want -7 in two's complement", kp)
	}
	agent := new(big.Int).SetBytes(call(ThermostatAddress, "0x"+selector("getRoleTemperature(uint8)"), 0))
	if agent.String() != "1600000000000000000" {
		t.Errorf("agent temperature %s", agent)
	}
}

func selector(sig string) string {
	return common.Bytes2Hex(crypto.Keccak256([]byte(sig))[:4])
}
