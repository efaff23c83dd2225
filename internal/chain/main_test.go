package chain_test

import (
	"os"
	"testing"

	"github.com/helios-action/helios-action/internal/supervise"
)

// These tests run missions with `run:` steps in-process; the test binary is
// the executable the engine starts step supervisors from.
func TestMain(m *testing.M) {
	supervise.Main()
	os.Exit(m.Run())
}
