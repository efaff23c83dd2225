package chain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
)

// cannedNode answers every request with the same status and body, and
// records the request bodies and headers it got.
type cannedNode struct {
	status int
	body   string

	mu       sync.Mutex
	requests []string
	headers  []http.Header
}

func (n *cannedNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	n.mu.Lock()
	n.requests = append(n.requests, string(b))
	n.headers = append(n.headers, r.Header.Clone())
	n.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(n.status)
	io.WriteString(w, n.body)
}

// described is an error as classify sees it: its text, and the JSON-RPC
// code and data or the HTTP status it carries.
func described(err error) string {
	if err == nil {
		return "<nil>"
	}
	var (
		gre rpc.Error
		gde rpc.DataError
		ghe rpc.HTTPError
		re  *rpcError
		he  *httpStatusError
	)
	switch {
	case errors.As(err, &re):
		return fmt.Sprintf("json-rpc %d %q data %#v", re.Code, re.Error(), re.Data)
	case errors.As(err, &gre) && errors.As(err, &gde):
		return fmt.Sprintf("json-rpc %d %q data %#v", gre.ErrorCode(), gre.Error(), gde.ErrorData())
	case errors.As(err, &he):
		return fmt.Sprintf("http %d", he.StatusCode)
	case errors.As(err, &ghe):
		return fmt.Sprintf("http %d", ghe.StatusCode)
	}
	return fmt.Sprintf("%T %s", err, err)
}

// TestRPCClientAsGoEthereum: for the same answer, the client here and
// go-ethereum's rpc client (which helios used before) send the same request
// and come back with the same result or the same error, so classify and
// revert.go see what they were written and tested against.
func TestRPCClientAsGoEthereum(t *testing.T) {
	hash := "0x" + strings.Repeat("ab", 32)
	answers := []struct {
		name   string
		status int
		body   string
	}{
		{"result", 200, `{"jsonrpc":"2.0","id":1,"result":"0x7a69"}`},
		{"result of another id", 200, `{"jsonrpc":"2.0","id":99,"result":"0x1"}`},
		{"null result", 200, `{"jsonrpc":"2.0","id":1,"result":null}`},
		{"no result", 200, `{"jsonrpc":"2.0","id":1}`},
		{"result not hex", 200, `{"jsonrpc":"2.0","id":1,"result":"seven"}`},
		{"result a number", 200, `{"jsonrpc":"2.0","id":1,"result":7}`},
		{"block", 200, `{"jsonrpc":"2.0","id":1,"result":{"number":"0x10","hash":"` + hash + `","extra":[1,2]}}`},
		{"error with string data", 200, `{"jsonrpc":"2.0","id":1,"error":{"code":3,"message":"execution reverted","data":"0x08c379a0"}}`},
		{"error with object data", 200, `{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"Error: x","data":{"message":"m","data":"0x","n":1.5}}}`},
		{"error without message", 200, `{"jsonrpc":"2.0","id":1,"error":{"code":-32000}}`},
		{"error null", 200, `{"jsonrpc":"2.0","id":1,"error":null,"result":"0x1"}`},
		{"error not an object", 200, `{"jsonrpc":"2.0","id":1,"error":"boom"}`},
		{"error and result", 200, `{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"both"},"result":"0x1"}`},
		{"truncated", 200, `{"jsonrpc":"2.0","id":1,"result":"0x`},
		{"empty body", 200, ``},
		{"not JSON", 200, `<html>bad gateway</html>`},
		{"a batch", 200, `[{"jsonrpc":"2.0","id":1,"result":"0x1"}]`},
		{"trailing garbage", 200, `{"jsonrpc":"2.0","id":1,"result":"0x1"} trailing`},
		{"HTTP 400", 400, `{"jsonrpc":"2.0","id":1,"error":{"code":-32600,"message":"bad"}}`},
		{"HTTP 401", 401, `unauthorized`},
		{"HTTP 204", 204, ``},
	}
	calls := []struct {
		name   string
		method string
		params []any
		result func() any
	}{
		{"eth_chainId", "eth_chainId", nil, func() any { return new(hexutil.Big) }},
		{"eth_getBlockByNumber", "eth_getBlockByNumber", []any{"latest", false}, func() any {
			return new(struct {
				Number *hexutil.Big `json:"number"`
				Hash   *common.Hash `json:"hash"`
			})
		}},
		{"eth_call", "eth_call", []any{
			map[string]any{"from": common.Address{}, "to": &common.Address{1}, "input": hexutil.Bytes{0xde, 0xad}},
			blockHashParam{BlockHash: common.HexToHash(hash), RequireCanonical: true},
		}, func() any { return new(hexutil.Bytes) }},
	}
	for _, a := range answers {
		for _, call := range calls {
			t.Run(a.name+"/"+call.name, func(t *testing.T) {
				node := &cannedNode{status: a.status, body: a.body}
				srv := httptest.NewServer(node)
				t.Cleanup(srv.Close)
				ctx := context.Background()

				theirs, err := rpc.DialOptions(ctx, srv.URL, rpc.WithHTTPClient(&http.Client{Transport: http.DefaultTransport}))
				if err != nil {
					t.Fatal(err)
				}
				defer theirs.Close()
				theirResult := call.result()
				theirErr := theirs.CallContext(ctx, theirResult, call.method, call.params...)

				ours, err := dialHTTP(srv.URL, http.DefaultTransport)
				if err != nil {
					t.Fatal(err)
				}
				defer ours.close()
				ourResult := call.result()
				ourErr := ours.call(ctx, ourResult, call.method, call.params...)

				// The decoder names the message type: the one difference.
				d := strings.ReplaceAll(described(ourErr), "chain.rpcMessage", "rpc.jsonrpcMessage")
				if w := described(theirErr); d != w {
					t.Errorf("error\n got  %s\n want %s", d, w)
				}
				if !reflect.DeepEqual(ourResult, theirResult) {
					t.Errorf("result %+v, want %+v", ourResult, theirResult)
				}
				if len(node.requests) != 2 || node.requests[0] != node.requests[1] {
					t.Errorf("request bodies differ:\n go-ethereum %s\n here        %s", node.requests[0], node.requests[len(node.requests)-1])
				}
				if len(node.headers) == 2 && !reflect.DeepEqual(node.headers[1], node.headers[0]) {
					t.Errorf("request headers %v, want %v", node.headers[1], node.headers[0])
				}
			})
		}
	}
}

// TestRPCURLSchemes: only HTTP endpoints are taken, and a refusal never
// quotes the URL (it may hold a key).
func TestRPCURLSchemes(t *testing.T) {
	cases := []struct {
		url, want string
	}{
		{"ws://node.example/SECRETKEY", `cannot use the RPC endpoint: URL scheme "ws": want http or https [rpc-down]`},
		{"/var/run/SECRETKEY/geth.ipc", "cannot use the RPC endpoint: the URL has no scheme: want http:// or https:// [rpc-down]"},
		{"http://[::1/SECRETKEY", "cannot use the RPC endpoint: missing ']' in host [rpc-down]"},
	}
	for _, c := range cases {
		t.Run(c.url, func(t *testing.T) {
			_, err := Open(t.Context(), c.url, 0)
			if err == nil || err.Error() != c.want {
				t.Errorf("got %v\nwant %s", err, c.want)
			}
		})
	}
}
