package ghapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-github/v66/github"

	"github.com/helios-action/helios-action/internal/ghapi/ghtest"
)

// retryAfter is a 429 whose Retry-After is v, verbatim.
func retryAfter(v string) ghtest.Fault {
	f := ghtest.TooManyRequests(0)
	f.Header = http.Header{"Retry-After": {v}}
	return f
}

// TestRetryAfterForms: the forms of Retry-After GitHub or a proxy in front
// of it may send, and what each costs: how long the client waits and how
// many requests reach the server.
func TestRetryAfterForms(t *testing.T) {
	clk := newClock()
	for _, tc := range []struct {
		name     string
		fault    ghtest.Fault
		sleeps   []time.Duration
		requests int
		ok       bool
	}{
		{"an HTTP date ahead", retryAfter(clk.Now().Add(42 * time.Second).Format(http.TimeFormat)), []time.Duration{42 * time.Second}, 2, true},
		{"an HTTP date past: no wait", retryAfter(clk.Now().Add(-time.Hour).Format(http.TimeFormat)), []time.Duration{0}, 2, true},
		{"garbage: the secondary-limit backoff", retryAfter("later"), []time.Duration{time.Minute}, 2, true},
		{"negative: the secondary-limit backoff", retryAfter("-3"), []time.Duration{time.Minute}, 2, true},
		{"past the budget: the error at once", retryAfter("99999999999999999999"), nil, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := ghtest.NewServer(t)
			srv.Inject(ghtest.RouteCreateStatus, 1, tc.fault)
			clk := newClock()
			c := newClient(t, srv, clk)
			err := c.SetStatus(context.Background(), owner, repo, sha, "success", "helios", "ok", "")
			if (err == nil) != tc.ok {
				t.Errorf("SetStatus: %v", err)
			}
			if got := clk.Sleeps(); fmt.Sprint(got) != fmt.Sprint(tc.sleeps) {
				t.Errorf("waits = %v, want %v", got, tc.sleeps)
			}
			if n := srv.Count(ghtest.RouteCreateStatus); n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
		})
	}
}

// TestRetryNotPastDeadline: a wait that would end after the caller's
// deadline is not begun; the caller gets GitHub's answer, not a timeout.
func TestRetryNotPastDeadline(t *testing.T) {
	srv := ghtest.NewServer(t)
	srv.Inject(ghtest.RouteCreateStatus, 1, ghtest.TooManyRequests(time.Hour))
	clk := newClock()
	c := newClient(t, srv, clk)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := c.SetStatus(ctx, owner, repo, sha, "success", "helios", "ok", "")
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != http.StatusTooManyRequests || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the 429", err)
	}
	if got := clk.Sleeps(); len(got) != 0 {
		t.Errorf("waits = %v, want none", got)
	}
}
