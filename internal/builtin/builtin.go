// Package builtin lists the steps a mission can name with `uses:`. Each
// lives in its own package; this is the one place that wires them in, so the
// production binary and the tests see the same set.
package builtin

import (
	"github.com/helios-action/helios-action/internal/builtin/docs"
	"github.com/helios-action/helios-action/internal/builtin/identity"
	"github.com/helios-action/helios-action/internal/builtin/kit"
	"github.com/helios-action/helios-action/internal/builtin/pause"
	"github.com/helios-action/helios-action/internal/builtin/state"
	"github.com/helios-action/helios-action/internal/builtin/token"
	"github.com/helios-action/helios-action/internal/engine"
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
