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
