package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/helios-action/helios-action/internal/devchain"
)

// The chain checks against a second real node: a Hardhat node (started by
// scripts/hardhat-e2e.sh, which sets HELIOS_HARDHAT_URL) loaded with the
// dev chain's accounts, code and storage through Hardhat's own RPC methods.
// The example mission's chain reports must be the simulated backend's byte
// for byte; only the observed block number and hash may differ, and those
// live in the manifest's step data, not in the reports.

const hardhatEnv = "HELIOS_HARDHAT_URL"

func hardhatURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv(hardhatEnv)
	if u == "" {
		t.Skipf("%s is not set; scripts/hardhat-e2e.sh starts a Hardhat node and sets it", hardhatEnv)
	}
	return u
}

// loadHardhat resets the Hardhat node and gives it the dev chain's state
// for st: every genesis account's code, storage, balance and nonce at the
// same address, then mines a block so the state is at "latest". The dev
// chain runs no transactions, so its genesis allocation is its whole state.
func loadHardhat(t *testing.T, rawURL string, st devchain.State) {
	t.Helper()
	alloc, err := devchain.Genesis(st)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := rpc.DialContext(ctx, rawURL)
	if err != nil {
		t.Fatalf("dial %s: %v", rawURL, err)
	}
	defer c.Close()
	call := func(method string, args ...any) {
		t.Helper()
		var out json.RawMessage
		if err := c.CallContext(ctx, &out, method, args...); err != nil {
			t.Fatalf("%s %v: %v", method, args, err)
		}
	}
	call("hardhat_reset")
	addrs := make([]common.Address, 0, len(alloc))
	for a := range alloc {
		addrs = append(addrs, a)
	}
	slices.SortFunc(addrs, func(a, b common.Address) int { return a.Cmp(b) })
	slots := 0
	for _, a := range addrs {
		acc := alloc[a]
		call("hardhat_setCode", a, hexutil.Bytes(acc.Code))
		balance := acc.Balance
		if balance == nil {
			balance = new(big.Int)
		}
		call("hardhat_setBalance", a, (*hexutil.Big)(balance))
		call("hardhat_setNonce", a, hexutil.Uint64(acc.Nonce))
		for k, v := range acc.Storage {
			// Hardhat takes the slot as a QUANTITY (no leading zeros) and
			// the value as a 32-byte word.
			call("hardhat_setStorageAt", a, (*hexutil.Big)(k.Big()), v)
			slots++
		}
	}
	call("evm_mine")
	t.Logf("hardhat: loaded %d accounts, %d storage slots, mined a block", len(addrs), slots)
}

// chainReports are the files the example mission's chain steps write.
var chainReports = []string{"chain/*.md", "chain/*.json", "owner/thermodynamics.md", "owner/thermodynamics.json"}

// blockWords finds a block number where a report could name one.
var blockWords = regexp.MustCompile(`(?i)(block[^0-9\n]{0,24})(\d+)`)

// normalise hides the observed block hash anywhere and the block number
// where it follows the word "block".
func normalise(b []byte, number uint64, hash string) []byte {
	s := string(b)
	if hash != "" {
		s = strings.ReplaceAll(s, hash, "<block hash>")
	}
	num := fmt.Sprint(number)
	s = blockWords.ReplaceAllStringFunc(s, func(m string) string {
		p := blockWords.FindStringSubmatch(m)
		if p[2] == num {
			return p[1] + "<block number>"
		}
		return m
	})
	return []byte(s)
}

