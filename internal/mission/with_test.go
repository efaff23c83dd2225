package mission

import (
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Common stands for the keys several built-ins share (chainstep's).
type testCommon struct {
	Timeout string `with:"timeout"`
}

type testItem struct {
	Key      string `with:"key,nonempty"`
	Optional bool   `with:"optional"`
}

// testGlobs is one string or a list of them, as helios/docs' paths.
type testGlobs []string

func (g *testGlobs) UnmarshalWith(d *WithDecoder, n *yaml.Node, what string) bool {
	if n.Kind == yaml.ScalarNode {
		var s string
		if !d.Decode(n, what, &s) {
			return false
		}
		*g = testGlobs{s}
		return true
	}
	var l []string
	if !d.Decode(n, what, &l) {
		return false
	}
	if len(l) == 0 {
		d.Errorf(n, KindEmpty, "empty list of globs")
		return false
	}
	*g = l
	return true
}

type testWith struct {
	Name       string            `with:"name,required,nonempty"`
	Count      *int              `with:"count"`
	ID         uint64            `with:"id"`
	Ratio      float64           `with:"ratio"`
	Fail       bool              `with:"fail"`
	Tags       []string          `with:"tags,nonempty"`
	Items      []testItem        `with:"items,item=thing"`
	Map        map[string]string `with:"map"`
	Globs      testGlobs         `with:"globs"`
	Ignored    string
	testCommon `with:",inline"`
}

func withNode(t *testing.T, src string) *yaml.Node {
	t.Helper()
	if src == "" {
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}

func intp(i int) *int { return &i }

func TestDecodeWith(t *testing.T) {
	const known = "(known: name, count, id, ratio, fail, tags, items, map, globs, timeout)"
	tests := []struct {
		name string
		src  string
		want testWith // the decoded value when errs is empty
		errs string   // the whole error text
		kind []Kind   // each error's kind
	}{
		{name: "minimal", src: "{name: x}", want: testWith{Name: "x", Fail: true}},
		{name: "every type", src: "{name: x, count: 3, id: 7, ratio: 0.5, fail: false, tags: [a, b], items: [{key: k, optional: true}], map: {a: b}, globs: '*.md', timeout: 5s}",
			want: testWith{Name: "x", Count: intp(3), ID: 7, Ratio: 0.5, Tags: []string{"a", "b"}, Items: []testItem{{Key: "k", Optional: true}},
				Map: map[string]string{"a": "b"}, Globs: testGlobs{"*.md"}, testCommon: testCommon{Timeout: "5s"}}},
		{name: "yaml.v3's conversions", src: "{name: 123, count: 0x10, fail: yes, tags: [1, true]}",
			want: testWith{Name: "123", Count: intp(16), Fail: true, Tags: []string{"1", "true"}}},
		{name: "aliases and merge keys", src: "{<<: {name: x, fail: false}, tags: &t [a], globs: *t}",
			want: testWith{Name: "x", Tags: []string{"a"}, Globs: testGlobs{"a"}}},
		{name: "a key written beside a merge wins", src: "{<<: {name: x}, name: y}", want: testWith{Name: "y", Fail: true}},

		{name: "absent, with a required key", errs: "helios.yml: helios/t: with must be a mapping with name", kind: []Kind{KindMissing}},
		{name: "not a mapping", src: "[a]", errs: "helios.yml:1:1: helios/t: with must be a mapping with name", kind: []Kind{KindType}},
		{name: "null", src: "~", errs: "helios.yml:1:1: helios/t: with must be a mapping with name", kind: []Kind{KindType}},
		{name: "required key absent", src: "{fail: true}", errs: "helios.yml:1:1: helios/t: name is required", kind: []Kind{KindMissing}},
		{name: "unknown key", src: "{name: x, colour: y}", errs: `helios.yml:1:11: helios/t: unknown key "colour" ` + known, kind: []Kind{KindUnknownKey}},
		{name: "unknown key, a likely typo", src: "{name: x, nme: y}", errs: `helios.yml:1:11: helios/t: unknown key "nme" (did you mean "name"?)`, kind: []Kind{KindUnknownKey}},
		{name: "unknown key, another spelling", src: "{name: x, Time_Out: y}", errs: `helios.yml:1:11: helios/t: unknown key "Time_Out" (did you mean "timeout"?)`, kind: []Kind{KindUnknownKey}},
		{name: "unknown key of an item", src: "{name: x, items: [{key: k, kye: v}]}",
			errs: `helios.yml:1:28: helios/t: unknown thing key "kye" (known: key, optional)`, kind: []Kind{KindUnknownKey}},
		{name: "unknown key of an item, a likely typo", src: "{name: x, items: [{key: k, optinal: true}]}",
			errs: `helios.yml:1:28: helios/t: unknown thing key "optinal" (did you mean "optional"?)`, kind: []Kind{KindUnknownKey}},
		{name: "repeated key", src: "name: x\nfail: true\nname: y\n",
			errs: `helios.yml:3:1: helios/t: duplicate key "name" in "with" (first at line 1)`, kind: []Kind{KindDuplicate}},
		{name: "non-string key", src: "{name: x, [a]: b}", errs: `helios.yml:1:11: helios/t: keys in "with" must be strings, got list`, kind: []Kind{KindType}},

		{name: "string from a list", src: "{name: [a]}", errs: "helios.yml:1:8: helios/t: name must be a string", kind: []Kind{KindType}},
		{name: "string from null", src: "{name: ~}", errs: "helios.yml:1:8: helios/t: name must be a string", kind: []Kind{KindType}},
		{name: "string from an empty value", src: "name:\n", errs: "helios.yml:1:6: helios/t: name must be a string", kind: []Kind{KindType}},
		{name: "empty string", src: `{name: ""}`, errs: "helios.yml:1:8: helios/t: name is empty", kind: []Kind{KindEmpty}},
		{name: "integer", src: "{name: x, count: many}", errs: "helios.yml:1:18: helios/t: count must be an integer", kind: []Kind{KindType}},
		{name: "quoted integer", src: `{name: x, count: "3"}`, errs: "helios.yml:1:18: helios/t: count must be an integer", kind: []Kind{KindType}},
		{name: "negative unsigned", src: "{name: x, id: -1}", errs: "helios.yml:1:15: helios/t: id must be a non-negative integer", kind: []Kind{KindType}},
		{name: "number", src: "{name: x, ratio: half}", errs: "helios.yml:1:18: helios/t: ratio must be a number", kind: []Kind{KindType}},
		{name: "bool", src: "{name: x, fail: maybe}", errs: "helios.yml:1:17: helios/t: fail must be true or false", kind: []Kind{KindType}},
		{name: "list of strings", src: "{name: x, tags: a}", errs: "helios.yml:1:17: helios/t: tags must be a list of strings", kind: []Kind{KindType}},
		{name: "item of a list of strings", src: "{name: x, tags: [a, [b]]}", errs: "helios.yml:1:21: helios/t: tags item must be a string", kind: []Kind{KindType}},
		{name: "empty item", src: `{name: x, tags: [a, ""]}`, errs: "helios.yml:1:21: helios/t: tags item is empty", kind: []Kind{KindEmpty}},
		{name: "list", src: "{name: x, items: {key: k}}", errs: "helios.yml:1:18: helios/t: items must be a list", kind: []Kind{KindType}},
		{name: "item of a list", src: "{name: x, items: [k]}", errs: "helios.yml:1:19: helios/t: thing must be a mapping", kind: []Kind{KindType}},
		{name: "field of an item", src: "{name: x, items: [{key: [k]}]}", errs: "helios.yml:1:25: helios/t: thing key must be a string", kind: []Kind{KindType}},
		{name: "mapping", src: "{name: x, map: [a]}", errs: "helios.yml:1:16: helios/t: map must be a mapping", kind: []Kind{KindType}},
		{name: "value of a mapping", src: "{name: x, map: {a: [b]}}", errs: `helios.yml:1:20: helios/t: map "a" must be a string`, kind: []Kind{KindType}},
		{name: "an unmarshaler's own problem", src: "{name: x, globs: []}", errs: "helios.yml:1:18: helios/t: empty list of globs", kind: []Kind{KindEmpty}},
		{name: "an unmarshaler reading through the decoder", src: "{name: x, globs: [[a]]}", errs: "helios.yml:1:19: helios/t: globs item must be a string", kind: []Kind{KindType}},

		{name: "every problem, missing keys last", src: "fail: maybe\nnam: x\ntimeout: [1]\n",
			errs: "helios.yml:1:7: helios/t: fail must be true or false\n" +
				`helios.yml:2:1: helios/t: unknown key "nam" (did you mean "name"?)` + "\n" +
				"helios.yml:3:10: helios/t: timeout must be a string\n" +
				"helios.yml:1:1: helios/t: name is required",
			kind: []Kind{KindType, KindUnknownKey, KindType, KindMissing}},
		{name: "an alias's problem once", src: "{name: x, tags: [&a [b], *a]}",
			errs: "helios.yml:1:18: helios/t: tags item must be a string", kind: []Kind{KindType}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := testWith{Fail: true} // a default the block can override
			err := DecodeWith("helios.yml", "helios/t", withNode(t, tt.src), &got)
			if tt.errs == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("decoded\n%+v\nwant\n%+v", got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q (decoded %+v)", tt.errs, got)
			}
			es, ok := err.(Errors)
			if !ok {
				t.Fatalf("error is %T, want Errors", err)
			}
			// The messages, each without the " [kind]" Error() ends in:
			// the kinds are compared on their own below.
			var msgs []string
			for _, e := range es {
				msgs = append(msgs, strings.TrimSuffix(e.Error(), " ["+string(e.Kind)+"]"))
			}
			if got := strings.Join(msgs, "\n"); got != tt.errs {
				t.Errorf("error:\n%v\nwant:\n%s", got, tt.errs)
			}
			var kinds []Kind
			for _, e := range es {
				kinds = append(kinds, e.Kind)
			}
			if !reflect.DeepEqual(kinds, tt.kind) {
				t.Errorf("kinds %q, want %q", kinds, tt.kind)
			}
		})
	}
}

// TestDecodeWithOptionalBlock: a struct without required keys accepts a
// step without `with:`, and leaves its defaults alone.
func TestDecodeWithOptionalBlock(t *testing.T) {
	v := struct {
		Report string `with:"report"`
	}{Report: "docs/docs-check"}
	if err := DecodeWith("helios.yml", "helios/t", nil, &v); err != nil || v.Report != "docs/docs-check" {
		t.Errorf("got %+v, %v", v, err)
	}
	if err := DecodeWith("helios.yml", "helios/t", withNode(t, "[a]"), &v); err == nil || err.Error() != "helios.yml:1:1: helios/t: with must be a mapping [type]" {
		t.Errorf("error %v", err)
	}
}

func TestDecodeWithBadTags(t *testing.T) {
	for name, v := range map[string]any{
		"not a pointer": struct{}{},
		"unknown option": &struct {
			A string `with:"a,requird"`
		}{},
		"no key": &struct {
			A string `with:",required"`
		}{},
		"inline non-struct": &struct {
			A string `with:",inline"`
		}{},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			DecodeWith("helios.yml", "helios/t", withNode(t, "{a: b}"), v)
		})
	}
}

func TestValueNode(t *testing.T) {
	m := withNode(t, "base: &b {x: 1}\nwith: {<<: *b, y: 2}\n")
	with := ValueNode(m, "with")
	tests := []struct {
		key  string
		line int
		col  int
	}{
		{"y", 2, 19},
		{"x", 1, 14}, // through the merge key, where the value is written
		{"z", 2, 7},  // absent: the mapping itself
	}
	for _, tt := range tests {
		n := ValueNode(with, tt.key)
		if n.Line != tt.line || n.Column != tt.col {
			t.Errorf("ValueNode(%q) at %d:%d, want %d:%d", tt.key, n.Line, n.Column, tt.line, tt.col)
		}
	}
	if n := ValueNode(nil, "x"); n != nil {
		t.Errorf("ValueNode(nil) = %v", n)
	}
}
