package chain_test

import (
	"bufio"
	"context"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/helios-action/helios-action/internal/builtin/identity"
	"github.com/helios-action/helios-action/internal/builtin/pause"
	"github.com/helios-action/helios-action/internal/builtin/state"
	"github.com/helios-action/helios-action/internal/builtin/token"
	"github.com/helios-action/helios-action/internal/devchain"
	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/manifest"
)

// These tests run the four built-ins through the real engine against the
// dev chain over HTTP JSON-RPC on loopback: the production read path.

func registry() engine.Registry {
	return engine.NewRegistry(token.New(), identity.New(), pause.New(), state.New())
}

func startChain(t *testing.T, st devchain.State, chainID uint64) string {
	t.Helper()
	c, err := devchain.Start(devchain.Options{Addr: "127.0.0.1:0", State: st, ChainID: chainID})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.URL
}

const signers = `
          signers:
            - {name: alice.agent.agi.eth, address: "0xa11ce00000000000000000000000000000000001"}
            - {name: bob.club.agi.eth, address: "0xb0b0000000000000000000000000000000000002"}
            - {name: carol.agent.agi.eth, address: "0xca40100000000000000000000000000000000003"}`

// preflight is a mission with each built-in once; extra is spliced into
// every step's with (a chain-id or timeout, say).
func preflight(expectPause, extra string) string {
	return `version: 1
name: chain test
network: hardhat
phases:
  preflight:
    steps:
      - name: token
        uses: helios/token
        continue-on-error: true
        with: {config: config/agialpha.json` + extra + `}
      - name: identity
        uses: helios/identity
        continue-on-error: true
        with:
          config: config/identity-registry.hardhat.json` + strings.ReplaceAll(extra, ", ", "\n          ") + signers + `
      - name: pause
        uses: helios/pause
        continue-on-error: true
        with: {config: config/agialpha.json, expect: ` + expectPause + extra + `}
      - name: thermodynamics
        uses: helios/state
        continue-on-error: true
        with: {preset: thermodynamics, fail-on-drift: false` + extra + `}
  after:
    needs: preflight
    steps:
      - run: echo ran
`
}

type runResult struct {
	m    *manifest.Manifest
	root string
}

func runMission(t *testing.T, src, rpcURL string, st devchain.State) runResult {
	t.Helper()
	ws := t.TempDir()
	if _, err := devchain.WriteConfigs(filepath.Join(ws, "config"), "hardhat", st); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "helios.yml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := registry().Load(filepath.Join(ws, "helios.yml"))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := engine.Run(ctx, m, engine.Options{
		Workspace: ws, RPCURL: rpcURL, Builtins: registry(),
		Environ: []string{"PATH=" + os.Getenv("PATH")},
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return runResult{res.Manifest, res.ReportRoot}
}

func (r runResult) step(t *testing.T, id string) manifest.Step {
	t.Helper()
	for _, p := range r.m.Phases {
		for _, s := range p.Steps {
			if s.ID == id {
				return s
			}
		}
	}
	t.Fatalf("no step %s", id)
	return manifest.Step{}
}

