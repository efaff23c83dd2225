package action

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/helios-action/helios-action/internal/artifact"
	"github.com/helios-action/helios-action/internal/mission"
	"github.com/helios-action/helios-action/internal/report"
)

// upload sends the bundle as a workflow artifact, as upload-artifact@v4
// would. Outside Actions (no runtime token) it is skipped with a notice. A
// bundle that holds a secret, or that a step may still change, is never
// uploaded.
type upload struct{}

func (upload) String() string      { return "artifact upload" }
func (upload) Skip(r *runner) bool { return !r.in.Upload }

func (upload) Run(ctx context.Context, r *runner) error {
	b := r.bundle
	if len(b.leaks) > 0 {
		list := strings.Join(b.leaks, ", ")
		r.a.Errorf("artifact upload withheld: the bundle holds a secret (the token, the RPC URL or a pass-env value, maybe base64- or URL-encoded) in %s; keep it out of the report root (a step that copies .git/config copies the checkout token)", list)
		r.summaryText(fmt.Sprintf("### ⛔ Bundle not uploaded\n\nThe bundle holds a secret (the token, the RPC URL or a pass-env value, maybe base64- or URL-encoded) in %s, so it was not uploaded and the step fails.\n", report.EscapeText(list)))
		return nil
	}
	if len(b.unended) > 0 {
		list := strings.Join(b.unended, ", ")
		r.a.Errorf("artifact upload withheld: %s could not be ended; they may change the bundle after it was sealed", list)
		r.summaryText(fmt.Sprintf("### ⛔ Bundle not uploaded\n\n%s could not be ended after the step, so the bundle may change after it was sealed; it was not uploaded and the step fails.\n", report.EscapeText(list)))
		return nil
	}
	cfg, err := artifact.ConfigFromEnv(r.env.Getenv)
	if errors.Is(err, artifact.ErrNotInActions) {
		r.a.Noticef("artifact upload skipped: %v", err)
		return nil
	}
	if err != nil {
		r.a.Warningf("artifact upload: %v", err)
		return nil
	}
	if r.cancelled() {
		// Best effort within what the runner leaves after SIGINT (about
		// 7.5 s before SIGTERM, 10 s before the kill).
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cancelUploadBudget)
		defer cancel()
	}
	if r.in.RetentionDays > 0 {
		cfg.RetentionDays = r.in.RetentionDays
	}
	cfg.CompressionLevel = r.in.CompressionLvl
	cfg.Mask = func(s string) { r.masker.Add(s); r.a.AddMask(s) }
	cfg.Logf = func(f string, args ...any) { r.a.Infof(f, args...) }
	name := r.artifactNameFor()
	files, err := artifact.BundleFiles(b.root)
	if err == nil {
		var res *artifact.Result
		if res, err = artifact.Upload(ctx, cfg, name, b.root, files); err == nil {
			r.artifactName, r.artifactURL = res.Name, res.URL
			r.out.set("artifact-id", strconv.FormatInt(res.ID, 10))
			r.out.set("artifact-url", res.URL)
			r.out.set("artifact-digest", res.Digest)
			r.a.Infof("artifact %s: %d files, %d bytes, %s", res.Name, res.Files, res.Size, res.Digest)
			return nil
		}
	}
	if errors.Is(err, artifact.ErrArtifactExists) {
		r.a.Errorf("artifact %q already exists in this run: give each use of the action its own key or artifact-name input", name)
		return nil
	}
	r.a.Errorf("artifact upload: %v", err)
	return nil
}

// artifactNameFor is the artifact's name: baseArtifactName, and in a shard
// job the shard after it, so that the merge job finds the shard jobs'
// artifacts by its own name.
func (r *runner) artifactNameFor() string {
	if r.in.Shard != "" {
		return r.baseArtifactName() + "-" + r.in.Shard
	}
	return r.baseArtifactName()
}

// baseArtifactName is the artifact-name input, else the default. The
// baseline lookup finds the base branch's bundle by it, so it depends on
// nothing that differs between a pull request and its base branch's runs
// (the key leaves baseline and fail-on-drift out).
func (r *runner) baseArtifactName() string {
	if r.in.ArtifactName != "" {
		return r.in.ArtifactName
	}
	return defaultArtifactName(r.m.Name, r.in.Key)
}

// defaultArtifactName is the mission's slug and the key, so matrix legs
// never collide; the characters the artifact service refuses are gone.
func defaultArtifactName(missionName, key string) string {
	return mission.Slug(missionName) + "-" + mission.Slug(key)
}