// observedBlock is the block the run's chain steps pinned, from the
// manifest's step data; the steps of one run share it.
func observedBlock(t *testing.T, root string) (uint64, string, map[string]json.RawMessage) {
	t.Helper()
	var m struct {
		Phases []struct {
			Name  string `json:"name"`
			Steps []struct {
				ID   string          `json:"id"`
				Data json.RawMessage `json:"data"`
			} `json:"steps"`
		} `json:"phases"`
	}
	readJSON(t, filepath.Join(root, "manifest.json"), &m)
	var number uint64
	var hash string
	data := map[string]json.RawMessage{}
	for _, p := range m.Phases {
		for _, s := range p.Steps {
			var d struct {
				Block *struct {
					Hash   string `json:"hash"`
					Number uint64 `json:"number"`
				} `json:"block"`
			}
			if len(s.Data) == 0 || json.Unmarshal(s.Data, &d) != nil || d.Block == nil {
				continue
			}
			if hash != "" && d.Block.Hash != hash {
				t.Errorf("%s/%s read at block %s, another step at %s", p.Name, s.ID, d.Block.Hash, hash)
			}
			number, hash = d.Block.Number, d.Block.Hash
			data[p.Name+"/"+s.ID] = s.Data
		}
	}
	return number, hash, data
}

// compareBundles compares the chain reports of two report roots, and the
// chain steps' manifest data, each with its own block normalised.
func compareBundles(t *testing.T, simulated, hardhat string) {
	t.Helper()
	simNum, simHash, simData := observedBlock(t, simulated)
	hhNum, hhHash, hhData := observedBlock(t, hardhat)
	if simHash == "" || hhHash == "" {
		t.Fatalf("no chain step recorded its block (simulated %q, hardhat %q)", simHash, hhHash)
	}
	t.Logf("observed blocks: simulated #%d %s, hardhat #%d %s", simNum, simHash, hhNum, hhHash)
	var files []string
	for _, root := range []string{simulated, hardhat} {
		for _, g := range chainReports {
			ms, _ := filepath.Glob(filepath.Join(root, g))
			for _, m := range ms {
				rel, _ := filepath.Rel(root, m)
				if !slices.Contains(files, rel) {
					files = append(files, rel)
				}
			}
		}
	}
	slices.Sort(files)
	if len(files) == 0 {
		t.Fatal("no chain reports to compare")
	}
	for _, f := range files {
		a, errA := os.ReadFile(filepath.Join(simulated, f))
		b, errB := os.ReadFile(filepath.Join(hardhat, f))
		switch {
		case errA != nil:
			t.Errorf("%s: only the Hardhat run wrote it", f)
			continue
		case errB != nil:
			t.Errorf("%s: only the simulated run wrote it", f)
			continue
		}
		if strings.Contains(string(a), simHash) || strings.Contains(string(b), hhHash) {
			t.Logf("%s names the observed block hash (normalised)", f)
		}
		na, nb := normalise(a, simNum, simHash), normalise(b, hhNum, hhHash)
		if string(na) != string(nb) {
			t.Errorf("%s differs (simulated, then Hardhat):\n%s", f, lineDiff(string(na), string(nb)))
			continue
		}
		t.Logf("same: %s (%d bytes)", f, len(a))
	}
	for _, k := range unionKeys(simData, hhData) {
		a, b := normaliseData(t, simData[k]), normaliseData(t, hhData[k])
		if a != b {
			t.Errorf("manifest data of %s differs:\n  simulated %s\n  hardhat   %s", k, a, b)
		} else {
			t.Logf("same: manifest data of %s", k)
		}
	}
}

// normaliseData is a step's manifest data, compact, with its block
// replaced by placeholders.
func normaliseData(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	if raw == nil {
		return "(none)"
	}
	var d map[string]any
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("step data %s: %v", raw, err)
	}
	if _, ok := d["block"]; ok {
		d["block"] = map[string]string{"hash": "<block hash>", "number": "<block number>"}
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func unionKeys(ms ...map[string]json.RawMessage) []string {
	var ks []string
	for _, m := range ms {
		for k := range m {
			if !slices.Contains(ks, k) {
				ks = append(ks, k)
			}
		}
	}
	slices.Sort(ks)
	return ks
}

// lineDiff is a small unified-style diff: the common head and tail kept
// out, the differing middle as - and + lines.
func lineDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	head := 0
	for head < len(la) && head < len(lb) && la[head] == lb[head] {
		head++
	}
	tail := 0
	for tail < len(la)-head && tail < len(lb)-head && la[len(la)-1-tail] == lb[len(lb)-1-tail] {
		tail++
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "@@ line %d @@\n", head+1)
	for _, l := range la[head : len(la)-tail] {
		sb.WriteString("-" + l + "\n")
	}
	for _, l := range lb[head : len(lb)-tail] {
		sb.WriteString("+" + l + "\n")
	}
	return sb.String()
}

