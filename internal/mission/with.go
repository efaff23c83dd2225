package mission

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// WithDecoder reads the `with:` block of a built-in step. It is the mission
// parser's own machinery (aliases and merge keys followed, repeated keys
// reported, every problem positioned at its node and given a Kind) applied
// to a Go value described by struct tags, so that every built-in reads its
// keys and words its problems the same way. DecodeWith is the entry point;
// a WithUnmarshaler receives the decoder to read the parts of its value.
type WithDecoder struct {
	p *parser
}

// WithUnmarshaler is a `with:` value whose shape struct tags cannot say,
// such as "one glob or a list of them" or "a string or a mapping". n is the
// value's node with aliases followed, and what is how messages name it
// ("report", "artefact"). UnmarshalWith reports problems through d and
// returns false if it found any.
type WithUnmarshaler interface {
	UnmarshalWith(d *WithDecoder, n *yaml.Node, what string) bool
}

// DecodeWith decodes with, the `with:` block of the built-in step named step
// (such as "helios/kit"), into the struct v points to. A step without a
// `with:` passes nil. Keys that are absent leave their field as it was, so v
// can hold the defaults.
//
// Fields are keys when they have a `with` tag: `with:"key"`, followed by
// any of the options required (the key must be given), nonempty (a string,
// or each string of a list, must not be "") and item=word (what messages
// call each item of a list: "unknown signer key" rather than "unknown
// signers item key"). An embedded struct tagged `with:",inline"` adds its
// keys where it stands. A field can be a string, a bool, a number, a
// pointer to one (nil when the key is absent), a list, a mapping of string
// keys, a struct of tagged fields, or a WithUnmarshaler; scalars are
// converted as yaml.v3 converts them.
//
// Problems come back as Errors in file order, each message prefixed with
// step: unknown keys (with the key a typo is probably for, else the known
// ones), values of the wrong type,
// empty strings, missing required keys and repeated keys.
func DecodeWith(file, step string, with *yaml.Node, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("mission.DecodeWith: want a pointer to a struct, got %T", v))
	}
	d := &WithDecoder{p: &parser{file: file}}
	fields := withFields(rv.Elem().Type())
	var required []string
	for _, f := range fields {
		if f.required {
			required = append(required, f.key)
		}
	}
	shape := "with must be a mapping"
	if len(required) > 0 {
		shape += " with " + andList(required)
	}
	switch n := resolve(with); {
	case n == nil && len(required) > 0:
		d.Errorf(nil, KindMissing, "%s", shape)
	case n == nil:
	case n.Kind != yaml.MappingNode:
		d.Errorf(n, KindType, "%s", shape)
	default:
		d.mapping(n, "", rv.Elem(), fields)
	}
	d.p.dedupe()
	if len(d.p.errs) == 0 {
		return nil
	}
	for _, e := range d.p.errs {
		e.Msg = step + ": " + e.Msg
	}
	return d.p.errs
}

// Errorf records a problem at n (nil when there is no node to point at).
// DecodeWith prefixes the message with the step's name.
func (d *WithDecoder) Errorf(n *yaml.Node, kind Kind, format string, args ...any) {
	d.p.errAt(n, kind, format, args...)
}

// Decode reads n into the value v points to, by the rules DecodeWith
// applies to a field without options; what names the value in messages. It
// returns false if it reported a problem.
func (d *WithDecoder) Decode(n *yaml.Node, what string, v any) bool {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		panic(fmt.Sprintf("mission: WithDecoder.Decode: want a non-nil pointer, got %T", v))
	}
	return d.value(n, what, rv.Elem(), withField{})
}

// ValueNode returns the value of key in the mapping m, following aliases
// and merge keys, or m itself when key is absent. A check that runs after
// decoding uses it to point at the value it is about.
func ValueNode(m *yaml.Node, key string) *yaml.Node {
	if r := resolve(m); r != nil && r.Kind == yaml.MappingNode {
		for _, e := range (&parser{}).entries(r, "") {
			if e.name == key {
				return e.val
			}
		}
	}
	return m
}

// withField is one key of a struct, from its tag.
type withField struct {
	key      string
	index    []int
	required bool
	nonempty bool
	item     string
}

// withFields lists the keys of struct type t in declaration order, with
// inline structs' keys in their place.
func withFields(t reflect.Type) []withField {
	var out []withField
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag, ok := sf.Tag.Lookup("with")
		if !ok {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" && opts == "inline" {
			if sf.Type.Kind() != reflect.Struct {
				panic(fmt.Sprintf("mission: with tag of %s.%s: inline needs a struct", t, sf.Name))
			}
			for _, f := range withFields(sf.Type) {
				f.index = append([]int{i}, f.index...)
				out = append(out, f)
			}
			continue
		}
		f := withField{key: name, index: []int{i}}
		for opt := range strings.SplitSeq(opts, ",") {
			switch {
			case opt == "":
			case opt == "required":
				f.required = true
			case opt == "nonempty":
				f.nonempty = true
			case strings.HasPrefix(opt, "item="):
				f.item = strings.TrimPrefix(opt, "item=")
			default:
				panic(fmt.Sprintf("mission: with tag of %s.%s: unknown option %q", t, sf.Name, opt))
			}
		}
		if name == "" {
			panic(fmt.Sprintf("mission: with tag of %s.%s names no key", t, sf.Name))
		}
		out = append(out, f)
	}
	return out
}

