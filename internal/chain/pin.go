package chain

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// blockHashParam is the EIP-1898 block parameter. It is spelled out because
// go-ethereum's rpc.BlockNumberOrHash marshals to the bare hash, dropping
// requireCanonical, and ethclient's …AtHash calls send it as false: a node
// would then still answer from the pinned block after a reorg left it on a
// side chain.
type blockHashParam struct {
	BlockHash        common.Hash `json:"blockHash"`
	RequireCanonical bool        `json:"requireCanonical"`
}

// invalidParams is JSON-RPC's "Invalid params" code, which geth, Hardhat
// and anvil answer for a block parameter they cannot parse.
const invalidParams = -32602

// pinned makes the read method(args..., block) at the pinned block into
// result; call and addr name it in errors. The block is the pinned hash
// (EIP-1898, requireCanonical), or its number once the node has turned
// hashes down.
//
// The fallback is conservative: only the run's first hash-pinned read may
// trigger it, only on an "Invalid params" error, and only if the same read
// by number does not fail the same way, so a revert or a node error is
// never mistaken for a node without EIP-1898.
func (c *Client) pinned(ctx context.Context, result any, call string, addr common.Address, method string, args ...any) error {
	if c.mode.Load() == pinByNumber {
		return c.read(ctx, result, call, addr, method, args, hexutil.EncodeBig(c.block))
	}
	raw, err := c.readRaw(ctx, result, call, addr, method, args, blockHashParam{BlockHash: c.pin.Hash, RequireCanonical: true})
	if err == nil {
		c.mode.CompareAndSwap(pinUnknown, pinByHash)
		return nil
	}
	// Only a plain JSON-RPC error (not a revert, a timeout or a dead
	// endpoint) can mean a vanished block or a refused parameter.
	if KindOf(err) != RPC {
		return err
	}
	if replaced(raw) {
		return &Error{Kind: Reorg, Call: call, Addr: addr, Msg: fmt.Sprintf("block %d (%s) was replaced during the run", c.pin.Number, c.pin.Hash.Hex())}
	}
	if c.mode.Load() != pinUnknown || !isInvalidParams(raw) {
		return err
	}
	rawN, errN := c.readRaw(ctx, result, call, addr, method, args, hexutil.EncodeBig(c.block))
	if errN != nil && isInvalidParams(rawN) {
		// The call itself is what the node rejects, not the block hash.
		return err
	}
	c.mode.CompareAndSwap(pinUnknown, pinByNumber)
	return errN
}

// read is readRaw without the raw error.
func (c *Client) read(ctx context.Context, result any, call string, addr common.Address, method string, args []any, block any) error {
	_, err := c.readRaw(ctx, result, call, addr, method, args, block)
	return err
}

// readRaw makes one request bounded by the client's timeout and returns
// both the transport's error and its classified *Error.
func (c *Client) readRaw(ctx context.Context, result any, call string, addr common.Address, method string, args []any, block any) (raw, err error) {
	cctx, cancel := c.callContext(ctx)
	defer cancel()
	params := append(append(make([]any, 0, len(args)+1), args...), block)
	if raw = c.rpc.call(cctx, result, method, params...); raw != nil {
		return raw, c.classify(cctx, call, addr, raw)
	}
	return nil, nil
}

func isInvalidParams(err error) bool {
	var re *rpcError
	return errors.As(err, &re) && re.Code == invalidParams
}

// replacedWords are how nodes say a block hash names no canonical block:
// geth "header for hash not found" and "hash 0x… is not currently
// canonical", Erigon and providers "header not found" / "block not found",
// anvil "block not found" / "unknown block", Hardhat "Received invalid
// block hash".
var replacedWords = []string{"header not found", "header for hash not found", "block not found", "unknown block", "not currently canonical", "not canonical", "invalid block hash"}

func replaced(err error) bool {
	var re *rpcError
	if !errors.As(err, &re) {
		return false
	}
	msg := strings.ToLower(re.Error())
	for _, w := range replacedWords {
		if strings.Contains(msg, w) {
			return true
		}
	}
	return false
}
