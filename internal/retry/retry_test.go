package retry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var epoch = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func TestParseRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    string
		want time.Duration
		ok   bool
	}{
		{"absent", "", 0, false},
		{"blank", "   ", 0, false},
		{"seconds", "120", 2 * time.Minute, true},
		{"zero seconds", "0", 0, true},
		{"seconds with spaces", " 7 ", 7 * time.Second, true},
		{"negative seconds", "-5", 0, false},
		{"a sign is not delay-seconds", "+5", 0, false},
		{"fractional seconds", "1.5", 0, false},
		{"garbage", "soon", 0, false},
		{"seconds then garbage", "5s", 0, false},
		{"huge seconds, capped", "9999999999", maxRetryAfter, true},
		{"seconds past int64, capped", "99999999999999999999999999", maxRetryAfter, true},
		{"date in the future", epoch.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"date in the past", epoch.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"date now", epoch.Format(http.TimeFormat), 0, true},
		{"RFC 850 date", "Tuesday, 01-Dec-26 12:00:30 GMT", 30 * time.Second, true},
		{"asctime date", "Tue Dec  1 12:01:00 2026", time.Minute, true},
		{"date far ahead, capped", "Fri, 31 Dec 9999 23:59:59 GMT", maxRetryAfter, true},
		{"a date without its zone", "Tue, 01 Dec 2026 12:00:30", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseRetryAfter(tc.v, epoch)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ParseRetryAfter(%q) = %s, %v; want %s, %v", tc.v, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestPolicyRetryAfter(t *testing.T) {
	p := Policy{Now: func() time.Time { return epoch }}
	h := http.Header{}
	h.Set("Retry-After", epoch.Add(3*time.Second).Format(http.TimeFormat))
	if d, ok := p.RetryAfter(h); d != 3*time.Second || !ok {
		t.Errorf("RetryAfter = %s, %v; want 3s read against the policy's clock", d, ok)
	}
	if d, ok := p.RetryAfter(http.Header{}); d != 0 || ok {
		t.Errorf("RetryAfter without the header = %s, %v; want 0, false", d, ok)
	}
}

// fixed returns r as the random draw.
func fixed(r float64) func() float64 { return func() float64 { return r } }

func TestBackoffGrowth(t *testing.T) {
	s, ms := time.Second, time.Millisecond
	for _, tc := range []struct {
		name string
		b    Backoff
		want []time.Duration // after attempts 1, 2, …
	}{
		{"doubling by default, capped", Backoff{Base: s, Max: 30 * s},
			[]time.Duration{s, 2 * s, 4 * s, 8 * s, 16 * s, 30 * s, 30 * s}},
		{"a minute doubling up to 16", Backoff{Base: time.Minute, Max: 16 * time.Minute},
			[]time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 16 * time.Minute}},
		{"factor 1.5", Backoff{Base: 2 * s, Factor: 1.5},
			[]time.Duration{2 * s, 3 * s, 4500 * ms, 6750 * ms}},
		{"a cap below the base", Backoff{Base: 10 * s, Max: 4 * s},
			[]time.Duration{4 * s, 4 * s}},
		{"no base", Backoff{}, []time.Duration{0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i, want := range tc.want {
				if got := tc.b.Wait(i+1, fixed(0.5)); got != want {
					t.Errorf("attempt %d: %s, want %s", i+1, got, want)
				}
			}
		})
	}
}

// TestBackoffNoOverflow: however many attempts, a wait neither wraps
// negative nor takes long to compute.
func TestBackoffNoOverflow(t *testing.T) {
	for _, b := range []Backoff{
		{Base: time.Second},
		{Base: time.Second, Jitter: Equal},
		{Base: time.Second, Factor: 1.5, Jitter: Toolkit},
		{Base: time.Second, Max: time.Minute, Jitter: Toolkit},
	} {
		for _, n := range []int{62, 63, 64, 200, 1 << 30} {
			d := b.Wait(n, fixed(0.999))
			if d <= 0 || d > maxWait {
				t.Errorf("%+v, attempt %d: %s", b, n, d)
			}
			if b.Max > 0 && d > b.Max {
				t.Errorf("%+v, attempt %d: %s, over the cap", b, n, d)
			}
		}
	}
}

