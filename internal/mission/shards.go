package mission

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// This file reads the top-level "shards" key:
//
//	shards:
//	  matrix:
//	    region: [eu, us, apac]
//	    sector: [energy, health]
//	  phases: [plan, governance]
//
// A shard is one combination of the matrix's values; each runs the sharded
// phases once, for its combination. split.go divides the phases between the
// shards and the merge.

// MaxShards is the most combinations a matrix may make. Each shard is meant
// to be one job of a GitHub Actions matrix, and "a matrix will generate a
// maximum of 256 jobs per workflow run" (GitHub's workflow syntax
// documentation): a mission over that could not run as one job per shard.
const MaxShards = 256

// maxShardID bounds a shard id's length: the id names a folder of the
// bundle (shards/<id>/), and Linux file names are at most 255 bytes
// (NAME_MAX).
const maxShardID = 255

// ShardsDir is the folder of the report root that holds one folder per
// shard, named by its id.
const ShardsDir = "shards"

// Sharding is the mission's "shards" key.
type Sharding struct {
	Axes   []Axis   // file order: the first varies slowest
	Phases []string // the sharded phases, as listed
	Pos    Pos      // position of the "shards" key
}

// Axis is one key of the matrix and its values.
type Axis struct {
	Name string
	// Values are as written, each once; numbers keep the text they are
	// written with and booleans become "true" or "false", as in "env".
	Values []string
	Pos    Pos
}

// Shard is one combination of the matrix.
type Shard struct {
	// ID is the combination's values made slugs and joined with "-":
	// "eu-energy". It names the shard's folder (shards/<id>/) and artifact,
	// where "/" is not allowed; Parse makes sure ids are unique.
	ID string
	// Values holds the combination's value for each axis, in axis order.
	Values []AxisValue
}

// AxisValue is the value a shard takes on one axis.
type AxisValue struct{ Axis, Value string }

// The environment a sharded phase's steps get.
const (
	ShardEnv        = "HELIOS_SHARD"   // the shard's id
	MatrixEnvPrefix = "HELIOS_MATRIX_" // + the axis name upper-cased: the shard's value on it
)

// MatrixEnv is the variable that holds a shard's value on axis.
func MatrixEnv(axis string) string { return MatrixEnvPrefix + strings.ToUpper(axis) }

// Env is what the steps of the shard's sharded phases get: HELIOS_SHARD and
// one HELIOS_MATRIX_<AXIS> per axis, in axis order.
func (s Shard) Env() []EnvVar {
	env := make([]EnvVar, 0, len(s.Values)+1)
	env = append(env, EnvVar{Name: ShardEnv, Value: s.ID})
	for _, v := range s.Values {
		env = append(env, EnvVar{Name: MatrixEnv(v.Axis), Value: v.Value})
	}
	return env
}

// Root is the folder of the report root that the shard's sharded phases
// write into: shards/<id>.
func (s Shard) Root() string { return ShardsDir + "/" + s.ID }

var (
	shardsKeys = []string{"matrix", "phases"}
	// axisRE: an axis becomes HELIOS_MATRIX_<AXIS>, so its name must make
	// an environment variable name, and only one spelling may make each.
	axisRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	// splitRE is how a K-of-N split is written, in place of a shard id.
	splitRE = regexp.MustCompile(`^([0-9]+)-of-([0-9]+)$`)
)

// shardsInfo keeps what the checks that need every phase (checkShards)
// position their errors at.
type shardsInfo struct {
	spec       *Sharding
	matrixKey  *yaml.Node // nil when absent
	axesOK     bool       // every axis and value was read without a problem
	phaseNodes []*yaml.Node
}

// shards reads the "shards" key. It returns nil when there is nothing to
// check further.
func (p *parser) shards(e entry) *shardsInfo {
	v := e.val
	switch {
	case isNull(v):
		p.errAt(e.key, KindEmpty, `"shards" is empty; it needs "matrix" and "phases"`)
		return nil
	case v.Kind != yaml.MappingNode:
		p.errAt(v, KindType, `"shards" must be a mapping with "matrix" and "phases", got %s`, typeName(v))
		return nil
	}
	si := &shardsInfo{spec: &Sharding{Pos: pos(e.key)}}
	havePhases := false
	for _, kv := range p.entries(v, `"shards"`) {
		switch kv.name {
		case "matrix":
			si.matrixKey = kv.key
			si.spec.Axes, si.axesOK = p.matrix(kv)
		case "phases":
			havePhases = true
			si.phaseNodes = p.shardPhases(kv)
		default:
			p.unknownKey(kv, `"shards"`, shardsKeys)
		}
	}
	if si.matrixKey == nil {
		p.errAt(e.key, KindMissing, `missing required key "matrix" in "shards"`)
	}
	if !havePhases {
		p.errAt(e.key, KindMissing, `missing required key "phases" in "shards"`)
	}
	return si
}