func (r runResult) read(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(r.root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBuiltinsOnTheDevChain(t *testing.T) {
	base := startChain(t, devchain.State{}, 0)

	t.Run("happy path", func(t *testing.T) {
		r := runMission(t, preflight("live", ""), base, devchain.State{})
		for _, id := range []string{"token", "identity", "pause", "thermodynamics"} {
			if s := r.step(t, id); s.Status != manifest.Success {
				t.Errorf("%s: %s %s", id, s.Status, s.Error)
			}
		}
		if r.m.Conclusion != manifest.Success {
			t.Fatalf("conclusion %s: %s", r.m.Conclusion, r.m.Reason)
		}
		tok := r.read(t, "chain/token.md")
		for _, want := range []string{"| symbol | AGIALPHA | AGIALPHA | match |", "| decimals | 18 | 18 | match |", "Result: **pass**"} {
			if !strings.Contains(tok, want) {
				t.Errorf("token report lacks %q:\n%s", want, tok)
			}
		}
		id := r.read(t, "chain/identity.md")
		for _, want := range []string{"| nameWrapper |", "| resolver |", "| allowList |"} {
			if !strings.Contains(id, want) {
				t.Errorf("identity report lacks %q:\n%s", want, id)
			}
		}
		th := r.read(t, "owner/thermodynamics.md")
		for _, want := range []string{
			"| Section | Checks | Match | Drift | Config missing | Contract missing | Skipped |",
			"| RewardEngineMB | 18 | 18 | 0 | 0 | 0 | 0 |",
			"| Thermostat | 15 | 15 | 0 | 0 | 0 | 0 |",
			`| roleShare\.agent | 65 % | 650000000000000000 \(65 %\) | match |`,
			"| kp | 200000000000000000 | 200000000000000000 | match |",
		} {
			if !strings.Contains(th, want) {
				t.Errorf("thermodynamics report lacks %q:\n%s", want, th)
			}
		}
		// The pinned block is in the manifest, not in the reports.
		if b, ok := r.step(t, "token").Data["block"].(map[string]any); !ok || b["hash"] == nil {
			t.Errorf("token step data %v lacks the pinned block", r.step(t, "token").Data)
		}
	})

	t.Run("wrong chain id", func(t *testing.T) {
		r := runMission(t, preflight("live", ", chain-id: 1"), base, devchain.State{})
		s := r.step(t, "token")
		if s.Status != manifest.Failure || !strings.Contains(s.Error, "serves chain id 31337, but network hardhat expects 1 [wrong-chain]") {
			t.Errorf("token: %s %q", s.Status, s.Error)
		}
		if md := r.read(t, "chain/token.md"); !strings.Contains(md, "[wrong-chain]") {
			t.Errorf("report does not give the error:\n%s", md)
		}
	})

	t.Run("state calls", func(t *testing.T) {
		src := `version: 1
phases:
  p:
    steps:
      - id: ok
        uses: helios/state
        continue-on-error: true
        with:
          contracts: {thermostat: "0x4444444444444444444444444444444444444444", token: "0xA61a3B3a130a9c20768EEBF97E21515A6046a1fA"}
          calls:
            - {label: kp, address: thermostat, call: "kp()(int256)", expect: "0x2c68af0bb140000"}
            - {label: agent temperature, address: thermostat, call: "getRoleTemperature(uint8)(int256)", args: ["0"], min: "1000000000000000000", max: "2000000000000000000"}
            - {label: integral floor, address: thermostat, call: "integralMin()(int256)"}
            - {label: symbol, address: token, call: "symbol()(string)", expect: AGIALPHA}
      - id: drift
        uses: helios/state
        with:
          calls:
            - {label: max temperature, address: "0x4444444444444444444444444444444444444444", call: "maxTemp()(int256)", max: "1000"}
`
		r := runMission(t, src, base, devchain.State{})
		if s := r.step(t, "ok"); s.Status != manifest.Success {
			t.Errorf("ok: %s", s.Error)
		}
		if s := r.step(t, "drift"); s.Status != manifest.Failure || !strings.Contains(s.Error, "drift: max temperature: 2000000000000000000 (above max 1000)") {
			t.Errorf("drift: %s %q", s.Status, s.Error)
		}
		// Cells are markup.Text: the raw Markdown escapes punctuation.
		md := r.read(t, "chain/ok.md")
		for _, want := range []string{
			`| kp | 0x4444444444444444444444444444444444444444 | kp\(\)\(int256\) | 0x2c68af0bb140000 | 200000000000000000 | match |`,
			`| agent temperature | 0x4444444444444444444444444444444444444444 | getRoleTemperature\(uint8\)\(int256\) \[0\] | — | 1600000000000000000 | match |`,
			`| integral floor | 0x4444444444444444444444444444444444444444 | integralMin\(\)\(int256\) | — | \-2000000000000000000 | read |`,
		} {
			if !strings.Contains(md, want) {
				t.Errorf("state report lacks %q:\n%s", want, md)
			}
		}
	})

	faults := []struct {
		name, address, want string
	}{
		{"address without code", devchain.EmptyAddress.Hex(), "no contract code at " + devchain.EmptyAddress.Hex() + " [no-code]"},
		{"revert", devchain.ReverterAddress.Hex(), "reverted: fixture: every call reverts [revert]"},
		{"malformed return", devchain.GarbageAddress.Hex(), "3 bytes returned do not decode as (uint8)"},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			src := "version: 1\nphases:\n  p:\n    steps:\n      - uses: helios/token\n        with: {address: \"" + f.address + "\", decimals: 18, symbol: AGIALPHA}\n"
			r := runMission(t, src, base, devchain.State{})
			s := r.m.Phases[0].Steps[0]
			if s.Status != manifest.Failure || !strings.Contains(s.Error, f.want) {
				t.Errorf("%s %q, want an error containing %q", s.Status, s.Error, f.want)
			}
			if md := r.read(t, "chain/helios-token.md"); !strings.Contains(md, f.want) {
				t.Errorf("report does not give the error:\n%s", md)
			}
		})
	}
}

