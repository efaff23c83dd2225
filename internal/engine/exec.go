package engine

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/markup"
	"github.com/helios-action/helios-action/internal/mission"
	"github.com/helios-action/helios-action/internal/supervise"
)

// execRun runs a `run:` step under its own supervisor (internal/supervise):
// when the step ends, or is cancelled, everything it started ends with it,
// processes that left its process group included, before helios goes on to
// seal a bundle they could still write to. The script is written to a file
// (see scripts) that shellCmd runs as {0}, and removed after.
func (r *run) execRun(ctx context.Context, s *mission.Step, shellCmd string, w io.Writer, shard *mission.Shard) (*int, error) {
	dir := r.workspace
	if s.WorkingDirectory != "" {
		dir = filepath.Join(r.workspace, filepath.FromSlash(s.WorkingDirectory))
	}
	if r.user != nil {
		if err := r.handOver(r.user); err != nil {
			return nil, err
		}
	}
	script, err := r.scripts.write(s.Run, scriptExt(shellCmd))
	if err != nil {
		return nil, fmt.Errorf("write the script: %w", err)
	}
	// Only once the supervisor has ended whatever the step left running,
	// which might still read it.
	defer r.scripts.remove(script)
	// One pipe for stdout and stderr keeps their lines in the order the
	// process wrote them. We own the read end, so Wait does not block on a
	// grandchild that keeps the pipe open.
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("pipe: %w", err)
	}
	p, err := supervise.Start(ctx, supervise.Options{
		Argv:      scriptArgv(shellCmd, r.scripts.path(script)),
		Dir:       dir,
		Env:       r.stepEnv(s, shard),
		Stdout:    pw,
		Stderr:    pw,
		User:      r.user,
		KillGrace: r.opts.KillGrace,
	})
	pw.Close()
	if err != nil {
		pr.Close()
		return nil, fmt.Errorf("start: %w", err)
	}
	copied := make(chan struct{})
	go func() {
		io.Copy(w, pr)
		close(copied)
	}()
	res, werr := p.Wait()
	select {
	case <-copied:
	case <-time.After(2 * time.Second):
		// Only a process the supervisor could not end still holds the
		// pipe: stop reading rather than hang the run.
	}
	pr.Close()
	if res != nil && res.Leftover > 0 {
		fmt.Fprintf(w, "helios: ended %s of step %q%s\n", markup.Plural(res.Leftover, "leftover process"), displayName(s), inAll(res))
	}
	if res == nil {
		return nil, fmt.Errorf("supervise: %w", werr)
	}

	if res.Remaining > 0 {
		r.unended.add(fmt.Sprintf("%s of step %q", markup.Plural(res.Remaining, "process"), displayName(s)))
	}
	code := res.ExitCode
	switch {
	case res.Signal != 0:
		if ctx.Err() != nil {
			return nil, fmt.Errorf("stopped by %v", res.Signal)
		}
		return nil, fmt.Errorf("killed by signal %v", res.Signal)
	case werr != nil:
		// Some of what the step started could not be ended: the bundle
		// may still change under the ledger.
		return &code, werr
	case code == 0:
		return &code, nil
	case ctx.Err() != nil:
		return &code, fmt.Errorf("exit code %d after it was stopped", code)
	default:
		return &code, fmt.Errorf("exit code %d", code)
	}
}

// inAll adds how many processes were ended in all when the leftovers had
// children of their own.
func inAll(res *supervise.Result) string {
	if res.Ended > res.Leftover {
		return fmt.Sprintf(" (%d processes in all)", res.Ended)
	}
	return ""
}

// unended collects, across phases running side by side, the processes of
// steps that their supervisors could not end.
type unended struct {
	mu    sync.Mutex
	steps []string
}

func (u *unended) add(s string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.steps = append(u.steps, s)
}

// reportUnended fails the run when a step left processes its supervisor
// could not end: they keep running as the step's user and could rewrite a
// file after it is hashed in a way the sealing check misses (same size,
// mtime restored), so the bundle is not fit to leave the machine and the
// action does not upload it. Whatever continue-on-error says.
func (r *run) reportUnended(res *Result) {
	r.unended.mu.Lock()
	steps := append([]string{}, r.unended.steps...)
	r.unended.mu.Unlock()
	if len(steps) == 0 {
		return
	}
	res.Unended = steps
	reason := r.masker.String(strings.Join(steps, ", ") + " could not be ended; the bundle is not uploaded")
	r.con.printf("✗ %s\n", reason)
	mf := res.Manifest
	if mf.Conclusion != manifest.Cancelled {
		mf.Conclusion = manifest.Failure
	}
	if mf.Reason != "" {
		reason += "; " + mf.Reason
	}
	mf.Reason = reason
}
