// Package exitcode names the process exit codes of the helios command in one
// place, so that scripts and the action's callers can rely on them.
package exitcode

const (
	// OK: the mission succeeded, the bundle verified, or no drift was found.
	OK = 0
	// Failure: the mission failed or was cancelled, a bundle did not verify, or drift was found.
	Failure = 1
	// Usage: bad invocation or an invalid mission file.
	Usage = 2
	// Internal: a bug, or an outside service (file system, network) that failed us.
	Internal = 3
	// Interrupted: after SIGINT or SIGTERM, the work did not wind down
	// within its bound (or a second signal came), so the process ended
	// without finishing it; the value is what a shell shows for SIGINT.
	Interrupted = 130
)
