package chain

import (
	"context"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// maxReason bounds a decoded revert string: it comes from a contract, so
// from anyone, and ends up in a Markdown report.
const maxReason = 300

// Selectors Solidity reverts with besides custom errors
// (https://docs.soliditylang.org/en/latest/control-structures.html#panic-via-assert-and-error-via-require).
var (
	errorSelector = [4]byte{0x08, 0xc3, 0x79, 0xa0} // Error(string)
	panicSelector = [4]byte{0x4e, 0x48, 0x7b, 0x71} // Panic(uint256)
)

// panicCodes are the Panic(uint256) codes the Solidity docs list, in words.
var panicCodes = map[uint64]string{
	0x00: "generic compiler panic",
	0x01: "assert failed",
	0x11: "arithmetic overflow or underflow",
	0x12: "division or modulo by zero",
	0x21: "invalid enum value",
	0x22: "incorrectly encoded storage byte array",
	0x31: "pop on an empty array",
	0x32: "array index out of bounds",
	0x41: "too much memory allocated",
	0x51: "call to a zero-initialised internal function",
}

// Errors are custom errors known by selector, so that a revert with one of
// them names it and its arguments instead of printing a bare selector.
type Errors map[[4]byte]abi.Error

// ParseErrors reads custom-error signatures such as
// "InsufficientBalance(address,uint256)", with the same types Method takes.
func ParseErrors(sigs ...string) (Errors, error) {
	errs := Errors{}
	for _, sig := range sigs {
		s := strings.ReplaceAll(sig, " ", "")
		open := strings.IndexByte(s, '(')
		if open <= 0 {
			return nil, fmt.Errorf("error signature %q: want Name(types), such as Unauthorized(address)", sig)
		}
		in, rest, err := typeList(s[open:])
		if err != nil {
			return nil, fmt.Errorf("error signature %q: %w", sig, err)
		}
		if rest != "" {
			return nil, fmt.Errorf("error signature %q: unexpected %q at the end", sig, rest)
		}
		e := abi.NewError(s[:open], in)
		errs[[4]byte(e.ID[:4])] = e
	}
	return errs, nil
}

type errorsKey struct{}

// WithErrors is ctx carrying known custom errors for the calls made with it.
// A context value rather than a Client field, so that each step can name
// the errors of the contracts it reads while sharing one pinned client.
func WithErrors(ctx context.Context, errs Errors) context.Context {
	return context.WithValue(ctx, errorsKey{}, errs)
}

func knownErrors(ctx context.Context) Errors {
	errs, _ := ctx.Value(errorsKey{}).(Errors)
	return errs
}

// revertMessage is the text of a revert: the decoded revert data when the
// node sent any, else what its message says. It never holds the endpoint.
func revertMessage(ctx context.Context, re *rpcError) string {
	if data, ok := revertData(re); ok {
		return decodeRevert(data, knownErrors(ctx))
	}
	// No data: an older node that says only "execution reverted" or
	// "execution reverted: reason" (the reason already decoded by the node).
	msg := re.Error()
	if i := strings.Index(strings.ToLower(msg), "reverted:"); i >= 0 {
		if reason := strings.TrimSpace(msg[i+len("reverted:"):]); reason != "" {
			return "reverted: " + sanitize(reason)
		}
	}
	return "reverted (the node sent no revert data)"
}

// hexAfter finds revert data written into text: Nethermind's "Reverted 0x…"
// and "err: 0x… (supplied gas …)", Hardhat's "(return data: 0x…)". Only
// after those words: a message may hold other hex, such as addresses.
var hexAfter = regexp.MustCompile(`(?i)(?:reverted|err:|return data:)\s*(0x[0-9a-f]*)`)

// revertData finds the revert data in a node's error answer; ok is false
// when the answer carries none (which is not the same as empty data).
func revertData(re *rpcError) (data []byte, ok bool) {
	if b, ok := dataOf(re.Data); ok {
		return b, true
	}
	return hexIn(re.Error())
}

// dataOf reads an error's `data` member: geth, anvil, Erigon and newer
// Nethermind send the hex string itself; Hardhat an object whose `data` is
// the hex string; older Nethermind a text that holds it.
func dataOf(v any) ([]byte, bool) {
	switch d := v.(type) {
	case string:
		if b, err := hexutil.Decode(d); err == nil {
			return b, true
		}
		if d == "0x" {
			return []byte{}, true
		}
		return hexIn(d)
	case map[string]any:
		if b, ok := dataOf(d["data"]); ok {
			return b, true
		}
		if m, ok := d["message"].(string); ok {
			return hexIn(m)
		}
	}
	return nil, false
}

func hexIn(s string) ([]byte, bool) {
	m := hexAfter.FindStringSubmatch(s)
	if m == nil || len(m[1])%2 != 0 {
		return nil, false
	}
	b, err := hexutil.Decode(m[1])
	if err != nil {
		if m[1] == "0x" {
			return []byte{}, true
		}
		return nil, false
	}
	return b, true
}

// decodeRevert says what revert data means: an Error(string) reason, a
// Panic(uint256) code, or a custom error (named when errs declares it).
func decodeRevert(data []byte, errs Errors) string {
	if len(data) == 0 {
		return "reverted without a reason"
	}
	if len(data) < 4 {
		return fmt.Sprintf("reverted with %d bytes of revert data that are no error selector", len(data))
	}
	sel, args := [4]byte(data[:4]), data[4:]
	switch sel {
	case errorSelector:
		reason, err := abi.UnpackRevert(data)
		if err != nil {
			return fmt.Sprintf("reverted with an Error(string) that does not decode (%d bytes of arguments)", len(args))
		}
		return "reverted: " + sanitize(reason)
	case panicSelector:
		// Decoded here rather than by abi.UnpackRevert to print the code
		// itself beside its meaning.
		if len(args) != 32 {
			return fmt.Sprintf("reverted with a Panic(uint256) that does not decode (%d bytes of arguments)", len(args))
		}
		code := new(big.Int).SetBytes(args)
		what := "unknown panic code"
		if m, ok := panicCodes[code.Uint64()]; ok && code.IsUint64() {
			what = m
		}
		return fmt.Sprintf("reverted: panic 0x%02x (%s)", code, what)
	}
	if e, ok := errs[sel]; ok {
		vals, err := e.Inputs.Unpack(args)
		if err == nil {
			parts := make([]string, len(vals))
			for i, v := range vals {
				parts[i] = Format(v)
			}
			return "reverted: custom error " + sanitize(e.Name+"("+strings.Join(parts, ", ")+")")
		}
		return fmt.Sprintf("reverted: custom error %s with %d bytes of arguments that do not decode as %s", e.Name, len(args), e.Sig)
	}
	return fmt.Sprintf("reverted: custom error %s (%d bytes of arguments)", hexutil.Encode(sel[:]), len(args))
}

// sanitize makes contract-chosen text safe for one line of a report:
// invalid UTF-8 and control characters (newlines included) become spaces
// or U+FFFD, and the text is cut at maxReason bytes on a rune boundary.
func sanitize(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				r = '\uFFFD'
			}
		}
		if !unicode.IsPrint(r) {
			r = ' '
		}
		if b.Len()+utf8.RuneLen(r) > maxReason {
			return strings.TrimSpace(b.String()) + "…"
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}
