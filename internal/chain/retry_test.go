package chain

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// fakeNode is a loopback JSON-RPC endpoint that answers eth_chainId and
// eth_getBlockByNumber normally, so Open succeeds, and eth_getCode through
// fault: the request number (1-based) and the writer, with handled false
// to answer normally. It counts eth_getCode requests.
type fakeNode struct {
	fault func(n int, w http.ResponseWriter, r *http.Request) (handled bool)

	mu      sync.Mutex
	getCode int
}

func (f *fakeNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var result any
	switch req.Method {
	case "eth_chainId":
		result = "0x7a69"
	case "eth_getBlockByNumber":
		result = map[string]string{"number": "0x10", "hash": "0x" + strings.Repeat("ab", 32)}
	case "eth_getCode":
		f.mu.Lock()
		f.getCode++
		n := f.getCode
		f.mu.Unlock()
		if f.fault != nil && f.fault(n, w, r) {
			return
		}
		result = "0x6001"
	default:
		http.Error(w, "unexpected method "+req.Method, http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": req.ID, "result": result})
}

func (f *fakeNode) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.getCode
}

// recorder is the policy's sleep: it records each wait and returns at once.
type recorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (r *recorder) sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	r.waits = append(r.waits, d)
	r.mu.Unlock()
	return ctx.Err()
}

// epoch is the injected clock's time, for Retry-After dates.
var epoch = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func testPolicy(rec *recorder) retryPolicy {
	p := defaultRetry
	p.sleep = rec.sleep
	p.now = func() time.Time { return epoch }
	p.jitter = func() float64 { return 0.5 }
	return p
}

func status(code int, header ...string) func(int, http.ResponseWriter, *http.Request) bool {
	return func(_ int, w http.ResponseWriter, _ *http.Request) bool {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		return true
	}
}

// first answers with fault for the first k requests, then normally.
func first(k int, fault func(int, http.ResponseWriter, *http.Request) bool) func(int, http.ResponseWriter, *http.Request) bool {
	return func(n int, w http.ResponseWriter, r *http.Request) bool {
		return n <= k && fault(n, w, r)
	}
}

// reset closes the connection with an RST, as a proxy dropping it does.
func reset(_ int, w http.ResponseWriter, _ *http.Request) bool {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	conn.(*net.TCPConn).SetLinger(0)
	conn.Close()
	return true
}

