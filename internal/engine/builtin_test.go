package engine_test

import (
	"context"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/helios-action/helios-action/internal/engine"
	missionpkg "github.com/helios-action/helios-action/internal/mission"
)

// needy is a built-in with a required key, read by mission.DecodeWith
// (imported as missionpkg: engine_test.go has a const named mission).
type needy struct{}

func (needy) Name() string { return "helios/needy" }
func (needy) Check(file string, with *yaml.Node) error {
	var w struct {
		X string `with:"x,required"`
	}
	return missionpkg.DecodeWith(file, "helios/needy", with, &w)
}
func (needy) Run(context.Context, *engine.StepContext) error { return nil }

// TestCheckPositions: a built-in's problem keeps the position of its node,
// and one without a node (a step with no with:) points at the step.
func TestCheckPositions(t *testing.T) {
	tests := []struct {
		name, step, want string
		kind             missionpkg.Kind
	}{
		{"no with", "- uses: helios/needy", "helios.yml:5:9: helios/needy: with must be a mapping with x", missionpkg.KindMissing},
		{"unknown key", "- uses: helios/needy\n        with: {x: a, colour: b}", `helios.yml:6:22: helios/needy: unknown key "colour" (known: x)`, missionpkg.KindUnknownKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := engine.NewRegistry(needy{}).Parse("helios.yml", []byte("version: 1\nphases:\n  a:\n    steps:\n      "+tt.step+"\n"))
			es, ok := missionpkg.AsErrors(err)
			if !ok || len(es) != 1 {
				t.Fatalf("error %v, want one mission error", err)
			}
			if es[0].Error() != tt.want+" ["+string(tt.kind)+"]" || es[0].Kind != tt.kind {
				t.Errorf("got %q [%s], want %q [%s]", es[0], es[0].Kind, tt.want, tt.kind)
			}
		})
	}
}
