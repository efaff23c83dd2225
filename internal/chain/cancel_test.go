package chain_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/devchain"
	"github.com/helios-action/helios-action/internal/engine"
)

// TestRPCCancelledRun: a run cancelled while the node has not answered
// (SIGTERM two seconds in) leaves a token report that says cancelled, not
// that the node timed out.
func TestRPCCancelledRun(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cancel() // the run is cancelled once the node has the request
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	ws := t.TempDir()
	if _, err := devchain.WriteConfigs(filepath.Join(ws, "config"), "hardhat", devchain.State{}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "helios.yml"), []byte(preflight("live", "")), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := registry().Load(filepath.Join(ws, "helios.yml"))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	res, err := engine.Run(ctx, m, engine.Options{
		Workspace: ws, RPCURL: srv.URL, Builtins: registry(),
		Environ: []string{"PATH=" + os.Getenv("PATH")},
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	r := runResult{res.Manifest, res.ReportRoot}
	body := r.read(t, "chain/token.md")
	if !strings.Contains(body, "eth_chainId: cancelled before the node answered [cancelled]") || strings.Contains(body, "[timeout]") {
		t.Errorf("chain/token.md does not say the run was cancelled:\n%s", body)
	}
}