// matrix reads the axes. ok is false when any problem was reported, so that
// the ids are only made from a matrix read whole.
func (p *parser) matrix(e entry) (axes []Axis, ok bool) {
	v := e.val
	if v.Kind != yaml.MappingNode {
		p.errAt(v, KindType, `"matrix" must be a mapping of axis name to a list of values, got %s`, typeName(v))
		return nil, false
	}
	// entries reports repeated keys too: any problem from here on counts.
	before := len(p.errs)
	ents := p.entries(v, `"matrix"`)
	if len(ents) == 0 {
		p.errAt(v, KindEmpty, `"matrix" must not be empty`)
		return nil, false
	}
	for _, kv := range ents {
		if a, ok := p.axis(kv); ok {
			axes = append(axes, a)
		}
	}
	return axes, len(p.errs) == before
}

// axis reads one axis: a list of distinct scalars, each of which makes a
// distinct, non-empty shard id part.
func (p *parser) axis(e entry) (Axis, bool) {
	a := Axis{Name: e.name, Pos: pos(e.key)}
	if !axisRE.MatchString(e.name) {
		hint := ""
		if try := axisName(e.name); try != "" {
			hint = fmt.Sprintf(" (try %s)", quote(try))
		}
		p.errAt(e.key, KindValue, "invalid axis name %s: axis names must match %s, as each becomes %s<NAME>%s", quote(e.name), axisRE, MatrixEnvPrefix, hint)
		return a, false
	}
	what := "axis " + quote(e.name)
	v := e.val
	if v.Kind != yaml.SequenceNode {
		p.errAt(v, KindType, "%s must be a list of values, got %s", what, typeName(v))
		return a, false
	}
	if len(v.Content) == 0 {
		p.errAt(v, KindEmpty, "%s must not be empty", what)
		return a, false
	}
	ok := true
	values := make(map[string]*yaml.Node)
	parts := make(map[string]*yaml.Node)
	for _, it := range v.Content {
		it = resolve(it)
		val, isScalar := envValue(it)
		switch {
		case !isScalar:
			p.errAt(it, KindType, "each value of %s must be a string, number or boolean, got %s", what, typeName(it))
		case values[val] != nil:
			p.errAt(it, KindDuplicate, "%s lists %s twice (first at line %d)", what, quote(val), values[val].Line)
		case slugOrEmpty(val) == "":
			p.errAt(it, KindValue, "value %s of %s makes an empty shard id; use letters or digits", quote(val), what)
		case parts[slugOrEmpty(val)] != nil:
			first := parts[slugOrEmpty(val)]
			p.errAt(it, KindDuplicate, "value %s of %s makes the shard id part %s, as %s does (line %d)", quote(val), what, quote(slugOrEmpty(val)), quote(first.Value), first.Line)
		default:
			values[val] = it
			parts[slugOrEmpty(val)] = it
			a.Values = append(a.Values, val)
			continue
		}
		ok = false
	}
	return a, ok
}

// axisName is the name an invalid axis name was probably meant as, or "".
func axisName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	try := strings.Trim(b.String(), "_")
	if !axisRE.MatchString(try) {
		return ""
	}
	return try
}

// shardPhases returns the nodes of the phase names listed, for the checks
// that need every phase.
func (p *parser) shardPhases(e entry) []*yaml.Node {
	return p.phaseNames(e, `"phases" in "shards"`, false)
}

// checkShards checks what needs the whole mission: the sharded phases exist,
// the matrix makes at most MaxShards distinct ids, and no shard would have
// to wait for the merge.
func (p *parser) checkShards(si *shardsInfo, phases []*phaseInfo) {
	index := make(map[string]int, len(phases))
	var names []string
	for i, pi := range phases {
		if _, dup := index[pi.ph.Name]; !dup {
			index[pi.ph.Name] = i
			names = append(names, pi.ph.Name)
		}
	}
	if si.axesOK {
		p.checkIDs(si)
	}
	if len(phases) == 0 {
		return // "phases" is missing or broken, as reported: every name would be unknown
	}
	sharded := make(map[int]bool)
	seen := make(map[string]*yaml.Node)
	for _, n := range si.phaseNodes {
		name := n.Value
		if first := seen[name]; first != nil {
			p.errAt(n, KindDuplicate, `"shards" lists phase %s twice (first at line %d)`, quote(name), first.Line)
			continue
		}
		seen[name] = n
		i, ok := index[name]
		if !ok {
			if s := suggest(name, names); s != "" {
				p.errAt(n, KindUnknownNeeds, `"shards" names unknown phase %s (did you mean %s?)`, quote(name), quote(s))
			} else {
				p.errAt(n, KindUnknownNeeds, `"shards" names unknown phase %s`, quote(name))
			}
			continue
		}
		sharded[i] = true
		si.spec.Phases = append(si.spec.Phases, name)
	}
	p.checkShardNeeds(phases, index, sharded)
}

