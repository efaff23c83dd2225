package builtin_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestActionDoesNotImportTheSimulatedBackend keeps the production binary
// free of go-ethereum's simulated backend (and so of the dev chain): it
// would add about 30 MB. The chain client speaks JSON-RPC itself
// (internal/chain), and scripts/size-action.sh bounds the whole binary.
func TestActionDoesNotImportTheSimulatedBackend(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	out, err := exec.Command("go", "list", "-deps", "../../cmd/action").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps ./cmd/action: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list printed %d packages; the guard would pass vacuously:\n%s", len(deps), out)
	}
	for _, forbidden := range []string{
		"github.com/ethereum/go-ethereum/ethclient/simulated",
		"github.com/helios-action/helios-action/internal/devchain",
	} {
		for _, d := range deps {
			if d == forbidden {
				t.Errorf("cmd/action imports %s", forbidden)
			}
		}
	}
}
