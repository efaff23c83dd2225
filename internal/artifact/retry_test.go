package artifact

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// backoff is the policy's wait before attempt n+1 (n counts from 0 for the
// first retry), the toolkit's numbering, for TestBackoff.
func backoff(base time.Duration, n int) time.Duration {
	return (&settings{retryDelay: base}).retries().Delay(n + 1)
}

// TestRetryWait: the artifact client's parameters of the shared policy. A
// Retry-After shorter than the backoff waits the backoff, a longer one than
// maxRetryAfter is cut to it (and still retried), and MaxAttempts ends it.
func TestRetryWait(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		attempt    int
		retryAfter string
		want       time.Duration
		ok         bool
	}{
		{"no Retry-After: the first wait is the base", 1, "", 3 * time.Second, true},
		{"no Retry-After, second retry: the low end of [4.5s, 6.75s)", 2, "", 4500 * time.Millisecond, true},
		{"a Retry-After below the backoff", 1, "1", 3 * time.Second, true},
		{"a Retry-After above the backoff", 1, "20", 20 * time.Second, true},
		{"a Retry-After as an HTTP date", 1, now.Add(40 * time.Second).Format(http.TimeFormat), 40 * time.Second, true},
		{"a Retry-After past the cap is cut to it", 1, "3600", maxRetryAfter, true},
		{"an unreadable Retry-After", 1, "soon", 3 * time.Second, true},
		{"the last attempt", defaultMaxAttempts, "", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := (&settings{maxAttempts: defaultMaxAttempts, retryDelay: defaultRetryDelay}).retries()
			p.Now = func() time.Time { return now }
			p.Rand = func() float64 { return 0 }
			h := http.Header{}
			if tc.retryAfter != "" {
				h.Set("Retry-After", tc.retryAfter)
			}
			asked, _ := p.RetryAfter(h)
			got, ok := p.Wait(context.Background(), nil, tc.attempt, asked)
			if ok != tc.ok || (ok && got != tc.want) {
				t.Errorf("Wait = %s, %v; want %s, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