// TestRPCRetry runs eth_getCode against a loopback endpoint that fails in one
// way, and checks the kind, the message, how many requests reached it and
// how long the client asked to wait.
func TestRPCRetry(t *testing.T) {
	addr := common.HexToAddress("0x4444444444444444444444444444444444444444")
	cases := []struct {
		name     string
		fault    func(int, http.ResponseWriter, *http.Request) bool
		kind     Kind   // "" for success
		msg      string // the error's message, when kind is set
		requests int
		waits    []time.Duration // nil: only checked against the caps
	}{
		{name: "429 with Retry-After in seconds, then an answer", fault: first(1, status(429, "Retry-After", "1")),
			requests: 2, waits: []time.Duration{time.Second}},
		{name: "429 with Retry-After as an HTTP date", fault: first(1, status(429, "Retry-After", epoch.Add(3*time.Second).Format(http.TimeFormat))),
			requests: 2, waits: []time.Duration{3 * time.Second}},
		{name: "429 with a Retry-After past the cap", fault: status(429, "Retry-After", "60"),
			kind: RateLimited, msg: "eth_getCode on 0x4444444444444444444444444444444444444444: the RPC endpoint kept answering HTTP 429 (rate limited) after 1 attempt [rate-limited]", requests: 1, waits: []time.Duration{}},
		{name: "429 forever", fault: status(429),
			kind: RateLimited, msg: "eth_getCode on 0x4444444444444444444444444444444444444444: the RPC endpoint kept answering HTTP 429 (rate limited) after 5 attempts [rate-limited]", requests: 5,
			// base×2^n with the injected jitter of one half: 3/4 of each.
			waits: []time.Duration{187500 * time.Microsecond, 375 * time.Millisecond, 750 * time.Millisecond, 1500 * time.Millisecond}},
		{name: "503, then an answer", fault: first(1, status(503)), requests: 2},
		{name: "504, then an answer", fault: first(2, status(504)), requests: 3},
		{name: "502 forever", fault: status(502),
			kind: RPCDown, msg: "eth_getCode on 0x4444444444444444444444444444444444444444: the RPC endpoint answered HTTP 502 after 5 attempts [rpc-down]", requests: 5},
		{name: "400 is not retried", fault: status(400),
			kind: RPCDown, msg: "eth_getCode on 0x4444444444444444444444444444444444444444: the RPC endpoint answered HTTP 400 [rpc-down]", requests: 1, waits: []time.Duration{}},
		{name: "a JSON-RPC error in a 200 is not retried", fault: func(_ int, w http.ResponseWriter, _ *http.Request) bool {
			io.WriteString(w, `{"jsonrpc":"2.0","id":1,"error":{"code":-32005,"message":"limit exceeded"}}`)
			return true
		}, kind: RPC, msg: "eth_getCode on 0x4444444444444444444444444444444444444444: JSON-RPC error -32005: limit exceeded [rpc]", requests: 1, waits: []time.Duration{}},
		{name: "a connection reset, then an answer", fault: first(1, reset), requests: 2},
		{name: "a truncated body", fault: func(_ int, w http.ResponseWriter, _ *http.Request) bool {
			io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":"0x`)
			return true
		}, kind: Malformed, msg: "eth_getCode on 0x4444444444444444444444444444444444444444: the RPC endpoint's answer is not JSON-RPC: unexpected EOF [malformed]", requests: 1, waits: []time.Duration{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			node := &fakeNode{fault: c.fault}
			srv := httptest.NewServer(node)
			t.Cleanup(srv.Close)
			rec := &recorder{}
			cl, err := open(t.Context(), srv.URL, 0, testPolicy(rec))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(cl.Close)
			has, err := cl.HasCode(t.Context(), addr)
			switch {
			case c.kind == "" && (err != nil || !has):
				t.Errorf("HasCode = %v, %v; want true", has, err)
			case c.kind != "" && (KindOf(err) != c.kind || err.Error() != c.msg):
				t.Errorf("HasCode error %v\nwant %s", err, c.msg)
			}
			if got := node.count(); got != c.requests {
				t.Errorf("%d eth_getCode requests, want %d", got, c.requests)
			}
			if c.waits != nil && !equal(rec.waits, c.waits) {
				t.Errorf("waits %v, want %v", rec.waits, c.waits)
			}
			for _, w := range rec.waits {
				if w > retryMaxRetryAfter {
					t.Errorf("a wait of %s, over the cap of %s", w, retryMaxRetryAfter)
				}
			}
		})
	}
}

func equal(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestRPCRetryContext: a run cancelled while the node thinks is cancelled,
// not a timeout; a node slower than the per-call timeout is a timeout.
func TestRPCRetryContext(t *testing.T) {
	addr := common.HexToAddress("0x4444444444444444444444444444444444444444")
	cases := []struct {
		name    string
		cancel  bool          // cancel the caller's context once the node has the request
		timeout time.Duration // the per-call bound
		want    string
	}{
		{"cancelled mid-call", true, time.Minute, "eth_getCode on 0x4444444444444444444444444444444444444444: cancelled before the node answered [cancelled]"},
		{"per-call timeout", false, 50 * time.Millisecond, "eth_getCode on 0x4444444444444444444444444444444444444444: no answer within 50ms [timeout]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := make(chan struct{}, 1)
			release := make(chan struct{})
			// The hung handler ends when the client hangs up or the test ends.
			hang := func(_ int, _ http.ResponseWriter, r *http.Request) bool {
				select {
				case got <- struct{}{}:
				default:
				}
				select {
				case <-r.Context().Done():
				case <-release:
				}
				return true
			}
			srv := httptest.NewServer(&fakeNode{fault: hang})
			t.Cleanup(srv.Close)
			t.Cleanup(func() { close(release) })
			rec := &recorder{}
			cl, err := open(t.Context(), srv.URL, 0, testPolicy(rec))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(cl.Close)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if c.cancel {
				go func() { <-got; cancel() }()
			}
			_, err = cl.WithTimeout(c.timeout).HasCode(ctx, addr)
			if err == nil || err.Error() != c.want {
				t.Errorf("HasCode error %v\nwant %s", err, c.want)
			}
			if len(rec.waits) != 0 {
				t.Errorf("waits %v, want none", rec.waits)
			}
		})
	}
}

// TestRPCRetryBudget: the waits of a client add up to at most the budget,
// whatever the number of calls.
func TestRPCRetryBudget(t *testing.T) {
	srv := httptest.NewServer(&fakeNode{fault: status(429, "Retry-After", "7")})
	t.Cleanup(srv.Close)
	rec := &recorder{}
	cl, err := open(t.Context(), srv.URL, 0, testPolicy(rec))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	for i := range 4 {
		_, err := cl.HasCode(t.Context(), common.BigToAddress(common.Big1))
		if KindOf(err) != RateLimited {
			t.Fatalf("call %d: %v, want [rate-limited]", i, err)
		}
	}
	var sum time.Duration
	for _, w := range rec.waits {
		sum += w
	}
	if sum > retryBudget || len(rec.waits) != 2 {
		t.Errorf("waits %v (%s in all), want two of 7s within the budget of %s", rec.waits, sum, retryBudget)
	}
}

// TestRPCRetryNotForWrites: a request that is not one of helios's read-only
// methods goes once.
func TestRPCRetryNotForWrites(t *testing.T) {
	for _, body := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["0x00"]}`,
		`[{"jsonrpc":"2.0","id":1,"method":"eth_call"},{"jsonrpc":"2.0","id":2,"method":"eth_sendTransaction"}]`,
		`not json`,
	} {
		t.Run(body, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				b, _ := io.ReadAll(r.Body)
				if string(b) != body {
					t.Errorf("the node got %q, want %q", b, body)
				}
				w.WriteHeader(503)
			}))
			t.Cleanup(srv.Close)
			rec := &recorder{}
			hc := &http.Client{Transport: newRetryTransport(testPolicy(rec))}
			resp, err := hc.Post(srv.URL, "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 503 || n.Load() != 1 {
				t.Errorf("status %d after %d requests, want 503 after 1", resp.StatusCode, n.Load())
			}
		})
	}
}

