package action

import (
	"context"
	"errors"
	"path"
	"path/filepath"
	"strings"

	"github.com/helios-action/helios-action/internal/attest"
	"github.com/helios-action/helios-action/internal/bundlefs"
	"github.com/helios-action/helios-action/internal/mission"
)

// predicateDir is where the predicate goes, below the working directory:
// a workspace file, since RUNNER_TEMP is a path on the host that the
// action's container does not see, and outside the bundle, whose ledger
// cannot list a file about itself.
const predicateDir = ".helios"

// predicateOutputs writes the in-toto predicate of the run for
// actions/attest (subject-checksums: the sha256sums output) and sets
// predicate-type and predicate-path.
type predicateOutputs struct{}

func (predicateOutputs) String() string { return "predicate" }

// Skip: with run: false the bundle came from elsewhere (a pull request's
// run); this run did not make it and cannot vouch for how it was made.
func (predicateOutputs) Skip(r *runner) bool { return !r.in.Run }

func (predicateOutputs) Run(_ context.Context, r *runner) error {
	b := r.bundle
	// The predicate is meant to be signed and published (a public
	// repository's attestations go to a public transparency log): not
	// when the bundle holds a secret, whose file names the products carry
	// into it, nor when steps that could not be ended may still change the
	// bundle it describes. The upload stage says why; the step fails.
	switch {
	case len(b.leaks) > 0:
		r.a.Errorf("predicate not written: the bundle holds a secret in %s", strings.Join(b.leaks, ", "))
		return nil
	case len(b.unended) > 0:
		r.a.Errorf("predicate not written: %s could not be ended and may still change the bundle", strings.Join(b.unended, ", "))
		return nil
	}
	p, err := attest.NewPredicate(b.manifest, b.digest, attest.RunFromEnv(r.env.Getenv))
	if err != nil {
		r.a.Errorf("predicate not written: %v", err)
		return nil
	}
	data, err := p.Marshal()
	if err != nil {
		return err
	}
	// Matrix legs and shard jobs share a workspace only on self-hosted
	// runners, but then they must not overwrite each other's.
	rel := path.Join(predicateDir, mission.Slug(r.reportKey()))
	abs := filepath.Join(r.dir, filepath.FromSlash(rel), "predicate.json")
	if within(b.root, abs) {
		r.a.Errorf("predicate not written: %s is inside the report root, whose ledger would not list it; name another report-root", relToWorkspace(r.ws, abs))
		return nil
	}
	// A pull request may have committed .helios as a link: the folders
	// are opened, and the file replaced, without following one.
	d, err := bundlefs.Open(r.dir, rel)
	if refused := (*bundlefs.RefusedError)(nil); errors.As(err, &refused) {
		// Open's words are for a report root; these are for this folder.
		r.a.Errorf("predicate not written: %s, or a folder on the way to it, is a symbolic link or not a folder, or it holds a .git entry (a pull request may have committed it); helios writes the predicate only into a folder it reaches without following links; remove it", relToWorkspace(r.ws, filepath.Join(r.dir, filepath.FromSlash(rel))))
		return nil
	}
	if err != nil {
		r.a.Errorf("predicate not written: %v", err)
		return nil
	}
	defer d.Close()
	if err := d.WriteFile("predicate.json", data, 0o644); err != nil {
		r.a.Errorf("predicate not written: %v", err)
		return nil
	}
	r.out.set("predicate-type", attest.PredicateType)
	r.out.set("predicate-path", relToWorkspace(r.ws, abs))
	return nil
}