func TestJitterBounds(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name   string
		b      Backoff
		n      int
		lo, hi time.Duration // want lo <= wait < hi; lo == hi: exactly lo
	}{
		{"none", Backoff{Base: 250 * ms}, 2, 500 * ms, 500 * ms},
		{"equal, first", Backoff{Base: 250 * ms, Max: 4 * time.Second, Jitter: Equal}, 1, 125 * ms, 250 * ms},
		{"equal, third", Backoff{Base: 250 * ms, Max: 4 * time.Second, Jitter: Equal}, 3, 500 * ms, 1000 * ms},
		{"equal, capped", Backoff{Base: 250 * ms, Max: 4 * time.Second, Jitter: Equal}, 40, 2 * time.Second, 4 * time.Second},
		{"toolkit, first: the base exactly", Backoff{Base: 3 * time.Second, Factor: 1.5, Jitter: Toolkit}, 1, 3 * time.Second, 3 * time.Second},
		{"toolkit, second: one step", Backoff{Base: 3 * time.Second, Factor: 1.5, Jitter: Toolkit}, 2, 4500 * ms, 6750 * ms},
		{"toolkit, fourth", Backoff{Base: 3 * time.Second, Factor: 1.5, Jitter: Toolkit}, 4, 10125 * ms, 15187500 * time.Microsecond},
		{"toolkit, capped", Backoff{Base: 3 * time.Second, Factor: 1.5, Max: 5 * time.Second, Jitter: Toolkit}, 2, 4500 * ms, 5*time.Second + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, r := range []float64{0, 0.25, 0.5, 0.999999} {
				got := tc.b.Wait(tc.n, fixed(r))
				if tc.lo == tc.hi && got != tc.lo {
					t.Errorf("draw %v: %s, want %s exactly", r, got, tc.lo)
				}
				if tc.lo != tc.hi && (got < tc.lo || got >= tc.hi) {
					t.Errorf("draw %v: %s, want within [%s, %s)", r, got, tc.lo, tc.hi)
				}
			}
			if tc.lo != tc.hi {
				if got := tc.b.Wait(tc.n, fixed(0)); got != tc.lo {
					t.Errorf("draw 0: %s, want the low end %s", got, tc.lo)
				}
			}
		})
	}
}

// TestBackoffDefaultRandomness: without an injected draw the waits still
// keep to their bounds, and they differ, which is the point of jitter.
func TestBackoffDefaultRandomness(t *testing.T) {
	b := Backoff{Base: time.Second, Max: time.Minute, Jitter: Equal}
	seen := map[time.Duration]bool{}
	for range 100 {
		d := b.Wait(3, nil)
		if d < 2*time.Second || d >= 4*time.Second {
			t.Fatalf("wait %s, want within [2s, 4s)", d)
		}
		seen[d] = true
	}
	if len(seen) < 2 {
		t.Errorf("100 draws gave %d distinct waits", len(seen))
	}
}

