package chain_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/helios-action/helios-action/internal/chain"
)

// word is n as one 32-byte ABI word, in hex without 0x.
func word(n int) string {
	return strings.Repeat("0", 62) + hex.EncodeToString([]byte{byte(n)})
}

// abiString is Error(string)'s arguments for s, in hex without 0x.
func abiString(s string) string {
	b := []byte(s)
	pad := make([]byte, (32-len(b)%32)%32)
	return word(0x20) + lenWord(len(b)) + hex.EncodeToString(b) + hex.EncodeToString(pad)
}

func lenWord(n int) string {
	h := hex.EncodeToString([]byte{byte(n >> 8), byte(n)})
	return strings.Repeat("0", 64-len(h)) + h
}

func selector(sig string) string { return hex.EncodeToString(crypto.Keccak256([]byte(sig))[:4]) }

// revertNode is a JSON-RPC endpoint that serves what Open and Call need
// and answers every eth_call with the raw `error` member given, so the
// error reaching classify is the one go-ethereum's rpc client builds from
// that body.
func revertNode(t *testing.T, errBody string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			t.Errorf("request %q: %v", body, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		var answer string
		switch req.Method {
		case "eth_chainId":
			answer = `"result":"0x7a69"`
		case "eth_getBlockByNumber":
			answer = `"result":{"number":"0x10","hash":"0x` + strings.Repeat("ab", 32) + `"}`
		case "eth_getCode":
			answer = `"result":"0x6001"`
		case "eth_call":
			answer = `"error":` + errBody
		default:
			t.Errorf("unexpected method %s", req.Method)
			answer = `"error":{"code":-32601,"message":"method not found"}`
		}
		io.WriteString(w, `{"jsonrpc":"2.0","id":`+string(req.ID)+`,`+answer+`}`)
	}))
	t.Cleanup(srv.Close)
	// A key in the URL, as providers put it, to check that it never shows.
	return srv.URL + "/v2/SECRETKEY?apikey=SECRETKEY"
}

var target = common.HexToAddress("0x1000000000000000000000000000000000000001")

// callThrough makes a real chain.Client call against a node answering
// errBody, with known custom errors in ctx when errs is given.
func callThrough(t *testing.T, errBody string, errs chain.Errors) error {
	t.Helper()
	ctx := context.Background()
	if errs != nil {
		ctx = chain.WithErrors(ctx, errs)
	}
	c, err := chain.Open(ctx, revertNode(t, errBody), 5*time.Second)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer c.Close()
	_, err = c.Call(ctx, target, chain.MustMethod("f()(uint256)"))
	if err == nil {
		t.Fatal("the call succeeded")
	}
	return err
}

