package actionyml

import (
	"slices"
	"strings"
	"testing"
)

// head is a valid Docker action up to its inputs; cases append to it.
const head = `name: t
description: d
runs:
  using: docker
  image: Dockerfile
  args: ["action"]
`

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		yml  string
		want []string // problems, as "line:col: text" prefixes or substrings
	}{
		{
			name: "valid",
			yml: head + `inputs:
  token:
    description: Token.
    default: ${{ github.token }}
  cache-key:
    description: Key.
    default: "${{ runner.os }}-${{ hashFiles('**/go.sum') }}-${{ format('{0}}}', job.status) }}"
  plain:
    description: "Braces that are no expression: { } and $ {{ }}."
    required: true
outputs:
  digest:
    description: SHA-256 of the ledger.
branding:
  icon: shield
  color: gray-dark
`,
		},
		{
			// The description that stopped every `uses:` of helios-action
			// (act: "Line: 50 Column 18: expressions are not allowed here").
			name: "expression in an input description",
			yml: head + `inputs:
  needs:
    description: "CI summary gate: pass ${{ toJson(needs) }}; any upstream job that failed or was cancelled fails the conclusion (skipped is permitted)."
    required: false
    default: ""
`,
			want: []string{"9:18: inputs.needs.description: ${{ }} is not allowed here"},
		},
		{
			name: "expression in name and an output description",
			yml: `name: ${{ github.repository }}
description: d
runs: {using: docker, image: Dockerfile}
outputs:
  o:
    description: the ${{ inputs.x }} value
`,
			want: []string{"1:7: name: ${{ }} is not allowed here", "6:18: outputs.o.description: ${{ }} is not allowed here"},
		},
		{
			name: "a context the default may not name",
			yml: head + `inputs:
  gate:
    description: d
    default: ${{ toJSON(needs) }}
  secret:
    description: d
    default: ${{ secrets.TOKEN }}
  env:
    description: d
    default: ${{ env.HOME }}
`,
			want: []string{
				`inputs.gate.default: unrecognized named-value "needs"`,
				`inputs.secret.default: unrecognized named-value "secrets"`,
				`inputs.env.default: unrecognized named-value "env"`,
			},
		},
		{
			name: "status functions and unknown functions",
			yml: head + `inputs:
  a:
    description: d
    default: ${{ success() && 'x' }}
  b:
    description: d
    default: ${{ hashfiles('x') }}
`,
			want: []string{"inputs.a.default: function success() is not available here"},
		},
		{
			name: "args and env see only inputs",
			yml: `name: t
description: d
runs:
  using: docker
  image: Dockerfile
  args: ["${{ inputs.mission }}", "${{ github.token }}"]
  env:
    A: ${{ inputs.a }}
    B: ${{ steps.x.outputs.y }}
`,
			want: []string{`runs.args: unrecognized named-value "github"`, `runs.env.B: unrecognized named-value "steps"`},
		},
		{
			name: "unclosed expression and quotes inside",
			yml: head + `inputs:
  a:
    description: d
    default: "${{ format('}}') "
`,
			want: []string{"inputs.a.default: ${{ without a closing }}"},
		},
		{
			name: "unknown keys at every level",
			yml: `name: t
description: d
output:
  x: {description: d}
runs:
  using: docker
  image: Dockerfile
  entrypoint: /x
  main: index.js
inputs:
  a:
    description: d
    defualt: x
outputs:
  b:
    description: d
    value: ${{ steps.s.outputs.b }}
branding: {icon: x, colour: red}
`,
			want: []string{
				`3:1: action.yml: unknown key "output"`,
				`9:3: runs: unknown key "main"`,
				`13:5: inputs.a: unknown key "defualt"`,
				"17:5: outputs.b.value: only composite actions",
				`18:21: branding: unknown key "colour"`,
			},
		},
		{
			name: "required keys, ids, booleans, colours",
			yml: `runs:
  using: docker
inputs:
  "1st":
    required: maybe
  ok:
    description: d
    description: again
branding: {color: pink}
`,
			want: []string{
				`1:1: action.yml: "name" is required`,
				`1:1: action.yml: "description" is required`,
				"2:3: runs.image is required for a Docker action",
				"4:3: inputs.1st: an input id starts with a letter",
				"5:15: inputs.1st.required: must be true or false",
				"4:3: inputs.1st: a description is required",
				`8:5: inputs.ok: "description" is given twice`,
				`9:19: branding.color: "pink" is not one of`,
			},
		},
		{
			name: "not a Docker action",
			yml:  "name: t\ndescription: d\nruns:\n  using: node20\n  main: index.js\n",
			want: []string{`4:10: runs.using: "node20"; this checker knows Docker actions`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, problems, err := Check([]byte(tc.yml))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range problems {
				got = append(got, p.String())
			}
			for _, w := range tc.want {
				if !slices.ContainsFunc(got, func(g string) bool { return strings.Contains(g, w) }) {
					t.Errorf("no problem %q; got:\n%s", w, strings.Join(got, "\n"))
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("%d problems, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
		})
	}
}

func TestCheckMetadata(t *testing.T) {
	md, problems, err := Check([]byte(head + `inputs:
  b: {description: d, default: "x"}
  a: {description: d, required: true}
outputs:
  z: {description: d}
  y: {description: d}
`))
	if err != nil || len(problems) > 0 {
		t.Fatal(err, problems)
	}
	if got := strings.Join(md.InputNames(), ","); got != "b,a" {
		t.Errorf("inputs %s", got)
	}
	if !md.Inputs[1].Required || md.Inputs[0].Default != "x" {
		t.Errorf("inputs %+v", md.Inputs)
	}
	if got := strings.Join(md.Outputs, ","); got != "z,y" {
		t.Errorf("outputs %s", got)
	}
	if md.Using != "docker" || md.Image != "Dockerfile" || !slices.Equal(md.Args, []string{"action"}) {
		t.Errorf("runs %+v", md)
	}
}

func TestCheckNotYAML(t *testing.T) {
	for _, s := range []string{"a: [", "a: 1\n---\nb: 2\n"} {
		if _, _, err := Check([]byte(s)); err == nil {
			t.Errorf("%q: no error", s)
		}
	}
	_, problems, err := Check([]byte("- a\n"))
	if err != nil || len(problems) != 1 || !strings.Contains(problems[0].Msg, "must be a mapping") {
		t.Errorf("a list: %v %v", err, problems)
	}
}
