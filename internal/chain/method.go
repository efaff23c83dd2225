package chain

import (
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// Method is a view function given by a human-readable signature such as
// "decimals()(uint8)" or "roleShare(uint8)(uint256)": the name, the input
// types and the output types. Tuples are not supported.
type Method struct {
	Sig    string
	method abi.Method
}

// ParseMethod parses "name(inputs)(outputs)". The outputs may be left out
// for a call whose return is ignored, but checks always declare them.
func ParseMethod(sig string) (*Method, error) {
	s := strings.ReplaceAll(sig, " ", "")
	open := strings.IndexByte(s, '(')
	if open <= 0 {
		return nil, fmt.Errorf("signature %q: want name(inputs)(outputs), such as decimals()(uint8)", sig)
	}
	name := s[:open]
	for _, r := range name {
		if !(r == '_' || r == '$' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return nil, fmt.Errorf("signature %q: %q is not a function name", sig, name)
		}
	}
	rest := s[open:]
	in, rest, err := typeList(rest)
	if err != nil {
		return nil, fmt.Errorf("signature %q: %w", sig, err)
	}
	var out abi.Arguments
	if rest != "" {
		out, rest, err = typeList(rest)
		if err != nil {
			return nil, fmt.Errorf("signature %q: %w", sig, err)
		}
	}
	if rest != "" {
		return nil, fmt.Errorf("signature %q: unexpected %q at the end", sig, rest)
	}
	m := abi.NewMethod(name, name, abi.Function, "view", false, false, in, out)
	return &Method{Sig: sig, method: m}, nil
}

// MustMethod is ParseMethod for signatures written in the source.
func MustMethod(sig string) *Method {
	m, err := ParseMethod(sig)
	if err != nil {
		panic(err)
	}
	return m
}

func typeList(s string) (abi.Arguments, string, error) {
	if !strings.HasPrefix(s, "(") {
		return nil, s, fmt.Errorf("want a parenthesised type list at %q", s)
	}
	end := strings.IndexByte(s, ')')
	if end < 0 {
		return nil, s, fmt.Errorf("unclosed parenthesis")
	}
	body, rest := s[1:end], s[end+1:]
	if strings.ContainsAny(body, "(") {
		return nil, s, fmt.Errorf("tuples are not supported")
	}
	var args abi.Arguments
	if body == "" {
		return args, rest, nil
	}
	for _, t := range strings.Split(body, ",") {
		typ, err := abi.NewType(t, "", nil)
		if err != nil {
			return nil, s, fmt.Errorf("type %q: %w", t, err)
		}
		// The abi package accepts any width; Solidity's are multiples of 8.
		if (typ.T == abi.IntTy || typ.T == abi.UintTy) && (typ.Size%8 != 0 || typ.Size == 0 || typ.Size > 256) {
			return nil, s, fmt.Errorf("type %q: integer widths are multiples of 8 up to 256", t)
		}
		args = append(args, abi.Argument{Type: typ})
	}
	return args, rest, nil
}

// Inputs and Outputs count the declared types.
func (m *Method) Inputs() int  { return len(m.method.Inputs) }
func (m *Method) Outputs() int { return len(m.method.Outputs) }

// Pack is the call data: the selector and the encoded arguments.
func (m *Method) Pack(args ...any) ([]byte, error) {
	enc, err := m.method.Inputs.Pack(args...)
	if err != nil {
		return nil, fmt.Errorf("encode arguments: %w", err)
	}
	return append(append([]byte{}, m.method.ID...), enc...), nil
}

// Unpack decodes return data; data that is too short, or holds a value the
// declared type cannot (a uint8 above 255, a string past the end) is an error.
func (m *Method) Unpack(data []byte) ([]any, error) {
	if len(m.method.Outputs) == 0 {
		return nil, nil
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("returned no data where %s was declared", m.outputs())
	}
	vals, err := m.method.Outputs.Unpack(data)
	if err != nil {
		return nil, fmt.Errorf("%d bytes returned do not decode as %s: %v", len(data), m.outputs(), err)
	}
	return vals, nil
}

func (m *Method) outputs() string {
	ts := make([]string, len(m.method.Outputs))
	for i, a := range m.method.Outputs {
		ts[i] = a.Type.String()
	}
	return "(" + strings.Join(ts, ",") + ")"
}

// ParseArgs converts arguments written as text (in a mission file) to the
// Go values the input types encode from.
func (m *Method) ParseArgs(texts []string) ([]any, error) {
	if len(texts) != len(m.method.Inputs) {
		return nil, fmt.Errorf("%s takes %d arguments, got %d", m.Sig, len(m.method.Inputs), len(texts))
	}
	out := make([]any, len(texts))
	for i, t := range texts {
		v, err := parseValue(m.method.Inputs[i].Type, t)
		if err != nil {
			return nil, fmt.Errorf("argument %d of %s: %w", i+1, m.Sig, err)
		}
		out[i] = v
	}
	return out, nil
}

func parseValue(t abi.Type, s string) (any, error) {
	switch t.T {
	case abi.IntTy, abi.UintTy:
		n, ok := new(big.Int).SetString(s, 0)
		if !ok {
			return nil, fmt.Errorf("%q is not an integer", s)
		}
		if t.Size > 64 {
			return n, nil
		}
		// Small integer types encode from Go's sized integers.
		rv := reflect.New(t.GetType()).Elem()
		if t.T == abi.UintTy {
			if n.Sign() < 0 || n.BitLen() > t.Size {
				return nil, fmt.Errorf("%s out of range for %s", s, t)
			}
			rv.SetUint(n.Uint64())
		} else {
			if !n.IsInt64() || rv.OverflowInt(n.Int64()) {
				return nil, fmt.Errorf("%s out of range for %s", s, t)
			}
			rv.SetInt(n.Int64())
		}
		return rv.Interface(), nil
	case abi.AddressTy:
		if !common.IsHexAddress(s) {
			return nil, fmt.Errorf("%q is not an address", s)
		}
		return common.HexToAddress(s), nil
	case abi.BoolTy:
		return strconv.ParseBool(s)
	case abi.StringTy:
		return s, nil
	case abi.BytesTy:
		return hexutil.Decode(s)
	case abi.FixedBytesTy:
		b, err := hexutil.Decode(s)
		if err != nil || len(b) != t.Size {
			return nil, fmt.Errorf("%q is not %d hex bytes", s, t.Size)
		}
		rv := reflect.New(t.GetType()).Elem()
		reflect.Copy(rv, reflect.ValueOf(b))
		return rv.Interface(), nil
	}
	return nil, fmt.Errorf("arguments of type %s are not supported", t)
}

// Format renders a decoded value as reports show it: integers in decimal,
// addresses checksummed, bytes in hex.
func Format(v any) string {
	switch x := v.(type) {
	case *big.Int:
		return x.String()
	case common.Address:
		return x.Hex()
	case []byte:
		return hexutil.Encode(x)
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(rv.Uint(), 10)
	case reflect.Array:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			b := make([]byte, rv.Len())
			reflect.Copy(reflect.ValueOf(b), rv)
			return hexutil.Encode(b)
		}
	}
	return fmt.Sprint(v)
}
