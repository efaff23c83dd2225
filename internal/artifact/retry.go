package artifact

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// The toolkit's retry shape: the first wait is the base, each later one is
// drawn from [base·m^n, base·m^(n+1)), so concurrent clients spread out.
const (
	defaultMaxAttempts = 5
	defaultRetryDelay  = 3 * time.Second
	retryMultiplier    = 1.5
	// maxRetryAfter bounds how long a Retry-After header can make us wait:
	// longer than this and the job is better off failing with the error.
	maxRetryAfter = 60 * time.Second
)

// backoff is the wait before attempt n+1 (n counts from 0 for the first retry).
func backoff(base time.Duration, n int) time.Duration {
	if n <= 0 {
		return base
	}
	lo := float64(base)
	for range n {
		lo *= retryMultiplier
	}
	hi := lo * retryMultiplier
	return time.Duration(lo + rand.Float64()*(hi-lo))
}

// retryAfter reads a Retry-After header in seconds (the form GitHub and
// Azure use), bounded by maxRetryAfter; 0 when absent or unreadable.
func retryAfter(h http.Header) time.Duration {
	s, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || s <= 0 {
		return 0
	}
	return min(time.Duration(s)*time.Second, maxRetryAfter)
}

// retryableStatus is the toolkit's list for Twirp calls; Azure's SDK retries
// the same set plus 408, which a block upload can meet behind proxies.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable,
		http.StatusGatewayTimeout, http.StatusTooManyRequests, http.StatusRequestTimeout:
		return true
	}
	return false
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// networkError reports whether err from http.Client.Do is worth a retry:
// anything but our own context ending (a reset connection, a refused dial,
// a per-attempt timeout, an unexpected EOF all are).
func networkError(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() == nil
}
