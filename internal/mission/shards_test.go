package mission

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// exampleShards is shaped like the example mission: prep, then plan and
// governance for each region and sector, then kits over all of them, then
// digest.
const exampleShards = `version: 1
shards:
  matrix:
    region: [eu, us, apac]
    sector: [energy, health]
  phases: [plan, governance]
phases:
  prep:
    steps: [{run: make prep}]
  plan:
    needs: prep
    steps: [{run: make plan}]
  governance:
    needs: [prep, plan]
    steps: [{run: make governance}]
  kits:
    needs: [plan, governance]
    steps: [{run: make kits}]
  digest:
    needs: kits
    steps: [{run: make digest}]
`

func shardIDs(shards []Shard) []string {
	ids := make([]string, len(shards))
	for i, s := range shards {
		ids[i] = s.ID
	}
	return ids
}

func phaseNames(phases []*Phase) []string {
	var names []string
	for _, ph := range phases {
		names = append(names, ph.Name)
	}
	return names
}

func TestShardsParse(t *testing.T) {
	m := mustParse(t, exampleShards)
	want := &Sharding{
		Axes: []Axis{
			{Name: "region", Values: []string{"eu", "us", "apac"}, Pos: Pos{4, 5}},
			{Name: "sector", Values: []string{"energy", "health"}, Pos: Pos{5, 5}},
		},
		Phases: []string{"plan", "governance"},
		Pos:    Pos{2, 1},
	}
	if !reflect.DeepEqual(m.Sharding, want) {
		t.Errorf("Sharding = %+v, want %+v", m.Sharding, want)
	}
	ids := []string{"eu-energy", "eu-health", "us-energy", "us-health", "apac-energy", "apac-health"}
	shards := m.Shards()
	if got := shardIDs(shards); !reflect.DeepEqual(got, ids) {
		t.Errorf("ids = %q, want %q", got, ids)
	}
	s := shards[3]
	if want := []AxisValue{{"region", "us"}, {"sector", "health"}}; !reflect.DeepEqual(s.Values, want) {
		t.Errorf("values of %s = %v, want %v", s.ID, s.Values, want)
	}
	wantEnv := []EnvVar{{Name: "HELIOS_SHARD", Value: "us-health"}, {Name: "HELIOS_MATRIX_REGION", Value: "us"}, {Name: "HELIOS_MATRIX_SECTOR", Value: "health"}}
	if got := s.Env(); !reflect.DeepEqual(got, wantEnv) {
		t.Errorf("Env() = %v, want %v", got, wantEnv)
	}
	if got := s.Root(); got != "shards/us-health" {
		t.Errorf("Root() = %q", got)
	}
	for _, name := range []string{"plan", "governance"} {
		if !m.Sharded(name) {
			t.Errorf("Sharded(%q) = false", name)
		}
	}
	for _, name := range []string{"prep", "kits", "digest", "nope"} {
		if m.Sharded(name) {
			t.Errorf("Sharded(%q) = true", name)
		}
	}
	// A mission without shards has none, and a single phase name is a list
	// of one.
	if m := mustParse(t, withPhases("  a:\n    steps: [{run: x}]\n")); m.Sharding != nil || m.Shards() != nil || m.Sharded("a") {
		t.Errorf("mission without shards: %+v, %v", m.Sharding, m.Shards())
	}
	one := mustParse(t, "version: 1\nshards: {matrix: {r: [a]}, phases: p}\nphases: {p: {steps: [{run: x}]}}\n")
	if got := one.Sharding.Phases; !reflect.DeepEqual(got, []string{"p"}) {
		t.Errorf("phases: p read as %q", got)
	}
}

