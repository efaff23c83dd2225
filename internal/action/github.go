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

func (r *runner) wantCheckRun() bool {
	return r.gh != nil && (r.in.Status == "check-run" || r.in.Status == "both") && r.ev.HeadSHA != ""
}

func (r *runner) wantStatus() bool {
	return r.gh != nil && (r.in.Status == "commit-status" || r.in.Status == "both") && r.ev.HeadSHA != ""
}

// checkName is the check-name input, with the key when the user gave one
// (matrix legs then get checks of their own).
func (r *runner) checkName() string {
	if r.env.Getenv("INPUT_KEY") != "" {
		return r.in.CheckName + " (" + r.in.Key + ")"
	}
	return r.in.CheckName
}

// startCheck creates the check run in_progress, so reviewers see the
// mission running.
func (r *runner) startCheck(ctx context.Context) {
	if !r.wantCheckRun() {
		return
	}
	id, url, err := r.gh.CreateCheckRun(ctx, r.owner, r.repo, r.checkName(), r.ev.HeadSHA, r.runURL)
	if err != nil {
		r.apiProblem("check run", err)
		return
	}
	r.checkRunID, r.checkRunURL = id, url
	r.out.set("check-run-id", fmt.Sprint(id))
	r.out.set("check-run-url", url)
}

// finishCheck completes the check run with what is known right after the
// ledger (the cancellation path and engine failures).
func (r *runner) finishCheck(ctx context.Context, b *bundleInfo, conclusion string) {
	in := report.Input{Conclusion: conclusion, Key: r.in.Key, Mission: r.missionName, RunURL: r.runURL}
	if b != nil {
		in.Manifest, in.LedgerDigest, in.Files = b.manifest, b.digest, b.files
	}
	r.finishCheckWith(ctx, in, conclusion)
}

func (r *runner) finishCheckWith(ctx context.Context, in report.Input, conclusion string) {
	if r.checkRunID == 0 {
		return
	}
	title, summary, text := report.CheckOutput(in)
	var anns []ghapi.Annotation
	for _, a := range report.Annotations(in) {
		anns = append(anns, ghapi.Annotation(a))
	}
	err := r.gh.CompleteCheckRun(ctx, r.owner, r.repo, r.checkRunID, r.checkName(), conclusion, title, summary, text, anns)
	var pe *ghapi.PermissionError
	if err != nil && !errors.As(err, &pe) && ctx.Err() == nil {
		// A refused output (a limit GitHub counts differently, say) must
		// not leave the check pending: complete it with the bare minimum.
		r.a.Warningf("check run: %v; completing it without details", err)
		err = r.gh.CompleteCheckRun(ctx, r.owner, r.repo, r.checkRunID, r.checkName(), conclusion, conclusion, "See the job summary of the run for details.", "", nil)
	}
	if err != nil {
		r.apiProblem("check run", err)
	}
	r.checkRunID = 0
}

// status sets the commit status, the alternative to a check run for
// branch protection.
func (r *runner) status(ctx context.Context, in report.Input, conclusion string) {
	if !r.wantStatus() {
		return
	}
	state := "failure"
	switch conclusion {
	case manifest.Success:
		state = "success"
	case manifest.Cancelled:
		state = "error"
	}
	if err := r.gh.SetStatus(ctx, r.owner, r.repo, r.ev.HeadSHA, state, r.checkName(), report.StatusDescription(in), r.runURL); err != nil {
		r.apiProblem("commit status", err)
	}
}

// comment keeps the sticky PR comment up to date on pull_request events.
func (r *runner) comment(ctx context.Context, in report.Input) {
	if r.gh == nil || r.in.Comment == "off" {
		return
	}
	pr := r.ev.PR
	if pr == 0 && r.ev.FromWorkflowRun && r.ev.HeadSHA != "" {
		n, err := r.gh.PullForSHA(ctx, r.owner, r.repo, r.ev.HeadSHA)
		if err != nil {
			r.apiProblem("pull request look-up", err)
			return
		}
		pr = n
	}
	if pr == 0 {
		return // push, schedule, workflow_dispatch: no comment
	}
	marker := report.Marker(r.missionName, r.in.Key)
	id, url, err := r.gh.UpsertComment(ctx, r.owner, r.repo, pr, marker, report.Comment(in, marker), r.in.Comment)
	if err != nil {
		r.apiProblem("PR comment", err)
		return
	}
	r.out.set("comment-id", fmt.Sprint(id))
	r.out.set("comment-url", url)
}

// summary writes the job summary; outside Actions there is no summary file.
func (r *runner) summary(in report.Input) {
	r.summaryText(report.Summary(in))
}

// summaryText appends plain Markdown to the job summary, when there is one.
func (r *runner) summaryText(md string) {
	path := r.env.Getenv("GITHUB_STEP_SUMMARY")
	if path == "" || writable(path) != nil {
		return
	}
	r.a.AddStepSummary(md)
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
