// Package cli is the helios command: run a mission, plan it, and digest,
// verify or diff report bundles. cmd/action/main.go only wires it to the
// process.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/helios-action/helios-action/internal/action"
	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/exitcode"
	"github.com/helios-action/helios-action/internal/mission"
	"github.com/helios-action/helios-action/internal/site"
)

// Command is one invocation of helios, with everything it touches of the
// process injected so tests can drive it.
type Command struct {
	Stdout, Stderr io.Writer
	// Getenv and Environ read the process environment (os.Getenv, os.Environ).
	Getenv  func(string) string
	Environ func() []string
	// Getwd is the workspace the mission runs in.
	Getwd   func() (string, error)
	Version string
	// IsTerminal reports whether Stdout is a terminal (for live progress).
	IsTerminal bool
	// Builtins are the `uses:` steps available to missions.
	Builtins engine.Registry
}

const usage = `helios runs a mission drill and writes a verifiable report bundle.

Usage:
  helios run    [-C DIR] [--mission FILE] [--report-root DIR] [--network NAME] [--rpc-url URL] [--jobs N] [--shard SPEC]
  helios plan   [-C DIR] [--mission FILE] [--shard SPEC]  print the resolved plan: every step, in order
  helios digest DIR                              write DIR/SHA256SUMS and print the ledger digest
  helios verify [--statement FILE] DIR           re-hash a bundle against its SHA256SUMS (or an in-toto Statement)
  helios attest DIR [-o FILE]                    write the bundle's in-toto Statement
  helios diff   OLD NEW [--format text|markdown|json] [--fail-on-drift] [--max-files N]
  helios action                                  the GitHub Action's entrypoint (reads INPUT_*; see action.yml)
  helios version
  helios help [COMMAND]                          this text, or a command's usage and flags

"helios COMMAND --help" prints that command's usage and flags.

Without --mission, helios runs ./helios.yml when it exists, else the built-in
Helios Omniversal Symphony drill (see "helios plan"). A relative --mission is
in the workspace (-C DIR, default the current folder); an absolute one is
read where it is.

Exit codes: 0 success, 1 mission failed / mismatch / drift / unreadable ledger,
2 bad invocation or invalid mission, 3 internal failure, 130 ended by a second
SIGINT/SIGTERM or still busy past the bound after the first (1.5 s; 7 s for run
and action).
`

// Main runs the command named by args[1:] and returns the exit code.
func (c *Command) Main(ctx context.Context, args []string) int {
	if len(args) < 2 {
		fmt.Fprint(c.Stderr, usage)
		return exitcode.Usage
	}
	sub := args[1]
	switch sub {
	case "-h", "-help", "--help":
		sub = "help"
	case "--version":
		sub = "version"
	}
	err := c.dispatch(ctx, sub, args[2:])
	var ee *exitError
	if _, known := verbs[sub]; known && sub != "help" && errors.As(err, &ee) && ee.code == exitcode.Usage {
		ee.verb = sub
	}
	return c.exit(err)
}

// dispatch runs one verb. Each parses its flags before it does anything
// else, so that --help never runs the verb.
func (c *Command) dispatch(ctx context.Context, verb string, args []string) error {
	switch verb {
	case "run":
		return c.run(ctx, args)
	case "action":
		if err := noArgs(verb, args, "it reads the action's inputs (INPUT_*)"); err != nil {
			return err
		}
		code := action.Main(ctx, action.Env{
			Getenv:       c.Getenv,
			Environ:      c.Environ,
			Stdout:       c.Stdout,
			Version:      c.Version,
			Load:         c.loadMission,
			Builtins:     c.Builtins,
			BeforeLedger: IndexPage,
			Reserved:     site.Written(),
		})
		if code == exitcode.OK {
			return nil
		}
		// The action has reported why, in its own annotations.
		return &exitError{code: code}
	case "plan":
		return c.plan(args)
	case "digest":
		return c.digest(ctx, args)
	case "verify":
		return c.verify(ctx, args)
	case "attest":
		return c.attest(ctx, args)
	case "diff":
		return c.diff(ctx, args)
	case "version":
		if err := noArgs(verb, args, ""); err != nil {
			return err
		}
		_, err := fmt.Fprintf(c.Stdout, "helios %s\n", c.Version)
		return err
	case "help":
		return c.help(ctx, args)
	}
	return usageErrorf("unknown command %q", verb)
}