// TestHardhatMatchesSimulated runs the example mission against the dev
// chain and against Hardhat loaded with the same state, for the base chain
// and for drills, and compares the chain reports.
func TestHardhatMatchesSimulated(t *testing.T) {
	hh := hardhatURL(t)
	cases := []struct {
		name, state string
		code        int // the mission's exit code on both chains
	}{
		{"base chain", "", 0},
		{"thermostat and reward engine swing", `{"drill": "swing", "thermostat": {"kp": "250000000000000000", "integralMin": "-3000000000000000000"}, "rewardEngine": {"kappa": "2000000000000000000"}}`, 0},
		// A failing pre-flight step stops its phase, so each failing drill
		// is its own case: every chain report before it is compared too.
		{"paused modules", `{"drill": "pause", "paused": ["feePool", "stakeManager"]}`, 1},
		{"lost signer", `{"drill": "lost signer", "lostSigners": ["bob.club.agi.eth"]}`, 1},
		{"wrong symbol", `{"drill": "wrong symbol", "token": {"symbol": "AGIX"}}`, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var st devchain.State
			drillFile := ""
			if c.state != "" {
				drillFile = drill(t, c.state)
				var err error
				if st, err = devchain.ReadState(drillFile); err != nil {
					t.Fatal(err)
				}
			}
			sim := startChain(t, drillFile)
			loadHardhat(t, hh, st)
			bundles := map[string]string{}
			for _, side := range []struct{ name, url string }{{"simulated", sim}, {"hardhat", hh}} {
				ws := workspace(t, "example")
				r := run(t, ws, rpcEnv(side.url), "run")
				if r.code != c.code {
					t.Fatalf("%s: exit %d, want %d\n%s%s", side.name, r.code, c.code, r.stdout, r.stderr)
				}
				bundles[side.name] = filepath.Join(ws, exampleRoot)
			}
			compareBundles(t, bundles["simulated"], bundles["hardhat"])
		})
	}
}

// TestHardhatRateLimitedOnce: a provider in front of Hardhat that answers
// the first request HTTP 429 with Retry-After costs the pre-flight a wait,
// not a failure, as it does in front of the dev chain.
func TestHardhatRateLimitedOnce(t *testing.T) {
	hh := hardhatURL(t)
	loadHardhat(t, hh, devchain.State{})
	rateLimitedOnce(t, hh, devchain.TokenAddress.Hex())
}

// TestHardhatFaults: Hardhat's own revert and empty-account answers give
// the same typed errors as the dev chain's.
func TestHardhatFaults(t *testing.T) {
	hh := hardhatURL(t)
	loadHardhat(t, hh, devchain.State{})
	for _, c := range []struct{ name, address, want string }{
		{"address without code", devchain.EmptyAddress.Hex(), "no contract code at 0x1111111111111111111111111111111111111111 [no-code]"},
		{"revert", devchain.ReverterAddress.Hex(), "reverted: fixture: every call reverts [revert]"},
		{"malformed return", devchain.GarbageAddress.Hex(), "3 bytes returned do not decode as (uint8)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ws := workspace(t, "example")
			writeFile(t, filepath.Join(ws, "fault.yml"), strings.Replace(faultMission(c.address), "timeout: 500ms", "timeout: 15s", 1))
			r := run(t, ws, rpcEnv(hh), "run", "--mission", "fault.yml")
			if r.code != 1 || !strings.Contains(r.stdout, c.want) {
				t.Errorf("exit %d, want 1 with %q\n%s%s", r.code, c.want, r.stdout, r.stderr)
			}
		})
	}
}