// checkIDs checks the number of combinations and the ids they make.
func (p *parser) checkIDs(si *shardsInfo) {
	total, sizes := 1, make([]string, len(si.spec.Axes))
	for i, a := range si.spec.Axes {
		sizes[i] = fmt.Sprintf("%s %d", a.Name, len(a.Values))
		if total > math.MaxInt/len(a.Values) {
			total = math.MaxInt
		} else {
			total *= len(a.Values)
		}
	}
	if total > MaxShards {
		count := strconv.Itoa(total)
		if total == math.MaxInt {
			count = "more than " + strconv.Itoa(MaxShards)
		}
		p.errAt(si.matrixKey, KindValue, `"matrix" makes %s shards (%s); at most %d, as GitHub Actions runs at most %d jobs from one matrix`,
			count, strings.Join(sizes, " × "), MaxShards, MaxShards)
		return
	}
	first := make(map[string]Shard)
	for _, s := range combinations(si.spec.Axes) {
		switch f, dup := first[s.ID]; {
		case dup:
			p.errAt(si.matrixKey, KindDuplicate, "shards %s and %s both get the id %s; change a value", describe(f), describe(s), quote(s.ID))
			continue
		case splitRE.MatchString(s.ID):
			p.errAt(si.matrixKey, KindValue, "shard %s gets the id %s, which reads as a split (K-of-N); change a value", describe(s), quote(s.ID))
		case len(s.ID) > maxShardID:
			p.errAt(si.matrixKey, KindValue, "shard %s gets an id of %d characters; ids name folders (shards/<id>/), so at most %d", describe(s), len(s.ID), maxShardID)
		}
		first[s.ID] = s
	}
}

// describe shows a shard by its values, for messages about its id:
// {region: eu, sector: energy}.
func describe(s Shard) string {
	parts := make([]string, len(s.Values))
	for i, v := range s.Values {
		parts[i] = v.Axis + ": " + v.Value
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// checkShardNeeds enforces the one rule that splitting a mission adds. A
// phase that needs a sharded phase and is not sharded itself runs once,
// after every shard: in the merge. So a shard cannot run it, and no phase a
// shard runs may need it. A shard runs its sharded phases and every phase
// they need, directly or through others (the shard plan); no phase of the
// shard plan that is not sharded may need a sharded phase. As the shard
// plan holds every need of its phases, checking direct needs is enough.
// (A sharded phase may need another: each shard's instance needs the same
// shard's.) Each such need is reported where it is written, with the chain
// that brings its phase into the shard plan.
func (p *parser) checkShardNeeds(phases []*phaseInfo, index map[string]int, sharded map[int]bool) {
	// Breadth first from the sharded phases, in file order, through the
	// phases that are not sharded: via says where each was reached from,
	// so the chain reported is a shortest one.
	via := make(map[int]int)
	var queue []int
	for i := range phases {
		if sharded[i] {
			via[i] = -1
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, n := range phases[i].needNodes {
			j, ok := index[n.Value]
			if !ok || sharded[j] {
				continue
			}
			if _, reached := via[j]; !reached {
				via[j] = i
				queue = append(queue, j)
			}
		}
	}
	for u, pi := range phases {
		if _, inPlan := via[u]; !inPlan || sharded[u] {
			continue
		}
		var chain []string
		for i := u; i >= 0; i = via[i] {
			chain = append([]string{phases[i].ph.Name}, chain...)
		}
		for _, n := range pi.needNodes {
			if j, ok := index[n.Value]; ok && sharded[j] {
				p.errAt(n, KindCycle, "phase %s needs sharded phase %s, so it runs after every shard, but sharded phase %s needs it (%s): no shard can wait for it; shard %s too, or drop one of these needs",
					quote(pi.ph.Name), quote(n.Value), quote(chain[0]), strings.Join(chain, " -> "), quote(pi.ph.Name))
			}
		}
	}
}

// combinations lists every combination of the axes' values, the first axis
// varying slowest, with its id.
func combinations(axes []Axis) []Shard {
	if len(axes) == 0 {
		return nil
	}
	out := []Shard{{}}
	for _, a := range axes {
		next := make([]Shard, 0, len(out)*len(a.Values))
		for _, s := range out {
			for _, v := range a.Values {
				vals := make([]AxisValue, len(s.Values), len(s.Values)+1)
				copy(vals, s.Values)
				next = append(next, Shard{Values: append(vals, AxisValue{a.Name, v})})
			}
		}
		out = next
	}
	for i := range out {
		parts := make([]string, len(out[i].Values))
		for j, v := range out[i].Values {
			parts[j] = slugOrEmpty(v.Value)
		}
		out[i].ID = strings.Join(parts, "-")
	}
	return out
}
