package chain_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/helios-action/helios-action/internal/chain"
	"github.com/helios-action/helios-action/internal/devchain"
	"github.com/helios-action/helios-action/internal/manifest"
)

// rpcRequest is one JSON-RPC request as the proxy saw it.
type rpcRequest struct {
	ID     json.RawMessage   `json:"id"`
	Method string            `json:"method"`
	Params []json.RawMessage `json:"params"`
}

// block is the request's block parameter (the last one) for the pinned
// reads, "" for other methods.
func (r rpcRequest) block() string {
	if (r.Method != "eth_call" && r.Method != "eth_getCode") || len(r.Params) == 0 {
		return ""
	}
	return string(r.Params[len(r.Params)-1])
}

// pinProxy sits in front of the dev chain on loopback, records every
// request, and answers with fault's JSON-RPC error object where it says so.
type pinProxy struct {
	target string // the dev chain
	url    string // the proxy's
	fault  func(rpcRequest) string

	mu   sync.Mutex
	seen []rpcRequest
}

func (p *pinProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req rpcRequest
	if err := json.Unmarshal(body, &req); err == nil {
		p.mu.Lock()
		p.seen = append(p.seen, req)
		p.mu.Unlock()
		if p.fault != nil {
			if e := p.fault(req); e != "" {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"error":%s}`, req.ID, e)
				return
			}
		}
	}
	resp, err := http.Post(p.target, "application/json", bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

func (p *pinProxy) requests() []rpcRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]rpcRequest(nil), p.seen...)
}

func startProxy(t *testing.T, target string, fault func(rpcRequest) string) *pinProxy {
	t.Helper()
	p := &pinProxy{target: target, fault: fault}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

func startDevchain(t *testing.T, chainID uint64) *devchain.Chain {
	t.Helper()
	c, err := devchain.Start(devchain.Options{Addr: "127.0.0.1:0", ChainID: chainID})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func hashParam(h common.Hash) string {
	return `{"blockHash":"` + h.Hex() + `","requireCanonical":true}`
}

var mSymbol = chain.MustMethod("symbol()(string)")

// TestRPCPinByHash: every pinned read names the block by hash; a node that
// turns hashes down is read by number (and says so); a block that leaves
// the canonical chain fails the read [reorg].
func TestRPCPinByHash(t *testing.T) {
	dc := startDevchain(t, 0)
	ctx := context.Background()
	tests := []struct {
		name     string
		fault    func(rpcRequest) string
		byNumber bool   // the run fell back to the number
		err      string // Call's error, with {n} the pinned number and {hash} its hash
	}{
		{name: "hash taken"},
		{name: "hash rejected as invalid params", byNumber: true,
			// Hardhat's and anvil's answer to a parameter they cannot parse.
			fault: func(r rpcRequest) string {
				if strings.Contains(r.block(), "blockHash") {
					return `{"code":-32602,"message":"Invalid params: invalid type: map, expected a block number or tag"}`
				}
				return ""
			}},
		{name: "call itself invalid", err: "eth_getCode on " + devchain.TokenAddress.Hex() + ": JSON-RPC error -32602: missing value for required argument 0 [rpc]",
			fault: func(r rpcRequest) string {
				if r.block() != "" {
					return `{"code":-32602,"message":"missing value for required argument 0"}`
				}
				return ""
			}},
		{name: "revert is not a fallback", err: "reverted: no [revert]",
			fault: func(r rpcRequest) string {
				if r.Method == "eth_call" {
					return `{"code":3,"message":"execution reverted: no","data":"0x08c379a0` + strings.Repeat("0", 62) + "20" + strings.Repeat("0", 62) + "02" + "6e6f" + strings.Repeat("0", 60) + `"}`
				}
				return ""
			}},
		{name: "header not found for the pinned hash", err: "symbol()(string) on " + devchain.TokenAddress.Hex() + ": block {n} ({hash}) was replaced during the run [reorg]",
			fault: func(r rpcRequest) string {
				if r.Method == "eth_call" {
					return `{"code":-32000,"message":"header for hash not found"}`
				}
				return ""
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startProxy(t, dc.URL, tt.fault)
			cl, err := chain.Open(ctx, p.url, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			pin := cl.Pin()
			_, err = cl.Call1(ctx, devchain.TokenAddress, mSymbol)
			if tt.err == "" && err != nil {
				t.Fatalf("call: %v", err)
			}
			if want := strings.NewReplacer("{n}", fmt.Sprint(pin.Number), "{hash}", pin.Hash.Hex()).Replace(tt.err); tt.err != "" && (err == nil || !strings.HasSuffix(err.Error(), want)) {
				t.Fatalf("call: %v, want …%s", err, want)
			}
			if cl.ByNumber() != tt.byNumber {
				t.Errorf("ByNumber %v, want %v", cl.ByNumber(), tt.byNumber)
			}
			// A second read: after a fallback it goes by number at once.
			cl.Call1(ctx, devchain.TokenAddress, mSymbol)
			var blocks []string
			for _, r := range p.requests() {
				if b := r.block(); b != "" {
					blocks = append(blocks, r.Method+" "+b)
				}
			}
			byHash, byNumber := "eth_getCode "+hashParam(pin.Hash), "eth_call "+`"`+hexutil.EncodeUint64(pin.Number)+`"`
			switch {
			case tt.byNumber:
				// Asked once by hash, then by number only.
				want := []string{byHash, "eth_getCode " + `"` + hexutil.EncodeUint64(pin.Number) + `"`, byNumber, byNumber}
				if strings.Join(blocks, "\n") != strings.Join(want, "\n") {
					t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(blocks, "\n"), strings.Join(want, "\n"))
				}
			default:
				for _, b := range blocks {
					if !strings.HasSuffix(b, hashParam(pin.Hash)) && !(tt.name == "call itself invalid" && strings.HasSuffix(b, `"`+hexutil.EncodeUint64(pin.Number)+`"`)) {
						t.Errorf("a pinned read not by hash: %s", b)
					}
				}
				if len(blocks) == 0 {
					t.Error("no pinned read went through the proxy")
				}
			}
		})
	}
}

// TestRPCReorgOfThePinnedBlock: a real reorg on the dev chain (a new block
// at the pinned height) fails the next read [reorg], where a read by number
// would have answered from the new block.
func TestRPCReorgOfThePinnedBlock(t *testing.T) {
	dc := startDevchain(t, 0)
	dc.Commit()
	ctx := context.Background()
	cl, err := chain.Open(ctx, dc.URL, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	pin := cl.Pin()
	if pin.Number == 0 {
		t.Fatal("pinned genesis; nothing to replace")
	}
	if _, err := dc.ReplaceHead(); err != nil {
		t.Fatal(err)
	}
	_, err = cl.Call1(ctx, devchain.TokenAddress, mSymbol)
	want := fmt.Sprintf("eth_getCode on %s: block %d (%s) was replaced during the run [reorg]", devchain.TokenAddress.Hex(), pin.Number, pin.Hash.Hex())
	if err == nil || err.Error() != want || chain.KindOf(err) != chain.Reorg {
		t.Fatalf("got %v, want %s", err, want)
	}
}

// TestRPCPinByNumberReported: the fallback reaches the reports, and the run
// still passes.
func TestRPCPinByNumberReported(t *testing.T) {
	dc := startDevchain(t, 0)
	p := startProxy(t, dc.URL, func(r rpcRequest) string {
		if strings.Contains(r.block(), "blockHash") {
			return `{"code":-32602,"message":"invalid argument 1: invalid block parameter"}`
		}
		return ""
	})
	r := runMission(t, preflight("live", ""), p.url, devchain.State{})
	if r.m.Conclusion != manifest.Success {
		t.Fatalf("conclusion %s: %s", r.m.Conclusion, r.m.Reason)
	}
	for _, rel := range []string{"chain/token.md", "chain/identity.md", "chain/pause.md", "owner/thermodynamics.md"} {
		md := r.read(t, rel)
		if !strings.Contains(md, "- Network: hardhat (chain id 31337)\n- Block: pinned by number: the node does not take EIP-1898 block hashes\n") {
			t.Errorf("%s does not say the reads went by number:\n%s", rel, md)
		}
	}
	if js := r.read(t, "chain/token.json"); !strings.Contains(js, `"pin": "pinned by number: the node does not take EIP-1898 block hashes"`) {
		t.Errorf("token.json:\n%s", js)
	}
}

// TestChainReportHeaders: every built-in's report states only what the
// step observed of the endpoint.
func TestChainReportHeaders(t *testing.T) {
	dead := func() string {
		srv := httptest.NewServer(http.NotFoundHandler())
		u := srv.URL
		srv.Close() // nothing listens there now
		return u
	}()
	tests := []struct {
		name, url, header, json string
	}{
		{"reached", startDevchain(t, 0).URL, "- Network: hardhat (chain id 31337)\n",
			`"network": "hardhat",
  "chainId": 31337,
  "reached": true,
  "servedChainId": 31337,`},
		{"wrong chain", startDevchain(t, 1).URL, "- Network: hardhat (expects chain id 31337; the endpoint serves 1)\n",
			`"network": "hardhat",
  "chainId": 31337,
  "reached": true,
  "servedChainId": 1,`},
		{"unreachable", dead, "- Network: hardhat (chain id: not reached)\n",
			`"network": "hardhat",
  "chainId": 31337,
  "reached": false,`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runMission(t, preflight("live", ""), tt.url, devchain.State{})
			for _, base := range []string{"chain/token", "chain/identity", "chain/pause", "owner/thermodynamics"} {
				if md := r.read(t, base+".md"); !strings.Contains(md, tt.header) || strings.Contains(md, "- Block:") {
					t.Errorf("%s.md, want the header %q:\n%s", base, tt.header, md)
				}
				if js := r.read(t, base+".json"); !strings.Contains(js, tt.json) {
					t.Errorf("%s.json, want\n%s\nin:\n%s", base, tt.json, js)
				}
			}
		})
	}
}
