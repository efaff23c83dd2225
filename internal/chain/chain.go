// Package chain is helios' read-only view of an EVM chain over standard
// JSON-RPC: it dials with a timeout, checks eth_chainId against the network
// the mission names, pins every read of a run to one block (by its hash,
// EIP-1898, where the node allows), and makes typed
// ABI calls whose failures are told apart (no code at the address, a revert,
// a malformed return, a timeout, the endpoint down, the wrong chain, a
// reorg of the pinned block) with
// messages that never carry the endpoint's URL. It speaks only eth_chainId,
// eth_getBlockByNumber, eth_getCode and eth_call, so any node (geth, Hardhat,
// Anvil, a provider) serves it.
package chain

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// DefaultTimeout bounds each JSON-RPC request; upstream's token check gives
// up after 15 s too.
const DefaultTimeout = 15 * time.Second

// chainIDs are the ids of the networks upstream's Hardhat config names.
var chainIDs = map[string]uint64{
	"hardhat":   31337,
	"localhost": 31337,
	"anvil":     31337,
	"mainnet":   1,
	"sepolia":   11155111,
}

// ExpectedChainID is the chain id a network name stands for; ok is false for
// a name helios does not know (the step's `chain-id` must then say it).
func ExpectedChainID(network string) (id uint64, ok bool) {
	id, ok = chainIDs[strings.ToLower(network)]
	return id, ok
}

// Pin is the block every read of a run is made at.
type Pin struct {
	ChainID uint64
	Number  uint64
	Hash    common.Hash
}

// ByNumberNote is what a report says when the node refused EIP-1898 block
// hashes and the run's reads fell back to the pinned number.
const ByNumberNote = "pinned by number: the node does not take EIP-1898 block hashes"

// Pin modes: every read names the pinned block by its hash (EIP-1898, with
// requireCanonical, so a reorg of that height fails rather than reads
// another block), unless the node turned that down.
const (
	pinUnknown  int32 = iota // no hash-pinned read answered yet
	pinByHash                // the node takes EIP-1898 block hashes
	pinByNumber              // it rejected them: number for the rest of the run
)

// Client reads one endpoint at one pinned block.
type Client struct {
	rpc     *rpcClient
	timeout time.Duration
	pin     Pin
	block   *big.Int

	code *codeCache
	// mode (pinUnknown, pinByHash or pinByNumber) is shared by every copy
	// of the client (WithTimeout), like the pin: the first hash-pinned read
	// of the run decides it, and later ones do not change it.
	mode *atomic.Int32
}

// codeCache remembers HasCode answers: the block is pinned, so they cannot
// change within a run, and every call checks its address first.
type codeCache struct {
	mu  sync.Mutex
	has map[common.Address]bool
}

// Open dials url, reads the chain id and pins the latest block. Every
// request is bounded by timeout (DefaultTimeout when zero); transient HTTP
// failures are retried within it (see retry.go).
func Open(ctx context.Context, url string, timeout time.Duration) (*Client, error) {
	return open(ctx, url, timeout, defaultRetry)
}