func TestDrills(t *testing.T) {
	cases := []struct {
		name    string
		st      devchain.State
		expect  string
		failing map[string]string // step id → error fragment
	}{
		{"wrong symbol", devchain.State{Token: struct {
			Name        string `json:"name,omitempty"`
			Symbol      string `json:"symbol,omitempty"`
			Decimals    *int   `json:"decimals,omitempty"`
			TotalSupply string `json:"totalSupply,omitempty"`
		}{Symbol: "AGIX"}}, "live", map[string]string{"token": "On-chain symbol mismatch: config AGIALPHA vs chain AGIX"}},
		{"pause drill expected", devchain.State{Paused: []string{"all"}}, "paused", nil},
		{"pause drill unexpected", devchain.State{Paused: []string{"all"}}, "live", map[string]string{"pause": "pause state is paused, expected live"}},
		{"one module paused", devchain.State{Paused: []string{"feePool"}}, "live", map[string]string{"pause": "pause state is mixed, expected live"}},
		{"lost signer", devchain.State{LostSigners: []string{"alice.agent.agi.eth"}}, "live", map[string]string{"identity": "alice.agent.agi.eth is not authorised for 0xa11ce00000000000000000000000000000000001"}},
		{"lost allow-listed signer", devchain.State{LostSigners: []string{"carol.agent.agi.eth"}}, "live", map[string]string{"identity": "carol.agent.agi.eth is not authorised"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url := startChain(t, c.st, 0)
			r := runMission(t, preflight(c.expect, ""), url, c.st)
			for _, id := range []string{"token", "identity", "pause", "thermodynamics"} {
				s := r.step(t, id)
				want, fails := c.failing[id]
				switch {
				case fails && (s.Status != manifest.Failure || !strings.Contains(s.Error, want)):
					t.Errorf("%s: %s %q, want failure with %q", id, s.Status, s.Error, want)
				case !fails && s.Status != manifest.Success:
					t.Errorf("%s: %s %q", id, s.Status, s.Error)
				}
			}
		})
	}

	t.Run("thermostat swing", func(t *testing.T) {
		st := devchain.State{Thermostat: map[string]string{"kp": "250000000000000000"}}
		r := runMission(t, preflight("live", ""), startChain(t, st, 0), st)
		th := r.read(t, "owner/thermodynamics.md")
		if !strings.Contains(th, "| kp | 200000000000000000 | 250000000000000000 | drift |") || !strings.Contains(th, "| Thermostat | 15 | 14 | 1 | 0 | 0 | 0 |") {
			t.Errorf("thermodynamics report:\n%s", th)
		}
		if s := r.step(t, "thermodynamics"); s.Status != manifest.Success {
			t.Errorf("fail-on-drift: false still failed: %s", s.Error)
		}
	})
}

