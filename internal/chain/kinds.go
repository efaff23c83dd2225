package chain

import (
	"encoding/json"
	"errors"
	"io"
)

// Unanswered reports whether err means the endpoint will not answer the
// next read of the run either (it is down, too slow or rate-limiting, the
// run was cancelled, or the pinned block is gone), so a built-in stops early rather than pile up the same
// error for every remaining read.
func Unanswered(err error) bool {
	switch KindOf(err) {
	case Timeout, RPCDown, RateLimited, Cancelled, Reorg:
		return true
	}
	return false
}

// notJSONRPC reports whether err is the client failing to decode an HTTP
// 200 answer: a truncated or empty body, or one that is not JSON of the
// JSON-RPC shape, or longer than helios reads.
func notJSONRPC(err error) bool {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	return errors.As(err, &se) || errors.As(err, &te) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, errTooLarge)
}
