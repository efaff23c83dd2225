package mission

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

const schemaFile = "../../schema/mission.schema.json"

// leadMissions are the mission files that ship with the action, written
// elsewhere in the tree. They are globbed so that the test runs for the ones
// that exist.
var leadMissions = []string{"../../testdata/example/helios.yml", "default.yml"}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", schemaFile, err)
	}
	c := jsonschema.NewCompiler()
	const url = "https://github.com/helios-action/helios-action/schema/mission.schema.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatalf("compile %s: %v", schemaFile, err)
	}
	return sch
}

// yamlToJSON converts a YAML mission to the JSON value an editor's schema
// validator sees. Scalars are decoded by yaml.v3 (so 1.10 is a number and
// yes a string, as in the parser), but mappings are built here rather than
// by decoding into any: yaml.v3 refuses a mapping with a repeated key, while
// a JSON consumer keeps the last one. That is what shows that the schema
// cannot see repeated keys and the parser must.
func yamlToJSON(src []byte) (any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("not a single YAML document (%v)", err)
	}
	v, err := nodeToJSON(&doc, map[*yaml.Node]bool{})
	if err != nil {
		return nil, err
	}
	// A round trip through encoding/json gives the validator the types it
	// expects (json.Number, map[string]any) and fails on values JSON cannot
	// hold, such as .nan.
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}

// nodeToJSON converts n; active holds the alias targets being converted, as
// yaml.v3 lets an anchor's value contain an alias to itself.
func nodeToJSON(n *yaml.Node, active map[*yaml.Node]bool) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, errors.New("empty document")
		}
		return nodeToJSON(n.Content[0], active)
	case yaml.AliasNode:
		if active[n.Alias] {
			return nil, fmt.Errorf("line %d: alias *%s refers to its own anchor", n.Line, n.Value)
		}
		active[n.Alias] = true
		defer delete(active, n.Alias)
		return nodeToJSON(n.Alias, active)
	case yaml.SequenceNode:
		out := []any{}
		for _, c := range n.Content {
			v, err := nodeToJSON(c, active)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := map[string]any{}
		var merges []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.AliasNode {
				k = k.Alias
			}
			if k.ShortTag() == "!!merge" {
				merges = append(merges, n.Content[i+1])
				continue
			}
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: key is not a scalar", k.Line)
			}
			v, err := nodeToJSON(n.Content[i+1], active)
			if err != nil {
				return nil, err
			}
			out[k.Value] = v
		}
		// Merged keys never override the mapping's own, and an earlier
		// merged mapping wins over a later one.
		explicit := make(map[string]bool, len(out))
		for k := range out {
			explicit[k] = true
		}
		for _, m := range merges {
			sources := []*yaml.Node{m}
			if m.Kind == yaml.SequenceNode {
				sources = m.Content
			}
			for _, s := range sources {
				v, err := nodeToJSON(s, active)
				if err != nil {
					return nil, err
				}
				obj, ok := v.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("line %d: merge of a non-mapping", s.Line)
				}
				for k, v := range obj {
					if _, set := out[k]; !set && !explicit[k] {
						out[k] = v
					}
				}
			}
		}
		return out, nil
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, err
		}
		return v, nil
	}
	return nil, fmt.Errorf("line %d: unexpected node kind %d", n.Line, n.Kind)
}

// TestSchemaFixtures checks the schema against every fixture: valid ones and
// invalid/semantic ones (which only the parser can reject) must pass it,
// invalid/schema ones must fail it (TestInvalidFixtures checks that the
// parser rejects them too), and invalid/syntax ones must not even convert.
func TestSchemaFixtures(t *testing.T) {
	sch := compileSchema(t)
	tests := []struct {
		dir        string
		wantErr    bool
		wantNoJSON bool
	}{
		{dir: "valid"},
		{dir: "invalid/semantic"},
		{dir: "invalid/schema", wantErr: true},
		{dir: "invalid/syntax", wantNoJSON: true},
	}
	for _, tt := range tests {
		for _, file := range fixtures(t, tt.dir) {
			t.Run(tt.dir+"/"+filepath.Base(file), func(t *testing.T) {
				src, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				inst, err := yamlToJSON(src)
				if tt.wantNoJSON {
					if err == nil {
						t.Fatalf("converted to JSON, want a YAML error: %v", inst)
					}
					return
				}
				if err != nil {
					t.Fatalf("YAML to JSON: %v", err)
				}
				err = sch.Validate(inst)
				switch {
				case tt.wantErr && err == nil:
					t.Errorf("schema accepts it, want a violation")
				case !tt.wantErr && err != nil:
					t.Errorf("schema rejects it:\n%v", err)
				case err != nil:
					t.Logf("schema: %v", err)
				}
			})
		}
	}
}

