package ghapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/google/go-github/v66/github"
)

// Comment modes.
const (
	ModeUpdate   = "update"   // edit our comment in place, or create it
	ModeRecreate = "recreate" // delete ours and post a new one (it moves to the bottom)
)

const (
	perPage = 100
	// maxPages bounds the listing: 100 pages of 100 is past any real thread.
	maxPages = 100
)

// UpsertComment keeps one comment per marker on pull request pr: the
// comment that contains marker and was written by the token's own identity
// (FindViewer). A comment by anyone else that carries the marker is left
// alone. In update mode the comment is edited in place when it exists;
// otherwise (and always in recreate mode, after deleting ours) a new one is
// posted, then the thread is read again and duplicates from concurrent runs
// are folded into the oldest, so that racing runs end with one comment.
func (c *Client) UpsertComment(ctx context.Context, owner, repo string, pr int, marker, body, mode string) (int64, string, error) {
	if marker == "" || !strings.Contains(body, marker) {
		return 0, "", errors.New("upsert comment: the body must contain the marker")
	}
	if mode != ModeUpdate && mode != ModeRecreate {
		return 0, "", fmt.Errorf("upsert comment: unknown mode %q", mode)
	}
	me, err := c.FindViewer(ctx)
	if err != nil {
		return 0, "", fmt.Errorf("upsert comment: %w", err)
	}
	ours, err := c.ourComments(ctx, owner, repo, pr, marker, me)
	if err != nil {
		return 0, "", err
	}

	if mode == ModeUpdate && len(ours) > 0 {
		keep := ours[0]
		// Leftovers of an earlier race: fold them into the oldest.
		if err := c.deleteComments(ctx, owner, repo, ours[1:]); err != nil {
			return 0, "", err
		}
		ed, _, err := c.gh.Issues.EditComment(ctx, owner, repo, keep.GetID(), &github.IssueComment{Body: &body})
		if err != nil {
			return 0, "", wrap("update comment", PermPullRequests, err)
		}
		return ed.GetID(), ed.GetHTMLURL(), nil
	}
	if mode == ModeRecreate {
		if err := c.deleteComments(ctx, owner, repo, ours); err != nil {
			return 0, "", err
		}
	}

	created, _, err := c.gh.Issues.CreateComment(ctx, owner, repo, pr, &github.IssueComment{Body: &body})
	if err != nil {
		return 0, "", wrap("create comment", PermPullRequests, err)
	}
	// Look again: a concurrent run may have posted too.
	again, err := c.ourComments(ctx, owner, repo, pr, marker, me)
	if err != nil {
		return 0, "", err
	}
	if len(again) <= 1 {
		return created.GetID(), created.GetHTMLURL(), nil
	}
	keep := again[0]
	if err := c.deleteComments(ctx, owner, repo, again[1:]); err != nil {
		return 0, "", err
	}
	if keep.GetID() == created.GetID() {
		return created.GetID(), created.GetHTMLURL(), nil
	}
	// Ours was folded away: the survivor gets this run's body.
	ed, _, err := c.gh.Issues.EditComment(ctx, owner, repo, keep.GetID(), &github.IssueComment{Body: &body})
	if err != nil {
		return 0, "", wrap("update comment", PermPullRequests, err)
	}
	return ed.GetID(), ed.GetHTMLURL(), nil
}

// ourComments lists the comments of pr that carry marker and were written
// by login, oldest first.
func (c *Client) ourComments(ctx context.Context, owner, repo string, pr int, marker, login string) ([]*github.IssueComment, error) {
	var ours []*github.IssueComment
	opt := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: perPage}}
	for page := 0; page < maxPages; page++ {
		list, resp, err := c.gh.Issues.ListComments(ctx, owner, repo, pr, opt)
		if err != nil {
			return nil, wrap("list comments", PermPullRequests, err)
		}
		for _, cm := range list {
			if strings.Contains(cm.GetBody(), marker) && SameLogin(cm.GetUser().GetLogin(), login) {
				ours = append(ours, cm)
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	// Comment ids grow with time; the creation time breaks no tie they leave.
	sort.Slice(ours, func(i, j int) bool { return ours[i].GetID() < ours[j].GetID() })
	return ours, nil
}

// deleteComments deletes comments; one already gone (a concurrent run
// folded it) is not an error.
func (c *Client) deleteComments(ctx context.Context, owner, repo string, cms []*github.IssueComment) error {
	for _, cm := range cms {
		_, err := c.gh.Issues.DeleteComment(ctx, owner, repo, cm.GetID())
		var er *github.ErrorResponse
		if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound {
			continue
		}
		if err != nil {
			return wrap("delete comment", PermPullRequests, err)
		}
	}
	return nil
}
