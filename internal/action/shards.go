package action

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/helios-action/helios-action/internal/artifact"
	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/markup"
	"github.com/helios-action/helios-action/internal/merge"
	"github.com/helios-action/helios-action/internal/mission"
)

// A sharded mission runs as a GitHub Actions matrix of shard jobs (the
// shard input), each of which uploads its bundle as
// <artifact-name>-<shard>, and one merge job (merge: true) that downloads
// them, runs the merge phases and reports the one verdict.

// shardedKeyJob stands for the job id in the default key of a shard job
// and of the merge job: they are different jobs, and must agree on the
// key, which names the artifacts the merge looks for.
const shardedKeyJob = "shards"

// maxShardZip bounds one shard artifact's download.
const maxShardZip = 1 << 30

// maxShardBytes bounds the shard artifacts a merge downloads in all: a
// GitHub-hosted runner has about 14 GB of free disk, and the merged bundle
// needs room of its own.
const maxShardBytes = 4 << 30

// shardFetchBudget bounds listing and downloading every shard artifact of
// a merge; a signal ends it sooner.
const shardFetchBudget = 20 * time.Minute

// checkSharding checks the shard and merge inputs against the loaded
// mission, and the names they make. It keeps the shard job's shard ids.
func (r *runner) checkSharding() error {
	in := r.in
	if in.Shard == "" && !in.Merge {
		return nil
	}
	name := "shard"
	if in.Merge {
		name = "merge"
	}
	all := r.m.Shards()
	if len(all) == 0 {
		return &InputError{name, fmt.Sprintf("the mission %s has no \"shards\": only a sharded mission has shard jobs and a merge job (see docs/mission.md); leave out shard and merge to run it in one job", r.m.Name)}
	}
	r.shardTotal = len(all)
	if in.Shard != "" {
		shards, err := r.m.ShardsFor(in.Shard)
		if err != nil {
			return &InputError{"shard", err.Error()}
		}
		for _, s := range shards {
			r.shardIDs = append(r.shardIDs, s.ID)
		}
	}
	if in.Shard != "" && !in.Upload {
		r.a.Warningf("upload is false: the merge job will not find this shard job's bundle, and will count its shards as missing")
	}
	if err := artifact.ValidateName(r.artifactNameFor()); err != nil {
		culprit := "artifact-name"
		if in.ArtifactName == "" {
			culprit = "key"
		}
		return &InputError{culprit, err.Error()}
	}
	return nil
}

// shardPrefix is what the name of each shard job's artifact starts with:
// the merge job's own artifact name and a dash.
func (r *runner) shardPrefix() string { return r.baseArtifactName() + "-" }

// shardSources downloads, in a merge job, the shard jobs' artifacts of this
// run into dir, for engine.Merge. It returns an error when the artifact
// service is out of reach (a merge cannot run without it).
func (r *runner) shardSources(ctx context.Context, dir string) ([]merge.Source, error) {
	cfg, err := artifact.ConfigFromEnv(r.env.Getenv)
	if errors.Is(err, artifact.ErrNotInActions) {
		return nil, &engine.UsageError{Msg: "merge: true downloads the shard jobs' artifacts of this workflow run, and there is no artifact service here (ACTIONS_RUNTIME_TOKEN is not set): run the merge job in the workflow, after the shard jobs"}
	}
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	cfg.Mask = func(s string) { r.masker.Add(s); r.a.AddMask(s) }
	cfg.Logf = func(f string, args ...any) { r.a.Debugf(f, args...) }
	fetch, cancel := context.WithTimeout(ctx, shardFetchBudget)
	defer cancel()
	prefix := r.shardPrefix()
	srcs, err := downloadShards(fetch, cfg, prefix, dir, r.m, func(f string, args ...any) { r.a.Warningf(f, args...) })
	if err == nil && ctx.Err() == nil && errors.Is(fetch.Err(), context.DeadlineExceeded) {
		// What did not come in time is no missing shard: say so instead.
		err = fmt.Errorf("merge: listing and downloading the shard artifacts took over %v", shardFetchBudget)
	}
	if err != nil {
		return nil, err
	}
	if len(srcs) == 0 {
		r.a.Warningf("merge: this run has no shard artifact named %s…; the shard jobs must give the same mission, report-root, network, working-directory, key and artifact-name inputs as the merge job", prefix)
	}
	for _, s := range srcs {
		r.a.Infof("merge: shard %s from artifact %s", s.Spec, s.Artifact)
	}
	return srcs, nil
}

// downloadShards lists this run's artifacts, and downloads each whose name
// is prefix followed by a shard spec of m into its own file of dir. A
// download that fails is warned about and left out: the merge then finds
// that shard missing and says so. Only a listing that fails is an error.
// Any job of the run can upload artifacts under the prefix, so what is
// downloaded is bounded: shard specs only, at most one artifact per shard
// of the mission, maxShardZip each and maxShardBytes in all; a signal
// stops it at once.
func downloadShards(ctx context.Context, cfg artifact.Config, prefix, dir string, m *mission.Mission, warnf func(string, ...any)) ([]merge.Source, error) {
	listed, err := artifact.List(ctx, cfg, "")
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	var srcs []merge.Source
	var total int64
	for i, l := range listed {
		spec, ok := strings.CutPrefix(l.Name, prefix)
		if !ok || spec == "" || ctx.Err() != nil {
			continue
		}
		if _, err := m.ShardsFor(spec); err != nil {
			warnf("merge: artifact %s is named for no shard of the mission, so it is not downloaded: %v", l.Name, err)
			continue
		}
		if len(srcs) == len(m.Shards()) {
			warnf("merge: artifact %s not downloaded: there are already as many shard artifacts as the mission has shards (%d)", l.Name, len(srcs))
			continue
		}
		if total+l.Size > maxShardBytes {
			warnf("merge: shard artifact %s not downloaded, so its shard counts as missing: the shard artifacts hold over %d MiB in all", l.Name, maxShardBytes>>20)
			continue
		}
		// Named by position: an artifact name is no file name to trust.
		zip := filepath.Join(dir, fmt.Sprintf("shard-%03d.zip", i))
		n, err := downloadTo(ctx, cfg, l.Name, zip)
		if err != nil {
			warnf("merge: shard artifact %s not downloaded, so its shard counts as missing: %v", l.Name, err)
			continue
		}
		total += n
		srcs = append(srcs, merge.Source{Spec: spec, Artifact: l.Name, Zip: zip})
	}
	return srcs, nil
}

// downloadTo writes artifact name into the new file path and returns its
// size; on an error the file, which may hold part of it, is removed.
func downloadTo(ctx context.Context, cfg artifact.Config, name, path string) (n int64, err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	return artifact.Download(ctx, cfg, name, f, maxShardZip)
}

// maxNoteShards bounds the shard ids a shard job's summary lists.
const maxNoteShards = 12

// shardNote heads a shard job's summary: which shards it ran, and that the
// verdict is the merge job's.
func (r *runner) shardNote() string {
	var ids []string
	for i, id := range r.shardIDs {
		if i == maxNoteShards {
			ids = append(ids, "…")
			break
		}
		ids = append(ids, markup.Code(id))
	}
	return fmt.Sprintf("> [!NOTE]\n> Shard job %s: %s of the mission's %d (%s). The merge job (`merge: true`) publishes the verdict: the check, the pull request comment and the baseline comparison.\n\n",
		markup.Code(r.in.Shard), markup.Plural(len(r.shardIDs), "shard"), r.shardTotal, strings.Join(ids, ", "))
}