// TestShippedMissions checks the missions that ship with the action against
// both the schema and the parser. Their built-ins are whatever they use: the
// registry is checked by the engine's own tests.
func TestShippedMissions(t *testing.T) {
	sch := compileSchema(t)
	found := 0
	for _, pattern := range leadMissions {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			found++
			t.Run(filepath.Base(file), func(t *testing.T) {
				src, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				inst, err := yamlToJSON(src)
				if err != nil {
					t.Fatalf("YAML to JSON: %v", err)
				}
				if err := sch.Validate(inst); err != nil {
					t.Errorf("schema rejects it:\n%v", err)
				}
				if _, err := Parse(file, src, Options{Builtins: usesNames(inst)}); err != nil {
					t.Errorf("Parse:\n%v", err)
				}
			})
		}
	}
	if found == 0 {
		t.Skip("no shipped missions yet")
	}
}

// usesNames lists the "uses" values of a mission's steps.
func usesNames(inst any) []string {
	var names []string
	phases, _ := inst.(map[string]any)["phases"].(map[string]any)
	for _, ph := range phases {
		steps, _ := ph.(map[string]any)["steps"].([]any)
		for _, s := range steps {
			if u, ok := s.(map[string]any)["uses"].(string); ok {
				names = append(names, u)
			}
		}
	}
	sort.Strings(names)
	return names
}

