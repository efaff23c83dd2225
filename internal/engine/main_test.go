package engine_test

import (
	"os"
	"testing"

	"github.com/helios-action/helios-action/internal/supervise"
)

// The test binary is the executable the engine starts step supervisors
// from, so it must serve as one, as helios does.
func TestMain(m *testing.M) {
	supervise.Main()
	os.Exit(m.Run())
}