// TestShardIDs: values of any scalar type make slugs; the value itself,
// as written, is what HELIOS_MATRIX_<AXIS> holds.
func TestShardIDs(t *testing.T) {
	tests := []struct {
		name, matrix string
		ids          []string
		values       []string // the first shard's values
	}{
		{"words", `{region: ["North America", "Asia/Pacific"]}`, []string{"north-america", "asia-pacific"}, []string{"North America"}},
		{"numbers keep their text", `{year: [2024, 1.10, 0x1f]}`, []string{"2024", "1.10", "0x1f"}, []string{"2024"}},
		{"booleans", `{dry_run: [true, false]}`, []string{"true", "false"}, []string{"true"}},
		{"dots and underscores stay", `{v: [v1.2, eu_west]}`, []string{"v1.2", "eu_west"}, []string{"v1.2"}},
		{"three axes, first slowest", `{a: [x, y], b: ["1"], c: [p, q]}`, []string{"x-1-p", "x-1-q", "y-1-p", "y-1-q"}, []string{"x", "1", "p"}},
		{"256 is the limit", `{a: [1, 2, 3, 4, 5, 6, 7, 8], b: [1, 2, 3, 4, 5, 6, 7, 8], c: [1, 2, 3, 4]}`, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, "version: 1\nshards: {matrix: "+tt.matrix+", phases: p}\nphases: {p: {steps: [{run: x}]}}\n")
			shards := m.Shards()
			if tt.ids == nil {
				if len(shards) != MaxShards {
					t.Errorf("%d shards, want %d", len(shards), MaxShards)
				}
				return
			}
			if got := shardIDs(shards); !reflect.DeepEqual(got, tt.ids) {
				t.Errorf("ids = %q, want %q", got, tt.ids)
			}
			var got []string
			for _, v := range shards[0].Values {
				got = append(got, v.Value)
			}
			if !reflect.DeepEqual(got, tt.values) {
				t.Errorf("first shard's values = %q, want %q", got, tt.values)
			}
		})
	}
}

// shardsBase is a mission whose line 6 starts the "shards" key.
const shardsBase = "version: 1\nphases:\n  prep: {steps: [{run: x}]}\n  plan: {needs: prep, steps: [{run: x}]}\n  kits: {needs: plan, steps: [{run: x}]}\n"

