// Command helios runs a mission drill and writes a verifiable report bundle;
// in a workflow it is the helios-action container's entrypoint.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/helios-action/helios-action/internal/builtin"
	"github.com/helios-action/helios-action/internal/cli"
	"github.com/helios-action/helios-action/internal/envseal"
	"github.com/helios-action/helios-action/internal/interrupt"
	"github.com/helios-action/helios-action/internal/supervise"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	supervise.Main() // a step supervisor when started as one; first, before anything else
	envseal.Reexec() // again in place, with no secret left in /proc/<pid>/environ
	harden()
	// The runner sends SIGINT, then SIGTERM about 7.5 s later: the first
	// cancels the run, which still writes its manifest and ledger; if the
	// work is stuck past its bound, or on a second signal, the process
	// ends anyway (see package interrupt).
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	c := &cli.Command{
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		Getenv:     os.Getenv,
		Environ:    os.Environ,
		Getwd:      os.Getwd,
		Version:    cli.Version(version),
		IsTerminal: term.IsTerminal(int(os.Stdout.Fd())),
		Builtins:   builtin.Registry(),
	}
	code := interrupt.Run(sigs, interrupt.Grace(os.Args), os.Exit, os.Stderr, func(ctx context.Context) int {
		return c.Main(ctx, os.Args)
	})
	os.Exit(code)
}
