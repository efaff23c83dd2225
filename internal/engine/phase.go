package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"github.com/helios-action/helios-action/internal/bundlefs"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/markup"
	"github.com/helios-action/helios-action/internal/mission"
)

// errPhaseTimeout and errStepTimeout are context causes, so a step can say
// which bound ended it.
var (
	errPhaseTimeout = errors.New("phase timed out")
	errStepTimeout  = errors.New("step timed out")
)

func (r *run) runPhase(ctx context.Context, pr *phaseRun) {
	p := pr.p
	out := r.con.begin(pr.key)
	start := r.opts.Now()
	dir, err := r.unitDir(pr)
	if err != nil {
		// Its folder cannot be made (a step put a link there): the
		// instance fails before any step runs.
		dir = nil
		pr.reason = err.Error()
	} else if dir != r.bundle {
		defer dir.Close()
	}
	pctx := ctx
	if p.Timeout > 0 {
		var cancel context.CancelFunc
		pctx, cancel = context.WithTimeoutCause(ctx, p.Timeout, fmt.Errorf("%w after %s", errPhaseTimeout, p.Timeout))
		defer cancel()
	}
	status := manifest.Success
	if dir == nil {
		status = manifest.Failure
	}
	for _, s := range p.Steps {
		if status != manifest.Success {
			pr.rec.Steps = append(pr.rec.Steps, r.stepRecord(p, s, manifest.Skipped))
			continue
		}
		if ctx.Err() != nil {
			status = manifest.Cancelled
			pr.reason = "the run was cancelled"
			pr.rec.Steps = append(pr.rec.Steps, r.stepRecord(p, s, manifest.Cancelled))
			continue
		}
		if pctx.Err() != nil {
			// The phase's time is up: its remaining steps do not start.
			status = manifest.Failure
			pr.reason = context.Cause(pctx).Error()
			pr.rec.Steps = append(pr.rec.Steps, r.stepRecord(p, s, manifest.Skipped))
			continue
		}
		rec := r.runStep(pctx, ctx, pr, dir, s, out)
		pr.rec.Steps = append(pr.rec.Steps, rec)
		switch {
		case rec.Status == manifest.Cancelled:
			status, pr.reason = manifest.Cancelled, "the run was cancelled"
		case rec.Status == manifest.Failure && !s.ContinueOnError:
			status = manifest.Failure
			pr.reason = fmt.Sprintf("step %q: %s", displayName(s), rec.Error)
		}
	}
	if r.obs != nil {
		r.obs.release(pr.key)
	}
	end := r.opts.Now()
	pr.rec.Status = status
	pr.rec.StartedAt, pr.rec.FinishedAt = start.UTC(), end.UTC()
	pr.rec.DurationMs = end.Sub(start).Milliseconds()
	pr.ok = status == manifest.Success || (status == manifest.Failure && p.ContinueOnError)
	summary := fmt.Sprintf("%s %s: %s in %s", statusMark(status), p.Name, status, markup.Duration(end.Sub(start)))
	if n := skippedSteps(pr.rec.Steps); n > 0 {
		// A phase whose checks skipped themselves succeeded, but should
		// not read as if it had checked everything.
		summary += fmt.Sprintf(" (%d of %d steps skipped)", n, len(pr.rec.Steps))
	}
	if status != manifest.Success && pr.reason != "" {
		summary += " — " + oneLine(r.masker.String(pr.reason))
	}
	out.end(summary)
}

// skippedSteps counts the steps that skipped themselves (with a reason).
func skippedSteps(steps []manifest.Step) int {
	n := 0
	for _, s := range steps {
		if s.SkipReason != "" {
			n++
		}
	}
	return n
}

// displayName is the step's name, or for an unnamed step what it does.
func displayName(s *mission.Step) string {
	if s.Name != "" {
		return s.Name
	}
	switch s.Kind {
	case mission.Run:
		line, _, _ := strings.Cut(strings.TrimSpace(s.Run), "\n")
		if len(line) > 80 {
			line = line[:77] + "..."
		}
		return line
	case mission.Collect:
		return "collect " + strings.Join(s.Collect.From, " ")
	default:
		return s.Uses
	}
}

