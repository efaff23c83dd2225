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

// TestPlanShell: the plan says which shell runs the steps that name none,
// and under each step that names one, the command it stands for.
func TestPlanShell(t *testing.T) {
	const header = "shell: bash -e {0}, or sh -e {0} where bash is not on PATH (unless a step says shell:)\n"
	tests := []struct {
		name, steps string
		header      bool
		lines       []string
	}{
		{"no shell", "[{run: make}]", true, []string{"        $ make\n\n"}},
		{"every step names one", "[{run: make, shell: bash}, {run: make test, shell: \"perl {0}\"}]", false,
			[]string{"        $ make\n        shell: bash --noprofile --norc -eo pipefail {0}\n", "        $ make test\n        shell: perl {0}\n"}},
		{"some do", "[{run: make}, {run: make test, shell: sh}]", true, []string{"        $ make\n   1.2", "        $ make test\n        shell: sh -e {0}\n"}},
		{"no run step", "[{collect: {from: x}}]", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "version: 1\nphases:\n  p:\n    steps: " + tt.steps + "\n"
			m, err := engine.NewRegistry().Parse("helios.yml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			plan := engine.Plan(m)
			if got := strings.Contains(plan, "\nnetwork: hardhat\n"+header+"\n1. phase"); got != tt.header {
				t.Errorf("plan has the default shell: %v, want %v:\n%s", got, tt.header, plan)
			}
			for _, l := range tt.lines {
				if !strings.Contains(plan, l) {
					t.Errorf("plan has no %q:\n%s", l, plan)
				}
			}
		})
	}
}