// TestSchemaPatterns keeps the schema's name patterns identical to the
// parser's, so that an editor and helios agree on what a valid name is.
func TestSchemaPatterns(t *testing.T) {
	raw, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Properties struct {
			Network struct{ Pattern string }
			Shards  struct {
				Properties struct {
					Matrix struct {
						PropertyNames struct{ Pattern string }
					}
				}
			}
		}
		Defs struct {
			Name    struct{ Pattern string }
			EnvName struct{ Pattern string }
			Step    struct {
				Properties struct {
					Uses struct{ Pattern string }
				}
			}
		} `json:"$defs"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, schema, parser string
	}{
		{"phase and step names", s.Defs.Name.Pattern, nameRE.String()},
		{"env names", s.Defs.EnvName.Pattern, envNameRE.String()},
		{"uses", s.Defs.Step.Properties.Uses.Pattern, usesRE.String()},
		{"network", s.Properties.Network.Pattern, networkRE.String()},
		{"shard axes", s.Properties.Shards.Properties.Matrix.PropertyNames.Pattern, axisRE.String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.schema != tt.parser {
				t.Errorf("schema pattern %q, parser pattern %q", tt.schema, tt.parser)
			}
		})
	}
}

// TestSchemaDescriptions makes sure that every property in the schema says
// what it is for: editors show the description on hover and completion.
func TestSchemaDescriptions(t *testing.T) {
	raw, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		obj, ok := v.(map[string]any)
		if !ok {
			return
		}
		if props, ok := obj["properties"].(map[string]any); ok {
			for name, p := range props {
				po, _ := p.(map[string]any)
				if _, ok := po["description"]; !ok {
					t.Errorf("%s/properties/%s has no description", path, name)
				}
			}
		}
		for k, c := range obj {
			walk(path+"/"+k, c)
		}
	}
	walk("#", doc)
}

// TestValueForms lists the forms "timeout" and "shell" take and checks that
// the parser and the schema (what an editor shows) agree on each, and that
// the parser reads each as documented. parserOnly marks what the schema
// cannot see: there the schema accepts and the parser refuses.
func TestValueForms(t *testing.T) {
	sch := compileSchema(t)
	tests := []struct {
		name, key, value string
		// want is what the parser makes of the value: the duration
		// (timeout) or the command (shell); "" when it refuses it, with
		// wantErr in its message.
		want, wantErr string
		parserOnly    bool
	}{
		// Durations: Go's, positive, with a unit.
		{name: "seconds", key: "timeout", value: "90s", want: "1m30s"},
		{name: "minutes", key: "timeout", value: "10m", want: "10m0s"},
		{name: "hours and minutes", key: "timeout", value: "1h30m", want: "1h30m0s"},
		{name: "fraction", key: "timeout", value: "1.5h", want: "1h30m0s"},
		{name: "leading point", key: "timeout", value: ".5h", want: "30m0s"},
		{name: "milliseconds", key: "timeout", value: "500ms", want: "500ms"},
		{name: "microseconds", key: "timeout", value: "250us", want: "250µs"},
		{name: "micro sign", key: "timeout", value: "250µs", want: "250µs"},
		{name: "plus sign", key: "timeout", value: "+5m", want: "5m0s"},
		{name: "quoted", key: "timeout", value: `"5m"`, want: "5m0s"},
		{name: "a number", key: "timeout", value: "90", wantErr: `got the number 90; add a unit`},
		{name: "a float", key: "timeout", value: "1.5", wantErr: `got the number 1.5; add a unit`},
		{name: "a word", key: "timeout", value: "ten", wantErr: `got "ten"`},
		{name: "days", key: "timeout", value: "1d", wantErr: `there is no unit "d": use "24h" for a day`},
		{name: "upper-case unit", key: "timeout", value: "5M", wantErr: `got "5M"`},
		{name: "space inside", key: "timeout", value: `"5 m"`, wantErr: `got "5 m"`},
		{name: "clock time", key: "timeout", value: "1:30", wantErr: `got "1:30"`},
		{name: "zero", key: "timeout", value: "0s", wantErr: `must be positive`},
		{name: "bare zero", key: "timeout", value: `"0"`, wantErr: `must be positive`},
		{name: "negative", key: "timeout", value: "-5m", wantErr: `must be positive`},
		{name: "boolean", key: "timeout", value: "true", wantErr: `got boolean`},
		{name: "null", key: "timeout", value: "~", wantErr: `got null`},
		{name: "overflow", key: "timeout", value: "9999999999h", wantErr: `got "9999999999h"`, parserOnly: true},
		{name: "under a nanosecond", key: "timeout", value: "0.5ns", wantErr: `must be positive`, parserOnly: true},
		{name: "Actions' timeout-minutes", key: "timeout-minutes", value: "30", wantErr: `unknown key "timeout-minutes" in step (did you mean "timeout: 30m"?)`},
		{name: "timeout-minutes not a number", key: "timeout-minutes", value: "soon", wantErr: `unknown key "timeout-minutes" in step (did you mean "timeout"?)`},

		// Shells: GitHub Actions' names on Linux, or a command with {0}.
		{name: "bash", key: "shell", value: "bash", want: "bash --noprofile --norc -eo pipefail {0}"},
		{name: "sh", key: "shell", value: "sh", want: "sh -e {0}"},
		{name: "python", key: "shell", value: "python", want: "python {0}"},
		{name: "custom", key: "shell", value: "perl {0}", want: "perl {0}"},
		{name: "custom with options", key: "shell", value: "bash -x -e {0}", want: "bash -x -e {0}"},
		{name: "custom inside a word", key: "shell", value: "sh -e --file={0}", want: "sh -e --file={0}"},
		{name: "custom spaced", key: "shell", value: `"  sh \t -eu {0} "`, want: "sh -eu {0}"},
		{name: "not an ASCII space", key: "shell", value: "\"sh\u00a0{0}\"", wantErr: `must start with the command`},
		{name: "typo", key: "shell", value: "bsh", wantErr: `got "bsh" (did you mean "bash"?)`},
		{name: "Windows shell", key: "shell", value: "pwsh", wantErr: `got "pwsh"`},
		{name: "capitalised", key: "shell", value: "Bash", wantErr: `got "Bash" (did you mean "bash"?)`},
		{name: "command without {0}", key: "shell", value: "perl", wantErr: `got "perl"`},
		{name: "only {0}", key: "shell", value: `"{0}"`, wantErr: `must start with the command`},
		{name: "{0} as the command", key: "shell", value: "./{0} -v", wantErr: `must start with the command`},
		{name: "quotes", key: "shell", value: `sh -c ". '{0}'"`, wantErr: `takes no quotes or backslashes`},
		{name: "backslash", key: "shell", value: `sh -e \{0}`, wantErr: `takes no quotes or backslashes`},
		{name: "empty", key: "shell", value: `""`, wantErr: `must not be empty`},
		{name: "list", key: "shell", value: "[bash]", wantErr: `got list`},
	}
	for _, tt := range tests {
		t.Run(tt.key+"/"+tt.name, func(t *testing.T) {
			src := "version: 1\nphases:\n  p:\n    steps:\n      - run: x\n        " + tt.key + ": " + tt.value + "\n"
			m, err := Parse("helios.yml", []byte(src), Options{})
			switch {
			case tt.want == "" && err == nil:
				t.Errorf("parser accepts %s", tt.value)
			case tt.want == "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("parser: %v\nwant a message with %q", err, tt.wantErr)
			case tt.want != "" && err != nil:
				t.Errorf("parser refuses %s: %v", tt.value, err)
			case tt.want != "":
				s := m.Phases[0].Steps[0]
				got := s.ShellCommand()
				if tt.key == "timeout" {
					got = s.Timeout.String()
				}
				if got != tt.want {
					t.Errorf("parser reads %s as %q, want %q", tt.value, got, tt.want)
				}
			}
			inst, err := yamlToJSON([]byte(src))
			if err != nil {
				t.Fatal(err)
			}
			schemaOK := sch.Validate(inst) == nil
			if want := tt.want != "" || tt.parserOnly; schemaOK != want {
				t.Errorf("schema accepts %s: %v, want %v", tt.value, schemaOK, want)
			}
		})
	}
}
