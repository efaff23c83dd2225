package engine_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/golden"
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

// TestPlanShards keeps the plans of sharded missions as golden files: the
// whole plan (shards, each shard's part, the merge's part), and what
// `helios plan --shard` prints for an id and for splits.
func TestPlanShards(t *testing.T) {
	tests := []struct{ mission, spec string }{
		{"shards", ""},
		{"shards", "eu-health"},
		{"shards", "2-of-4"},
		{"shards", "1-of-1"},
		{"drill-shape", ""},
		{"drill-shape", "2-of-2"},
	}
	for _, tt := range tests {
		name := tt.mission
		if tt.spec != "" {
			name += "." + tt.spec
		}
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("testdata", "plan", tt.mission+".yml"))
			if err != nil {
				t.Fatal(err)
			}
			m, err := engine.NewRegistry().Parse("helios.yml", src)
			if err != nil {
				t.Fatal(err)
			}
			got := engine.Plan(m)
			if tt.spec != "" {
				if got, err = engine.PlanShard(m, tt.spec); err != nil {
					t.Fatal(err)
				}
			}
			golden.Assert(t, filepath.Join("testdata", "plan", name+".txt"), got)
		})
	}
}

// TestPlanShardErrors: a spec the mission has no shard for is refused
// with ShardsFor's reason, and nothing is rendered.
func TestPlanShardErrors(t *testing.T) {
	shards, err := os.ReadFile(filepath.Join("testdata", "plan", "shards.yml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, src, spec, want string }{
		{"N over the shards", string(shards), "1-of-7", `shard "1-of-7": the mission has 6 shards, so N is at most 6`},
		{"unknown id", string(shards), "eu", `unknown shard "eu"; the shards are eu-energy, eu-health, us-energy, us-health, apac-energy, apac-health, or give K-of-N with N at most 6`},
		{"no shards", "version: 1\nphases:\n  p:\n    steps: [{run: x}]\n", "1-of-1", `the mission has no "shards", so there is no shard "1-of-1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := engine.NewRegistry().Parse("helios.yml", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			got, err := engine.PlanShard(m, tt.spec)
			if err == nil || err.Error() != tt.want || got != "" {
				t.Errorf("PlanShard(%q) = %q, %v; want no plan and %q", tt.spec, got, err, tt.want)
			}
		})
	}
}
