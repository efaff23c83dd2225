package devchain

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/common/math"
	"github.com/ethereum/go-ethereum/crypto"
)

// fixturesJSON is testdata/contracts/build/fixtures.json, copied here by
// testdata/contracts/generate.sh (embed cannot reach outside the package).
//
//go:embed fixtures.json
var fixturesJSON []byte

type fixture struct {
	ABI     json.RawMessage `json:"abi"`
	Runtime string          `json:"runtime"`
	Storage []struct {
		Label  string `json:"label"`
		Slot   string `json:"slot"`
		Offset int    `json:"offset"`
	} `json:"storage"`
}

type fixtures struct {
	Compiler  string             `json:"compiler"`
	Contracts map[string]fixture `json:"contracts"`
}

func loadFixtures() (*fixtures, error) {
	var f fixtures
	if err := json.Unmarshal(fixturesJSON, &f); err != nil {
		return nil, fmt.Errorf("fixtures.json: %w", err)
	}
	return &f, nil
}

// contract builds one account's code and storage, finding each variable's
// slot in the compiler's storage layout rather than assuming it.
type contract struct {
	name    string
	fx      fixture
	storage map[common.Hash]common.Hash
	err     error
}

func (f *fixtures) contract(name string) *contract {
	fx, ok := f.Contracts[name]
	c := &contract{name: name, fx: fx, storage: map[common.Hash]common.Hash{}}
	if !ok {
		c.err = fmt.Errorf("fixtures.json has no contract %s", name)
	}
	return c
}

func (c *contract) code() []byte {
	b, err := hexutil.Decode(c.fx.Runtime)
	if err != nil && c.err == nil {
		c.err = fmt.Errorf("%s runtime: %w", c.name, err)
	}
	return b
}

func (c *contract) slot(label string) *big.Int {
	for _, s := range c.fx.Storage {
		if s.Label == label {
			if s.Offset != 0 && c.err == nil {
				c.err = fmt.Errorf("%s.%s is packed at offset %d; the dev chain writes whole slots", c.name, label, s.Offset)
			}
			n, err := strconv.ParseUint(s.Slot, 10, 64)
			if err != nil && c.err == nil {
				c.err = fmt.Errorf("%s.%s slot %q: %w", c.name, label, s.Slot, err)
			}
			return new(big.Int).SetUint64(n)
		}
	}
	if c.err == nil {
		c.err = fmt.Errorf("%s has no state variable %s", c.name, label)
	}
	return new(big.Int)
}

// word is a value's 32-byte storage word; negative integers are two's
// complement, as the EVM stores int256.
func word(v *big.Int) common.Hash {
	return common.BytesToHash(math.U256Bytes(new(big.Int).Set(v)))
}

func (c *contract) setInt(label string, v *big.Int) {
	c.storage[common.BigToHash(c.slot(label))] = word(v)
}

func (c *contract) setAddress(label string, a common.Address) {
	c.storage[common.BigToHash(c.slot(label))] = common.BytesToHash(a.Bytes())
}

func (c *contract) setBool(label string, b bool) {
	if b {
		c.setInt(label, big.NewInt(1))
	}
}

// setString stores a short string (up to 31 bytes) inline, as Solidity
// does: the bytes left-aligned and twice the length in the last byte.
func (c *contract) setString(label, s string) {
	if len(s) > 31 {
		if c.err == nil {
			c.err = fmt.Errorf("%s.%s: %q is longer than the 31 bytes the dev chain stores inline", c.name, label, s)
		}
		return
	}
	var w common.Hash
	copy(w[:], s)
	w[31] = byte(2 * len(s))
	c.storage[common.BigToHash(c.slot(label))] = w
}

// mapKey is the slot of m[key] for a mapping at slot: keccak256(key . slot).
func (c *contract) mapKey(label string, key common.Hash) common.Hash {
	s := common.BigToHash(c.slot(label))
	return crypto.Keccak256Hash(key[:], s[:])
}

func (c *contract) setMapInt(label string, key common.Hash, v *big.Int) {
	c.storage[c.mapKey(label, key)] = word(v)
}

func (c *contract) setMapAddress(label string, key common.Hash, a common.Address) {
	c.storage[c.mapKey(label, key)] = common.BytesToHash(a.Bytes())
}
