package docs

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/regular"
)

var _ engine.Annotator = (*Step)(nil)

// Annotations implements engine.Annotator: one annotation per problem of
// the report a helios/docs step wrote, which Run names in the step's data
// as "report", relative to the bundle at root. The data may come from
// another run (the action's run: false), so a report path that could lead
// out of the bundle is not read: the step has no annotations then, as it
// has none without a report. A report that cannot be read is an error
// that names it.
//
// The report is read inside root alone: a link that leads out of the
// bundle (which a bundle from another run can hold, as its ledger lists
// no links), a file that is not regular and one over maxReport are refused.
func (*Step) Annotations(ctx context.Context, root string, data map[string]any) ([]engine.Annotation, error) {
	rel, _ := data["report"].(string)
	if rel == "" || !filepath.IsLocal(filepath.FromSlash(rel)) {
		return nil, nil
	}
	dir, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("docs report %s: %w", rel, err)
	}
	defer dir.Close()
	b, err := regular.ReadFileIn(ctx, dir, filepath.FromSlash(rel), maxReport, "docs report")
	if err != nil {
		return nil, fmt.Errorf("docs report %s: %w", rel, err)
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("docs report %s: %w", rel, err)
	}
	return Annotations(&rep), nil
}

// maxReport bounds the docs report read back for annotations: the report
// of a 600-file tree with 10,800 links is under 1 MiB.
const maxReport = 64 << 20

// FindingsNoun names one thing the docs check finds, for the note on the
// annotations past the runner's cap.
func (*Step) FindingsNoun() string { return "documentation problem" }
