// Package actionyml checks an action's metadata file (action.yml) the way
// the GitHub runner reads it before the action's first step. The runner
// loads action.yml through its action manifest template (action_yaml.json
// in actions/runner): `${{ }}` is evaluated only in an input's `default`,
// an output's `value`, and a container action's `runs.args` and
// `runs.env`, each with a fixed set of contexts; anywhere else, a
// description included, the whole action fails to load ("Unrecognized
// named-value", "expressions are not allowed here") and every workflow
// that uses it fails before its first step.
//
// Check also refuses what the runner would silently ignore: keys that the
// metadata syntax does not define (a misspelt `output:` loses every
// output), and ids the workflow syntax cannot name.
package actionyml

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing the runner would refuse, or silently drop, at a
// position of the file.
type Problem struct {
	Line, Col int
	Msg       string
}

func (p Problem) String() string { return fmt.Sprintf("%d:%d: %s", p.Line, p.Col, p.Msg) }

// Metadata is what a checked action.yml declares.
type Metadata struct {
	Name    string
	Inputs  []Input
	Outputs []string
	Using   string
	Image   string
	Args    []string
}

// Input is a declared input.
type Input struct {
	Name     string
	Default  string
	Required bool
}

// InputNames lists the declared inputs in file order.
func (m *Metadata) InputNames() []string {
	out := make([]string, len(m.Inputs))
	for i, in := range m.Inputs {
		out[i] = in.Name
	}
	return out
}

// The keys of GitHub's "Metadata syntax for GitHub Actions".
var (
	rootKeys   = []string{"name", "author", "description", "inputs", "outputs", "runs", "branding"}
	inputKeys  = []string{"description", "required", "default", "deprecationMessage"}
	outputKeys = []string{"description", "value"}
	dockerKeys = []string{"using", "image", "env", "args", "entrypoint", "pre-entrypoint", "post-entrypoint", "pre-if", "post-if"}
	brandKeys  = []string{"icon", "color"}
	colors     = []string{"white", "black", "yellow", "blue", "green", "orange", "red", "purple", "gray-dark"}
)

// Contexts the runner's template allows where it evaluates expressions
// (action_yaml.json: input-default-context, output-value,
// container-runs-context, container-runs-env). hashFiles is listed there
// as a function; the other built-in functions are allowed everywhere an
// expression is.
var (
	defaultContexts = []string{"github", "strategy", "matrix", "job", "runner", "hashFiles"}
	valueContexts   = []string{"github", "strategy", "matrix", "steps", "inputs", "job", "runner", "env"}
	argsContexts    = []string{"inputs"}
)

// builtinFuncs are the expression functions available in every context
// (matched case-insensitively, as the runner does).
var builtinFuncs = []string{"contains", "startswith", "endswith", "format", "join", "tojson", "fromjson"}

// idPattern: "must start with a letter or _ and contain only alphanumeric
// characters, -, or _" (workflow syntax for ids, which name inputs and
// outputs in `with:` and `steps.<id>.outputs`).
var idPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// Check parses action.yml and returns what it declares and every problem
// found, in file order. The error is for a file that is not YAML at all.
func Check(data []byte) (*Metadata, []Problem, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, nil, fmt.Errorf("action.yml: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, nil, errors.New("action.yml: more than one YAML document")
	}
	c := &checker{md: &Metadata{}}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		c.problem(&doc, "action.yml must be a mapping (name, description, runs, …)")
		return c.md, c.problems, nil
	}
	c.root(doc.Content[0])
	slices.SortStableFunc(c.problems, func(a, b Problem) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	})
	return c.md, c.problems, nil
}

type checker struct {
	md       *Metadata
	problems []Problem
}

func (c *checker) problem(n *yaml.Node, format string, args ...any) {
	c.problems = append(c.problems, Problem{n.Line, n.Column, fmt.Sprintf(format, args...)})
}

// pairs walks a mapping's key/value pairs, refusing keys outside allowed
// (nil allows any key) and duplicates.
func (c *checker) pairs(n *yaml.Node, where string, allowed []string, f func(k, v *yaml.Node)) {
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			c.problem(k, "%s: %q is given twice", where, k.Value)
			continue
		}
		seen[k.Value] = true
		if allowed != nil && !slices.Contains(allowed, k.Value) {
			c.problem(k, "%s: unknown key %q (known: %s)", where, k.Value, strings.Join(allowed, ", "))
			continue
		}
		f(k, v)
	}
}

