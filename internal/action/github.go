package action

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/helios-action/helios-action/internal/ghapi"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/report"
)

// setupGitHub makes the REST client when there is a token and a repository
// to talk about; without them the action still writes outputs and summary.
func (r *runner) setupGitHub() {
	if r.in.GitHubToken == "" || r.owner == "" || r.repo == "" {
		if r.in.Comment != "off" || r.in.Status != "off" {
			r.a.Noticef("no github-token or GITHUB_REPOSITORY: the mission is reported in the job summary and outputs only")
		}
		return
	}
	opts := []ghapi.Option{ghapi.DebugFromEnv(r.env.Getenv, func(s string) { r.a.Debugf("%s", s) })}
	if r.env.Now != nil && r.env.Sleep != nil {
		opts = append(opts, ghapi.WithClock(r.env.Now, r.env.Sleep))
	}
	gh, err := ghapi.New(r.in.GitHubToken, r.env.Getenv("GITHUB_API_URL"), opts...)
	if err != nil {
		r.a.Warningf("GitHub API: %v; reporting in the job summary only", err)
		return
	}
	if u := r.env.Getenv("GITHUB_GRAPHQL_URL"); u != "" {
		gh, _ = ghapi.New(r.in.GitHubToken, r.env.Getenv("GITHUB_API_URL"), append(opts, ghapi.WithGraphQLURL(u))...)
	}
	r.gh = gh
}

// wantCheckRun and wantStatus: a shard job leaves the check run, the
// commit status and the comment to the merge job, which has the verdict.
func (r *runner) wantCheckRun() bool {
	return r.in.Shard == "" && r.gh != nil && (r.in.Status == "check-run" || r.in.Status == "both") && r.ev.HeadSHA != ""
}

func (r *runner) wantStatus() bool {
	return r.in.Shard == "" && r.gh != nil && (r.in.Status == "commit-status" || r.in.Status == "both") && r.ev.HeadSHA != ""
}

// checkName is the check-name input, with the key when the user gave one
// (matrix legs then get checks of their own).
func (r *runner) checkName() string {
	if r.env.Getenv("INPUT_KEY") != "" {
		return r.in.CheckName + " (" + r.in.Key + ")"
	}
	return r.in.CheckName
}

// status sets the commit status, the alternative to a check run for
// branch protection.
type status struct{}

func (status) String() string      { return "commit status" }
func (status) Skip(r *runner) bool { return !r.wantStatus() }

func (status) Run(ctx context.Context, r *runner) error {
	state := "failure"
	switch r.conclusion {
	case manifest.Success:
		state = "success"
	case manifest.Cancelled:
		state = "error"
	}
	return r.gh.SetStatus(ctx, r.owner, r.repo, r.ev.HeadSHA, state, r.checkName(), report.StatusDescription(r.reportInput()), r.runURL)
}

// comment keeps the sticky PR comment up to date on pull_request events.
type comment struct{}

func (comment) String() string { return "PR comment" }
func (comment) Skip(r *runner) bool {
	return r.gh == nil || r.in.Comment == "off" || r.in.Shard != ""
}

func (comment) Run(ctx context.Context, r *runner) error {
	pr := r.ev.PR
	if pr == 0 && r.ev.FromWorkflowRun && r.ev.HeadSHA != "" {
		n, err := r.gh.PullForSHA(ctx, r.owner, r.repo, r.ev.HeadSHA)
		if err != nil {
			r.apiProblem("pull request look-up", err)
			return nil
		}
		pr = n
	}
	if pr == 0 {
		return nil // push, schedule, workflow_dispatch: no comment
	}
	marker := report.Marker(r.m.Name, r.in.Key)
	id, url, err := r.gh.UpsertComment(ctx, r.owner, r.repo, pr, marker, report.Comment(r.reportInput(), marker), r.in.Comment)
	if err != nil {
		return err
	}
	r.out.set("comment-id", fmt.Sprint(id))
	r.out.set("comment-url", url)
	return nil
}

// apiProblem reports a GitHub API failure without changing the mission's
// conclusion. A refusal for want of a permission is collected: a fork's
// read-only token is refused everything, and one notice that names every
// missing permission (noticeRefusals) says it better than one per call.
func (r *runner) apiProblem(what string, err error) {
	var pe *ghapi.PermissionError
	if errors.As(err, &pe) {
		r.refused = append(r.refused, refusal{what, pe})
		return
	}
	r.a.Warningf("%s: %v", what, err)
}

// refusal is a report GitHub refused for want of a permission.
type refusal struct {
	what string
	err  *ghapi.PermissionError
}

// noticeRefusals prints the one notice for every refused report.
func (r *runner) noticeRefusals() {
	if len(r.refused) == 0 {
		return
	}
	var parts, perms []string
	for _, f := range r.refused {
		parts = append(parts, fmt.Sprintf("the %s (%d %s)", f.what, f.err.Status, f.err.Message))
		if p := f.err.Permission; p != "" && !slices.Contains(perms, "`"+p+"`") {
			perms = append(perms, "`"+p+"`")
		}
	}
	give := "the permissions these need"
	if len(perms) > 0 {
		give = "`permissions:` " + strings.Join(perms, ", ")
	}
	r.a.Noticef("GitHub refused %s; the job summary and the outputs have the report. Give the workflow %s; on pull requests from forks the token is read-only, see the workflow_run pattern in the README.", andList(parts), give)
	// The summary is where a reviewer looks for the comment or check that
	// is missing; it says what was not posted and why.
	var md strings.Builder
	md.WriteString("\n> [!NOTE]\n> **Not posted:** GitHub refused ")
	md.WriteString(report.EscapeText(andList(parts)))
	fmt.Fprintf(&md, ".\n> Give the workflow %s; on pull requests from forks the token is read-only (see the README's workflow_run pattern).\n", give)
	r.summaryText(md.String())
}

// andList joins "a", "b", "c" as "a, b and c".
func andList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
