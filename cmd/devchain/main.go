// Command devchain serves helios' development chain: go-ethereum's
// simulated backend with the fixture contracts, as HTTP JSON-RPC on
// loopback with Hardhat's chain id 31337. A drill is a state file:
//
//	go run ./cmd/devchain --state drill.json --config-dir /tmp/config
//
// It prints "devchain: rpc http://127.0.0.1:PORT" once it serves, and stops
// on SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/helios-action/helios-action/internal/devchain"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("devchain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8545", "loopback host:port to serve JSON-RPC on (port 0: a free one)")
	statePath := fs.String("state", "", "drill state file (JSON); default: the chain as the configs expect it")
	chainID := fs.Uint64("chain-id", devchain.DefaultChainID, "chain id (31337 is Hardhat's)")
	configDir := fs.String("config-dir", "", "write agialpha.json, identity-registry.<network>.json and thermodynamics.json here")
	network := fs.String("network", "hardhat", "network name in the identity config's file name")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var st devchain.State
	if *statePath != "" {
		var err error
		if st, err = devchain.ReadState(*statePath); err != nil {
			fmt.Fprintln(stderr, "devchain:", err)
			return 2
		}
	}
	if *configDir != "" {
		names, err := devchain.WriteConfigs(*configDir, *network, st)
		if err != nil {
			fmt.Fprintln(stderr, "devchain:", err)
			return 1
		}
		fmt.Fprintf(stdout, "devchain: wrote %v in %s\n", names, *configDir)
	}
	c, err := devchain.Start(devchain.Options{Addr: *addr, ChainID: *chainID, State: st})
	if err != nil {
		fmt.Fprintln(stderr, "devchain:", err)
		return 1
	}
	drill := st.Drill
	if drill == "" {
		drill = "none"
	}
	fmt.Fprintf(stdout, "devchain: chain id %d, drill %s\n", c.ChainID, drill)
	fmt.Fprintf(stdout, "devchain: rpc %s\n", c.URL)
	<-ctx.Done()
	if err := c.Close(); err != nil {
		fmt.Fprintln(stderr, "devchain: stop:", err)
		return 1
	}
	fmt.Fprintln(stdout, "devchain: stopped")
	return 0
}
