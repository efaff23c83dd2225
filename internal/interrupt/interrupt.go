// Package interrupt turns SIGINT and SIGTERM into a cancelled context and
// guarantees that the process then ends within a bound, even when some
// read or step is stuck where cancellation cannot reach it.
package interrupt

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/helios-action/helios-action/internal/exitcode"
)

const (
	// CommandGrace bounds verify, diff, digest, plan and the rest after a
	// signal: their reads stop on a cancelled context in milliseconds, so
	// this only ends one stuck elsewhere (a stdout nobody reads). It leaves
	// half a second of the 2 s promised to users for the exit itself.
	CommandGrace = 1500 * time.Millisecond
	// RunGrace bounds run and action. After a signal the action still
	// reports for up to 6 s (cancelReportBudget in package action: upload,
	// check run, comment); the backstop comes a second later so that
	// path finishes first, and before the runner's SIGKILL at about 10 s.
	RunGrace = 7 * time.Second
)

// Grace is the bound for the subcommand named by args[1].
func Grace(args []string) time.Duration {
	if len(args) > 1 && (args[1] == "run" || args[1] == "action") {
		return RunGrace
	}
	return CommandGrace
}

// Run calls main with a context that the first signal from sigs cancels.
// From that signal on, if main has not returned within grace, or when a
// second signal arrives, Run calls exit(exitcode.Interrupted) with a
// message on stderr. Otherwise it returns main's code.
func Run(sigs <-chan os.Signal, grace time.Duration, exit func(int), stderr io.Writer, main func(context.Context) int) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		var first os.Signal
		select {
		case first = <-sigs:
		case <-done:
			return
		}
		cancel()
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-done:
		case s := <-sigs:
			fmt.Fprintf(stderr, "helios: %v again: ending now\n", s)
			exit(exitcode.Interrupted)
		case <-t.C:
			fmt.Fprintf(stderr, "helios: still busy %v after %v: ending now\n", grace, first)
			exit(exitcode.Interrupted)
		}
	}()
	code := main(ctx)
	close(done)
	return code
}
