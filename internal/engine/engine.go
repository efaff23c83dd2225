// Package engine runs a mission: its phases in dependency order, each step's
// receipt captured, and at the end the manifest and the SHA-256 ledger, even
// when the run failed or was cancelled.
package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/helios-action/helios-action/internal/bundlefs"
	"github.com/helios-action/helios-action/internal/bundlezip"
	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/mask"
	"github.com/helios-action/helios-action/internal/merge"
	"github.com/helios-action/helios-action/internal/mission"
	"github.com/helios-action/helios-action/internal/supervise"
)

// Options configure one run.
type Options struct {
	// Workspace is the folder the mission runs in; steps start there.
	Workspace string
	// Repo is the root of the repository's checkout, where .git is, when
	// it is not Workspace (the action's working-directory names a
	// subfolder): the commit and the checkout's credentials are read
	// there. git trusts only the folder it is told is safe, so reading
	// them from a subfolder of a checkout another user owns fails.
	Repo string
	// ReportRoot, Network override the mission's values when set.
	ReportRoot string
	Network    string
	// RPCURL is passed to steps as HELIOS_RPC_URL and masked everywhere.
	RPCURL string
	// Jobs bounds how many phases run side by side (default: CPUs).
	Jobs int
	// Environ is the action's own environment, from which the curated step
	// environment is drawn.
	Environ []string
	Console io.Writer
	Mode    Mode
	Version string
	// Builtins are the steps that `uses:` can name.
	Builtins Registry
	Now      func() time.Time
	// KillGrace is how long a cancelled step's processes get between
	// SIGTERM and SIGKILL.
	KillGrace time.Duration
	// Extra secrets to mask besides those the engine finds itself.
	Secrets []string
	// BeforeLedger, when set, runs after the phases and before the manifest
	// and ledger are written, to add files (such as index.html) to the
	// bundle. It gets the bundle's files as hashed so far and returns the
	// names of the files it added, which are then hashed alone.
	BeforeLedger func(ctx context.Context, res *Result, files []ledger.Entry) (added []string, err error)
	// Reserved names files BeforeLedger writes; what a step left there is
	// removed before it runs, and the run fails.
	Reserved []string
	// Shard makes the run one shard job of a sharded mission: spec is a
	// shard id or K-of-N (see mission.Mission.ShardsFor), and the run
	// holds the shard part of the plan only, each sharded phase once per
	// shard of spec. Its manifest records the job (manifest.ShardJob).
	Shard string
	// Merge, when set, makes the run the merge job of a sharded mission:
	// the shard jobs' bundles are placed into the report root before any
	// phase runs, and the run holds the merge part of the plan, whose
	// needs on sharded phases the shards' records meet.
	Merge *Merge
	// NoProducts turns off the snapshots that find each step's products;
	// only the snapshot benchmark sets it, to measure what they cost.
	NoProducts bool
}

// Merge is the input of a merge job.
type Merge struct {
	// Sources are the shard jobs' bundle zips, in any order: what is
	// placed and sealed does not depend on it.
	Sources []merge.Source
	// Prefix is the shard artifacts' name before "-<spec>", to name the
	// artifact a missing shard should have had (see merge.Place).
	Prefix string
	// Limits bound each zip (see bundlezip.Limits); zero takes the
	// defaults.
	Limits bundlezip.Limits
}

// Result is what a run produced.
type Result struct {
	Manifest *manifest.Manifest
	// ReportRoot is the bundle's absolute path; ReportRel is relative to the
	// workspace. If a step moved the report root away, ReportRoot is where
	// the sealed folder is now (the run has then failed).
	ReportRoot string
	ReportRel  string
	// Bundle is the report root as the engine holds it, open while Run
	// runs (BeforeLedger writes through it) and closed when Run returns.
	Bundle *bundlefs.Dir
	// Digest is the SHA-256 of SHA256SUMS: the ledger digest.
	Digest [32]byte
	// ContentDigest is the manifest's contentDigest: the SHA-256 of the
	// ledger lines of the files that are not volatile.
	ContentDigest [32]byte
	// Files counts the files the ledger lists.
	Files int
	// Leaks are the bundle files (quoted paths, never the value) in which
	// the ledger scan found a secret the masker knows; such a run failed
	// and its bundle must not be uploaded.
	Leaks []string
	// Unended names, per step, the processes its supervisor could not end
	// ("3 processes of step \"build\""): they may still change the bundle
	// after it is sealed, so such a run failed and its bundle must not be
	// uploaded.
	Unended []string
}