// TestEndpointFaults: a dead endpoint, a hung one, and a URL with secrets.
func TestEndpointFaults(t *testing.T) {
	t.Run("rpc down", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		url := "http://" + l.Addr().String() + "/?apikey=s3cr3tkey0123456789"
		l.Close() // nothing listens there now
		r := runMission(t, preflight("live", ""), url, devchain.State{})
		s := r.step(t, "token")
		if s.Status != manifest.Failure || !strings.Contains(s.Error, "[rpc-down]") || !strings.Contains(s.Error, "connection refused") {
			t.Errorf("token: %s %q", s.Status, s.Error)
		}
		noSecret(t, r.root, "s3cr3tkey0123456789")
	})

	t.Run("hung rpc", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		t.Cleanup(func() { close(done); l.Close() })
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				// Read the request, never answer.
				go func() {
					bufio.NewReader(c).ReadString(0)
					<-done
					c.Close()
				}()
			}
		}()
		start := time.Now()
		r := runMission(t, preflight("live", ", timeout: 300ms"), "http://"+l.Addr().String(), devchain.State{})
		s := r.step(t, "token")
		if s.Status != manifest.Failure || !strings.Contains(s.Error, "eth_chainId: no answer within 300ms [timeout]") {
			t.Errorf("token: %s %q", s.Status, s.Error)
		}
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("a hung endpoint held the run for %s", d)
		}
	})

	t.Run("secret url", func(t *testing.T) {
		base := startChain(t, devchain.State{}, 0)
		secret := strings.Replace(base, "http://", "http://operator:pa55w0rdpa55w0rd@", 1) + "/?key=k3yk3yk3yk3yk3y"
		r := runMission(t, preflight("live", ""), secret, devchain.State{})
		if r.m.Conclusion != manifest.Success {
			t.Fatalf("conclusion %s: %s", r.m.Conclusion, r.m.Reason)
		}
		noSecret(t, r.root, "pa55w0rdpa55w0rd", "k3yk3yk3yk3yk3y")
	})
}

func noSecret(t *testing.T, root string, secrets ...string) {
	t.Helper()
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("%s holds the secret %q", p, s)
			}
		}
		return nil
	})
}

// TestRPCPolicy: `rpc: optional` without an endpoint skips every chain
// step with the reason, writes none of their reports, and lets the phase
// that needs them run; `rpc: required` (or no key) fails them [rpc-down]
// as before; with an endpoint the policy changes nothing.
func TestRPCPolicy(t *testing.T) {
	live := startChain(t, devchain.State{}, 0)
	steps := []string{"token", "identity", "pause", "thermodynamics"}
	tests := []struct {
		name, rpc, url string
		status         string // of every chain step
		error          string // in every chain step's error
		reports        bool   // whether chain/token.md was written
	}{
		{name: "optional without an endpoint", rpc: "optional", status: manifest.Skipped},
		{name: "required without an endpoint", rpc: "required", status: manifest.Failure,
			error: "no RPC endpoint: give --rpc-url or set HELIOS_RPC_URL [rpc-down]", reports: true},
		{name: "absent without an endpoint", status: manifest.Failure,
			error: "no RPC endpoint: give --rpc-url or set HELIOS_RPC_URL [rpc-down]", reports: true},
		{name: "optional with an endpoint", rpc: "optional", url: live, status: manifest.Success, reports: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := preflight("live", "")
			if tt.rpc != "" {
				src = strings.Replace(src, "network: hardhat\n", "network: hardhat\nrpc: "+tt.rpc+"\n", 1)
			}
			r := runMission(t, src, tt.url, devchain.State{})
			for _, id := range steps {
				s := r.step(t, id)
				if s.Status != tt.status || !strings.Contains(s.Error, tt.error) {
					t.Errorf("%s: %s %q, want %s %q", id, s.Status, s.Error, tt.status, tt.error)
				}
				wantReason := ""
				if tt.status == manifest.Skipped {
					wantReason = "no RPC endpoint: chain pre-flight skipped; pass rpc-url to run it"
				}
				if s.SkipReason != wantReason {
					t.Errorf("%s: skip reason %q, want %q", id, s.SkipReason, wantReason)
				}
			}
			if _, err := os.Stat(filepath.Join(r.root, "chain", "token.md")); (err == nil) != tt.reports {
				t.Errorf("chain/token.md written: %v, want %v", err == nil, tt.reports)
			}
			if got := r.m.Phases[1]; got.Name != "after" || got.Status != manifest.Success {
				t.Errorf("the phase that needs the pre-flight: %s %s", got.Name, got.Status)
			}
		})
	}
}
