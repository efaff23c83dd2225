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
)

// Retry policy. GitHub's documented rule for secondary limits: honour
// retry-after; else, with x-ratelimit-remaining 0, wait until
// x-ratelimit-reset; else wait at least a minute, backing off exponentially.
const (
	// DefaultBudget bounds the time one API call may spend waiting to retry.
	DefaultBudget = 4 * time.Minute
	// maxAttempts bounds the tries of one call whatever the budget.
	maxAttempts = 6
	// maxServerAttempts bounds the tries of one call that meets only 5xx
	// answers or network errors: 1 + 2 + 4 s of waiting. An outage rarely
	// ends within seconds, and the reports are best effort.
	maxServerAttempts = 4
	// firstBackoff is the first wait after a 5xx or network error; it doubles.
	firstBackoff = time.Second
	maxBackoff   = 30 * time.Second
	// minRateLimitWait is the wait after a secondary limit that names no time.
	minRateLimitWait = time.Minute
	// maxErrorBody bounds what is read of a 403/429 body to classify it.
	maxErrorBody = 64 << 10
)

// retryTransport retries one HTTP exchange under go-github. Retrying here,
// below the client, keeps go-github from remembering a secondary-limit reset
// and refusing later calls locally ("not making remote request").
type retryTransport struct {
	base   http.RoundTripper
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error
	budget time.Duration
	debug  func(string)
	// down is set when a call gave up on server or network errors: later
	// calls then try once, so an outage costs one call's retries, not
	// every call's. Any answer other than a 5xx clears it.
	down atomic.Bool
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	start := t.now()
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
		wait, why := t.retryAfter(ctx, resp, err, attempt)
		status := "error"
		if resp != nil {
			status = strconv.Itoa(resp.StatusCode)
		}
		elapsed := t.now().Sub(start)
		serverTrouble := why == whyServer || why == whyNetwork
		if !serverTrouble && err == nil {
			t.down.Store(false)
		}
		limit := maxAttempts
		if serverTrouble {
			limit = maxServerAttempts
			if t.down.Load() {
				limit = 1
			}
		}
		giveUp := why == "" || attempt >= limit || elapsed+wait > t.budget
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
					why, attempt, limit, elapsed.Round(time.Second), t.budget)
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
		if err := t.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

const (
	whyServer  = "server error"
	whyNetwork = "network error"
)

// retryAfter says how long to wait before trying again and why, or "" for
// an answer not to retry. It may replace resp.Body with a buffered copy.
func (t *retryTransport) retryAfter(ctx context.Context, resp *http.Response, err error, attempt int) (time.Duration, string) {
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return 0, ""
		}
		return backoff(attempt), whyNetwork
	}
	switch code := resp.StatusCode; {
	case code == 500, code == 502, code == 503, code == 504:
		return backoff(attempt), whyServer
	case code == http.StatusForbidden, code == http.StatusTooManyRequests:
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), t.now()); ok {
			return d, "rate limited (retry-after)"
		}
		if resp.Header.Get("X-RateLimit-Remaining") == "0" {
			if reset, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
				// One second past the reset, as the clocks may differ.
				return max(time.Unix(reset, 0).Sub(t.now())+time.Second, time.Second), "rate limited (x-ratelimit-reset)"
			}
		}
		if code == http.StatusForbidden && !secondaryLimit(resp) {
			return 0, "" // a permission problem, not a limit
		}
		return minRateLimitWait << min(attempt-1, 4), "secondary rate limit"
	}
	return 0, ""
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

func backoff(attempt int) time.Duration {
	return min(firstBackoff<<min(attempt-1, 10), maxBackoff)
}

// parseRetryAfter reads Retry-After as seconds or as an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
