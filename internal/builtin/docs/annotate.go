package docs

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/helios-action/helios-action/internal/engine"
)

var _ engine.Annotator = (*Step)(nil)

// Annotations implements engine.Annotator: one annotation per problem of
// the report a helios/docs step wrote, which Run names in the step's data
// as "report", relative to the bundle at root. The data may come from
// another run (the action's run: false), so a report path that could lead
// out of the bundle is not read: the step has no annotations then, as it
// has none without a report. A report that cannot be read is an error
// that names it.
// ReadReport reads it inside the bundle alone, bounded.
func (*Step) Annotations(ctx context.Context, root string, data map[string]any) ([]engine.Annotation, error) {
	rel, _ := data["report"].(string)
	if rel == "" || !filepath.IsLocal(filepath.FromSlash(rel)) {
		return nil, nil
	}
	rep, err := ReadReport(ctx, root, rel)
	if err != nil {
		return nil, fmt.Errorf("docs report %s: %w", rel, err)
	}
	return Annotations(rep), nil
}

// FindingsNoun names one thing the docs check finds, for the note on the
// annotations past the runner's cap.
func (*Step) FindingsNoun() string { return "documentation problem" }