// DigestHex is the ledger digest in hex.
func (r *Result) DigestHex() string { return fmt.Sprintf("%x", r.Digest) }

// ContentDigestHex is the content digest in hex.
func (r *Result) ContentDigestHex() string { return fmt.Sprintf("%x", r.ContentDigest) }

type run struct {
	m          *mission.Mission
	opts       Options
	workspace  string
	reportRoot string
	reportRel  string
	bundle     *bundlefs.Dir
	// user is who run: steps run as, decided once before any step runs;
	// nil is helios's own user (see stepUser).
	user            *supervise.User
	network         string
	hostEnv         environ
	base            environ
	masker          *mask.Masker
	con             *console
	commit          string
	sourceDateEpoch int64
	tmp             string
	scripts         *scripts

	shared shared
	// units are the phases this run holds, in plan order (see plan); phases
	// holds them by key.
	units   []*phaseRun
	phases  map[string]*phaseRun
	unended unended
	// obs finds the steps' products; nil with Options.NoProducts.
	obs *observer
	// shardJob is set in a shard job, placed in the merge job.
	shardJob *manifest.ShardJob
	placed   *merge.Placed
}

// phaseRun is one phase of the run: a phase of the mission, or a sharded
// phase's instance for one shard.
type phaseRun struct {
	p *mission.Phase
	// key names it in the run and the manifest: the phase's name, or for
	// an instance mission.InstanceName; needs are the keys it waits for.
	key   string
	needs []string
	// shard is the instance's shard, nil for an unsharded phase; given
	// marks an instance a shard job ran, whose record the merge holds.
	shard   *mission.Shard
	given   bool
	rec     manifest.Phase
	ok      bool // dependents may run
	started bool
	done    bool
	reason  string
	// lastMark is the mark of the sync after its latest step, where the
	// next one's window opens (0: none yet).
	lastMark int64
}

// Run executes the mission and writes its bundle. The error is for failures
// of the engine itself (the report root cannot be written, say); a mission
// that fails or is cancelled still returns a Result with its conclusion.
func Run(ctx context.Context, m *mission.Mission, opts Options) (*Result, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Jobs <= 0 {
		opts.Jobs = runtime.NumCPU()
	}
	if opts.KillGrace <= 0 {
		opts.KillGrace = time.Second
	}
	if opts.Console == nil {
		opts.Console = io.Discard
	}
	r := &run{m: m, opts: opts, hostEnv: parseEnviron(opts.Environ), phases: map[string]*phaseRun{}}
	if err := r.prepare(ctx); err != nil {
		if r.bundle != nil {
			r.bundle.Close()
		}
		if r.tmp != "" {
			os.RemoveAll(r.tmp)
		}
		r.scripts.close()
		return nil, err
	}
	defer r.bundle.Close()
	defer os.RemoveAll(r.tmp)
	defer r.scripts.close()

	start := opts.Now()
	r.con = newConsole(opts.Console, opts.Mode, opts.Now)
	if !opts.NoProducts {
		r.obs = newObserver(r.bundle.ReadPath(), func(msg string) { r.con.printf("warning: %s\n", msg) })
		defer r.obs.close()
	}
	r.con.printf("helios: mission %q → %s (network %s, %d phases)\n", m.Name, r.reportRel, r.network, len(m.Phases))
	r.reportPlaced()
	r.schedule(ctx)
	r.con.close()

	res := &Result{ReportRoot: r.reportRoot, ReportRel: r.reportRel, Bundle: r.bundle}
	res.Manifest = r.record(ctx, start)
	r.reportUnended(res)
	// Whatever happened to the mission, the bundle gets its manifest and
	// ledger; a cancelled run has a couple of seconds left for this. A
	// signal that arrives meanwhile still makes the run cancelled.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := r.finish(fctx, ctx, res); err != nil {
		return res, err
	}
	return res, nil
}

