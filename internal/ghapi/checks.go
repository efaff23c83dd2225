package ghapi

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/google/go-github/v66/github"

	"github.com/helios-action/helios-action/internal/markup"
)

// maxCheckTitleChars bounds output.title, which GitHub does not cut; a
// title is one line, kept short. GitHub's own limits are in markup.
const maxCheckTitleChars = 1000

// Annotation is one check-run annotation. It has the same fields as
// report.Annotation, so a conversion ghapi.Annotation(a) turns one into the other.
type Annotation struct {
	Path      string // relative to the repository root
	StartLine int
	EndLine   int
	Level     string // "notice", "warning" or "failure"
	Title     string
	Message   string
}

// CreateCheckRun creates the check run name on headSHA, in_progress.
func (c *Client) CreateCheckRun(ctx context.Context, owner, repo, name, headSHA, detailsURL string) (int64, string, error) {
	opts := github.CreateCheckRunOptions{
		Name:      name,
		HeadSHA:   headSHA,
		Status:    github.String("in_progress"),
		StartedAt: &github.Timestamp{Time: c.now()},
	}
	if detailsURL != "" {
		opts.DetailsURL = &detailsURL
	}
	cr, _, err := c.gh.Checks.CreateCheckRun(ctx, owner, repo, opts)
	if err != nil {
		return 0, "", wrap("create check run", PermChecks, err)
	}
	return cr.GetID(), cr.GetHTMLURL(), nil
}

// CompleteCheckRun completes check run id with conclusion (success, failure,
// cancelled, neutral, …) and its output. Title, summary and text are cut to
// GitHub's limits should a caller pass more. Annotations go 50 per request:
// the completing update carries the first 50 and further updates append
// the rest, as the API appends annotations on every update.
//
// name is sent again because go-github's update options always carry it
// (an empty one would rename the check and break branch protection).
func (c *Client) CompleteCheckRun(ctx context.Context, owner, repo string, id int64, name, conclusion, title, summary, text string, annotations []Annotation) error {
	title = clip(title, maxCheckTitleChars)
	summary = clipBytes(summary, markup.MaxCheckOutputBytes)
	text = clipBytes(text, markup.MaxCheckOutputBytes)
	batch := func(from int) []*github.CheckRunAnnotation {
		to := min(from+markup.MaxAnnotationsPerRequest, len(annotations))
		out := make([]*github.CheckRunAnnotation, 0, to-from)
		for _, a := range annotations[from:to] {
			end := max(a.EndLine, a.StartLine, 1)
			ann := &github.CheckRunAnnotation{
				Path:            github.String(a.Path),
				StartLine:       github.Int(max(a.StartLine, 1)),
				EndLine:         github.Int(end),
				AnnotationLevel: github.String(a.Level),
				Message:         github.String(clip(a.Message, markup.MaxAnnotationMessageChars)),
			}
			if a.Title != "" {
				ann.Title = github.String(clip(a.Title, markup.MaxAnnotationTitleChars))
			}
			out = append(out, ann)
		}
		return out
	}
	output := func(from int) *github.CheckRunOutput {
		o := &github.CheckRunOutput{Title: &title, Summary: &summary, Annotations: batch(from)}
		if text != "" {
			o.Text = &text
		}
		return o
	}
	_, _, err := c.gh.Checks.UpdateCheckRun(ctx, owner, repo, id, github.UpdateCheckRunOptions{
		Name:        name,
		Status:      github.String("completed"),
		Conclusion:  &conclusion,
		CompletedAt: &github.Timestamp{Time: c.now()},
		Output:      output(0),
	})
	if err != nil {
		return wrap("complete check run", PermChecks, err)
	}
	for from := markup.MaxAnnotationsPerRequest; from < len(annotations); from += markup.MaxAnnotationsPerRequest {
		_, _, err := c.gh.Checks.UpdateCheckRun(ctx, owner, repo, id, github.UpdateCheckRunOptions{Name: name, Output: output(from)})
		if err != nil {
			return wrap(fmt.Sprintf("add annotations %d–%d", from+1, min(from+markup.MaxAnnotationsPerRequest, len(annotations))), PermChecks, err)
		}
	}
	return nil
}

// SetStatus sets the commit status context on sha. state is error,
// failure, pending or success; the description is cut to 140 characters.
func (c *Client) SetStatus(ctx context.Context, owner, repo, sha, state, statusContext, description, targetURL string) error {
	st := &github.RepoStatus{
		State:       &state,
		Context:     &statusContext,
		Description: github.String(clip(description, markup.MaxStatusDescriptionChars)),
	}
	if targetURL != "" {
		st.TargetURL = &targetURL
	}
	if _, _, err := c.gh.Repositories.CreateStatus(ctx, owner, repo, sha, st); err != nil {
		return wrap("set commit status", PermStatuses, err)
	}
	return nil
}

// clip cuts s to at most n characters, ending with "…" when it cut.
// clipBytes cuts s to at most n bytes at a character boundary, ending in
// "…" when cut: the check output's limit is in bytes.
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	count := 0
	for i := range s {
		if count == n-1 {
			return s[:i] + "…"
		}
		count++
	}
	return s
}
