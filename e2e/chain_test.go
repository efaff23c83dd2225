package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The chain drills of the runbook (§5) and the chain faults, through the
// real helios binary against the dev chain (cmd/devchain) over HTTP
// JSON-RPC on loopback.

var (
	devchainOnce sync.Once
	devchainBin  string
	devchainErr  error
)

// buildDevchain builds cmd/devchain once, next to the helios binary (whose
// folder TestMain removes).
func buildDevchain(t *testing.T) string {
	t.Helper()
	devchainOnce.Do(func() {
		devchainBin = filepath.Join(filepath.Dir(helios), "devchain")
		out, err := exec.Command("go", "build", "-o", devchainBin, "../cmd/devchain").CombinedOutput()
		if err != nil {
			devchainErr = fmt.Errorf("build devchain: %v\n%s", err, out)
		}
	})
	if devchainErr != nil {
		t.Fatal(devchainErr)
	}
	return devchainBin
}

// startChain starts the dev chain on a free loopback port with the drill
// in drillFile ("" for none) and returns its RPC URL; it is stopped when
// the test ends.
func startChain(t *testing.T, drillFile string) (rpcURL string) {
	t.Helper()
	var args []string
	if drillFile != "" {
		args = append(args, "--state", drillFile)
	}
	return startChainArgs(t, args...)
}