func (r *run) prepare(ctx context.Context) error {
	ws, err := filepath.Abs(r.opts.Workspace)
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	r.workspace = ws
	rel := r.m.ReportRoot
	if r.opts.ReportRoot != "" {
		rel = r.opts.ReportRoot
	}
	abs := rel
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(ws, rel)
	}
	abs = filepath.Clean(abs)
	inside, err := filepath.Rel(ws, abs)
	if err != nil || inside == "." || inside == ".." || strings.HasPrefix(inside, ".."+string(filepath.Separator)) {
		return &UsageError{fmt.Sprintf("report root %q must be a folder inside the workspace %s", rel, ws)}
	}
	r.reportRoot, r.reportRel = abs, filepath.ToSlash(inside)
	r.network = r.m.Network
	if r.opts.Network != "" {
		r.network = r.opts.Network
	}
	// The root is resolved without following links and held open: every
	// bundle write goes through it, so a link committed in the repository or
	// planted by a step cannot redirect a write or a delete.
	if r.bundle, err = bundlefs.Open(ws, r.reportRel); err != nil {
		return usageIfRefused(err)
	}
	// Like upstream's `clean` target: a bundle holds only this run's files;
	// only an empty folder or an earlier bundle is emptied.
	if err := r.bundle.Empty(); err != nil {
		return usageIfRefused(err)
	}
	if err := r.bundle.MkdirAll("logs"); err != nil {
		return fmt.Errorf("create report root: %w", err)
	}
	if r.tmp, err = os.MkdirTemp("", "helios-run-"); err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	if err := r.plan(ctx); err != nil {
		return err
	}
	if err := r.prepareStepUser(); err != nil {
		return err
	}
	if r.scripts, err = openScripts(r.user != nil); err != nil {
		return err
	}
	repo := ws
	if r.opts.Repo != "" {
		if repo, err = filepath.Abs(r.opts.Repo); err != nil {
			return fmt.Errorf("repository: %w", err)
		}
	}
	r.warnPersistedCredentials(ctx, repo)
	r.commit, r.sourceDateEpoch = gitInfo(ctx, repo, r.hostEnv)
	r.masker = mask.New(append(r.secrets(), r.opts.Secrets...)...)
	r.base = r.baseEnv()
	return nil
}

// usageIfRefused makes a refused report root a usage error: the mission or
// flags must name another folder.
func usageIfRefused(err error) error {
	var re *bundlefs.RefusedError
	if errors.As(err, &re) {
		return &UsageError{re.Msg}
	}
	return err
}

// UsageError is a problem with how the engine was invoked (exit code 2).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// schedule runs the phases: each starts once every phase it needs has
// finished, at most Jobs at a time, in plan order when several are ready.
func (r *run) schedule(ctx context.Context) {
	doneCh := make(chan *phaseRun)
	running := 0
	for {
		for _, pr := range r.units {
			if pr.started || pr.done {
				continue
			}
			ready, blocked := true, ""
			for _, n := range pr.needs {
				dep := r.phases[n]
				if !dep.done {
					ready = false
					break
				}
				if !dep.ok && blocked == "" {
					blocked = n
				}
			}
			if !ready {
				continue
			}
			switch {
			case ctx.Err() != nil:
				r.skipPhase(pr, manifest.Cancelled, "the run was cancelled")
			case blocked != "":
				r.skipPhase(pr, manifest.Skipped, fmt.Sprintf("phase %q did not succeed", blocked))
			case running < r.opts.Jobs:
				pr.started = true
				running++
				go func() { r.runPhase(ctx, pr); doneCh <- pr }()
			}
		}
		if running == 0 {
			// Everything left is blocked by phases that were skipped in
			// this pass; loop until no pending phase remains.
			if r.allDone() {
				return
			}
			continue
		}
		pr := <-doneCh
		running--
		pr.done = true
	}
}

