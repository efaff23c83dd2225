package ghapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v66/github"

	"github.com/helios-action/helios-action/internal/retry"
)

// maxRunsPage is GitHub's largest page: "The number of results per page
// (max 100)".
const maxRunsPage = 100

var (
	// ErrArtifactExpired is GitHub's 410 Gone for an artifact past its
	// retention: the run is still listed, its bundle is not.
	ErrArtifactExpired = errors.New("the artifact has expired")
	// ErrArtifactTooLarge is a download that went past the caller's limit.
	ErrArtifactTooLarge = errors.New("the artifact is larger than the limit")
)

// Run is a workflow run as the baseline look-up needs it.
type Run struct {
	ID, WorkflowID        int64
	RunNumber, RunAttempt int
	Event                 string // "push", "pull_request", …
	HeadBranch, HeadSHA   string
	Status, Conclusion    string // "completed", "success"
	HTMLURL               string
	CreatedAt             time.Time
}

func runOf(r *github.WorkflowRun) Run {
	return Run{
		ID: r.GetID(), WorkflowID: r.GetWorkflowID(),
		RunNumber: r.GetRunNumber(), RunAttempt: r.GetRunAttempt(),
		Event: r.GetEvent(), HeadBranch: r.GetHeadBranch(), HeadSHA: r.GetHeadSHA(),
		Status: r.GetStatus(), Conclusion: r.GetConclusion(), HTMLURL: r.GetHTMLURL(),
		CreatedAt: r.GetCreatedAt().Time,
	}
}

// GetRun reads one workflow run (the current one, from GITHUB_RUN_ID, gives
// the workflow id to look up its predecessors).
func (c *Client) GetRun(ctx context.Context, owner, repo string, id int64) (*Run, error) {
	r, _, err := c.gh.Actions.GetWorkflowRunByID(ctx, owner, repo, id)
	if err != nil {
		return nil, wrap("get workflow run", PermActionsRead, err)
	}
	run := runOf(r)
	return &run, nil
}

// SuccessfulRuns lists the newest successful runs of a workflow on a branch
// of owner/repo, newest first: one request, at most n (1 to 100) runs.
// workflow is the workflow's numeric id or its file name ("ci.yml"), which
// GitHub takes in the id's place.
//
// Runs whose head is another repository are left out: a fork's pull
// request from its own "main" is listed under branch "main" too, and its
// bundle is no evidence of this repository's main. So fewer than n runs may
// come back.
func (c *Client) SuccessfulRuns(ctx context.Context, owner, repo, workflow, branch string, n int) ([]Run, error) {
	const op = "list workflow runs"
	if workflow == "" || branch == "" {
		return nil, fmt.Errorf("%s: a workflow and a branch are needed", op)
	}
	opts := &github.ListWorkflowRunsOptions{
		Branch: branch,
		// The filter takes a conclusion as well as a status.
		Status: "success",
		// Only the runs are needed, not the pull requests of each.
		ExcludePullRequests: true,
		ListOptions:         github.ListOptions{PerPage: min(max(n, 1), maxRunsPage)},
	}
	var (
		runs *github.WorkflowRuns
		err  error
	)
	if id, perr := strconv.ParseInt(workflow, 10, 64); perr == nil {
		runs, _, err = c.gh.Actions.ListWorkflowRunsByID(ctx, owner, repo, id, opts)
	} else {
		runs, _, err = c.gh.Actions.ListWorkflowRunsByFileName(ctx, owner, repo, url.PathEscape(workflow), opts)
	}
	if err != nil {
		return nil, wrap(op, PermActionsRead, err)
	}
	self := owner + "/" + repo
	out := make([]Run, 0, len(runs.WorkflowRuns))
	for _, r := range runs.WorkflowRuns {
		if head := r.GetHeadRepository().GetFullName(); head != "" && !strings.EqualFold(head, self) {
			continue
		}
		out = append(out, runOf(r))
	}
	// GitHub lists newest first already; sorting keeps the promise should
	// a server not.
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.After(out[j].CreatedAt)
		}
		return out[i].ID > out[j].ID
	})
	return out, nil
}

// Artifact is a workflow run's artifact.
type Artifact struct {
	ID      int64
	Name    string
	Size    int64 // bytes of the zip
	Expired bool
	Digest  string // "sha256:<hex>" of the zip; "" before upload-artifact v4
	RunID   int64
}