func startChainArgs(t *testing.T, args ...string) string {
	t.Helper()
	bin := buildDevchain(t)
	cmd := exec.Command(bin, append([]string{"--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = baseEnv()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "devchain: rpc "); ok {
				urls <- u
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	select {
	case u := <-urls:
		return u
	case <-exited:
		t.Fatalf("devchain %v exited before serving: %s", args, stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("devchain %v printed no URL within 60s: %s", args, stderr.String())
	}
	return ""
}

// drill writes a drill state file.
func drill(t *testing.T, state string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "drill.json")
	writeFile(t, p, state)
	return p
}

func rpcEnv(url string) []string { return []string{"HELIOS_RPC_URL=" + url} }

// snapshot copies a bundle aside before the next run empties the report root.
func snapshot(t *testing.T, ws, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	copyTree(t, filepath.Join(ws, exampleRoot), dst)
	return dst
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(readFile(t, path)), v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestPauseDrill is runbook §5.1: with every module paused the mission
// that expects paused runs; once resumed, the mission regenerates the same
// artefacts as before the pause, volatile files apart.
func TestPauseDrill(t *testing.T) {
	ws := workspace(t, "example")
	live := startChain(t, "")
	if r := run(t, ws, rpcEnv(live), "run"); r.code != 0 {
		t.Fatalf("before the pause: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	before := snapshot(t, ws, "before")

	paused := startChain(t, drill(t, `{"drill": "pause", "paused": ["all"]}`))
	// Against the paused chain, the normal mission refuses to run hot …
	r := run(t, ws, rpcEnv(paused), "run")
	if r.code != 1 || !strings.Contains(r.stdout, "pause state is paused, expected live") {
		t.Errorf("normal mission on a paused chain: exit %d\n%s", r.code, r.stdout)
	}
	// … and the drill's mission, expecting paused, passes.
	mission := readFile(t, filepath.Join(ws, "helios.yml"))
	drillMission := strings.Replace(mission, "expect: live", "expect: paused", 1)
	if drillMission == mission {
		t.Fatal("helios.yml has no pause step with expect: live")
	}
	writeFile(t, filepath.Join(ws, "pause-drill.yml"), drillMission)
	if r := run(t, ws, rpcEnv(paused), "run", "--mission", "pause-drill.yml"); r.code != 0 {
		t.Fatalf("pause drill: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var rep struct{ State string }
	readJSON(t, filepath.Join(ws, exampleRoot, "chain/pause-state.json"), &rep)
	if rep.State != "paused" {
		t.Errorf("pause report state %q, want paused", rep.State)
	}

	// Resumed: the mission runs again and its artefacts are the same.
	if r := run(t, ws, rpcEnv(live), "run"); r.code != 0 {
		t.Fatalf("after resuming: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if d := run(t, ws, nil, "diff", before, filepath.Join(ws, exampleRoot), "--fail-on-drift"); d.code != 0 {
		t.Errorf("resumed run differs from the one before the pause: exit %d\n%s%s", d.code, d.stdout, d.stderr)
	}
}

// TestThermostatSwing is runbook §5.2: a thermostat change between two
// runs shows up in helios diff as that parameter, before and after.
func TestThermostatSwing(t *testing.T) {
	ws := workspace(t, "example")
	if r := run(t, ws, rpcEnv(startChain(t, "")), "run"); r.code != 0 {
		t.Fatalf("baseline: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	before := snapshot(t, ws, "before")
	swung := startChain(t, drill(t, `{"drill": "thermostat swing", "thermostat": {"kp": "250000000000000000"}}`))
	if r := run(t, ws, rpcEnv(swung), "run"); r.code != 0 {
		t.Fatalf("after the swing: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	after := filepath.Join(ws, exampleRoot)
	md := readFile(t, filepath.Join(after, "owner/thermodynamics.md"))
	if !strings.Contains(md, "| kp | 200000000000000000 | 250000000000000000 | drift |") {
		t.Errorf("thermodynamics.md does not show the swing:\n%s", md)
	}
	d := run(t, ws, nil, "diff", before, after, "--fail-on-drift")
	if d.code != 1 {
		t.Errorf("diff across a swing: exit %d, want 1 (drift)\n%s%s", d.code, d.stdout, d.stderr)
	}
	for _, want := range []string{
		"owner/thermodynamics.json",
		`/thermostat/parameters/kp/onChain: "200000000000000000" -> "250000000000000000"`,
		"owner/thermodynamics.md",
	} {
		if !strings.Contains(d.stdout, want) {
			t.Errorf("diff does not name %q:\n%s", want, d.stdout)
		}
	}
}

// TestIdentityRecovery is runbook §5.3: while a signer is lost the mission
// fails and the phases after the pre-flight do not run; once the signer is
// restored it passes.
func TestIdentityRecovery(t *testing.T) {
	ws := workspace(t, "example")
	check := func(t *testing.T, r result, wantErr string) {
		t.Helper()
		if r.code != 1 || !strings.Contains(r.stdout, wantErr) {
			t.Fatalf("exit %d, want 1 with %q\n%s%s", r.code, wantErr, r.stdout, r.stderr)
		}
		m := readManifest(t, filepath.Join(ws, exampleRoot))
		want := map[string]string{"prep": "success", "preflight": "failure", "plan": "skipped", "governance": "skipped", "kits": "skipped"}
		if got := phaseStatus(m); !mapsEqual(got, want) {
			t.Errorf("phases %v, want %v", got, want)
		}
	}

	t.Run("signer lost on chain", func(t *testing.T) {
		lost := startChain(t, drill(t, `{"drill": "lost signer", "lostSigners": ["alice.agent.agi.eth"]}`))
		check(t, run(t, ws, rpcEnv(lost), "run"), "alice.agent.agi.eth is not authorised")
	})
	live := startChain(t, "")
	t.Run("signer removed from the allow-list", func(t *testing.T) {
		cfg := filepath.Join(ws, "config/identity-registry.hardhat.json")
		orig := readFile(t, cfg)
		edited := strings.Replace(orig, `"0xcA40100000000000000000000000000000000003": true`, "", 1)
		edited = strings.Replace(edited, "\"additionalAgents\": {\n    \n  }", `"additionalAgents": {}`, 1)
		if edited == orig {
			t.Fatal("the identity config does not allow-list carol")
		}
		writeFile(t, cfg, edited)
		check(t, run(t, ws, rpcEnv(live), "run"), "carol.agent.agi.eth is not authorised")
		writeFile(t, cfg, orig)
	})
	t.Run("restored", func(t *testing.T) {
		if r := run(t, ws, rpcEnv(live), "run"); r.code != 0 {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}

// faultMission checks one token at an address, with a short timeout.
func faultMission(address string) string {
	return `version: 1
name: chain fault
network: hardhat
phases:
  preflight:
    steps:
      - name: token
        uses: helios/token
        with: {config: config/agialpha.json, address: "` + address + `", timeout: 500ms}
  after:
    needs: preflight
    steps:
      - run: echo after
`
}

// hungRPC accepts connections and never answers.
func hungRPC(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-ctx.Done()
				c.Close()
			}()
		}
	}()
	return "http://" + l.Addr().String()
}

// deadRPC is a loopback address nothing listens on.
func deadRPC(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// withSecrets adds basic auth and an API key to an endpoint, as providers'
// URLs carry them.
func withSecrets(u string) string {
	return strings.Replace(u, "http://", "http://ops:Pa55w0rdPa55w0rd@", 1) + "/?apikey=K3yK3yK3yK3yK3yK3y"
}

var urlSecrets = []string{"Pa55w0rdPa55w0rd", "K3yK3yK3yK3yK3yK3y"}

// TestChainFaults: each fault is a clear error in the step's report, the
// manifest and the console; the run fails and the dependent phase is
// skipped; the RPC URL's secrets appear nowhere.
func TestChainFaults(t *testing.T) {
	live := startChain(t, "")
	cases := []struct {
		name, url, address, want string
		header                   string // the report's network line: only what was observed
	}{
		{"rpc down", deadRPC(t), "0xA61a3B3a130a9c20768EEBF97E21515A6046a1fA", "the RPC endpoint is unreachable", "- Network: hardhat (chain id: not reached)\n"},
		{"hung rpc", hungRPC(t), "0xA61a3B3a130a9c20768EEBF97E21515A6046a1fA", "eth_chainId: no answer within 500ms [timeout]", "- Network: hardhat (chain id: not reached)\n"},
		{"wrong chain id", startChainArgs(t, "--chain-id", "1"), "0xA61a3B3a130a9c20768EEBF97E21515A6046a1fA", "the endpoint serves chain id 1, but network hardhat expects 31337 [wrong-chain]", "- Network: hardhat (expects chain id 31337; the endpoint serves 1)\n"},
		{"address without code", live, "0x1111111111111111111111111111111111111111", "no contract code at 0x1111111111111111111111111111111111111111 [no-code]", "- Network: hardhat (chain id 31337)\n"},
		{"revert", live, "0xBAD0000000000000000000000000000000000001", "reverted: fixture: every call reverts [revert]", "- Network: hardhat (chain id 31337)\n"},
		{"malformed return", live, "0xBAD0000000000000000000000000000000000002", "decimals()(uint8) on 0xbad0000000000000000000000000000000000002: 3 bytes returned do not decode as (uint8)", "- Network: hardhat (chain id 31337)\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ws := workspace(t, "example")
			writeFile(t, filepath.Join(ws, "fault.yml"), faultMission(c.address))
			r := run(t, ws, rpcEnv(withSecrets(c.url)), "run", "--mission", "fault.yml")
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
			}
			root := filepath.Join(ws, exampleRoot)
			m := readManifest(t, root)
			st := stepByID(m, "preflight", "token")
			if st == nil || st.Status != "failure" || !strings.Contains(st.Error, c.want) {
				t.Errorf("manifest step %+v, want an error with %q", st, c.want)
			}
			if got := phaseStatus(m)["after"]; got != "skipped" {
				t.Errorf("phase after: %s, want skipped", got)
			}
			for _, f := range []string{"chain/token.md", "chain/token.json", "logs/preflight/token.log"} {
				if body := readFile(t, filepath.Join(root, f)); !strings.Contains(body, strings.ReplaceAll(c.want, `"`, `\"`)) {
					t.Errorf("%s does not give the error %q:\n%s", f, c.want, body)
				}
			}
			if md := readFile(t, filepath.Join(root, "chain/token.md")); !strings.Contains(md, c.header) {
				t.Errorf("chain/token.md lacks the header %q:\n%s", c.header, md)
			}
			if !strings.Contains(r.stdout, c.want) {
				t.Errorf("stdout does not give the error %q:\n%s", c.want, r.stdout)
			}
			noSecrets(t, r, root)
		})
	}
}

// noSecrets checks stdout, stderr and every file of the bundle.
func noSecrets(t *testing.T, r result, root string) {
	t.Helper()
	for _, s := range urlSecrets {
		if strings.Contains(r.stdout+r.stderr, s) {
			t.Errorf("the output holds the secret %q", s)
		}
	}
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b := readFile(t, p)
		for _, s := range urlSecrets {
			if strings.Contains(b, s) {
				t.Errorf("%s holds the secret %q", p, s)
			}
		}
		return nil
	})
}

// TestSecretRPCURLOnSuccess: a full run against a URL with basic auth and
// a key leaves neither anywhere; steps get the URL as HELIOS_RPC_URL.
func TestSecretRPCURLOnSuccess(t *testing.T) {
	ws := workspace(t, "example")
	writeFile(t, filepath.Join(ws, "scripts/echo-rpc.sh"), "echo \"rpc: $HELIOS_RPC_URL\"\n")
	mission := readFile(t, filepath.Join(ws, "helios.yml"))
	mission = strings.Replace(mission, "      - name: Check the toolchain\n", "      - name: Print the RPC URL\n        run: sh scripts/echo-rpc.sh\n      - name: Check the toolchain\n", 1)
	writeFile(t, filepath.Join(ws, "helios.yml"), mission)
	r := run(t, ws, rpcEnv(withSecrets(startChain(t, ""))), "run")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	root := filepath.Join(ws, exampleRoot)
	if log := readFile(t, filepath.Join(root, "logs/prep/print-the-rpc-url.log")); !strings.Contains(log, "rpc: ***") {
		t.Errorf("the step did not get HELIOS_RPC_URL, masked:\n%s", log)
	}
	noSecrets(t, r, root)
}

// faultProxy serves target through a loopback reverse proxy that counts
// requests; fault may answer a request itself (returning true) before it
// goes through.
func faultProxy(t *testing.T, target string, fault func(n int32, w http.ResponseWriter, r *http.Request) bool) (string, *atomic.Int32) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	requests := new(atomic.Int32)
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !fault(requests.Add(1), w, r) {
			proxy.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, requests
}

// rateLimitedOnce runs the token pre-flight against node through a proxy
// that answers the first request HTTP 429 with Retry-After: the run must
// cost a second's wait, not a failure.
func rateLimitedOnce(t *testing.T, node, token string) {
	t.Helper()
	proxy, requests := faultProxy(t, node, func(n int32, w http.ResponseWriter, _ *http.Request) bool {
		if n > 1 {
			return false
		}
		w.Header().Set("Retry-After", "1")
		http.Error(w, "rate limited", http.StatusTooManyRequests)
		return true
	})
	ws := workspace(t, "example")
	mission := strings.Replace(faultMission(token), "timeout: 500ms", "timeout: 15s", 1)
	writeFile(t, filepath.Join(ws, "fault.yml"), mission)
	r := run(t, ws, rpcEnv(proxy), "run", "--mission", "fault.yml")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := requests.Load(); n < 2 {
		t.Errorf("the proxy saw %d requests, want the 429 and the retries", n)
	}
}

// TestChainRateLimitedOnce: a provider that answers the first request HTTP
// 429 with Retry-After, then passes through to the dev chain, costs the
// pre-flight a second's wait, not a failure.
func TestChainRateLimitedOnce(t *testing.T) {
	rateLimitedOnce(t, startChain(t, ""), "0xA61a3B3a130a9c20768EEBF97E21515A6046a1fA")
}

// TestChainStepTimeoutBoundsTheBuiltin: `with: timeout` bounds each request,
// the step's own `timeout:` the whole built-in. A node that answers every
// request just inside the per-request limit cannot hold the step past its
// own timeout: the step fails [timeout] long before it has made all its
// reads (the proxy counts them; no clock is asserted).
func TestChainStepTimeoutBoundsTheBuiltin(t *testing.T) {
	proxy, requests := faultProxy(t, startChain(t, ""), func(_ int32, _ http.ResponseWriter, r *http.Request) bool {
		select {
		case <-time.After(400 * time.Millisecond): // inside the 2s per-request limit
			return false
		case <-r.Context().Done():
			return true
		}
	})
	ws := workspace(t, "example")
	mission := strings.Replace(faultMission("0xA61a3B3a130a9c20768EEBF97E21515A6046a1fA"), "timeout: 500ms}", "timeout: 2s}\n        timeout: 1s", 1)
	writeFile(t, filepath.Join(ws, "fault.yml"), mission)
	r := run(t, ws, rpcEnv(proxy), "run", "--mission", "fault.yml")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (the step's timeout)\n%s%s", r.code, r.stdout, r.stderr)
	}
	m := readManifest(t, filepath.Join(ws, "reports/helios-omniversal-symphony"))
	st := stepByID(m, "preflight", "token")
	if st == nil || st.Status != "failure" || !strings.Contains(st.Error, "step timed out after 1s") {
		t.Fatalf("token step %+v, want a failure naming the timeout", st)
	}
	// The report blames the step's timeout, not the 2s per request.
	report := readFile(t, filepath.Join(ws, "reports/helios-omniversal-symphony/chain/token.md"))
	if !strings.Contains(report, "step timed out after 1s before the node answered [timeout]") {
		t.Errorf("chain/token.md does not say the step's timeout ended the read:\n%s", report)
	}
	// Unbounded, the check makes eight reads (chain id, block, code,
	// decimals, symbol, name, totalSupply, …) at 0.4 s each.
	if n := requests.Load(); n >= 6 {
		t.Errorf("the proxy saw %d requests within a 1s step timeout at 0.4s each", n)
	}
}
