package chain

import (
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func TestParseMethod(t *testing.T) {
	cases := []struct {
		sig      string
		in, out  int
		selector string // hex of the 4-byte selector
		err      string
	}{
		{sig: "decimals()(uint8)", out: 1, selector: "313ce567"},
		{sig: "roleShare(uint8)(uint256)", in: 1, out: 1},
		{sig: "ownerOf(uint256)(address)", in: 1, out: 1, selector: "6352211e"},
		{sig: "addr(bytes32)(address)", in: 1, out: 1, selector: "3b3b57de"},
		{sig: "balanceOf( address ) ( uint256 )", in: 1, out: 1, selector: "70a08231"},
		{sig: "paused()", out: 0, selector: "5c975abb"},
		{sig: "decimals", err: "want name(inputs)(outputs)"},
		{sig: "x()(uint7)", err: `type "uint7"`},
		{sig: "f((uint8,bool))(uint8)", err: "tuples are not supported"},
		{sig: "f()(uint8)extra", err: `unexpected "extra" at the end`},
		{sig: "f-g()(uint8)", err: "is not a function name"},
	}
	for _, c := range cases {
		t.Run(c.sig, func(t *testing.T) {
			m, err := ParseMethod(c.sig)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Inputs() != c.in || m.Outputs() != c.out {
				t.Errorf("inputs %d outputs %d", m.Inputs(), m.Outputs())
			}
			if c.selector != "" {
				if got := common.Bytes2Hex(m.method.ID); got != c.selector {
					t.Errorf("selector %s, want %s", got, c.selector)
				}
			}
		})
	}
}

func TestParseArgsAndFormat(t *testing.T) {
	m := MustMethod("f(uint8,int256,address,bool,bytes32,string)(uint256)")
	args, err := m.ParseArgs([]string{"3", "-5", "0xa11ce00000000000000000000000000000000001", "true", "0x" + strings.Repeat("ab", 32), "hi"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Pack(args...); err != nil {
		t.Fatalf("pack: %v", err)
	}
	for _, bad := range [][]string{
		{"256", "0", "0x0000000000000000000000000000000000000000", "true", "0x" + strings.Repeat("00", 32), ""},
		{"1", "x", "0x0000000000000000000000000000000000000000", "true", "0x" + strings.Repeat("00", 32), ""},
		{"1", "0", "0x00", "true", "0x" + strings.Repeat("00", 32), ""},
		{"1", "0", "0x0000000000000000000000000000000000000000", "true", "0x00", ""},
		{"1"},
	} {
		if _, err := m.ParseArgs(bad); err == nil {
			t.Errorf("ParseArgs(%q) accepted", bad)
		}
	}
	for _, c := range []struct {
		v    any
		want string
	}{
		{big.NewInt(-2), "-2"}, {uint8(18), "18"}, {true, "true"}, {"AGI", "AGI"},
		{common.HexToAddress("0xa61a3b3a130a9c20768eebf97e21515a6046a1fa"), "0xA61a3B3a130a9c20768EEBF97E21515A6046a1fA"},
		{[4]byte{1, 2, 3, 4}, "0x01020304"}, {[]byte{0xc0}, "0xc0"},
	} {
		if got := Format(c.v); got != c.want {
			t.Errorf("Format(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

func TestUnpackMalformed(t *testing.T) {
	m := MustMethod("symbol()(string)")
	for name, data := range map[string][]byte{
		"empty":      nil,
		"short":      {0xc0, 0xff, 0xee},
		"bad offset": append(make([]byte, 31), 0xff),
	} {
		if _, err := m.Unpack(data); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

func TestExpectedChainID(t *testing.T) {
	for n, want := range map[string]uint64{"hardhat": 31337, "mainnet": 1, "Sepolia": 11155111} {
		if got, ok := ExpectedChainID(n); !ok || got != want {
			t.Errorf("%s: %d %v", n, got, ok)
		}
	}
	if _, ok := ExpectedChainID("polygon-zkevm"); ok {
		t.Error("unknown network has an id")
	}
}