// open is Open with the retry policy given, so tests can inject its clock.
func open(ctx context.Context, url string, timeout time.Duration, retry retryPolicy) (*Client, error) {
	if url == "" {
		return nil, &Error{Kind: RPCDown, Msg: "no RPC endpoint: give --rpc-url or set HELIOS_RPC_URL"}
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	rc, err := dialHTTP(url, newRetryTransport(retry))
	if err != nil {
		// The URL is left out: it may hold an API key.
		return nil, &Error{Kind: RPCDown, Msg: "cannot use the RPC endpoint: " + scrub(err)}
	}
	c := &Client{rpc: rc, timeout: timeout, code: &codeCache{has: map[common.Address]bool{}}, mode: new(atomic.Int32)}
	id, err := c.chainID(ctx)
	if err != nil {
		rc.close()
		return nil, err
	}
	var head struct {
		Number *hexutil.Big `json:"number"`
		Hash   *common.Hash `json:"hash"`
	}
	cctx, cancel := c.callContext(ctx)
	defer cancel()
	// The raw block's own hash, not one recomputed from its header fields.
	if err := rc.call(cctx, &head, "eth_getBlockByNumber", "latest", false); err != nil {
		rc.close()
		return nil, c.classify(cctx, "eth_getBlockByNumber", common.Address{}, err)
	}
	if head.Number == nil || head.Hash == nil {
		rc.close()
		return nil, &Error{Kind: Malformed, Call: "eth_getBlockByNumber", Msg: "the latest block has no number or hash"}
	}
	c.block = new(big.Int).Set(head.Number.ToInt())
	c.pin = Pin{ChainID: id, Number: c.block.Uint64(), Hash: *head.Hash}
	return c, nil
}

// WithTimeout is the client with another per-request bound (same
// connection, same pinned block); d <= 0 keeps the current one.
func (c *Client) WithTimeout(d time.Duration) *Client {
	if d <= 0 {
		return c
	}
	cp := *c
	cp.timeout = d
	return &cp
}

// Close releases the connection.
func (c *Client) Close() { c.rpc.close() }

// Pin is the block the client reads at.
func (c *Client) Pin() Pin { return c.pin }

// ByNumber reports whether the run's reads fell back to the pinned block's
// number because the node rejected EIP-1898 block hashes.
func (c *Client) ByNumber() bool {
	return c.mode.Load() == pinByNumber
}

// CheckChainID fails with a WrongChain error unless the endpoint serves want.
func (c *Client) CheckChainID(want uint64, network string) error {
	if c.pin.ChainID == want {
		return nil
	}
	return &Error{Kind: WrongChain, Msg: fmt.Sprintf("the endpoint serves chain id %d, but network %s expects %d", c.pin.ChainID, network, want)}
}

func (c *Client) chainID(ctx context.Context) (uint64, error) {
	cctx, cancel := c.callContext(ctx)
	defer cancel()
	var raw hexutil.Big
	if err := c.rpc.call(cctx, &raw, "eth_chainId"); err != nil {
		return 0, c.classify(cctx, "eth_chainId", common.Address{}, err)
	}
	id := raw.ToInt()
	if !id.IsUint64() {
		return 0, &Error{Kind: Malformed, Call: "eth_chainId", Msg: "chain id out of range: " + id.String()}
	}
	return id.Uint64(), nil
}

// HasCode reports whether addr holds contract code at the pinned block.
func (c *Client) HasCode(ctx context.Context, addr common.Address) (bool, error) {
	c.code.mu.Lock()
	has, ok := c.code.has[addr]
	c.code.mu.Unlock()
	if ok {
		return has, nil
	}
	var code hexutil.Bytes
	if err := c.pinned(ctx, &code, "eth_getCode", addr, "eth_getCode", addr); err != nil {
		return false, err
	}
	c.code.mu.Lock()
	c.code.has[addr] = len(code) > 0
	c.code.mu.Unlock()
	return len(code) > 0, nil
}

// Call makes the view call m(args...) on addr at the pinned block and
// decodes its return values. An address without code is a NoCode error
// (checked first: a call to it would "succeed" with empty data).
func (c *Client) Call(ctx context.Context, addr common.Address, m *Method, args ...any) ([]any, error) {
	has, err := c.HasCode(ctx, addr)
	if err != nil {
		return nil, err
	}
	if !has {
		return nil, &Error{Kind: NoCode, Call: m.Sig, Addr: addr, Msg: "no contract code at " + addr.Hex()}
	}
	data, err := m.Pack(args...)
	if err != nil {
		return nil, &Error{Kind: BadArgs, Call: m.Sig, Addr: addr, Msg: err.Error()}
	}
	// The call object go-ethereum's ethclient sends for CallContract.
	arg := map[string]any{"from": common.Address{}, "to": &addr, "input": hexutil.Bytes(data)}
	var out hexutil.Bytes
	if err := c.pinned(ctx, &out, m.Sig, addr, "eth_call", arg); err != nil {
		return nil, err
	}
	vals, err := m.Unpack(out)
	if err != nil {
		return nil, &Error{Kind: Malformed, Call: m.Sig, Addr: addr, Msg: err.Error()}
	}
	return vals, nil
}

// Call1 is Call for a method with a single return value.
func (c *Client) Call1(ctx context.Context, addr common.Address, m *Method, args ...any) (any, error) {
	vals, err := c.Call(ctx, addr, m, args...)
	if err != nil {
		return nil, err
	}
	if len(vals) != 1 {
		return nil, &Error{Kind: Malformed, Call: m.Sig, Addr: addr, Msg: fmt.Sprintf("%d return values, want 1", len(vals))}
	}
	return vals[0], nil
}

// errCallTimeout marks a request's own deadline (with: timeout), so classify
// can tell it from an earlier one the caller set.
var errCallTimeout = errors.New("request timed out")

// callContext bounds one request by the client's per-request timeout.
func (c *Client) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, c.timeout, errCallTimeout)
}

// classify turns a transport or JSON-RPC error into an *Error of the right
// kind, without the endpoint's URL.
func (c *Client) classify(ctx context.Context, call string, addr common.Address, err error) error {
	e := &Error{Call: call, Addr: addr}
	var re *rpcError
	var he *httpStatusError
	var ge *gaveUpError
	switch {
	case errors.Is(ctx.Err(), context.Canceled) || (ctx.Err() == nil && errors.Is(err, context.Canceled)):
		// The caller gave up (the run was cancelled), not the node.
		e.Kind, e.Msg = Cancelled, "cancelled before the node answered"
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil || isTimeout(err):
		e.Kind, e.Msg = Timeout, fmt.Sprintf("no answer within %s", c.timeout)
		// An earlier deadline than the request's own (the step's timeout:)
		// says so, rather than blaming the per-request limit.
		if cause := context.Cause(ctx); ctx.Err() != nil && cause != nil && !errors.Is(cause, errCallTimeout) && !errors.Is(cause, context.DeadlineExceeded) {
			e.Msg = fmt.Sprintf("%s before the node answered", cause)
		}
	case errors.As(err, &ge):
		e.Kind, e.Msg = RPCDown, ge.Error()
		if ge.status == http.StatusTooManyRequests {
			e.Kind = RateLimited
		}
	case errors.As(err, &re) && isRevert(re):
		e.Kind, e.Msg = Revert, revertMessage(ctx, re)
	case errors.As(err, &he):
		e.Kind, e.Msg = RPCDown, fmt.Sprintf("the RPC endpoint answered HTTP %d", he.StatusCode)
	case errors.As(err, &re):
		e.Kind, e.Msg = RPC, fmt.Sprintf("JSON-RPC error %d: %s", re.Code, re.Error())
	case isTransport(err):
		e.Kind, e.Msg = RPCDown, "the RPC endpoint is unreachable: "+scrub(err)
	default:
		if notJSONRPC(err) {
			e.Kind, e.Msg = Malformed, "the RPC endpoint's answer is not JSON-RPC: "+err.Error()
		} else {
			e.Kind, e.Msg = RPC, scrub(err)
		}
	}
	return e
}
