package main

import (
	"os"
	"testing"

	"github.com/helios-action/helios-action/internal/supervise"
)

// The demo's mission has `run:` steps; the test binary is the executable
// the engine starts step supervisors from.
func TestMain(m *testing.M) {
	supervise.Main()
	os.Exit(m.Run())
}