// TestShardsMessages checks each problem of "shards" with its exact
// message and position, and that the schema (what an editor shows) agrees
// where it can see the problem.
func TestShardsMessages(t *testing.T) {
	long := strings.Repeat("v", 64)
	longMatrix := fmt.Sprintf("  matrix: {a: [%s], b: [%s], c: [%s], d: [%s]}\n  phases: plan\n", long, long, long, long)
	tests := []struct {
		name, src, want string
		// schema says whether the schema also rejects the file.
		schema bool
	}{
		{
			name:   "not a mapping",
			src:    shardsBase + "shards: [plan]\n",
			want:   `helios.yml:6:9: "shards" must be a mapping with "matrix" and "phases", got list [type]`,
			schema: true,
		},
		{
			name:   "empty",
			src:    shardsBase + "shards:\n",
			want:   `helios.yml:6:1: "shards" is empty; it needs "matrix" and "phases" [empty]`,
			schema: true,
		},
		{
			name:   "unknown key",
			src:    shardsBase + "shards:\n  matrix: {r: [a]}\n  phases: plan\n  include: []\n",
			want:   `helios.yml:9:3: unknown key "include" in "shards"; expected one of "matrix" or "phases" [unknown-key]`,
			schema: true,
		},
		{
			name: "misspelt key",
			src:  shardsBase + "shards:\n  matrx: {r: [a]}\n  phases: plan\n",
			want: `helios.yml:6:1: missing required key "matrix" in "shards" [missing]` + "\n" +
				`helios.yml:7:3: unknown key "matrx" in "shards" (did you mean "matrix"?) [unknown-key]`,
			schema: true,
		},
		{
			name:   "no phases",
			src:    shardsBase + "shards:\n  matrix: {r: [a]}\n",
			want:   `helios.yml:6:1: missing required key "phases" in "shards" [missing]`,
			schema: true,
		},
		{
			name:   "top-level key misspelt",
			src:    shardsBase + "shard:\n  matrix: {r: [a]}\n  phases: plan\n",
			want:   `helios.yml:6:1: unknown key "shard" in mission (did you mean "shards"?) [unknown-key]`,
			schema: true,
		},
		{
			name:   "matrix not a mapping",
			src:    shardsBase + "shards:\n  matrix: [a, b]\n  phases: plan\n",
			want:   `helios.yml:7:11: "matrix" must be a mapping of axis name to a list of values, got list [type]`,
			schema: true,
		},
		{
			name:   "empty matrix",
			src:    shardsBase + "shards:\n  matrix: {}\n  phases: plan\n",
			want:   `helios.yml:7:11: "matrix" must not be empty [empty]`,
			schema: true,
		},
		{
			name:   "empty axis",
			src:    shardsBase + "shards:\n  matrix: {region: []}\n  phases: plan\n",
			want:   `helios.yml:7:20: axis "region" must not be empty [empty]`,
			schema: true,
		},
		{
			name:   "axis not a list",
			src:    shardsBase + "shards:\n  matrix: {region: eu}\n  phases: plan\n",
			want:   `helios.yml:7:20: axis "region" must be a list of values, got string [type]`,
			schema: true,
		},
		{
			name:   "axis name with capitals",
			src:    shardsBase + "shards:\n  matrix:\n    Region: [eu]\n  phases: plan\n",
			want:   `helios.yml:8:5: invalid axis name "Region": axis names must match ^[a-z][a-z0-9_]*$, as each becomes HELIOS_MATRIX_<NAME> (try "region") [value]`,
			schema: true,
		},
		{
			name:   "axis name with a dash",
			src:    shardsBase + "shards:\n  matrix:\n    sub-region: [eu]\n  phases: plan\n",
			want:   `helios.yml:8:5: invalid axis name "sub-region": axis names must match ^[a-z][a-z0-9_]*$, as each becomes HELIOS_MATRIX_<NAME> (try "sub_region") [value]`,
			schema: true,
		},
		{
			name:   "axis name without a letter",
			src:    shardsBase + "shards:\n  matrix:\n    \"1\": [eu]\n  phases: plan\n",
			want:   `helios.yml:8:5: invalid axis name "1": axis names must match ^[a-z][a-z0-9_]*$, as each becomes HELIOS_MATRIX_<NAME> [value]`,
			schema: true,
		},
		{
			name:   "axis given twice",
			src:    shardsBase + "shards:\n  matrix:\n    region: [eu]\n    region: [us]\n  phases: plan\n",
			want:   `helios.yml:9:5: duplicate key "region" in "matrix" (first at line 8) [duplicate]`,
			schema: false, // a JSON consumer keeps the last
		},
		{
			name:   "duplicate value",
			src:    shardsBase + "shards:\n  matrix:\n    region: [eu, us, eu]\n  phases: plan\n",
			want:   `helios.yml:8:22: axis "region" lists "eu" twice (first at line 8) [duplicate]`,
			schema: true,
		},
		{
			name:   "a number and a string of the same text",
			src:    shardsBase + "shards:\n  matrix:\n    year: [2024, \"2024\"]\n  phases: plan\n",
			want:   `helios.yml:8:18: axis "year" lists "2024" twice (first at line 8) [duplicate]`,
			schema: false,
		},
		{
			name:   "values that make the same id part",
			src:    shardsBase + "shards:\n  matrix:\n    region: [eu, EU]\n  phases: plan\n",
			want:   `helios.yml:8:18: value "EU" of axis "region" makes the shard id part "eu", as "eu" does (line 8) [duplicate]`,
			schema: false,
		},
		{
			name:   "a value that makes no id part",
			src:    shardsBase + "shards:\n  matrix:\n    region: [eu, \"--\"]\n  phases: plan\n",
			want:   `helios.yml:8:18: value "--" of axis "region" makes an empty shard id; use letters or digits [value]`,
			schema: false,
		},
		{
			name:   "a list as a value",
			src:    shardsBase + "shards:\n  matrix:\n    region: [eu, [us]]\n  phases: plan\n",
			want:   `helios.yml:8:18: each value of axis "region" must be a string, number or boolean, got list [type]`,
			schema: true,
		},
		{
			name:   "null as a value",
			src:    shardsBase + "shards:\n  matrix:\n    region: [eu, ~]\n  phases: plan\n",
			want:   `helios.yml:8:18: each value of axis "region" must be a string, number or boolean, got null [type]`,
			schema: true,
		},
		{
			name:   "more than 256 combinations",
			src:    shardsBase + "shards:\n  matrix:\n    a: [1, 2, 3, 4, 5, 6, 7, 8]\n    b: [1, 2, 3, 4, 5, 6, 7, 8]\n    c: [1, 2, 3, 4, 5]\n  phases: plan\n",
			want:   `helios.yml:7:3: "matrix" makes 320 shards (a 8 × b 8 × c 5); at most 256, as GitHub Actions runs at most 256 jobs from one matrix [value]`,
			schema: false,
		},
		{
			name:   "two combinations with one id",
			src:    shardsBase + "shards:\n  matrix:\n    a: [x-y, x]\n    b: [z, y-z]\n  phases: plan\n",
			want:   `helios.yml:7:3: shards {a: x-y, b: z} and {a: x, b: y-z} both get the id "x-y-z"; change a value [duplicate]`,
			schema: false,
		},
		{
			name:   "an id that reads as a split",
			src:    shardsBase + "shards:\n  matrix:\n    part: [\"1 of 2\", rest]\n  phases: plan\n",
			want:   `helios.yml:7:3: shard {part: 1 of 2} gets the id "1-of-2", which reads as a split (K-of-N); change a value [value]`,
			schema: false,
		},
		{
			name:   "an id too long for a folder name",
			src:    shardsBase + "shards:\n" + longMatrix,
			want:   fmt.Sprintf(`helios.yml:7:3: shard {a: %s, b: %s, c: %s, d: %s} gets an id of 259 characters; ids name folders (shards/<id>/), so at most 255 [value]`, long, long, long, long),
			schema: false,
		},
		{
			name:   "phases a mapping",
			src:    shardsBase + "shards:\n  matrix: {r: [a]}\n  phases: {plan: 1}\n",
			want:   `helios.yml:8:11: "phases" in "shards" must be a phase name or a list of them, got mapping [type]`,
			schema: true,
		},
		{
			name:   "phases empty",
			src:    shardsBase + "shards:\n  matrix: {r: [a]}\n  phases: []\n",
			want:   `helios.yml:8:11: "phases" in "shards" must not be empty [empty]`,
			schema: true,
		},
		{
			name:   "phase not a name",
			src:    shardsBase + "shards:\n  matrix: {r: [a]}\n  phases: [plan, 1]\n",
			want:   `helios.yml:8:18: each item of "phases" in "shards" must be a phase name, got number [type]`,
			schema: true,
		},
		{
			name:   "phase listed twice",
			src:    shardsBase + "shards:\n  matrix: {r: [a]}\n  phases: [plan, plan]\n",
			want:   `helios.yml:8:18: "shards" lists phase "plan" twice (first at line 8) [duplicate]`,
			schema: true,
		},
		{
			name:   "unknown phase, misspelt",
			src:    shardsBase + "shards:\n  matrix: {r: [a]}\n  phases: [plam]\n",
			want:   `helios.yml:8:12: "shards" names unknown phase "plam" (did you mean "plan"?) [unknown-needs]`,
			schema: false,
		},
		{
			name:   "unknown phase",
			src:    shardsBase + "shards:\n  matrix: {r: [a]}\n  phases: [deploy]\n",
			want:   `helios.yml:8:12: "shards" names unknown phase "deploy" [unknown-needs]`,
			schema: false,
		},
		{
			name:   "no phases in the mission: no unknown phase on top",
			src:    "version: 1\nshards: {matrix: {r: [a]}, phases: plan}\n",
			want:   `helios.yml:1:1: missing required key "phases" in mission [missing]`,
			schema: true,
		},
		{
			name: "a sharded phase needs a merge phase",
			src: "version: 1\nshards:\n  matrix: {r: [a, b]}\n  phases: [plan, governance]\nphases:\n" +
				"  plan:\n    steps: [{run: x}]\n" +
				"  kits:\n    needs: [plan]\n    steps: [{run: x}]\n" +
				"  governance:\n    needs: kits\n    steps: [{run: x}]\n",
			want:   `helios.yml:9:13: phase "kits" needs sharded phase "plan", so it runs after every shard, but sharded phase "governance" needs it (governance -> kits): no shard can wait for it; shard "kits" too, or drop one of these needs [cycle]`,
			schema: false,
		},
		{
			name: "through other phases",
			src: "version: 1\nshards:\n  matrix: {r: [a, b]}\n  phases: [plan, governance]\nphases:\n" +
				"  plan:\n    steps: [{run: x}]\n" +
				"  kits:\n    needs: [prep, plan]\n    steps: [{run: x}]\n" +
				"  prep:\n    steps: [{run: x}]\n" +
				"  review:\n    needs: kits\n    steps: [{run: x}]\n" +
				"  governance:\n    needs: [plan, review]\n    steps: [{run: x}]\n",
			want:   `helios.yml:9:19: phase "kits" needs sharded phase "plan", so it runs after every shard, but sharded phase "governance" needs it (governance -> review -> kits): no shard can wait for it; shard "kits" too, or drop one of these needs [cycle]`,
			schema: false,
		},
	}
	sch := compileSchema(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("helios.yml", []byte(tt.src), Options{})
			if err == nil {
				t.Fatal("Parse succeeded")
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n%v\nwant:\n%s", err, tt.want)
			}
			inst, err := yamlToJSON([]byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if rejects := sch.Validate(inst) != nil; rejects != tt.schema {
				t.Errorf("schema rejects it: %v, want %v", rejects, tt.schema)
			}
		})
	}
}

