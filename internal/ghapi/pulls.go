package ghapi

import (
	"context"
	"strings"

	"github.com/google/go-github/v66/github"
)

// maxPullPages bounds the open-PR scan of the fork fallback.
const maxPullPages = 10

// PullForSHA finds the open pull request whose head is sha, for the
// workflow_run pattern, where the event names no PR when it came from a
// fork. The commit's own pull list answers for branches of this
// repository; a fork's head commit is not in it, so the open PRs are
// scanned for it next. 0 means none.
func (c *Client) PullForSHA(ctx context.Context, owner, repo, sha string) (int, error) {
	prs, _, err := c.gh.PullRequests.ListPullRequestsWithCommit(ctx, owner, repo, sha, &github.ListOptions{PerPage: perPage})
	if err != nil {
		return 0, wrap("find pull request", "pull-requests: read", err)
	}
	for _, pr := range prs {
		if pr.GetState() == "open" {
			return pr.GetNumber(), nil
		}
	}
	opts := &github.PullRequestListOptions{State: "open", ListOptions: github.ListOptions{PerPage: perPage}}
	for page := 0; page < maxPullPages; page++ {
		prs, resp, err := c.gh.PullRequests.List(ctx, owner, repo, opts)
		if err != nil {
			return 0, wrap("find pull request", "pull-requests: read", err)
		}
		for _, pr := range prs {
			if strings.EqualFold(pr.GetHead().GetSHA(), sha) {
				return pr.GetNumber(), nil
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return 0, nil
}
