package action

import (
	"os"
	"testing"

	"github.com/helios-action/helios-action/internal/supervise"
)

// TestMain lets the test binary serve as the step supervisor, as the
// helios binary does, so the reporters' tests run real missions.
func TestMain(m *testing.M) {
	supervise.Main()
	os.Exit(m.Run())
}
