package ghapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v66/github"
)

// Permissions a workflow token needs for each part, as written in a
// workflow's permissions: block.
const (
	PermPullRequests = "pull-requests: write"
	PermChecks       = "checks: write"
	PermStatuses     = "statuses: write"
	// PermActionsRead reads workflow runs and downloads their artifacts,
	// for the comparison with a baseline run.
	PermActionsRead = "actions: read"
)

// PermissionError is GitHub refusing a call for want of a permission: 403
// "Resource not accessible by integration" (a read-only or fork token) or
// 404 (a token that may not see the resource). Callers print a notice that
// names Permission and carry on.
type PermissionError struct {
	Permission string // "pull-requests: write", "checks: write", "statuses: write", "actions: read"; "" when unknown
	Op         string // "create check run", …
	Status     int
	Message    string // GitHub's message
	Err        error
}

func (e *PermissionError) Error() string {
	msg := fmt.Sprintf("%s: %d %s", e.Op, e.Status, e.Message)
	if e.Permission != "" {
		msg += fmt.Sprintf(" (the token needs %s)", e.Permission)
	}
	return msg
}

func (e *PermissionError) Unwrap() error { return e.Err }

// wrap gives err the context of op, and turns a refusal into a
// *PermissionError naming perm. Rate limits that outlasted the retry budget
// stay what go-github made of them.
func wrap(op, perm string, err error) error {
	if err == nil {
		return nil
	}
	var rl *github.RateLimitError
	var abuse *github.AbuseRateLimitError
	if errors.As(err, &rl) || errors.As(err, &abuse) {
		return fmt.Errorf("%s: %w", op, err)
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		code := er.Response.StatusCode
		if code == http.StatusNotFound ||
			(code == http.StatusForbidden && !strings.Contains(strings.ToLower(er.Message), "rate limit")) {
			return &PermissionError{Permission: perm, Op: op, Status: code, Message: er.Message, Err: err}
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}
