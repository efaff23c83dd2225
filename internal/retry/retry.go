// Package retry is the one retry policy of helios's HTTP clients (GitHub's
// REST API, the artifact service, the chain's JSON-RPC endpoint): how long
// to wait after a failed attempt, an exponential backoff with jitter or what
// the server asked for in Retry-After, and when to stop: after so many
// attempts, at a Retry-After past a cap, at a wait that would outlast the
// caller's deadline, or when a budget of waiting is spent.
//
// What differs between the clients (the statuses worth another try, the
// limits, the shape of the jitter) is a Policy's fields, not code of their
// own. Which failures are transient beyond the status (a reset connection,
// a 403 that is a rate limit rather than a refusal) stays with each client,
// which knows its service.
package retry

import (
	"context"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Jitter is how much of a backoff wait is left to chance, so that clients
// turned away together do not come back together.
type Jitter int

const (
	// NoJitter waits the backoff exactly. GitHub's documented rule for its
	// limits asks for waits of at least a given length, not random ones.
	NoJitter Jitter = iota
	// Equal keeps half of the wait d and draws the other half: [d/2, d).
	Equal
	// Toolkit is the shape of the Actions toolkit (@actions/artifact), kept
	// so that helios's uploads back off as the official action's do: the
	// first wait is Base exactly, each later one is drawn from one growth
	// step, [d, d·Factor).
	Toolkit
)

// Backoff is an exponential backoff: the wait after the n-th failed
// attempt grows as Base·Factor^(n-1), up to Max, and is then jittered.
type Backoff struct {
	Base   time.Duration // the first wait, before jitter
	Factor float64       // growth per failed attempt; 2 when 0
	Max    time.Duration // the longest wait; no bound when 0
	Jitter Jitter
}

// maxWait stands for "no bound": beyond it a float64 no longer converts to
// a time.Duration.
const maxWait = time.Duration(1 << 62)

// Wait is the wait after the n-th failed attempt (n from 1). rnd draws the
// jitter from [0, 1); rand.Float64 when nil.
func (b Backoff) Wait(n int, rnd func() float64) time.Duration {
	if rnd == nil {
		rnd = rand.Float64
	}
	factor := b.Factor
	if factor == 0 {
		factor = 2
	}
	limit := maxWait
	if b.Max > 0 {
		limit = b.Max
	}
	// Repeated products rather than math.Pow: exact for the factors used
	// (2, 1.5) and durations in whole milliseconds, so a test can name a wait.
	d := float64(b.Base)
	for i := 1; i < n && d > 0 && d < float64(limit); i++ {
		d *= factor
	}
	switch b.Jitter {
	case Equal:
		w := time.Duration(min(d, float64(limit)))
		return w/2 + time.Duration(rnd()*float64(w/2))
	case Toolkit:
		if n <= 1 {
			return min(b.Base, limit)
		}
		if d >= float64(limit) {
			return limit
		}
		return min(time.Duration(d+rnd()*(d*factor-d)), limit)
	}
	return time.Duration(min(d, float64(limit)))
}

// maxRetryAfter bounds a Retry-After in seconds, so that a huge one cannot
// overflow time.Duration; any policy gives up long before (twelve days).
const maxRetryAfter = (1 << 20) * time.Second

// ParseRetryAfter reads a Retry-After value, a number of seconds or an HTTP
// date (RFC 9110 §10.2.3); a date already past is a wait of 0. ok is false
// when v is empty, negative or neither form.
func ParseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if strings.Trim(v, "0123456789") == "" {
		s, err := strconv.ParseInt(v, 10, 64)
		if err != nil || s > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true // only a range error gets here: all digits
		}
		return time.Duration(s) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), maxRetryAfter), true
}

// Budget is time to spend waiting, shared by the requests given it: one
// call's retries, or a whole client's. It is safe for concurrent use.
type Budget struct {
	mu           sync.Mutex
	limit, spent time.Duration
}

// NewBudget returns a budget of limit.
func NewBudget(limit time.Duration) *Budget { return &Budget{limit: limit} }

// Take spends d, unless that would overrun the budget.
func (b *Budget) Take(d time.Duration) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.spent+d > b.limit {
		return false
	}
	b.spent += d
	return true
}

// Spent is what has been waited so far.
func (b *Budget) Spent() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.spent
}

// Limit is the budget's size.
func (b *Budget) Limit() time.Duration { return b.limit }

// Policy is one client's retry policy. Its clock, randomness and sleep are
// fields so that tests neither wait nor depend on chance.
type Policy struct {
	// Attempts bounds the requests of one call, the first included; no
	// bound when 0.
	Attempts int
	Backoff  Backoff
	// Statuses are the HTTP statuses worth another try.
	Statuses []int
	// MaxRetryAfter is the longest Retry-After heeded, no bound when 0. A
	// longer one ends the retries (the server is out for longer than the
	// run should wait) or, with ClampRetryAfter, is waited only this long.
	MaxRetryAfter   time.Duration
	ClampRetryAfter bool

	Now   func() time.Time                           // time.Now when nil; reads Retry-After dates
	Rand  func() float64                             // rand.Float64 when nil; draws the jitter
	Sleep func(context.Context, time.Duration) error // Sleep when nil
}

// Retryable reports whether an answer with status is worth another try.
func (p *Policy) Retryable(status int) bool { return slices.Contains(p.Statuses, status) }

// RetryAfter reads h's Retry-After; see ParseRetryAfter.
func (p *Policy) RetryAfter(h http.Header) (time.Duration, bool) {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	return ParseRetryAfter(h.Get("Retry-After"), now())
}

// Delay is the backoff wait after the n-th failed attempt, jittered.
func (p *Policy) Delay(n int) time.Duration { return p.Backoff.Wait(n, p.Rand) }

// Wait says how long to wait after the n-th failed attempt and whether to
// try again at all. asked is the wait the server asked for (Retry-After),
// 0 when none: the wait is the longer of it and the backoff, as a
// Retry-After is the least a server wants. b may be nil: no budget.
func (p *Policy) Wait(ctx context.Context, b *Budget, n int, asked time.Duration) (time.Duration, bool) {
	if p.MaxRetryAfter > 0 && asked > p.MaxRetryAfter {
		if !p.ClampRetryAfter {
			return 0, false
		}
		asked = p.MaxRetryAfter
	}
	d := max(asked, p.Delay(n))
	return d, p.Allow(ctx, b, n, d)
}

// Allow reports whether a wait of d after the n-th failed attempt is within
// the policy: attempts left, the wait ending before ctx's deadline (a wait
// past it only turns a clear answer into a timeout), and d left in b, which
// it then spends.
func (p *Policy) Allow(ctx context.Context, b *Budget, n int, d time.Duration) bool {
	if p.Attempts > 0 && n >= p.Attempts {
		return false
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d {
		return false
	}
	return b == nil || b.Take(d)
}

// Pause waits d, or until ctx ends, with the policy's sleep.
func (p *Policy) Pause(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	return Sleep(ctx, d)
}

// Sleep waits d, or until ctx ends and then returns its cause.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}
