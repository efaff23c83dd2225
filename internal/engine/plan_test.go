package engine_test

import (
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/engine"
)

// TestPlanRPC: the plan says when chain steps are skipped without an
// endpoint, and says nothing new for missions that keep the default.
func TestPlanRPC(t *testing.T) {
	const line = "rpc: optional (without an RPC endpoint the chain steps are skipped, not failed)\n"
	tests := []struct {
		name, rpc string
		want      bool
	}{
		{"absent", "", false},
		{"required", "rpc: required\n", false},
		{"optional", "rpc: optional\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "version: 1\nnetwork: hardhat\n" + tt.rpc + "phases:\n  p:\n    steps: [{run: x}]\n"
			m, err := engine.NewRegistry().Parse("helios.yml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			plan := engine.Plan(m)
			if got := strings.Contains(plan, "network: hardhat\n"+line); got != tt.want {
				t.Errorf("plan mentions the skip: %v, want %v:\n%s", got, tt.want, plan)
			}
			if !tt.want && strings.Contains(plan, "rpc") {
				t.Errorf("plan of a mission without rpc: optional mentions rpc:\n%s", plan)
			}
		})
	}
}
