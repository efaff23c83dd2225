package action

import (
	"cmp"
	"context"
	"path"
	"strconv"
	"strings"

	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/markup"
)

// maxStepAnnotations: the runner shows 10 error annotations per step and
// drops the rest, so past that the reports in the bundle say the rest.
const maxStepAnnotations = 10

// annotations turns what the built-in steps found into workflow-command
// error annotations, so problems show on the files in the pull request.
// A step's built-in says what it found (engine.Annotator); no built-in is
// named here.
type annotations struct{}

func (annotations) String() string      { return "annotations" }
func (annotations) Skip(r *runner) bool { return false }

func (annotations) Run(ctx context.Context, r *runner) error {
	// The annotators' paths are relative to the folder the mission ran in;
	// GitHub reads them relative to the workspace.
	prefix := relToWorkspace(r.ws, r.dir)
	shown := 0
	// The built-ins with findings past the cap, in the order first seen,
	// how many each, and what each calls them.
	var order []string
	more, nouns := map[string]int{}, map[string]string{}
	for _, p := range r.bundle.manifest.Phases {
		for _, st := range p.Steps {
			an, ok := r.env.Builtins[st.Uses].(engine.Annotator)
			if !ok {
				continue
			}
			// With run: false the manifest comes from another run: the
			// annotator trusts no path in its data.
			found, err := an.Annotations(ctx, r.bundle.root, st.Data)
			if err != nil {
				r.a.Warningf("%s: %v", st.Uses, err)
				continue
			}
			for _, a := range found {
				if shown == maxStepAnnotations {
					if more[st.Uses] == 0 {
						order = append(order, st.Uses)
					}
					more[st.Uses]++
					nouns[st.Uses] = cmp.Or(an.FindingsNoun(), "problem")
					continue
				}
				shown++
				file := a.File
				if prefix != "." && file != "" {
					file = path.Join(prefix, file)
				}
				r.a.WithFieldsMap(map[string]string{"file": file, "line": strconv.Itoa(a.Line), "title": a.Title}).Errorf("%s", a.Message)
			}
		}
	}
	for _, uses := range order {
		n := more[uses]
		r.a.Warningf("%s %s in the %s report of the bundle", markup.Plural(n, "more "+nouns[uses]), markup.IsAre(n), strings.TrimPrefix(uses, "helios/"))
	}
	return nil
}