func (r *run) allDone() bool {
	for _, pr := range r.phases {
		if !pr.done {
			return false
		}
	}
	return true
}

func (r *run) skipPhase(pr *phaseRun, status, why string) {
	pr.done, pr.ok = true, false
	pr.rec.Status = status
	pr.reason = why
	for _, s := range pr.p.Steps {
		pr.rec.Steps = append(pr.rec.Steps, r.stepRecord(pr.p, s, status))
	}
	r.con.printf("%s %s: %s (%s)\n", statusMark(status), pr.key, status, why)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func statusMark(s string) string {
	switch s {
	case manifest.Success:
		return "✓"
	case manifest.Failure:
		return "✗"
	case manifest.Cancelled:
		return "⊘"
	default:
		return "–"
	}
}

// record assembles the manifest's run-level fields and phases in plan order.
func (r *run) record(ctx context.Context, start time.Time) *manifest.Manifest {
	end := r.opts.Now()
	mf := &manifest.Manifest{
		Schema:     manifest.SchemaURL,
		Tool:       manifest.Tool{Name: "helios", Version: r.opts.Version},
		Mission:    manifest.Mission{Name: r.m.Name, File: r.missionFile(), SHA256: r.m.Digest, ReportRoot: r.reportRel},
		Git:        manifest.Git{Commit: r.commit, SourceDateEpoch: r.sourceDateEpoch},
		Network:    r.network,
		StartedAt:  start.UTC(),
		FinishedAt: end.UTC(),
		DurationMs: end.Sub(start).Milliseconds(),
		Volatile:   r.volatile(),
		Phases:     []manifest.Phase{},
		Files:      []manifest.File{},
	}
	conclusion := manifest.Success
	if r.shardJob != nil {
		mf.Shard = r.shardJob
	}
	if r.placed != nil {
		mf.Shards = r.placed.Shards
		if msg := r.shardProblems(); msg != "" {
			conclusion, mf.Reason = manifest.Failure, r.masker.String(msg)
		}
	}
	for _, pr := range r.units {
		mf.Phases = append(mf.Phases, pr.rec)
		if pr.given {
			// A shard's own failure is among the merge's problems; an
			// instance that did not succeed fails the merge even when
			// no problem says so.
			if !pr.ok && conclusion == manifest.Success {
				conclusion, mf.Reason = manifest.Failure, r.masker.String(pr.reason)
			}
			continue
		}
		if pr.rec.Status == manifest.Failure && !pr.p.ContinueOnError && conclusion == manifest.Success {
			conclusion = manifest.Failure
			mf.Reason = r.masker.String(fmt.Sprintf("phase %q failed: %s", pr.key, pr.reason))
		}
	}
	mf.Conclusion = conclusion
	if ctx.Err() != nil {
		markCancelled(ctx, mf)
	}
	return mf
}

// markCancelled records that a signal ended the run.
func markCancelled(ctx context.Context, mf *manifest.Manifest) {
	mf.Conclusion = manifest.Cancelled
	mf.Reason = "the run was cancelled"
	if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) {
		mf.Reason = "the run was cancelled: " + c.Error()
	}
}

// missionFile names the mission file relative to the workspace, as the
// repository knows it (the built-in mission keeps its own name).
func (r *run) missionFile() string {
	if filepath.IsAbs(r.m.File) {
		if rel, err := filepath.Rel(r.workspace, r.m.File); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel)
		}
	}
	return r.m.File
}

// volatile is the manifest's volatile globs: manifest.DefaultVolatile
// (times, durations and logs), then the mission's own.
func (r *run) volatile() []string {
	out := append([]string{}, manifest.DefaultVolatile...)
	seen := map[string]bool{}
	for _, v := range out {
		seen[v] = true
	}
	extra := r.m.Volatile
	if r.opts.Merge != nil {
		extra = append(append([]string{}, merge.Volatile...), extra...)
	}
	for _, v := range extra {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
