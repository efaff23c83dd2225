package artifact

import (
	"context"
	"net/http"
	"time"

	"github.com/helios-action/helios-action/internal/retry"
)

// The toolkit's retry shape: the first wait is the base, each later one is
// drawn from [base·m^n, base·m^(n+1)), so concurrent clients spread out.
const (
	defaultMaxAttempts = 5
	defaultRetryDelay  = 3 * time.Second
	retryMultiplier    = 1.5
	// maxRetryAfter bounds how long a Retry-After header can make us wait:
	// a longer one is waited only this long before the next try, which the
	// attempts then bound.
	maxRetryAfter = 60 * time.Second
)

// retryPolicy is the artifact client's parameters of the one retry policy;
// settings fill in the attempts and the first wait.
var retryPolicy = retry.Policy{
	Backoff: retry.Backoff{Factor: retryMultiplier, Jitter: retry.Toolkit},
	// The toolkit's list for Twirp calls; Azure's SDK retries the same set
	// plus 408, which a block upload can meet behind proxies.
	Statuses: []int{
		http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable,
		http.StatusGatewayTimeout, http.StatusTooManyRequests, http.StatusRequestTimeout,
	},
	MaxRetryAfter:   maxRetryAfter,
	ClampRetryAfter: true,
}

// retries is the policy for this upload's requests.
func (s *settings) retries() *retry.Policy {
	p := retryPolicy
	p.Attempts, p.Backoff.Base = s.maxAttempts, s.retryDelay
	return &p
}

// retryAfter reads a Retry-After header, in seconds or as an HTTP date; 0
// when absent or unreadable. The policy bounds it by maxRetryAfter.
func retryAfter(h http.Header) time.Duration {
	d, _ := retryPolicy.RetryAfter(h)
	return d
}

// retryableStatus reports whether an answer with code is worth another try.
func retryableStatus(code int) bool { return retryPolicy.Retryable(code) }

// networkError reports whether err from http.Client.Do is worth a retry:
// anything but our own context ending (a reset connection, a refused dial,
// a per-attempt timeout, an unexpected EOF all are).
func networkError(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() == nil
}