// artifactList is GitHub's answer; go-github v66 has no digest field.
type artifactList struct {
	TotalCount int `json:"total_count"`
	Artifacts  []struct {
		ID          int64  `json:"id"`
		Name        string `json:"name"`
		SizeInBytes int64  `json:"size_in_bytes"`
		Expired     bool   `json:"expired"`
		Digest      string `json:"digest"`
		WorkflowRun struct {
			ID int64 `json:"id"`
		} `json:"workflow_run"`
	} `json:"artifacts"`
}

// RunArtifacts lists a run's artifacts named name (all of them, the first
// 100, when name is ""): one request.
func (c *Client) RunArtifacts(ctx context.Context, owner, repo string, runID int64, name string) ([]Artifact, error) {
	const op = "list run artifacts"
	q := url.Values{"per_page": {strconv.Itoa(maxRunsPage)}}
	if name != "" {
		q.Set("name", name)
	}
	// go-github v66's ListWorkflowRunArtifacts has no name filter.
	u := fmt.Sprintf("repos/%s/%s/actions/runs/%d/artifacts?%s",
		url.PathEscape(owner), url.PathEscape(repo), runID, q.Encode())
	req, err := c.gh.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	var list artifactList
	if _, err := c.gh.Do(ctx, req, &list); err != nil {
		return nil, wrap(op, PermActionsRead, err)
	}
	out := make([]Artifact, 0, len(list.Artifacts))
	for _, a := range list.Artifacts {
		if name != "" && a.Name != name {
			continue // the filter is GitHub's; the name is what we rely on
		}
		run := a.WorkflowRun.ID
		if run == 0 {
			run = runID
		}
		out = append(out, Artifact{
			ID: a.ID, Name: a.Name, Size: a.SizeInBytes, Expired: a.Expired, Digest: a.Digest, RunID: run,
		})
	}
	return out, nil
}

// DownloadArtifact copies artifact id's zip into w, at most maxBytes of it,
// and returns the bytes written. GitHub answers the download with a
// redirect to a signed URL on a storage host; that URL is fetched without
// the token, which must never reach that host (Azure refuses a signed URL
// that also carries an Authorization header). ctx bounds the whole call.
//
// A 410 is ErrArtifactExpired, a zip past maxBytes ErrArtifactTooLarge,
// and a refusal a *PermissionError naming PermActionsRead.
func (c *Client) DownloadArtifact(ctx context.Context, owner, repo string, id int64, w io.Writer, maxBytes int64) (int64, error) {
	op := fmt.Sprintf("download artifact %d", id)
	if maxBytes <= 0 {
		return 0, fmt.Errorf("%s: no size limit given", op)
	}
	u := fmt.Sprintf("repos/%s/%s/actions/artifacts/%d/zip", url.PathEscape(owner), url.PathEscape(repo), id)
	req, err := c.gh.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	// go-github's ActionsService.DownloadArtifact drops GitHub's answer to
	// anything but a redirect (a plain "unexpected status code" error), so
	// a refusal could not be told from an expiry. The same client, told
	// not to follow the redirect, keeps the token and the retries on the
	// API host and the answer whole.
	hc := c.gh.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Do(req.WithContext(ctx))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	switch code := resp.StatusCode; {
	case code == http.StatusOK:
		// Served by the API host itself (no separate storage): the
		// body is the zip.
		n, err := copyAtMost(w, resp, maxBytes)
		if err != nil {
			return n, fmt.Errorf("%s: %w", op, err)
		}
		return n, nil
	case isRedirect(code):
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		loc, err := resp.Location()
		if err != nil {
			return 0, fmt.Errorf("%s: a redirect without a usable Location", op)
		}
		return c.fetchBlob(ctx, loc, w, maxBytes, op)
	}
	err = github.CheckResponse(resp)
	if resp.StatusCode == http.StatusGone {
		msg := resp.Status
		var er *github.ErrorResponse
		if errors.As(err, &er) && er.Message != "" {
			msg = er.Message
		}
		return 0, fmt.Errorf("%s: %w (GitHub: %s)", op, ErrArtifactExpired, msg)
	}
	if err == nil {
		err = fmt.Errorf("unexpected status %s", resp.Status)
	}
	return 0, wrap(op, PermActionsRead, err)
}

func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// blobTarget is what may be said of a signed URL in logs and errors: its
// query is the signature, a credential.
func blobTarget(u *url.URL) string { return u.Host + u.EscapedPath() }