// TestShardsAccepted: what the rule of checkShardNeeds leaves allowed,
// which the schema accepts too.
func TestShardsAccepted(t *testing.T) {
	tests := []struct{ name, phases string }{
		{"a sharded phase needs another", "  plan: {steps: [{run: x}]}\n  governance: {needs: plan, steps: [{run: x}]}\n"},
		{"a sharded phase needs a phase that needs no shard", "  prep: {steps: [{run: x}]}\n  plan: {needs: prep, steps: [{run: x}]}\n  governance: {needs: [prep, plan], steps: [{run: x}]}\n"},
		{"a merge phase needs a phase of the shards", "  prep: {steps: [{run: x}]}\n  plan: {needs: prep, steps: [{run: x}]}\n  governance: {steps: [{run: x}]}\n  check: {needs: prep, steps: [{run: x}]}\n"},
	}
	sch := compileSchema(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "version: 1\nshards: {matrix: {r: [a, b]}, phases: [plan, governance]}\nphases:\n" + tt.phases
			m := mustParse(t, src)
			checkMission(t, m)
			inst, err := yamlToJSON([]byte(src))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err != nil {
				t.Errorf("schema rejects it: %v", err)
			}
		})
	}
}

func TestShardsFor(t *testing.T) {
	six := mustParse(t, exampleShards)
	single := mustParse(t, "version: 1\nshards: {matrix: {r: [only]}, phases: p}\nphases: {p: {steps: [{run: x}]}}\n")
	tests := []struct {
		name string
		m    *Mission
		spec string
		want []string
	}{
		{"an id", six, "us-health", []string{"us-health"}},
		{"1-of-1", six, "1-of-1", []string{"eu-energy", "eu-health", "us-energy", "us-health", "apac-energy", "apac-health"}},
		{"1-of-1 of one shard", single, "1-of-1", []string{"only"}},
		{"1-of-5 holds the extra one", six, "1-of-5", []string{"eu-energy", "eu-health"}},
		{"3-of-5", six, "3-of-5", []string{"us-health"}},
		{"5-of-5", six, "5-of-5", []string{"apac-health"}},
		{"2-of-4", six, "2-of-4", []string{"us-energy", "us-health"}},
		{"3-of-4", six, "3-of-4", []string{"apac-energy"}},
		{"6-of-6", six, "6-of-6", []string{"apac-health"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.m.ShardsFor(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if ids := shardIDs(got); !reflect.DeepEqual(ids, tt.want) {
				t.Errorf("ShardsFor(%q) = %q, want %q", tt.spec, ids, tt.want)
			}
		})
	}
}

// TestShardsForSplits: for every N, the N parts cover the shards in order,
// each once, with sizes that differ by at most one.
func TestShardsForSplits(t *testing.T) {
	m := mustParse(t, exampleShards)
	all := shardIDs(m.Shards())
	for n := 1; n <= len(all); n++ {
		var joined []string
		lo, hi := len(all), 0
		for k := 1; k <= n; k++ {
			part, err := m.ShardsFor(fmt.Sprintf("%d-of-%d", k, n))
			if err != nil {
				t.Fatalf("%d-of-%d: %v", k, n, err)
			}
			lo, hi = min(lo, len(part)), max(hi, len(part))
			joined = append(joined, shardIDs(part)...)
		}
		if !reflect.DeepEqual(joined, all) {
			t.Errorf("the %d parts hold %q, want %q", n, joined, all)
		}
		if hi-lo > 1 || lo == 0 {
			t.Errorf("the %d parts have %d to %d shards", n, lo, hi)
		}
	}
}

func TestShardsForErrors(t *testing.T) {
	six := mustParse(t, exampleShards)
	many := mustParse(t, "version: 1\nshards: {matrix: {a: [a, b, c, d, e], b: [1, 2, 3]}, phases: p}\nphases: {p: {steps: [{run: x}]}}\n")
	none := mustParse(t, withPhases("  p:\n    steps: [{run: x}]\n"))
	const ids = "eu-energy, eu-health, us-energy, us-health, apac-energy, apac-health"
	tests := []struct {
		name string
		m    *Mission
		spec string
		want string
	}{
		{"N over the shards", six, "1-of-7", `shard "1-of-7": the mission has 6 shards, so N is at most 6`},
		{"K over N", six, "6-of-5", `shard "6-of-5": K-of-N needs 1 ≤ K ≤ N`},
		{"K zero", six, "0-of-5", `shard "0-of-5": K-of-N needs 1 ≤ K ≤ N`},
		{"N zero", six, "0-of-0", `shard "0-of-0": K-of-N needs 1 ≤ K ≤ N`},
		{"leading zeros", six, "1-of-03", `shard "1-of-03": write K-of-N without leading zeros, as 1-of-3`},
		{"too big for an int", six, "1-of-99999999999999999999", `shard "1-of-99999999999999999999": K-of-N needs 1 ≤ K ≤ N`},
		{"unknown, misspelt", six, "eu-helth", `unknown shard "eu-helth" (did you mean "eu-health"?); the shards are ` + ids + `, or give K-of-N with N at most 6`},
		{"unknown", six, "mars", `unknown shard "mars"; the shards are ` + ids + `, or give K-of-N with N at most 6`},
		{"a split written otherwise", six, "1/6", `unknown shard "1/6"; the shards are ` + ids + `, or give K-of-N with N at most 6`},
		{"many shards are cut short", many, "z", `unknown shard "z"; the shards are a-1, a-2, a-3, b-1, b-2, b-3, c-1, c-2, c-3, d-1, d-2, d-3, … (15 in all), or give K-of-N with N at most 15`},
		{"empty", six, "", `no shard given: give a shard id or K-of-N`},
		{"no shards", none, "1-of-1", `the mission has no "shards", so there is no shard "1-of-1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.m.ShardsFor(tt.spec)
			if err == nil {
				t.Fatalf("ShardsFor(%q) = %q, want an error", tt.spec, shardIDs(got))
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n%v\nwant:\n%s", err, tt.want)
			}
		})
	}
}

func TestShardAndMergePlans(t *testing.T) {
	tests := []struct {
		name, src    string
		shard, merge []string
	}{
		{
			name:  "the example's shape",
			src:   exampleShards,
			shard: []string{"prep", "plan", "governance"},
			// prep again: the merged bundle holds its files at the top,
			// as a run in one job does.
			merge: []string{"prep", "kits", "digest"},
		},
		{
			// The built-in drill's shape: preflight is in the merge and
			// needs prep, which the shards run too. The merge runs prep
			// again, so preflight finds prep's files at the top of the
			// bundle, as in one job.
			name: "a merge phase needs a phase of the shards",
			src: "version: 1\nshards: {matrix: {r: [a, b]}, phases: [plan, governance]}\nphases:\n" +
				"  prep: {steps: [{run: x}]}\n" +
				"  docs: {steps: [{run: x}]}\n" +
				"  preflight: {needs: prep, steps: [{run: x}]}\n" +
				"  plan: {needs: prep, steps: [{run: x}]}\n" +
				"  governance: {needs: plan, steps: [{run: x}]}\n" +
				"  kits: {needs: [plan, governance], steps: [{run: x}]}\n" +
				"  digest: {needs: [kits, preflight], steps: [{run: x}]}\n",
			shard: []string{"prep", "plan", "governance"},
			merge: []string{"prep", "docs", "preflight", "kits", "digest"},
		},
		{
			name:  "only sharded phases",
			src:   "version: 1\nshards: {matrix: {r: [a, b]}, phases: [a, b]}\nphases:\n  b: {needs: a, steps: [{run: x}]}\n  a: {steps: [{run: x}]}\n",
			shard: []string{"a", "b"},
		},
		{
			name:  "no shards: everything is the merge's",
			src:   withPhases("  b: {needs: a, steps: [{run: x}]}\n  a: {steps: [{run: x}]}\n"),
			merge: []string{"a", "b"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, tt.src)
			if got := phaseNames(m.ShardPlan()); !reflect.DeepEqual(got, tt.shard) {
				t.Errorf("ShardPlan() = %q, want %q", got, tt.shard)
			}
			if got := phaseNames(m.MergePlan()); !reflect.DeepEqual(got, tt.merge) {
				t.Errorf("MergePlan() = %q, want %q", got, tt.merge)
			}
			checkMission(t, m)
		})
	}
}

// checkSharding asserts what Parse promises about a sharded mission, and
// what the split promises about its plans.
func checkSharding(t *testing.T, m *Mission) {
	t.Helper()
	shards := m.Shards()
	if len(shards) == 0 || len(shards) > MaxShards {
		t.Fatalf("%d shards", len(shards))
	}
	ids := make(map[string]bool)
	for _, s := range shards {
		if !nameRE.MatchString(s.ID) || strings.Contains(s.ID, "/") || len(s.ID) > maxShardID || splitRE.MatchString(s.ID) || ids[s.ID] {
			t.Errorf("shard id %q invalid or repeated", s.ID)
		}
		ids[s.ID] = true
		if len(s.Values) != len(m.Sharding.Axes) {
			t.Errorf("shard %q has %d values for %d axes", s.ID, len(s.Values), len(m.Sharding.Axes))
		}
	}
	if len(m.Sharding.Phases) == 0 {
		t.Errorf("no sharded phases")
	}
	inShard := make(map[string]bool)
	for _, ph := range m.ShardPlan() {
		inShard[ph.Name] = true
	}
	for _, ph := range m.ShardPlan() {
		for _, need := range ph.Needs {
			if !inShard[need] {
				t.Errorf("shard plan phase %q needs %q, which the shard plan does not hold", ph.Name, need)
			}
			if !m.Sharded(ph.Name) && m.Sharded(need) {
				t.Errorf("shard plan phase %q is not sharded but needs sharded %q", ph.Name, need)
			}
		}
	}
	inMerge := make(map[string]bool)
	for _, ph := range m.MergePlan() {
		inMerge[ph.Name] = true
		if m.Sharded(ph.Name) {
			t.Errorf("merge plan holds sharded phase %q", ph.Name)
		}
	}
	for _, ph := range m.MergePlan() {
		for _, need := range ph.Needs {
			if !inMerge[need] && !m.Sharded(need) {
				t.Errorf("merge plan phase %q needs %q, which neither the merge runs nor a shard", ph.Name, need)
			}
		}
	}
	for _, ph := range m.Phases {
		if !inShard[ph.Name] && !inMerge[ph.Name] {
			t.Errorf("phase %q is in neither plan", ph.Name)
		}
	}
	for _, name := range m.Sharding.Phases {
		if !inShard[name] {
			t.Errorf("sharded phase %q is not in the shard plan", name)
		}
	}
}