// TestRevertShapes: one row per node's error answer (each quoted from the
// cited source; "…" in a citation marks what the source elided and the row
// fills in), then rows for the decoding itself.
func TestRevertShapes(t *testing.T) {
	const prefix = "f()(uint256) on 0x1000000000000000000000000000000000000001: "
	debug, err := chain.ParseErrors("Debug(uint256)", "Unauthorized(address, string)")
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 150) + "\n| injected | row |\r\x1b[31m" + strings.Repeat("y", 400)
	cases := []struct {
		name string
		body string // the JSON-RPC `error` member
		errs chain.Errors
		want string // the whole error text
		kind chain.Kind
	}{
		// go-ethereum, and the execution-apis conformance test
		// tests/eth_call/call-revert-abi-error.io, as copied in
		// sei-protocol/sei-chain integration_test/evm_module/rpc_io_test/
		// testdata/eth_estimateGas/estimate-call-abi-error.io:
		// {"code":3,"message":"execution reverted: user error","data":"0x08c379a0…0a75736572206572726f72"}
		{"geth Error(string)",
			`{"code":3,"message":"execution reverted: user error","data":"0x08c379a00000000000000000000000000000000000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000000a75736572206572726f72"}`,
			nil, "reverted: user error", chain.Revert},
		// execution-apis tests/eth_call/call-revert-abi-panic.io, as copied in
		// sei-protocol/sei-chain integration_test/evm_module/rpc_io_test/
		// testdata/eth_call/call-revert-abi-panic.io.
		{"geth Panic(1)",
			`{"code":3,"message":"execution reverted: assert(false)","data":"0x4e487b710000000000000000000000000000000000000000000000000000000000000001"}`,
			nil, "reverted: panic 0x01 (assert failed)", chain.Revert},
		// Geth's answers quoted in https://github.com/NethermindEth/nethermind/issues/8813
		// (Test 1 and Test 2).
		{"geth custom error",
			`{"code":3,"data":"0xdf2d9b42","message":"execution reverted"}`,
			nil, "reverted: custom error 0xdf2d9b42 (0 bytes of arguments)", chain.Revert},
		{"geth empty revert",
			`{"code":3,"data":"0x","message":"execution reverted"}`,
			nil, "reverted without a reason", chain.Revert},

		// Hardhat 2.26.5 (`npx hardhat node`, npm hardhat@2.26), captured
		// here on 2026-12-01: eth_call to code that reverts with each payload.
		{"Hardhat 2.26.5 Error(string), captured",
			`{"code":-32603,"message":"Error: VM Exception while processing transaction: reverted with reason string 'boom'","data":{"message":"Error: VM Exception while processing transaction: reverted with reason string 'boom'","data":"0x08c379a000000000000000000000000000000000000000000000000000000000000000200000000000000000000000000000000000000000000000000000000000000004626f6f6d00000000000000000000000000000000000000000000000000000000"}}`,
			nil, "reverted: boom", chain.Revert},
		{"Hardhat 2.26.5 Panic(0x11), captured",
			`{"code":-32603,"message":"Error: VM Exception while processing transaction: reverted with panic code 0x11 (Arithmetic operation overflowed outside of an unchecked block)","data":{"message":"Error: VM Exception while processing transaction: reverted with panic code 0x11 (Arithmetic operation overflowed outside of an unchecked block)","data":"0x4e487b710000000000000000000000000000000000000000000000000000000000000011"}}`,
			nil, "reverted: panic 0x11 (arithmetic overflow or underflow)", chain.Revert},
		{"Hardhat 2.26.5 custom error, captured",
			`{"code":-32603,"message":"Error: VM Exception while processing transaction: reverted with an unrecognized custom error (return data: 0xdeadbeef)","data":{"message":"Error: VM Exception while processing transaction: reverted with an unrecognized custom error (return data: 0xdeadbeef)","data":"0xdeadbeef"}}`,
			nil, "reverted: custom error 0xdeadbeef (0 bytes of arguments)", chain.Revert},
		{"Hardhat 2.26.5 empty revert, captured",
			`{"code":-32603,"message":"Error: Transaction reverted without a reason string","data":{"message":"Error: Transaction reverted without a reason string","data":"0x"}}`,
			nil, "reverted without a reason", chain.Revert},

		// Hardhat 2: the `data` object with `message` and `data`, per
		// NomicFoundation/hardhat .changeset/healthy-guests-pump.md ("Expand
		// the `data` object … includes the `message` and `data` fields"),
		// code -32603 and the message text "Error: VM Exception while
		// processing transaction: reverted with reason string '…'" as seen in
		// Hardhat users' tests; the body as a whole is assembled from those
		// two sources, not captured from a node.
		{"hardhat Error(string)",
			`{"code":-32603,"message":"Error: VM Exception while processing transaction: reverted with reason string 'a reason'","data":{"message":"Error: VM Exception while processing transaction: reverted with reason string 'a reason'","data":"0x08c379a0` + abiString("a reason") + `"}}`,
			nil, "reverted: a reason", chain.Revert},
		// The message Hardhat printed in
		// https://github.com/NomicFoundation/hardhat/issues/8040:
		// "Error: VM Exception while processing transaction: reverted with an
		// unrecognized custom error (return data: 0xb427cbbb…)", here with the
		// data object of the changeset above.
		{"hardhat unrecognized custom error",
			`{"code":-32603,"message":"Error: VM Exception while processing transaction: reverted with an unrecognized custom error (return data: 0xb427cbbb00000000000000000000000000000000000000000000000000000000000000200000000000000000000000000000000000000000000000000000000000000000)","data":{"message":"Error: VM Exception while processing transaction: reverted with an unrecognized custom error (return data: 0xb427cbbb00000000000000000000000000000000000000000000000000000000000000200000000000000000000000000000000000000000000000000000000000000000)","data":"0xb427cbbb00000000000000000000000000000000000000000000000000000000000000200000000000000000000000000000000000000000000000000000000000000000"}}`,
			nil, "reverted: custom error 0xb427cbbb (64 bytes of arguments)", chain.Revert},
		// The same message without the data object: the data is read from
		// the text after "return data:".
		{"hardhat revert data in the message only",
			`{"code":-32603,"message":"Error: VM Exception while processing transaction: reverted with an unrecognized custom error (return data: 0xb427cbbb00000000000000000000000000000000000000000000000000000000000000200000000000000000000000000000000000000000000000000000000000000000)"}`,
			nil, "reverted: custom error 0xb427cbbb (64 bytes of arguments)", chain.Revert},
		// Hardhat 3.1.9's answer in the same issue: nothing says it reverted,
		// so helios cannot either.
		{"hardhat 3 internal error",
			`{"code":-32603,"message":"Internal error","data":{"message":"Internal error"}}`,
			nil, "JSON-RPC error -32603: Internal error", chain.RPC},

		// anvil, as https://github.com/NomicFoundation/hardhat/issues/8043
		// quotes geth's and anvil's shape: {"code":3,"message":"execution
		// reverted: custom error 0x8d6ea8be: …\u0014something went wrong\u0000…",
		// "data":"0x8d6ea8…"}; the data is filled in as the message shows
		// it, a custom error with one string argument.
		{"anvil custom error",
			`{"code":3,"message":"execution reverted: custom error 0x8d6ea8be: \u0000\u0014something went wrong\u0000","data":"0x8d6ea8be` + abiString("something went wrong") + `"}`,
			nil, "reverted: custom error 0x8d6ea8be (96 bytes of arguments)", chain.Revert},
		// Older anvil, https://github.com/foundry-rs/foundry/pull/1917:
		// code -32003, message "execution reverted: !authorized", data the hex string.
		{"anvil -32003 Error(string)",
			`{"code":-32003,"message":"execution reverted: !authorized","data":"0x08c379a00000000000000000000000000000000000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000000b21617574686f72697a6564000000000000000000000000000000000000000000"}`,
			nil, "reverted: !authorized", chain.Revert},

		// Erigon: erigontech/erigon rpc/ethapi/api.go NewRevertError answers
		// ErrorCode 3, message "execution reverted" or "execution reverted:
		// <reason>", ErrorData the hex-encoded revert data (geth's shape);
		// rpc/jsonrpc/eth_call.go only does so when the revert data is
		// non-empty.
		{"erigon Panic(0x11)",
			`{"code":3,"message":"execution reverted: arithmetic underflow or overflow","data":"0x4e487b71` + word(0x11) + `"}`,
			nil, "reverted: panic 0x11 (arithmetic overflow or underflow)", chain.Revert},
		// Empty revert data on Erigon (and BSC's fork),
		// https://github.com/node-real/bsc-erigon/issues/279:
		// {"code":-32000,"message":"execution reverted"}, no data member.
		{"erigon revert without data",
			`{"code":-32000,"message":"execution reverted"}`,
			nil, "reverted (the node sent no revert data)", chain.Revert},

		// Nethermind, https://github.com/cowprotocol/watch-tower/issues/11:
		// {"code":-32015,"message":"VM execution error.","data":"Reverted 0x7a933234"}
		{"nethermind Reverted 0x",
			`{"code":-32015,"message":"VM execution error.","data":"Reverted 0x7a933234"}`,
			nil, "reverted: custom error 0x7a933234 (0 bytes of arguments)", chain.Revert},
		// https://github.com/NethermindEth/nethermind/issues/8813 (Test 1, 2).
		{"nethermind err: 0x",
			`{"code":-32015,"data":"err: 0xdf2d9b42 (supplied gas 36000000)","message":"VM execution error."}`,
			nil, "reverted: custom error 0xdf2d9b42 (0 bytes of arguments)", chain.Revert},
		{"nethermind err: revert",
			`{"code":-32015,"data":"err: revert (supplied gas 36000000)","message":"VM execution error."}`,
			nil, "reverted (the node sent no revert data)", chain.Revert},
		// Newer Nethermind, as cast printed it in
		// https://github.com/wevm/viem/pull/4092: code -32000, "execution
		// reverted", data the hex string.
		{"nethermind -32000",
			`{"code":-32000,"message":"execution reverted","data":"0xf4f28e9900000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000018"}`,
			nil, "reverted: custom error 0xf4f28e99 (64 bytes of arguments)", chain.Revert},
		// A node's non-revert error with text data stays an RPC error.
		{"nethermind out of gas",
			`{"code":-32015,"data":"err: OutOfGas (supplied gas 21000)","message":"VM execution error."}`,
			nil, "JSON-RPC error -32015: VM execution error.", chain.RPC},

		// Decoding, on geth's shape.
		{"panic 0x11",
			`{"code":3,"message":"execution reverted","data":"0x4e487b71` + word(0x11) + `"}`,
			nil, "reverted: panic 0x11 (arithmetic overflow or underflow)", chain.Revert},
		{"panic 0x32",
			`{"code":3,"message":"execution reverted","data":"0x4e487b71` + word(0x32) + `"}`,
			nil, "reverted: panic 0x32 (array index out of bounds)", chain.Revert},
		{"unknown panic code",
			`{"code":3,"message":"execution reverted","data":"0x4e487b71` + word(0x99) + `"}`,
			nil, "reverted: panic 0x99 (unknown panic code)", chain.Revert},
		{"custom error with a known ABI",
			`{"code":3,"message":"execution reverted","data":"0x` + selector("Debug(uint256)") + word(1) + `"}`,
			debug, "reverted: custom error Debug(1)", chain.Revert},
		{"custom error with string argument and a known ABI",
			`{"code":3,"message":"execution reverted","data":"0x` + selector("Unauthorized(address,string)") + strings.Repeat("0", 24) + "00000000000000000000000000000000000000aa" + word(0x40) + lenWord(3) + hex.EncodeToString([]byte("bad")) + strings.Repeat("0", 58) + `"}`,
			debug, "reverted: custom error Unauthorized(0x00000000000000000000000000000000000000AA, bad)", chain.Revert},
		{"custom error without its ABI",
			`{"code":3,"message":"execution reverted","data":"0x` + selector("Debug(uint256)") + word(1) + `"}`,
			nil, "reverted: custom error 0x" + selector("Debug(uint256)") + " (32 bytes of arguments)", chain.Revert},
		{"known custom error with arguments that do not decode",
			`{"code":3,"message":"execution reverted","data":"0x` + selector("Debug(uint256)") + `01"}`,
			debug, "reverted: custom error Debug with 1 bytes of arguments that do not decode as Debug(uint256)", chain.Revert},
		{"garbage data",
			`{"code":3,"message":"execution reverted","data":"0x1234"}`,
			nil, "reverted with 2 bytes of revert data that are no error selector", chain.Revert},
		{"Error(string) that does not decode",
			`{"code":3,"message":"execution reverted","data":"0x08c379a0ffff"}`,
			nil, "reverted with an Error(string) that does not decode (2 bytes of arguments)", chain.Revert},
		{"not hex at all",
			`{"code":3,"message":"execution reverted: nope","data":"0xzz"}`,
			nil, "reverted: nope", chain.Revert},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := callThrough(t, c.body, c.errs)
			if got := err.Error(); got != prefix+c.want+" ["+string(c.kind)+"]" {
				t.Errorf("got  %s\nwant %s", got, prefix+c.want+" ["+string(c.kind)+"]")
			}
			if k := chain.KindOf(err); k != c.kind {
				t.Errorf("kind %q, want %q", k, c.kind)
			}
			if strings.Contains(err.Error(), "SECRETKEY") || strings.Contains(err.Error(), "127.0.0.1") {
				t.Errorf("the endpoint leaked: %s", err)
			}
		})
	}

	// A contract's reason is cut to 300 bytes, on one printable line.
	t.Run("overlong reason", func(t *testing.T) {
		err := callThrough(t, `{"code":3,"message":"execution reverted","data":"0x08c379a0`+abiString(long)+`"}`, nil)
		msg := strings.TrimPrefix(err.Error(), prefix+"reverted: ")
		msg = strings.TrimSuffix(msg, " [revert]")
		if strings.ContainsAny(msg, "\n\r\x1b") {
			t.Errorf("control characters kept: %q", msg)
		}
		if n := len(strings.TrimSuffix(msg, "…")); n > 300 || !strings.HasSuffix(msg, "…") {
			t.Errorf("reason of %d bytes, want at most 300 and marked as cut: %q", n, msg)
		}
		if !strings.HasPrefix(msg, strings.Repeat("x", 150)+" | injected | row |") {
			t.Errorf("reason mangled: %q", msg)
		}
	})
	t.Run("invalid UTF-8", func(t *testing.T) {
		err := callThrough(t, `{"code":3,"message":"execution reverted","data":"0x08c379a0`+abiString("bad \xff\xfe byte")+`"}`, nil)
		if want := prefix + "reverted: bad \uFFFD\uFFFD byte [revert]"; err.Error() != want {
			t.Errorf("got  %s\nwant %s", err, want)
		}
	})
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		sig, want string
	}{
		{"Debug(uint256)", ""},
		{"Paused()", ""},
		{"Unauthorized(address, string)", ""},
		{"(uint256)", "want Name(types)"},
		{"Bad(uint7)", "integer widths"},
		{"Bad(uint256", "unclosed parenthesis"},
		{"Bad(uint256)x", `unexpected "x"`},
	}
	for _, c := range cases {
		t.Run(c.sig, func(t *testing.T) {
			errs, err := chain.ParseErrors(c.sig)
			if c.want == "" {
				if err != nil || len(errs) != 1 {
					t.Errorf("got %v, %v", errs, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}
