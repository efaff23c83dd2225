package chain

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/helios-action/helios-action/internal/markup"
	"github.com/helios-action/helios-action/internal/retry"
)

// Limits of the retry policy. Providers answer bursts with HTTP 429 and
// load balancers answer a restarting node with 502/503/504; both pass
// within seconds, so a few short waits turn them into a slow answer rather
// than a failed check, while the caps keep a dead endpoint from holding a
// run for long.
const (
	retryAttempts      = 5                      // requests per JSON-RPC call, the first included
	retryBase          = 250 * time.Millisecond // the first backoff wait
	retryMaxWait       = 4 * time.Second        // one backoff wait at most
	retryMaxRetryAfter = 10 * time.Second       // a Retry-After longer than this is not waited for
	retryBudget        = 20 * time.Second       // waiting in all, per client (so per run)

	// maxRequestBody bounds the request body kept to send again; helios's
	// requests are a few hundred bytes, so anything larger goes once.
	maxRequestBody = 1 << 20
	// maxResponseBody bounds what is read of an answer. Many clients
	// reads answers without a bound; its server refuses bodies over
	// defaultBodyLimit = 5 * 1024 * 1024, the size taken here, far above
	// what eth_getCode of a 24 KiB contract (EIP-170) or a block without its
	// transactions takes.
	maxResponseBody = 5 * 1024 * 1024
)

// readOnly are the JSON-RPC methods helios sends. Only these are sent
// again: repeating them cannot change the chain.
var readOnly = map[string]bool{
	"eth_chainId":          true,
	"eth_getBlockByNumber": true,
	"eth_getCode":          true,
	"eth_call":             true,
}

// retryPolicy is the chain client's parameters of the one retry policy
// (internal/retry); its clock, sleep and jitter are fields so that tests
// neither wait nor depend on chance.
type retryPolicy struct {
	attempts      int
	base, maxWait time.Duration
	maxRetryAfter time.Duration
	budget        time.Duration

	sleep  func(ctx context.Context, d time.Duration) error
	now    func() time.Time // for Retry-After given as an HTTP date
	jitter func() float64   // in [0, 1)
}

var defaultRetry = retryPolicy{
	attempts:      retryAttempts,
	base:          retryBase,
	maxWait:       retryMaxWait,
	maxRetryAfter: retryMaxRetryAfter,
	budget:        retryBudget,
	sleep:         retry.Sleep,
	now:           time.Now,
	jitter:        rand.Float64,
}

// retryStatuses are the answers that pass within seconds: a provider's 429
// to a burst, a load balancer's 502/503/504 for a restarting node.
var retryStatuses = []int{
	http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout,
}

// policy is p as the shared policy: base×2^(n-1) capped at maxWait, of which
// the upper half is jitter, so that clients rate-limited together do not
// come back together; a Retry-After past maxRetryAfter is not waited for.
func (p *retryPolicy) policy() *retry.Policy {
	return &retry.Policy{
		Attempts:      p.attempts,
		Backoff:       retry.Backoff{Base: p.base, Max: p.maxWait, Jitter: retry.Equal},
		Statuses:      retryStatuses,
		MaxRetryAfter: p.maxRetryAfter,
		Now:           p.now,
		Rand:          p.jitter,
		Sleep:         p.sleep,
	}
}

// backoff is the wait after the n-th failed attempt (n >= 1).
func (p *retryPolicy) backoff(n int) time.Duration { return p.policy().Delay(n) }

// gaveUpError is an HTTP status that stayed transient through every
// attempt the policy allowed.
type gaveUpError struct {
	status   int
	attempts int
}

func (e *gaveUpError) Error() string {
	tries := markup.Plural(e.attempts, "attempt")
	if e.status == http.StatusTooManyRequests {
		return "the RPC endpoint kept answering HTTP 429 (rate limited) after " + tries
	}
	return fmt.Sprintf("the RPC endpoint answered HTTP %d after %s", e.status, tries)
}

// errTooLarge ends an answer longer than maxResponseBody.
var errTooLarge = fmt.Errorf("larger than helios reads (%d MiB)", maxResponseBody>>20)

// retryTransport sends a request again when the failure is transient.
type retryTransport struct {
	base   http.RoundTripper
	p      *retry.Policy
	budget *retry.Budget // waiting in all, per client (so per run)
	// answered is set once the endpoint has answered at all: a refused
	// connection after that is a node restarting, worth waiting for,
	// whereas a refusal from the start is a wrong or dead endpoint that
	// should fail at once.
	answered atomic.Bool
}

func newRetryTransport(p retryPolicy) *retryTransport {
	return &retryTransport{
		base:   http.DefaultTransport.(*http.Transport).Clone(),
		p:      p.policy(),
		budget: retry.NewBudget(p.budget),
	}
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	body, ok := repeatable(req)
	if !ok {
		resp, err := t.base.RoundTrip(req)
		return t.bound(resp), err
	}
	ctx := req.Context()
	for n := 1; ; n++ {
		r := req.Clone(ctx)
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.ContentLength = int64(len(body))
		resp, err := t.base.RoundTrip(r)
		var status int
		var asked time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil || !t.transientErr(err) {
				return nil, err
			}
		case t.p.Retryable(resp.StatusCode):
			t.answered.Store(true)
			status = resp.StatusCode
			asked, _ = t.p.RetryAfter(resp.Header)
			// Read what is left (bounded) so that the connection is reused.
			io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBody))
			resp.Body.Close()
		default:
			// Any other answer is final: other 4xx will not change, and a
			// JSON-RPC error (a revert among them) comes in a 200 body.
			t.answered.Store(true)
			return t.bound(resp), nil
		}
		wait, ok := t.p.Wait(ctx, t.budget, n, asked)
		if !ok {
			if status != 0 {
				return nil, &gaveUpError{status: status, attempts: n}
			}
			return nil, err
		}
		if err := t.p.Pause(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// transientErr tells a connection that broke (a reset, or closed before
// the answer) from one that never was.
func (t *retryTransport) transientErr(err error) bool {
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) && t.answered.Load()
}

// bound caps the answer's body at maxResponseBody.
func (t *retryTransport) bound(resp *http.Response) *http.Response {
	if resp != nil && resp.Body != nil {
		resp.Body = &limitedBody{r: resp.Body, left: maxResponseBody}
	}
	return resp
}

// limitedBody fails with errTooLarge, rather than ending early, so that a
// huge answer is not taken for a truncated one.
type limitedBody struct {
	r    io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly the limit from a longer one.
		var one [1]byte
		n, err := b.r.Read(one[:])
		if n > 0 {
			return 0, errTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.r.Close() }

// rpcCall is the part of a JSON-RPC request repeatable looks at.
type rpcCall struct {
	Method string `json:"method"`
}

// repeatable reads the request's body, bounded, and says whether it may be
// sent again: only a JSON-RPC request or batch of read-only methods may.
// When it may not, req's body is left whole for one attempt.
func repeatable(req *http.Request) ([]byte, bool) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, false
	}
	b, err := io.ReadAll(io.LimitReader(req.Body, maxRequestBody+1))
	rest := req.Body
	req.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), rest), rest}
	if err != nil || len(b) > maxRequestBody {
		return nil, false
	}
	var calls []rpcCall
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
		err = json.Unmarshal(b, &calls)
	} else {
		var one rpcCall
		err = json.Unmarshal(b, &one)
		calls = []rpcCall{one}
	}
	if err != nil || len(calls) == 0 {
		return nil, false
	}
	for _, c := range calls {
		if !readOnly[c.Method] {
			return nil, false
		}
	}
	rest.Close()
	return b, true
}