// stepRecord is the receipt of a step that did not run.
func (r *run) stepRecord(p *mission.Phase, s *mission.Step, status string) manifest.Step {
	return r.receipt(s, status, r.shellCommand(s))
}

// receipt is a step's receipt before it runs. A run step's command is its
// shell's, with {0} where the script file's path goes (the path is a
// temporary name that says nothing), and the script is recorded beside it.
func (r *run) receipt(s *mission.Step, status, shellCmd string) manifest.Step {
	rec := manifest.Step{ID: s.ID, Name: r.masker.String(displayName(s)), Kind: s.Kind.String(), Status: status, ContinueOnError: s.ContinueOnError}
	switch s.Kind {
	case mission.Run:
		for _, w := range mission.ShellWords(shellCmd) {
			rec.Command = append(rec.Command, r.masker.String(w))
		}
		rec.Script = r.masker.String(s.Run)
		rec.WorkingDirectory = s.WorkingDirectory
	case mission.Uses:
		rec.Uses = s.Uses
	case mission.Collect:
		rec.Command = append([]string{"collect"}, s.Collect.From...)
	}
	return rec
}

// runStep runs one step of pr with its log; dir is where pr writes. pctx
// carries the phase's timeout, rctx is the run's own context (cancelled by
// a signal).
func (r *run) runStep(pctx, rctx context.Context, pr *phaseRun, dir *bundlefs.Dir, s *mission.Step, out io.Writer) manifest.Step {
	p := pr.p
	// Decided once, so that the receipt says what ran.
	shellCmd := r.shellCommand(s)
	rec := r.receipt(s, manifest.Success, shellCmd)
	ctx := pctx
	if s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(pctx, s.Timeout, fmt.Errorf("%w after %s", errStepTimeout, s.Timeout))
		defer cancel()
	}
	logRel := path.Join("logs", p.Name, s.ID+".log")
	body, err := os.CreateTemp(r.tmp, "step-*.log")
	if err != nil {
		rec.Status, rec.Error = manifest.Failure, fmt.Sprintf("create log: %v", err)
		return rec
	}
	defer os.Remove(body.Name())
	defer body.Close()
	w := r.masker.Writer(io.MultiWriter(body, out))
	fmt.Fprintf(out, "▶ %s\n", r.masker.String(displayName(s)))

	var sp *span
	if r.obs != nil {
		var err error
		if sp, err = r.obs.begin(pr.key, pr.folder(), rec.Name, pr.lastMark); err != nil {
			r.productsWarning(pr, s, err.Error())
		}
	}
	start := r.opts.Now()
	var exit *int
	var runErr error
	sc := &StepContext{Mission: r.m, Phase: p, Step: s, Workspace: r.workspace, ReportRoot: dir.Path(), Bundle: dir, Shard: pr.shard, Network: r.network, RPCURL: r.opts.RPCURL, Log: w, Masker: r.masker, shared: &r.shared}
	switch s.Kind {
	case mission.Run:
		exit, runErr = r.execRun(ctx, s, shellCmd, w, pr.shard)
	case mission.Collect:
		runErr = r.collect(ctx, s, sc)
	case mission.Uses:
		b := r.opts.Builtins[s.Uses]
		if b == nil {
			runErr = fmt.Errorf("unknown built-in step %q", s.Uses)
		} else {
			runErr = safeRun(ctx, b, sc)
		}
	}
	w.Close()
	end := r.opts.Now()
	rec.StartedAt, rec.FinishedAt = start.UTC(), end.UTC()
	rec.DurationMs = end.Sub(start).Milliseconds()
	rec.ExitCode = exit
	for _, o := range sc.outputs {
		rec.Outputs = append(rec.Outputs, pr.inRoot(o))
	}
	rec.Data = sc.data
	if sp != nil {
		rec.Products = r.stepProducts(rctx, pr, s, sp, sc.collected)
	}

	var skip *SkipError
	switch {
	case rctx.Err() != nil:
		rec.Status, rec.Error = manifest.Cancelled, "cancelled"
	case ctx.Err() != nil:
		// A timeout fails the step even when the process, stopped by
		// SIGTERM, exited 0.
		rec.Status, rec.Error = manifest.Failure, context.Cause(ctx).Error()
	case errors.As(runErr, &skip):
		// The built-in found it does not apply to this run: skipped, not
		// failed, so the phase goes on and its dependents run.
		rec.Status, rec.SkipReason = manifest.Skipped, skipReason(skip)
	case runErr != nil:
		rec.Status = manifest.Failure
		if c := context.Cause(ctx); ctx.Err() != nil && c != nil {
			rec.Error = c.Error()
		} else {
			rec.Error = runErr.Error()
		}
	}
	rec.Error = r.masker.String(rec.Error)
	rec.SkipReason = r.masker.String(rec.SkipReason)
	if rec.Error != "" {
		fmt.Fprintf(out, "✗ %s: %s\n", r.masker.String(displayName(s)), rec.Error)
	}
	if rec.SkipReason != "" {
		fmt.Fprintf(out, "%s %s: skipped: %s\n", statusMark(manifest.Skipped), r.masker.String(displayName(s)), rec.SkipReason)
	}
	if err := r.writeLog(dir, logRel, pr.key, s, &rec, body); err != nil && rec.Status == manifest.Success {
		rec.Status, rec.Error = manifest.Failure, err.Error()
	}
	rec.Log = pr.inRoot(logRel)
	return rec
}