func TestPolicyWait(t *testing.T) {
	s := time.Second
	base := Policy{
		Attempts:      5,
		Backoff:       Backoff{Base: s, Max: 8 * s},
		MaxRetryAfter: 10 * s,
		Rand:          fixed(0),
	}
	clamp := base
	clamp.ClampRetryAfter = true
	for _, tc := range []struct {
		name  string
		p     Policy
		n     int
		asked time.Duration
		want  time.Duration
		ok    bool
	}{
		{"backoff", base, 3, 0, 4 * s, true},
		{"Retry-After longer than the backoff", base, 1, 7 * s, 7 * s, true},
		{"Retry-After shorter than the backoff", base, 4, 2 * s, 8 * s, true},
		{"Retry-After at the cap", base, 1, 10 * s, 10 * s, true},
		{"Retry-After past the cap ends it", base, 1, 11 * s, 0, false},
		{"Retry-After past the cap, clamped", clamp, 1, time.Hour, 10 * s, true},
		{"the last attempt", base, 5, 0, 0, false},
		{"past the last attempt", base, 9, 0, 0, false},
		{"no bound on attempts", Policy{Backoff: Backoff{Base: s, Max: 8 * s}}, 1000, 0, 8 * s, true},
		{"no cap on Retry-After", Policy{Attempts: 2}, 1, 1000 * time.Hour, 1000 * time.Hour, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.p.Wait(context.Background(), nil, tc.n, tc.asked)
			if ok != tc.ok || (ok && got != tc.want) {
				t.Errorf("Wait(%d, %s) = %s, %v; want %s, %v", tc.n, tc.asked, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestBudget(t *testing.T) {
	s := time.Second
	p := Policy{Backoff: Backoff{Base: 4 * s, Factor: 1}}
	b := NewBudget(10 * s)
	var got []string
	for n := 1; n <= 4; n++ {
		d, ok := p.Wait(context.Background(), b, n, 0)
		got = append(got, fmt.Sprintf("%s %v", d, ok))
	}
	// The third wait would pass the budget and spends none of it.
	if want := "[4s true 4s true 4s false 4s false]"; fmt.Sprint(got) != want {
		t.Errorf("waits %v, want %s", got, want)
	}
	if b.Spent() != 8*s || b.Limit() != 10*s {
		t.Errorf("spent %s of %s, want 8s of 10s", b.Spent(), b.Limit())
	}
	if !b.Take(2*s) || b.Take(1) {
		t.Errorf("the budget's last 2s: spent %s", b.Spent())
	}
	if !NewBudget(0).Take(0) || NewBudget(0).Take(1) {
		t.Error("a budget of 0 allows only waits of 0")
	}
}

// TestBudgetShared: requests running at once spend one budget, never more
// than it holds.
func TestBudgetShared(t *testing.T) {
	b := NewBudget(50 * time.Second)
	var taken atomic.Int32
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			if b.Take(time.Second) {
				taken.Add(1)
			}
		})
	}
	wg.Wait()
	if taken.Load() != 50 || b.Spent() != 50*time.Second {
		t.Errorf("%d waits taken, %s spent; want 50 and 50s", taken.Load(), b.Spent())
	}
}

func TestAllowDeadline(t *testing.T) {
	p := Policy{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	b := NewBudget(10 * time.Hour)
	if p.Allow(ctx, b, 1, 2*time.Hour) {
		t.Error("a wait past the deadline allowed")
	}
	if b.Spent() != 0 {
		t.Errorf("a refused wait spent %s of the budget", b.Spent())
	}
	if !p.Allow(ctx, b, 1, time.Second) {
		t.Error("a wait well within the deadline refused")
	}
	if !p.Allow(context.Background(), nil, 1, 1000*time.Hour) {
		t.Error("no deadline, no budget: a long wait refused")
	}
}

var errStop = errors.New("run stopped")

func TestSleep(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	withCause, cancelCause := context.WithCancelCause(context.Background())
	cancelCause(errStop)
	for _, tc := range []struct {
		name string
		ctx  context.Context
		d    time.Duration
		want error
	}{
		{"no wait", context.Background(), 0, nil},
		{"a short wait", context.Background(), time.Millisecond, nil},
		// An hour would hang the test if the context were not heeded.
		{"cancelled", cancelled, time.Hour, context.Canceled},
		{"cancelled with a cause", withCause, time.Hour, errStop},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := Sleep(tc.ctx, tc.d); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("Sleep = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestSleepCancelledWhileWaiting: a context ended during the wait ends it.
func TestSleepCancelledWhileWaiting(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- Sleep(ctx, time.Hour) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep = %v, want context.Canceled", err)
	}
}

func TestPause(t *testing.T) {
	var got []time.Duration
	p := Policy{Sleep: func(ctx context.Context, d time.Duration) error {
		got = append(got, d)
		return ctx.Err()
	}}
	if err := p.Pause(context.Background(), 3*time.Second); err != nil || len(got) != 1 || got[0] != 3*time.Second {
		t.Errorf("Pause: %v, sleeps %v; want the injected sleep called with 3s", err, got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (&Policy{}).Pause(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Pause with the default sleep = %v, want context.Canceled", err)
	}
}

func TestRetryable(t *testing.T) {
	p := Policy{Statuses: []int{429, 503}}
	for code, want := range map[int]bool{429: true, 503: true, 500: false, 200: false, 404: false} {
		if p.Retryable(code) != want {
			t.Errorf("Retryable(%d) = %v", code, !want)
		}
	}
}
