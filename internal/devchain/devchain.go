// Package devchain is a development chain for helios' chain checks:
// go-ethereum's simulated backend with read-only fixture contracts (an
// ERC-20, ENS registry + resolver + NameWrapper, pausable modules behind a
// SystemPause, RewardEngineMB and Thermostat) at fixed addresses, served as
// HTTP JSON-RPC on loopback with Hardhat's chain id. A drill is a State
// given at start: a wrong symbol, paused modules, lost identity signers, a
// thermostat swing. It also writes the configs, in upstream's formats, that
// describe the chain as the repository expects it.
//
// The production binary must not import this package: the simulated
// backend is most of go-ethereum.
package devchain

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/params"
)

// DefaultChainID is Hardhat's, which upstream's drill defaults to.
const DefaultChainID = 31337

// Options configure a chain.
type Options struct {
	// Addr is the loopback host:port to serve on; port 0 picks a free one.
	Addr    string
	ChainID uint64 // default DefaultChainID
	State   State
}

// Chain is a running dev chain.
type Chain struct {
	backend *simulated.Backend
	// URL is the HTTP JSON-RPC endpoint.
	URL     string
	ChainID uint64
}

// Start builds the genesis for opts.State and serves it.
func Start(opts Options) (c *Chain, err error) {
	if opts.ChainID == 0 {
		opts.ChainID = DefaultChainID
	}
	alloc, err := Genesis(opts.State)
	if err != nil {
		return nil, err
	}
	host, port, err := loopback(opts.Addr)
	if err != nil {
		return nil, err
	}
	cfg := *params.AllDevChainProtocolChanges
	cfg.ChainID = new(big.Int).SetUint64(opts.ChainID)
	// NewBackend panics when the node cannot start (a port in use).
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("start the simulated backend on %s: %v", net.JoinHostPort(host, strconv.Itoa(port)), p)
		}
	}()
	b := simulated.NewBackend(alloc, func(nc *node.Config, ec *ethconfig.Config) {
		nc.HTTPHost, nc.HTTPPort = host, port
		nc.HTTPModules = []string{"eth", "net", "web3"}
		nc.HTTPVirtualHosts = []string{"localhost", host}
		nc.IPCPath = ""
		nc.AuthPort = 0
		ec.Genesis.Config = &cfg
		ec.NetworkId = opts.ChainID
	})
	return &Chain{backend: b, URL: "http://" + net.JoinHostPort(host, strconv.Itoa(port)), ChainID: opts.ChainID}, nil
}

// Close stops the node.
func (c *Chain) Close() error { return c.backend.Close() }

// loopback resolves addr to a loopback host and a concrete port.
func loopback(addr string) (string, int, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("address %q: %w", addr, err)
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return "", 0, fmt.Errorf("address %q: the dev chain serves on loopback only (127.0.0.1 or ::1)", addr)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("address %q: bad port", addr)
	}
	if port == 0 {
		// The node takes a port number, not a listener: borrow a free one.
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return "", 0, fmt.Errorf("find a free port: %w", err)
		}
		port = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	return host, port, nil
}

// Genesis is the allocation holding every fixture with state's values.
func Genesis(st State) (types.GenesisAlloc, error) {
	if err := st.Validate(); err != nil {
		return nil, err
	}
	fx, err := loadFixtures()
	if err != nil {
		return nil, err
	}
	b := Base.apply(st)
	alloc := types.GenesisAlloc{}
	var errs []string
	put := func(c *contract, at interface{ Bytes() []byte }) {
		code := c.code()
		if c.err != nil {
			errs = append(errs, c.err.Error())
			return
		}
		var a [20]byte
		copy(a[:], at.Bytes())
		alloc[a] = types.Account{Code: code, Storage: c.storage, Balance: new(big.Int)}
	}

	tok := fx.contract("Token")
	tok.setString("name", b.Token.Name)
	tok.setString("symbol", b.Token.Symbol)
	tok.setInt("decimals", big.NewInt(int64(b.Token.Decimals)))
	tok.setInt("totalSupply", b.Token.TotalSupply)
	put(tok, TokenAddress)

	reg, res, wrap := fx.contract("ENSRegistry"), fx.contract("Resolver"), fx.contract("NameWrapper")
	for _, s := range b.Signers {
		if b.lost[s.Name] {
			continue
		}
		node := namehash(s.Name)
		switch s.Via {
		case ViaNameWrapper:
			wrap.setMapAddress("ownerOf", node, s.Address)
		case ViaResolver:
			reg.setMapAddress("resolver", node, ResolverAddress)
			res.setMapAddress("addr", node, s.Address)
		}
	}
	put(reg, ENSRegistryAddress)
	put(res, ResolverAddress)
	put(wrap, NameWrapperAddress)

	sp := fx.contract("SystemPause")
	for i, g := range ModuleGetters {
		sp.setAddress(g, ModuleAddress(i))
		m := fx.contract("PausableModule")
		m.setBool("paused", b.paused[g])
		put(m, ModuleAddress(i))
	}
	put(sp, SystemPauseAddress)

	re := fx.contract("RewardEngineMB")
	re.setInt("kappa", b.Reward.Kappa)
	re.setInt("temperature", b.Reward.Temperature)
	re.setInt("maxProofs", b.Reward.MaxProofs)
	re.setAddress("thermostat", ThermostatAddress)
	re.setAddress("treasury", TreasuryAddress)
	for i := range Roles {
		k := roleKey(i)
		re.setMapInt("roleShare", k, b.Reward.RoleShareWad[i])
		re.setMapInt("mu", k, b.Reward.Mu[i])
		re.setMapInt("baselineEnergy", k, b.Reward.BaselineEnergy[i])
	}
	put(re, RewardEngineAddress)

	th := fx.contract("Thermostat")
	for _, name := range ThermostatGetters {
		th.setInt(name, b.Thermo.Values[name])
	}
	for i := range Roles {
		th.setMapInt("roleTemps", roleKey(i), b.Thermo.RoleTemps[i])
	}
	put(th, ThermostatAddress)

	put(fx.contract("Reverter"), ReverterAddress)
	put(fx.contract("Garbage"), GarbageAddress)
	if len(errs) > 0 {
		return nil, fmt.Errorf("build the genesis: %s", strings.Join(errs, "; "))
	}
	return alloc, nil
}

// Commit seals an empty block on top of the head and returns its hash.
func (c *Chain) Commit() common.Hash { return c.backend.Commit() }

// ReplaceHead reorganises the chain: a new block, sealed 1000 s later than
// its parent so its hash differs, takes the head's height and becomes
// canonical. It returns the new head's hash. The head must not be genesis.
func (c *Chain) ReplaceHead() (common.Hash, error) {
	head, err := c.backend.Client().HeaderByNumber(context.Background(), nil)
	if err != nil {
		return common.Hash{}, err
	}
	if head.Number.Sign() == 0 {
		return common.Hash{}, errors.New("cannot replace the genesis block")
	}
	if err := c.backend.Fork(head.ParentHash); err != nil {
		return common.Hash{}, fmt.Errorf("fork: %w", err)
	}
	if err := c.backend.AdjustTime(1000 * time.Second); err != nil {
		return common.Hash{}, fmt.Errorf("seal the replacement: %w", err)
	}
	now, err := c.backend.Client().HeaderByNumber(context.Background(), nil)
	if err != nil {
		return common.Hash{}, err
	}
	if now.Number.Cmp(head.Number) != 0 || now.Hash() == head.Hash() {
		return common.Hash{}, fmt.Errorf("block %d was not replaced", head.Number)
	}
	return now.Hash(), nil
}
