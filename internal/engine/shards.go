package engine

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/helios-action/helios-action/internal/bundlefs"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/merge"
	"github.com/helios-action/helios-action/internal/mission"
)

// This file turns a mission into the phases one run holds. A mission
// without "shards" runs each phase once. A sharded phase runs once per
// shard, as an instance named "plan [eu-energy]" that writes into
// shards/<id>/, in every mode: a run of the whole mission in one job runs
// every instance, a shard job (Options.Shard) its shards' instances and
// the phases they need, and the merge job (Options.Merge) the rest, with
// the shards' records of their instances in their place. So a file is at
// the same path in a merged bundle as in a one-job run.

// plan builds r.units, the phases this run holds in plan order, and for a
// merge places the shards' bundles (so prepare calls it once the report
// root is empty).
func (r *run) plan(ctx context.Context) error {
	m := r.m
	if m.Sharding == nil {
		switch {
		case r.opts.Shard != "":
			return &UsageError{fmt.Sprintf("shard %q: the mission %s has no \"shards\" key, so it has no shards", r.opts.Shard, m.File)}
		case r.opts.Merge != nil:
			return &UsageError{fmt.Sprintf("merge: the mission %s has no \"shards\" key, so there are no shards to merge", m.File)}
		}
		for _, p := range m.Order() {
			r.addUnit(p, nil, p.Needs)
		}
		return nil
	}
	if r.opts.Shard != "" && r.opts.Merge != nil {
		return &UsageError{"a run is a shard job or the merge job, not both"}
	}
	phases, shards := m.Order(), m.Shards()
	switch {
	case r.opts.Shard != "":
		var err error
		if shards, err = m.ShardsFor(r.opts.Shard); err != nil {
			return &UsageError{err.Error()}
		}
		phases = m.ShardPlan()
		ids := make([]string, len(shards))
		for i, s := range shards {
			ids[i] = s.ID
		}
		r.shardJob = &manifest.ShardJob{Spec: r.opts.Shard, IDs: ids, Job: r.hostEnv["GITHUB_JOB"], Runner: r.hostEnv["RUNNER_NAME"]}
	case r.opts.Merge != nil:
		placed, err := merge.Place(ctx, r.bundle, m, r.opts.Merge.Prefix, r.opts.Merge.Sources, r.opts.Merge.Limits)
		if err != nil {
			return fmt.Errorf("merge: %w", err)
		}
		r.placed = placed
		in := map[string]bool{}
		for _, p := range m.MergePlan() {
			in[p.Name] = true
		}
		for _, p := range m.Order() {
			switch {
			case m.Sharded(p.Name):
				for _, s := range shards {
					r.addGiven(p, s)
				}
			case in[p.Name]:
				r.addUnit(p, nil, r.expandNeeds(p, nil, shards))
			}
		}
		return nil
	}
	for _, p := range phases {
		if !m.Sharded(p.Name) {
			r.addUnit(p, nil, r.expandNeeds(p, nil, shards))
			continue
		}
		for _, s := range shards {
			r.addUnit(p, &s, r.expandNeeds(p, &s, shards))
		}
	}
	return nil
}

// expandNeeds names the units p's instance for shard s (nil: p is not
// sharded) waits for: a sharded need is its instance for the same shard,
// or for an unsharded phase every instance of the run.
func (r *run) expandNeeds(p *mission.Phase, s *mission.Shard, shards []mission.Shard) []string {
	var out []string
	for _, n := range p.Needs {
		switch {
		case !r.m.Sharded(n):
			out = append(out, n)
		case s != nil:
			out = append(out, mission.InstanceName(n, s.ID))
		default:
			for _, sh := range shards {
				out = append(out, mission.InstanceName(n, sh.ID))
			}
		}
	}
	return out
}

func (r *run) addUnit(p *mission.Phase, s *mission.Shard, needs []string) *phaseRun {
	pr := &phaseRun{p: p, key: p.Name, needs: nonNil(needs)}
	if s != nil {
		sh := *s
		pr.shard, pr.key = &sh, mission.InstanceName(p.Name, s.ID)
	}
	pr.rec = manifest.Phase{Name: pr.key, Needs: pr.needs, ContinueOnError: p.ContinueOnError, Steps: []manifest.Step{}}
	if s != nil {
		pr.rec.Shard = s.ID
	}
	r.units = append(r.units, pr)
	r.phases[pr.key] = pr
	return pr
}

// addGiven adds a sharded phase's instance that a shard job ran: the
// merge holds its record, done before the merge starts. An instance whose
// shard the merge could not use is recorded as skipped, with the steps it
// would have run, and holds up what needs it.
func (r *run) addGiven(p *mission.Phase, s mission.Shard) {
	pr := r.addUnit(p, &s, r.expandNeeds(p, &s, nil))
	pr.given, pr.done, pr.started = true, true, true
	if rec, ok := r.placed.Phases[pr.key]; ok {
		pr.rec = rec
		pr.ok = rec.Status == manifest.Success || (rec.Status == manifest.Failure && p.ContinueOnError)
		if !pr.ok {
			pr.reason = fmt.Sprintf("shard %s: phase %q %s", s.ID, pr.key, rec.Status)
		}
		return
	}
	pr.rec.Status = manifest.Skipped
	pr.reason = fmt.Sprintf("shard %s did not reach the merge", s.ID)
	for _, st := range p.Steps {
		pr.rec.Steps = append(pr.rec.Steps, r.stepRecord(p, st, manifest.Skipped))
	}
}

// unitDir is where a unit's steps write: the report root, or for a sharded
// phase's instance its shard's folder, opened below the root without
// following links. The caller closes a dir that is not r.bundle.
func (r *run) unitDir(pr *phaseRun) (*bundlefs.Dir, error) {
	if pr.shard == nil {
		return r.bundle, nil
	}
	d, err := r.bundle.Sub(pr.shard.Root())
	if err != nil {
		return nil, fmt.Errorf("shard folder: %w", err)
	}
	return d, nil
}

// inRoot is a path relative to the unit's folder made relative to the
// report root, as receipts name files.
func (pr *phaseRun) inRoot(rel string) string {
	if pr.shard == nil {
		return rel
	}
	return path.Join(pr.shard.Root(), rel)
}

// shardProblems are the merge's reasons to fail, one line: the first
// problem and how many more.
func (r *run) shardProblems() string {
	if r.placed == nil || len(r.placed.Problems) == 0 {
		return ""
	}
	// Up to 256 shards may each have one: the reason names a few, the
	// manifest's shards section has them all.
	const named = 5
	msg, more := r.placed.Problems[0], r.placed.Problems[1:]
	switch {
	case len(more) > named:
		msg += fmt.Sprintf(" (and %d more: %s; …)", len(more), strings.Join(more[:named], "; "))
	case len(more) > 0:
		msg += fmt.Sprintf(" (and %d more: %s)", len(more), strings.Join(more, "; "))
	}
	return msg
}

// reportPlaced says on the console what the merge found: each shard it
// could not use or that failed, and the artifacts it left alone.
func (r *run) reportPlaced() {
	if r.placed == nil {
		return
	}
	r.con.printf("helios: merging %d shard jobs\n", len(r.placed.Shards))
	for _, p := range r.placed.Problems {
		r.con.printf("%s %s\n", statusMark(manifest.Failure), oneLine(r.masker.String(p)))
	}
	for _, n := range r.placed.Notes {
		r.con.printf("note: %s\n", oneLine(r.masker.String(n)))
	}
}
