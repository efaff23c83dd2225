package chain

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/ethereum/go-ethereum/common"
)

// Kind says what went wrong with a chain read.
type Kind string

// Kinds of chain errors, as the reports name them.
const (
	RPCDown    Kind = "rpc-down"    // nothing answers, or not with HTTP 200
	Timeout    Kind = "timeout"     // no answer within the timeout
	WrongChain Kind = "wrong-chain" // eth_chainId is not the network's
	NoCode     Kind = "no-code"     // the address holds no contract
	Revert     Kind = "revert"      // the call reverted
	Malformed  Kind = "malformed"   // the return data does not decode as declared, or the answer is not JSON-RPC
	BadArgs    Kind = "bad-args"    // the arguments do not encode as declared
	RPC        Kind = "rpc"         // any other JSON-RPC error
	// RateLimited: the endpoint answered HTTP 429 to every attempt the
	// retry policy allows; it is up, so this is not rpc-down, and the fix
	// (a plan, a key, fewer runs) is not the same.
	RateLimited Kind = "rate-limited"
	// Cancelled: the run was cancelled (SIGTERM, a cancelled workflow)
	// before the node answered; blaming a timeout would send the reader
	// after a slow node that never was.
	Cancelled Kind = "cancelled"
	// Reorg: the node no longer serves the pinned block as canonical (a
	// new block took its height mid-run). Reading on by number would mix
	// two chain states in one report, so the read fails instead.
	Reorg Kind = "reorg"
)

// Error is a failed chain read. Its message names the call and the address
// but never the endpoint.
type Error struct {
	Kind Kind
	Call string         // the method signature or JSON-RPC method, if any
	Addr common.Address // zero for calls not aimed at a contract
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Call != "" {
		b.WriteString(e.Call)
		if e.Addr != (common.Address{}) && e.Kind != NoCode {
			b.WriteString(" on " + e.Addr.Hex())
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	fmt.Fprintf(&b, " [%s]", e.Kind)
	return b.String()
}

// KindOf is the Kind of err, or "" when it is not a chain error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isTransport(err error) bool {
	var oe *net.OpError
	var ue *url.Error
	return errors.As(err, &oe) || errors.As(err, &ue) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

// scrub is err's text without any URL: net/http's *url.Error prints the
// request URL, which may carry a key or a password.
func scrub(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// isRevert tells a revert from other errors with data: geth, anvil and
// Erigon answer code 3, Hardhat and older nodes say "revert" in the message,
// older Nethermind only in `data` ("Reverted 0x…", or "err: 0x… (supplied
// gas …)" under "VM execution error."), and Hardhat 2 may put the revert
// data in a `data` object under a generic message.
func isRevert(re *rpcError) bool {
	if re.Code == 3 {
		return true
	}
	if strings.Contains(strings.ToLower(re.Error()), "revert") {
		return true
	}
	switch d := re.Data.(type) {
	case string:
		return strings.Contains(strings.ToLower(d), "revert") || hexAfter.MatchString(d)
	case map[string]any:
		_, ok := dataOf(d)
		return ok
	}
	return false
}