// noArgs parses the arguments of a verb that takes none: only --help.
func noArgs(verb string, args []string, why string) error {
	pos, err := parse(newFlags(verb), args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		if why != "" {
			return usageErrorf("%s takes no arguments: %s", verb, why)
		}
		return usageErrorf("%s takes no arguments, got %q", verb, pos[0])
	}
	return nil
}

// exitError carries an exit code other than Internal out of a command. err
// is nil when there is nothing left to print (the action reported itself).
type exitError struct {
	code int
	err  error
	// verb, for a usage error, names the command whose --help to point at.
	verb string
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit code %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitcode.Usage, err: fmt.Errorf(format, args...)}
}

// failed is a result the user acts on (a failed mission, a mismatch), not
// an error of the tool; its message has already been printed.
var errFailed = &exitError{code: exitcode.Failure, err: errors.New("failed")}

func (c *Command) exit(err error) int {
	if err == nil {
		return exitcode.OK
	}
	if err == errFailed {
		return exitcode.Failure
	}
	var me mission.Errors
	var one *mission.Error
	var ue *engine.UsageError
	switch {
	case errors.As(err, &me), errors.As(err, &one):
		fmt.Fprintf(c.Stderr, "%v\n", err)
		return exitcode.Usage
	case errors.As(err, &ue):
		fmt.Fprintf(c.Stderr, "helios: %v\n", err)
		return exitcode.Usage
	}
	if errors.Is(err, context.Canceled) {
		// A signal stopped verify, diff or digest part way: like a
		// cancelled mission, a result the user did not get, not a bug.
		fmt.Fprintf(c.Stderr, "helios: cancelled: %v\n", err)
		return exitcode.Failure
	}
	var hr *helpRequest
	if errors.As(err, &hr) {
		if err := writeUsage(c.Stdout, hr.verb, hr.fs); err != nil {
			fmt.Fprintf(c.Stderr, "helios: %v\n", err)
			return exitcode.Internal
		}
		return exitcode.OK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err == nil {
			return ee.code
		}
		fmt.Fprintf(c.Stderr, "helios: %v\n", ee.err)
		if ee.code == exitcode.Usage {
			if ee.verb != "" {
				fmt.Fprintf(c.Stderr, "Run 'helios %s --help' for usage.\n", ee.verb)
			} else {
				fmt.Fprintln(c.Stderr, "Run 'helios help' for usage.")
			}
		}
		return ee.code
	}
	fmt.Fprintf(c.Stderr, "helios: %v\n", err)
	return exitcode.Internal
}

// parse parses flags that may come before or after the positional
// arguments ("helios diff a b --format json" works as users expect). -h,
// -help and --help anywhere before "--" ask for the verb's usage.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, &helpRequest{fs.Name(), fs}
			}
			return nil, usageErrorf("%s: %s", fs.Name(), flagProblem(err))
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// workspace is dir (from -C) made absolute, or the current folder.
func (c *Command) workspace(dir string) (string, error) {
	if dir != "" {
		fi, err := os.Stat(dir)
		if err != nil {
			return "", usageErrorf("-C: %v", err)
		}
		if !fi.IsDir() {
			return "", usageErrorf("-C: %s is not a folder", dir)
		}
		return filepath.Abs(dir)
	}
	getwd := c.Getwd
	if getwd == nil {
		getwd = os.Getwd
	}
	wd, err := getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	return wd, nil
}
