package action

import (
	"path/filepath"
	"strconv"

	"github.com/helios-action/helios-action/internal/docs"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/markup"
)

// maxStepAnnotations: the runner shows 10 error annotations per step and
// drops the rest, so past that the reports in the bundle say the rest.
const maxStepAnnotations = 10

// annotateSteps turns what the built-in checks found into workflow-command
// annotations, so problems show on the files in the pull request.
func (r *runner) annotateSteps(b *bundleInfo) {
	shown, total := 0, 0
	for _, p := range b.manifest.Phases {
		for _, st := range p.Steps {
			if st.Uses != "helios/docs" {
				continue
			}
			// With run: false the manifest comes from another run: a
			// path in it must stay inside the bundle.
			rel, _ := st.Data["report"].(string)
			if rel == "" || !filepath.IsLocal(filepath.FromSlash(rel)) {
				continue
			}
			rep, err := docs.ReadReport(filepath.Join(b.root, filepath.FromSlash(rel)))
			if err != nil {
				r.a.Warningf("docs report %s: %v", rel, err)
				continue
			}
			for _, a := range docs.Annotations(rep) {
				total++
				if shown == maxStepAnnotations {
					continue
				}
				shown++
				r.a.WithFieldsMap(map[string]string{"file": a.File, "line": strconv.Itoa(a.Line), "title": a.Title}).Errorf("%s", a.Message)
			}
		}
	}
	if total > shown {
		r.a.Warningf("%d more documentation problems are in the docs report of the bundle", total-shown)
	}
}

// noticeSkips puts one notice per reason in the run's annotations for the
// steps that skipped themselves, so a run that succeeded without checking
// the chain says so where the run's result is read.
func (r *runner) noticeSkips(b *bundleInfo) {
	reasons, count := manifest.SkipReasons(b.manifest.Phases)
	for i, reason := range reasons {
		if i == maxStepAnnotations {
			r.a.Noticef("%d more reasons for skipped steps are in manifest.json", len(reasons)-i)
			return
		}
		r.a.Noticef("%s skipped: %s", markup.Plural(count[reason], "step"), reason)
	}
}