func (c *checker) root(n *yaml.Node) {
	have := map[string]bool{}
	c.pairs(n, "action.yml", rootKeys, func(k, v *yaml.Node) {
		have[k.Value] = true
		switch k.Value {
		case "name":
			c.md.Name = c.text(v, "name", nil)
		case "author", "description":
			c.text(v, k.Value, nil)
		case "inputs":
			c.inputs(v)
		case "outputs":
			c.outputs(v)
		case "runs":
			c.runs(v)
		case "branding":
			c.branding(v)
		}
	})
	for _, req := range []string{"name", "description", "runs"} {
		if !have[req] {
			c.problem(n, "action.yml: %q is required", req)
		}
	}
}

// text checks a scalar; contexts nil means the runner evaluates no
// expression there.
func (c *checker) text(v *yaml.Node, where string, contexts []string) string {
	if v.Kind != yaml.ScalarNode {
		c.problem(v, "%s: must be a string", where)
		return ""
	}
	c.expressions(v, where, contexts)
	return v.Value
}

func (c *checker) mapping(v *yaml.Node, where string) bool {
	if v.Kind != yaml.MappingNode {
		c.problem(v, "%s: must be a mapping", where)
		return false
	}
	return true
}

func (c *checker) inputs(n *yaml.Node) {
	byID := map[string]*Input{}
	ids := c.declarations(n, "inputs", "input", inputKeys, func(id, where string, k, v *yaml.Node) {
		in := byID[id]
		if in == nil {
			in = &Input{Name: id}
			byID[id] = in
		}
		switch k.Value {
		case "default":
			in.Default = c.text(v, where+".default", defaultContexts)
		case "required":
			switch c.text(v, where+".required", nil) {
			case "true":
				in.Required = true
			case "false":
			default:
				c.problem(v, "%s.required: must be true or false", where)
			}
		case "deprecationMessage":
			c.text(v, where+".deprecationMessage", nil)
		}
	})
	for _, id := range ids {
		in := Input{Name: id}
		if p := byID[id]; p != nil {
			in = *p
		}
		c.md.Inputs = append(c.md.Inputs, in)
	}
}

func (c *checker) outputs(n *yaml.Node) {
	c.md.Outputs = c.declarations(n, "outputs", "output", outputKeys, func(_, where string, k, _ *yaml.Node) {
		if k.Value == "value" {
			// Only composite actions map outputs to values; a container
			// action sets them through GITHUB_OUTPUT.
			c.problem(k, "%s.value: only composite actions give outputs a value; a Docker action writes them to GITHUB_OUTPUT", where)
		}
	})
}

// declarations walks the inputs or outputs section: every id well formed,
// every entry a mapping of known keys with a description. field sees the
// other keys; the ids of the entries that are mappings come back in file
// order.
func (c *checker) declarations(n *yaml.Node, section, noun string, keys []string, field func(id, where string, k, v *yaml.Node)) []string {
	if !c.mapping(n, section) {
		return nil
	}
	var ids []string
	c.pairs(n, section, nil, func(k, v *yaml.Node) {
		where := section + "." + k.Value
		if !idPattern.MatchString(k.Value) {
			c.problem(k, "%s: an %s id starts with a letter or _ and holds only letters, digits, - and _", where, noun)
		}
		if !c.mapping(v, where) {
			return
		}
		described := false
		c.pairs(v, where, keys, func(kk, vv *yaml.Node) {
			if kk.Value == "description" {
				described = true
				c.text(vv, where+".description", nil)
				return
			}
			field(k.Value, where, kk, vv)
		})
		if !described {
			c.problem(k, "%s: a description is required", where)
		}
		ids = append(ids, k.Value)
	})
	return ids
}

func (c *checker) runs(n *yaml.Node) {
	if !c.mapping(n, "runs") {
		return
	}
	var using *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "using" {
			using = n.Content[i+1]
		}
	}
	if using == nil {
		c.problem(n, "runs.using is required")
		return
	}
	if using.Value != "docker" {
		c.problem(using, "runs.using: %q; this checker knows Docker actions (using: docker) only", using.Value)
		return
	}
	c.md.Using = "docker"
	c.pairs(n, "runs", dockerKeys, func(k, v *yaml.Node) {
		where := "runs." + k.Value
		switch k.Value {
		case "using":
		case "image":
			c.md.Image = c.text(v, where, nil)
			if c.md.Image == "" {
				c.problem(v, "runs.image: a Dockerfile path or docker://IMAGE is required")
			}
		case "args":
			if v.Kind != yaml.SequenceNode {
				c.problem(v, "runs.args: must be a list of strings")
				return
			}
			for _, a := range v.Content {
				c.md.Args = append(c.md.Args, c.text(a, where, argsContexts))
			}
		case "env":
			if c.mapping(v, where) {
				c.pairs(v, where, nil, func(kk, vv *yaml.Node) { c.text(vv, where+"."+kk.Value, argsContexts) })
			}
		default:
			// entrypoints and their conditions: strings without ${{ }}
			// (pre-if/post-if are conditions, written without it).
			if c.text(v, where, nil) == "" {
				c.problem(v, "%s: must not be empty", where)
			}
		}
	})
	if c.md.Image == "" {
		c.problem(n, "runs.image is required for a Docker action")
	}
}