// mapping reads the mapping n into the struct v. what is "" for the `with:`
// block itself and names a nested mapping ("artefact") otherwise.
func (d *WithDecoder) mapping(n *yaml.Node, what string, v reflect.Value, fields []withField) {
	where := `"with"`
	if what != "" {
		where = what
	}
	seen := make(map[string]bool)
	for _, e := range d.p.entries(n, where) {
		f := lookupField(fields, e.name)
		if f == nil {
			d.unknownKey(e, what, fields)
			continue
		}
		seen[f.key] = true
		d.value(e.val, joinWhat(what, f.key), v.FieldByIndex(f.index), *f)
	}
	for _, f := range fields {
		if f.required && !seen[f.key] {
			d.Errorf(n, KindMissing, "%s is required", joinWhat(what, f.key))
		}
	}
}

func lookupField(fields []withField, key string) *withField {
	for i := range fields {
		if fields[i].key == key {
			return &fields[i]
		}
	}
	return nil
}

func (d *WithDecoder) unknownKey(e entry, what string, fields []withField) {
	known := make([]string, len(fields))
	for i, f := range fields {
		known[i] = f.key
	}
	if what != "" {
		what += " "
	}
	// A likely typo gets the one key it is probably for, as the parser's
	// own unknown keys do; anything else gets the whole list.
	if hint := suggest(e.name, known); hint != "" {
		d.Errorf(e.key, KindUnknownKey, "unknown %skey %s (did you mean %s?)", what, quote(e.name), quote(hint))
		return
	}
	d.Errorf(e.key, KindUnknownKey, "unknown %skey %s (known: %s)", what, quote(e.name), strings.Join(known, ", "))
}

// joinWhat names a key of a nested mapping with the mapping's name:
// "artefact path", or just "path" at the top.
func joinWhat(what, key string) string {
	if what == "" {
		return key
	}
	return what + " " + key
}

var unmarshalerType = reflect.TypeFor[WithUnmarshaler]()

// value reads n into v, which is addressable.
func (d *WithDecoder) value(n *yaml.Node, what string, v reflect.Value, f withField) bool {
	n = resolve(n)
	if reflect.PointerTo(v.Type()).Implements(unmarshalerType) {
		return v.Addr().Interface().(WithUnmarshaler).UnmarshalWith(d, n, what)
	}
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		if !d.value(n, what, p.Elem(), f) {
			return false
		}
		v.Set(p)
		return true
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return d.scalar(n, what, v, f)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.Errorf(n, KindType, "%s must be %s", what, phrase(v.Type()))
			return false
		}
		item := f.item
		if item == "" {
			item = what + " item"
		}
		s := reflect.MakeSlice(v.Type(), 0, len(n.Content))
		ok := true
		for _, it := range n.Content {
			ev := reflect.New(v.Type().Elem()).Elem()
			if d.value(it, item, ev, withField{nonempty: f.nonempty}) {
				s = reflect.Append(s, ev)
			} else {
				ok = false
			}
		}
		v.Set(s)
		return ok
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			panic(fmt.Sprintf("mission: with: cannot decode into %s: keys must be strings", v.Type()))
		}
		if n.Kind != yaml.MappingNode {
			d.Errorf(n, KindType, "%s must be %s", what, phrase(v.Type()))
			return false
		}
		m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		ok := true
		for _, e := range d.p.entries(n, what) {
			ev := reflect.New(v.Type().Elem()).Elem()
			if d.value(e.val, what+" "+quote(e.name), ev, withField{nonempty: f.nonempty}) {
				m.SetMapIndex(reflect.ValueOf(e.name).Convert(v.Type().Key()), ev)
			} else {
				ok = false
			}
		}
		v.Set(m)
		return ok
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.Errorf(n, KindType, "%s must be %s", what, phrase(v.Type()))
			return false
		}
		before := len(d.p.errs)
		d.mapping(n, what, v, withFields(v.Type()))
		return len(d.p.errs) == before
	}
	panic(fmt.Sprintf("mission: with: cannot decode into %s", v.Type()))
}

// scalar reads a string, bool or number the way yaml.v3 converts it (a
// number is a string's text, "yes" a bool), but not from null: an empty
// value is a mistake, not a way to say "absent".
func (d *WithDecoder) scalar(n *yaml.Node, what string, v reflect.Value, f withField) bool {
	if n.Kind != yaml.ScalarNode || isNull(n) || n.Decode(v.Addr().Interface()) != nil {
		d.Errorf(n, KindType, "%s must be %s", what, phrase(v.Type()))
		return false
	}
	if f.nonempty && v.Kind() == reflect.String && v.String() == "" {
		d.Errorf(n, KindEmpty, "%s is empty", what)
		return false
	}
	return true
}

// phrase says what a value of type t must be.
func phrase(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return phrase(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return "a list of strings"
		}
		return "a list"
	}
	return "a mapping"
}

// andList joins words as "a, b and c".
func andList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