// TestRPCAnswerBound: an answer longer than maxResponseBody is
// refused, not read to its end.
func TestRPCAnswerBound(t *testing.T) {
	srv := httptest.NewServer(&fakeNode{fault: func(_ int, w http.ResponseWriter, _ *http.Request) bool {
		io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":"0x`)
		w.Write([]byte(strings.Repeat("00", maxResponseBody)))
		io.WriteString(w, `"}`)
		return true
	}})
	t.Cleanup(srv.Close)
	cl, err := open(t.Context(), srv.URL, 0, testPolicy(&recorder{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	_, err = cl.HasCode(t.Context(), common.BigToAddress(common.Big1))
	if KindOf(err) != Malformed || !strings.Contains(err.Error(), "larger than helios reads") {
		t.Errorf("HasCode error %v, want [malformed] saying the answer exceeds the bound", err)
	}
}

// TestRPCBackoffBounds: every backoff wait, whatever the jitter, is within
// half and all of base×2^(n-1), and never over maxWait.
func TestRPCBackoffBounds(t *testing.T) {
	for _, j := range []float64{0, 0.5, 0.999} {
		p := defaultRetry
		p.jitter = func() float64 { return j }
		for n := 1; n <= 40; n++ {
			d := p.backoff(n)
			full := retryMaxWait
			if n <= 5 {
				full = min(retryBase<<(n-1), retryMaxWait)
			}
			if d < full/2 || d > full {
				t.Errorf("jitter %v, attempt %d: %s, want within [%s, %s]", j, n, d, full/2, full)
			}
		}
	}
}
