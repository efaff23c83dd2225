package action

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/helios-action/helios-action/internal/regular"
)

// event is what the action needs of the event that started the workflow.
type event struct {
	Name string
	// PR is the pull request number, 0 when the run is not for one (or, for
	// workflow_run, when it must be found from HeadSHA).
	PR int
	// HeadSHA is the commit the check run and status go on: the PR's head,
	// the workflow_run's head, else GITHUB_SHA.
	HeadSHA string
	// FromWorkflowRun: the bundle came from another run (the fork-safe
	// pattern), so the PR is looked up by HeadSHA when the event does not
	// name it (it does not for forks).
	FromWorkflowRun bool
	// BaseRef and BaseSHA are a pull request's (or a merge queue
	// group's) base branch and commit, where its baseline comes from; on a
	// push BaseSHA is the commit the branch was at before it. Fork says a
	// pull request's head is another repository's (its token may then not
	// read this one's runs).
	BaseRef, BaseSHA string
	Fork             bool
}

type eventPayload struct {
	PullRequest *struct {
		Number int `json:"number"`
		Head   struct {
			SHA  string `json:"sha"`
			Repo *struct {
				FullName string `json:"full_name"`
			} `json:"repo"`
		} `json:"head"`
		Base struct {
			Ref  string `json:"ref"`
			SHA  string `json:"sha"`
			Repo *struct {
				FullName string `json:"full_name"`
			} `json:"repo"`
		} `json:"base"`
	} `json:"pull_request"`
	MergeGroup *struct {
		BaseRef string `json:"base_ref"`
		BaseSHA string `json:"base_sha"`
	} `json:"merge_group"`
	// Before is the commit a pushed branch was at.
	Before      string `json:"before"`
	WorkflowRun *struct {
		HeadSHA      string `json:"head_sha"`
		Event        string `json:"event"`
		PullRequests []struct {
			Number int `json:"number"`
		} `json:"pull_requests"`
	} `json:"workflow_run"`
}

func readEvent(getenv func(string) string) (event, error) {
	ev := event{Name: getenv("GITHUB_EVENT_NAME"), HeadSHA: getenv("GITHUB_SHA")}
	path := getenv("GITHUB_EVENT_PATH")
	if path == "" {
		return ev, nil
	}
	// GitHub caps webhook payloads at 25 MB; the file is the runner's, but
	// a bounded, non-blocking read costs nothing.
	b, err := regular.ReadFile(context.Background(), path, 64<<20, "event file")
	if err != nil {
		return ev, fmt.Errorf("event file: %w", err)
	}
	var p eventPayload
	if err := json.Unmarshal(b, &p); err != nil {
		return ev, fmt.Errorf("event file %s: %w", path, err)
	}
	switch {
	case p.PullRequest != nil && (ev.Name == "pull_request" || ev.Name == "pull_request_target"):
		ev.PR = p.PullRequest.Number
		if p.PullRequest.Head.SHA != "" {
			ev.HeadSHA = p.PullRequest.Head.SHA
		}
		base, head := p.PullRequest.Base, p.PullRequest.Head
		ev.BaseRef, ev.BaseSHA = base.Ref, base.SHA
		ev.Fork = head.Repo != nil && base.Repo != nil && head.Repo.FullName != base.Repo.FullName
	case p.MergeGroup != nil && ev.Name == "merge_group":
		// The queue's temporary branch has no runs of its own to compare
		// with; the branch it merges into has.
		ev.BaseRef = strings.TrimPrefix(p.MergeGroup.BaseRef, "refs/heads/")
		ev.BaseSHA = p.MergeGroup.BaseSHA
	case ev.Name == "push" && strings.Trim(p.Before, "0") != "":
		// A new branch's push has an all-zero before.
		ev.BaseSHA = p.Before
	case p.WorkflowRun != nil && ev.Name == "workflow_run":
		ev.FromWorkflowRun = true
		if p.WorkflowRun.HeadSHA != "" {
			ev.HeadSHA = p.WorkflowRun.HeadSHA
		}
		if len(p.WorkflowRun.PullRequests) > 0 {
			ev.PR = p.WorkflowRun.PullRequests[0].Number
		}
	}
	return ev, nil
}
