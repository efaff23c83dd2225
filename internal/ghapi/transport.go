package ghapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/helios-action/helios-action/internal/retry"
)

// Retry policy. GitHub's documented rule for secondary limits: honour
// retry-after; else, with x-ratelimit-remaining 0, wait until
// x-ratelimit-reset; else wait at least a minute, backing off exponentially.
const (
	// DefaultBudget bounds the time one API call may spend waiting to retry.
	DefaultBudget = 4 * time.Minute
	// maxErrorBody bounds what is read of a 403/429 body to classify it.
	maxErrorBody = 64 << 10
)

var (
	// serverRetry is for 5xx answers and network errors: waits of 1, 2 and
	// 4 s (doubling, at most 30 s), so four tries. An outage rarely ends
	// within seconds, and the reports are best effort.
	serverRetry = retry.Policy{
		Attempts: 4,
		Backoff:  retry.Backoff{Base: time.Second, Max: 30 * time.Second},
		Statuses: []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout},
	}
	// limitRetry is for rate limits (429, and a 403 that says so): the
	// wait GitHub names, or one minute that doubles up to 16, six tries at
	// most. No jitter: GitHub asks for waits of at least these lengths.
	limitRetry = retry.Policy{
		Attempts: 6,
		Backoff:  retry.Backoff{Base: time.Minute, Max: 16 * time.Minute},
		Statuses: []int{http.StatusForbidden, http.StatusTooManyRequests},
	}
)

// retryTransport retries one HTTP exchange under go-github. Retrying here,
// below the client, keeps go-github from remembering a secondary-limit reset
// and refusing later calls locally ("not making remote request").
type retryTransport struct {
	base   http.RoundTripper
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error
	budget time.Duration // per call
	debug  func(string)
	// down is set when a call gave up on server or network errors: later
	// calls then try once, so an outage costs one call's retries, not
	// every call's. Any answer other than a 5xx clears it.
	down atomic.Bool
}

// policy is p with the transport's clock and sleep.
func (t *retryTransport) policy(p retry.Policy) *retry.Policy {
	p.Now, p.Sleep = t.now, t.sleep
	return &p
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	budget := retry.NewBudget(t.budget)
	for attempt := 1; ; attempt++ {
		r := req
		if attempt > 1 && req.Body != nil {
			if req.GetBody == nil {
				// A body that cannot be replayed: no retry possible.
				return t.base.RoundTrip(req)
			}
			body, err := req.GetBody()
			if err != nil {
				return nil, fmt.Errorf("replay request body: %w", err)
			}
			r = req.Clone(ctx)
			r.Body = body
		}
		resp, err := t.base.RoundTrip(r)
		p, wait, why := t.retryAfter(ctx, resp, err, attempt)
		status := "error"
		if resp != nil {
			status = strconv.Itoa(resp.StatusCode)
		}
		serverTrouble := why == whyServer || why == whyNetwork
		if !serverTrouble && err == nil {
			t.down.Store(false)
		}
		if serverTrouble && t.down.Load() {
			p.Attempts = 1
		}
		giveUp := why == "" || !p.Allow(ctx, budget, attempt, wait)
		if giveUp && serverTrouble {
			t.down.Store(true)
		}
		if t.debug != nil {
			line := fmt.Sprintf("github api: %s %s → %s", req.Method, req.URL.Path, status)
			if attempt > 1 {
				line += fmt.Sprintf(" (attempt %d)", attempt)
			}
			switch {
			case why != "" && giveUp:
				line += fmt.Sprintf("; %s, not retrying (attempt %d of %d, %s of %s budget spent)",
					why, attempt, p.Attempts, budget.Spent().Round(time.Second), t.budget)
			case why != "":
				line += fmt.Sprintf("; %s, retry in %s", why, wait.Round(time.Millisecond))
			}
			t.debug(line)
		}
		if giveUp {
			return resp, err
		}
		if resp != nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
			resp.Body.Close()
		}
		if err := p.Pause(ctx, wait); err != nil {
			return nil, err
		}
	}
}

const (
	whyServer  = "server error"
	whyNetwork = "network error"
)

// retryAfter says under which policy to retry, how long to wait before
// trying again and why, or "" for an answer not to retry. It may replace
// resp.Body with a buffered copy.
func (t *retryTransport) retryAfter(ctx context.Context, resp *http.Response, err error, attempt int) (*retry.Policy, time.Duration, string) {
	server, limit := t.policy(serverRetry), t.policy(limitRetry)
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return server, 0, ""
		}
		return server, server.Delay(attempt), whyNetwork
	}
	switch code := resp.StatusCode; {
	case server.Retryable(code):
		return server, server.Delay(attempt), whyServer
	case limit.Retryable(code):
		if d, ok := limit.RetryAfter(resp.Header); ok {
			return limit, d, "rate limited (retry-after)"
		}
		if resp.Header.Get("X-RateLimit-Remaining") == "0" {
			if reset, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
				// One second past the reset, as the clocks may differ.
				return limit, max(time.Unix(reset, 0).Sub(t.now())+time.Second, time.Second), "rate limited (x-ratelimit-reset)"
			}
		}
		if code == http.StatusForbidden && !secondaryLimit(resp) {
			return limit, 0, "" // a permission problem, not a limit
		}
		return limit, limit.Delay(attempt), "secondary rate limit"
	}
	return server, 0, ""
}

// secondaryLimit reads a 403 body and tells a secondary rate limit from a
// refusal; the body is put back for go-github to parse.
func secondaryLimit(resp *http.Response) bool {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	s := strings.ToLower(string(b))
	return strings.Contains(s, "secondary rate limit") || strings.Contains(s, "abuse") ||
		strings.Contains(s, "secondary-rate-limits")
}
