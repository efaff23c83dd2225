package chain

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
)

// rpcClient is as much of a JSON-RPC 2.0 client as helios needs: one call
// per HTTP POST, no batches, no subscriptions. It stands in for
// go-ethereum's rpc and ethclient packages, which bring the node's block
// types (and with them KZG and BLS code) and OpenTelemetry into the binary
// for four read-only methods. It answers as go-ethereum's HTTP client does
// (the same request body, the same errors for the same answers), so the
// error kinds and the node-specific revert parsing are those the tests
// captured against it.
type rpcClient struct {
	url  string
	http *http.Client
	ids  atomic.Uint32
}

// dialHTTP checks url and makes a client that sends through rt. Nothing is
// sent yet.
func dialHTTP(rawURL string, rt http.RoundTripper) (*rpcClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "http", "https":
	case "":
		return nil, errors.New("the URL has no scheme: want http:// or https://")
	default:
		// WebSocket and IPC endpoints are left out: every node helios
		// reads serves HTTP, and the retries and bounds are HTTP's.
		return nil, fmt.Errorf("URL scheme %q: want http or https", u.Scheme)
	}
	return &rpcClient{url: rawURL, http: &http.Client{Transport: rt}}, nil
}

// close releases the idle connections.
func (c *rpcClient) close() { c.http.CloseIdleConnections() }

// rpcMessage is a JSON-RPC answer; error and result stay raw until the
// call knows which it got.
type rpcMessage struct {
	Version string          `json:"jsonrpc,omitempty"`
	ID      json.RawMessage `json:"id,omitempty"`
	Error   json.RawMessage `json:"error,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"`
}

// rpcError is a JSON-RPC error object. Data is whatever the node put there:
// a hex string (geth, anvil, Erigon), an object (Hardhat), text
// (Nethermind); revert.go reads each.
type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

func (e *rpcError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("json-rpc error %d", e.Code)
	}
	return e.Message
}

// httpStatusError is an answer other than 2xx that the retry transport
// passed on as final.
type httpStatusError struct {
	Status     string
	StatusCode int
}

func (e *httpStatusError) Error() string { return e.Status }

// errNoResult is an answer with neither a result nor an error.
var errNoResult = errors.New("JSON-RPC response has no result")

// call sends method(params...) and decodes the answer's result into
// result (a pointer). The error is the transport's (wrapped in a
// *url.Error by net/http), an *httpStatusError, an *rpcError, or the JSON
// decoder's; the answer's id is not checked, as go-ethereum's HTTP client
// does not either: one POST carries one call.
func (c *rpcClient) call(ctx context.Context, result any, method string, params ...any) error {
	body, err := c.request(method, params)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, io.NopCloser(bytes.NewReader(body)))
	if err != nil {
		return err
	}
	req.ContentLength = int64(len(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	// What is left is read (bounded by the transport) so that the
	// connection is reused.
	defer func() {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}()
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return &httpStatusError{Status: resp.Status, StatusCode: resp.StatusCode}
	}
	var msg rpcMessage
	if err := json.NewDecoder(resp.Body).Decode(&msg); err != nil {
		return err
	}
	switch {
	case msg.Error != nil:
		// An error member that is no error object is still an error:
		// code 0, no message.
		e := new(rpcError)
		json.Unmarshal(msg.Error, e)
		return e
	case len(msg.Result) == 0:
		return errNoResult
	}
	return json.Unmarshal(msg.Result, result)
}

// request is the body of one call, spelled as go-ethereum spells it:
// no "params" member when there are none.
func (c *rpcClient) request(method string, params []any) ([]byte, error) {
	m, err := json.Marshal(method)
	if err != nil {
		return nil, err
	}
	b := []byte(`{"jsonrpc":"2.0","id":`)
	b = strconv.AppendUint(b, uint64(c.ids.Add(1)), 10)
	b = append(append(b, `,"method":`...), m...)
	if params != nil {
		p, err := json.Marshal(params)
		if err != nil {
			return nil, err
		}
		b = append(append(b, `,"params":`...), p...)
	}
	return append(b, '}'), nil
}