// skipReason is a skip's reason as one line (the console and the log
// header show it on one), never empty.
func skipReason(skip *SkipError) string {
	if r := oneLine(strings.TrimSpace(skip.Reason)); r != "" {
		return r
	}
	return "the step found nothing to do in this run"
}

// safeRun keeps a panicking built-in from taking the whole run (and its
// ledger) down with it.
func safeRun(ctx context.Context, b Builtin, sc *StepContext) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error in %s: %v", b.Name(), p)
		}
	}()
	return b.Run(ctx, sc)
}

// writeLog puts the header (title, command, exit code, duration) in front of
// the step's captured output.
func (r *run) writeLog(dir *bundlefs.Dir, rel, phase string, s *mission.Step, rec *manifest.Step, body *os.File) error {
	f, err := dir.Create(rel, 0o644)
	if err != nil {
		return fmt.Errorf("write log: %w", err)
	}
	defer f.Close()
	var hdr strings.Builder
	fmt.Fprintf(&hdr, "# %s / %s\n\n", phase, r.masker.String(displayName(s)))
	switch s.Kind {
	case mission.Run:
		// As the mission file writes it, and the shell as GitHub
		// Actions prints it.
		if script := strings.TrimRight(rec.Script, "\n"); strings.Contains(script, "\n") {
			fmt.Fprintf(&hdr, "Run: |\n  %s\n", strings.ReplaceAll(script, "\n", "\n  "))
		} else {
			fmt.Fprintf(&hdr, "Run: %s\n", script)
		}
		fmt.Fprintf(&hdr, "Shell: %s\n", strings.Join(rec.Command, " "))
		if s.WorkingDirectory != "" {
			fmt.Fprintf(&hdr, "Working directory: %s\n", s.WorkingDirectory)
		}
	case mission.Uses:
		fmt.Fprintf(&hdr, "Uses: %s\n", s.Uses)
	case mission.Collect:
		fmt.Fprintf(&hdr, "Collect: %s → %s\n", strings.Join(s.Collect.From, " "), collectTo(s))
	}
	if rec.ExitCode != nil {
		fmt.Fprintf(&hdr, "Exit code: %d\n", *rec.ExitCode)
	}
	fmt.Fprintf(&hdr, "Status: %s\n", rec.Status)
	if rec.SkipReason != "" {
		fmt.Fprintf(&hdr, "Skip reason: %s\n", rec.SkipReason)
	}
	if rec.Error != "" {
		fmt.Fprintf(&hdr, "Error: %s\n", rec.Error)
	}
	fmt.Fprintf(&hdr, "Duration: %s\n\n## Output\n\n", time.Duration(rec.DurationMs)*time.Millisecond)
	if _, err := io.WriteString(f, hdr.String()); err != nil {
		return fmt.Errorf("write log: %w", err)
	}
	if _, err := body.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("read log: %w", err)
	}
	if _, err := io.Copy(f, body); err != nil {
		return fmt.Errorf("write log: %w", err)
	}
	return f.Close()
}
