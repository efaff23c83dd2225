// Package builtins lists the steps a mission can name with `uses:`. Each
// lives in its own package; this is the one place that wires them in, so the
// production binary and the tests see the same set.
package builtins

import (
	"github.com/helios-action/helios-action/internal/chain/identity"
	"github.com/helios-action/helios-action/internal/chain/pause"
	"github.com/helios-action/helios-action/internal/chain/state"
	"github.com/helios-action/helios-action/internal/chain/token"
	"github.com/helios-action/helios-action/internal/docs"
	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/kit"
)

// Registry returns the built-in steps of this build.
func Registry() engine.Registry {
	return engine.NewRegistry(
		docs.New(),
		kit.New(),
		token.New(),
		identity.New(),
		pause.New(),
		state.New(),
	)
}