func (c *checker) branding(n *yaml.Node) {
	if !c.mapping(n, "branding") {
		return
	}
	c.pairs(n, "branding", brandKeys, func(k, v *yaml.Node) {
		s := c.text(v, "branding."+k.Value, nil)
		if k.Value == "color" && !slices.Contains(colors, s) {
			c.problem(v, "branding.color: %q is not one of %s", s, strings.Join(colors, ", "))
		}
	})
}

// expressions checks every ${{ }} in a scalar: none where the runner
// evaluates none, and elsewhere only the contexts it provides there.
func (c *checker) expressions(v *yaml.Node, where string, contexts []string) {
	s := v.Value
	for {
		i := strings.Index(s, "${{")
		if i < 0 {
			return
		}
		if contexts == nil {
			c.problem(v, "%s: ${{ }} is not allowed here: the runner evaluates expressions in action.yml only in inputs.<id>.default, runs.args and runs.env, and refuses to load the action", where)
			return
		}
		body, rest, ok := cutExpression(s[i+3:])
		if !ok {
			c.problem(v, "%s: ${{ without a closing }}", where)
			return
		}
		for _, msg := range checkExpression(body, contexts) {
			c.problem(v, "%s: %s", where, msg)
		}
		s = rest
	}
}

// cutExpression splits at the }} that closes an expression, skipping
// string literals.
func cutExpression(s string) (body, rest string, ok bool) {
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\'':
			i = endOfString(s, i) - 1
		case strings.HasPrefix(s[i:], "}}"):
			return s[:i], s[i+2:], true
		}
	}
	return "", "", false
}

// endOfString returns the index just past the string literal that starts
// at s[i] (quoted with ', a doubled quote standing for one), or len(s)
// when it is not closed.
func endOfString(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		if s[j] != '\'' {
			continue
		}
		if j+1 < len(s) && s[j+1] == '\'' {
			j++
			continue
		}
		return j + 1
	}
	return len(s)
}

// checkExpression names what an expression refers to that the context
// does not provide: named-values (github, inputs, needs, …) and functions.
func checkExpression(expr string, contexts []string) []string {
	var msgs []string
	prev := byte(0) // the last significant character before a token
	for i := 0; i < len(expr); {
		ch := expr[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
			i++
			continue
		case ch == '\'':
			i = endOfString(expr, i)
			prev = '\''
			continue
		case ch >= '0' && ch <= '9':
			for i < len(expr) && (isIdent(expr[i]) || expr[i] == '.') {
				i++
			}
			prev = '0'
			continue
		case isIdentStart(ch):
			j := i
			for j < len(expr) && isIdent(expr[j]) {
				j++
			}
			name := expr[i:j]
			k := j
			for k < len(expr) && expr[k] == ' ' {
				k++
			}
			switch {
			case prev == '.':
				// a property: github.token
			case k < len(expr) && expr[k] == '(':
				if !slices.Contains(builtinFuncs, strings.ToLower(name)) && !containsFold(contexts, name) {
					msgs = append(msgs, fmt.Sprintf("function %s() is not available here (available: %s)", name, strings.Join(available(contexts, true), ", ")))
				}
			case name == "true" || name == "false" || name == "null" || name == "NaN" || name == "Infinity":
			default:
				if !containsFold(contexts, name) || strings.EqualFold(name, "hashFiles") {
					msgs = append(msgs, fmt.Sprintf("unrecognized named-value %q (available here: %s)", name, strings.Join(available(contexts, false), ", ")))
				}
			}
			i = j
			prev = 'a'
			continue
		}
		prev = ch
		i++
	}
	return msgs
}

func available(contexts []string, funcs bool) []string {
	var out []string
	for _, c := range contexts {
		if (c == "hashFiles") == funcs {
			out = append(out, c)
		}
	}
	if funcs {
		out = append(out, "contains", "startsWith", "endsWith", "format", "join", "toJSON", "fromJSON")
	}
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func isIdentStart(b byte) bool { return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

func isIdent(b byte) bool { return isIdentStart(b) || b == '-' || b >= '0' && b <= '9' }