// fetchBlob GETs the signed URL with a client that has no token: the base
// transport, not the one that adds the Authorization header. Server errors
// and network failures are retried as API calls are, while nothing has been
// written to w.
func (c *Client) fetchBlob(ctx context.Context, loc *url.URL, w io.Writer, maxBytes int64, op string) (int64, error) {
	if (loc.Scheme != "https" && loc.Scheme != "http") || loc.Host == "" {
		// The URL itself is not printed: its query is a credential.
		return 0, fmt.Errorf("%s: the download redirect is not an http(s) URL", op)
	}
	if loc.User != nil {
		// Go would turn it into an Authorization header.
		return 0, fmt.Errorf("%s: the download redirect carries user credentials", op)
	}
	rt := c.transport()
	plain := &http.Client{Transport: rt.base}
	p := rt.policy(serverRetry)
	budget := retry.NewBudget(rt.budget)
	target := blobTarget(loc)
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc.String(), nil)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", op, redact(err))
		}
		resp, err := plain.Do(req)
		var (
			n       int64
			why     string
			wait    time.Duration
			failure error
		)
		switch {
		case err != nil:
			failure = redact(err)
			if ctx.Err() == nil {
				why, wait = whyNetwork, p.Delay(attempt)
			}
		case resp.StatusCode == http.StatusOK:
			n, failure = copyAtMost(w, resp, maxBytes)
			resp.Body.Close()
			if failure != nil && n == 0 && ctx.Err() == nil && !errors.Is(failure, ErrArtifactTooLarge) {
				// The body broke before a byte reached w: as good as
				// a network error.
				why, wait = whyNetwork, p.Delay(attempt)
			}
		default:
			failure = blobError(resp)
			if p.Retryable(resp.StatusCode) {
				why, wait = whyServer, p.Delay(attempt)
				if d, ok := p.RetryAfter(resp.Header); ok {
					wait = max(wait, d)
				}
			}
			io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
			resp.Body.Close()
		}
		giveUp := why == "" || !p.Allow(ctx, budget, attempt, wait)
		if rt.debug != nil {
			status := "error"
			if resp != nil {
				status = strconv.Itoa(resp.StatusCode)
			}
			line := fmt.Sprintf("artifact storage: GET %s → %s", target, status)
			if attempt > 1 {
				line += fmt.Sprintf(" (attempt %d)", attempt)
			}
			switch {
			case why != "" && giveUp:
				line += fmt.Sprintf("; %s, not retrying", why)
			case why != "":
				line += fmt.Sprintf("; %s, retry in %s", why, wait.Round(time.Millisecond))
			}
			rt.debug(line)
		}
		if failure == nil {
			return n, nil
		}
		if giveUp {
			return n, fmt.Errorf("%s from %s: %w", op, target, failure)
		}
		if err := p.Pause(ctx, wait); err != nil {
			return 0, fmt.Errorf("%s: %w", op, err)
		}
	}
}

// copyAtMost copies resp's body into w, refusing a body past maxBytes: by
// its Content-Length before reading, else after maxBytes have been copied
// and one more byte is there.
func copyAtMost(w io.Writer, resp *http.Response, maxBytes int64) (int64, error) {
	if resp.ContentLength > maxBytes {
		return 0, fmt.Errorf("%w: %d bytes, the limit is %d", ErrArtifactTooLarge, resp.ContentLength, maxBytes)
	}
	n, err := io.Copy(w, io.LimitReader(resp.Body, maxBytes))
	if err != nil {
		return n, redact(err)
	}
	if n == maxBytes {
		var one [1]byte
		if _, err := io.ReadFull(resp.Body, one[:]); err == nil {
			return n, fmt.Errorf("%w: more than %d bytes", ErrArtifactTooLarge, maxBytes)
		}
	}
	return n, nil
}

// blobError describes a storage host's refusal by its status and, for
// Azure, its error code (x-ms-error-code: AuthenticationFailed, …).
func blobError(resp *http.Response) error {
	msg := "HTTP " + resp.Status
	if code := resp.Header.Get("X-Ms-Error-Code"); code != "" {
		msg += " (" + code + ")"
	}
	return errors.New(msg)
}

// redact strips the query (the signature) from the URL an *url.Error
// names.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			ue.URL = u.Scheme + "://" + blobTarget(u)
		} else {
			ue.URL = "(the signed URL)"
		}
	}
	return err
}

// transport is the client's retry transport, whose base, clock and budget
// the storage download shares.
func (c *Client) transport() *retryTransport {
	if rt, ok := c.http.Transport.(*retryTransport); ok {
		return rt
	}
	return &retryTransport{base: http.DefaultTransport, now: time.Now, sleep: retry.Sleep, budget: DefaultBudget}
}
