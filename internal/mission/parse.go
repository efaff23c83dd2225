package mission

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// The name patterns. The schema repeats them; TestSchemaPatterns keeps the
// two in step.
var (
	envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	nameRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`) // phase names and step ids
	usesRE    = regexp.MustCompile(`^helios/[a-z0-9-]+$`)
	networkRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
)

const durationMsg = `must be a duration such as "90s" or "10m"`

// dayRE matches a duration written with days, which Go's durations do not
// have, such as "1d" or "2d12h".
var dayRE = regexp.MustCompile(`^[0-9.]+d`)

// Keys each mapping accepts, in the order the documentation lists them; the
// order is also the one unknown-key suggestions are tried in.
var (
	missionKeys = []string{"version", "name", "report-root", "network", "rpc", "env", "pass-env", "volatile", "phases", "shards"}
	phaseKeys   = []string{"needs", "timeout", "continue-on-error", "steps"}
	stepKeys    = []string{"name", "id", "run", "collect", "uses", "with", "env", "working-directory", "shell", "timeout", "continue-on-error"}
	collectKeys = []string{"from", "to", "optional"}
	passEnvKeys = []string{"name", "public"}
)

// synonyms maps words from other CI systems to our key, for suggestions that
// edit distance cannot find.
var synonyms = map[string]string{
	"jobs":              "phases",
	"stages":            "phases",
	"depends-on":        "needs",
	"depends_on":        "needs",
	"dependencies":      "needs",
	"requires":          "needs",
	"after":             "needs",
	"command":           "run",
	"cmd":               "run",
	"script":            "run",
	"cwd":               "working-directory",
	"workdir":           "working-directory",
	"dir":               "working-directory",
	"directory":         "working-directory",
	"timeout-minutes":   "timeout",
	"inputs":            "with",
	"args":              "with",
	"environment":       "env",
	"allow-failure":     "continue-on-error",
	"allow_failure":     "continue-on-error",
	"ignore-errors":     "continue-on-error",
	"ignore_errors":     "continue-on-error",
	"secrets":           "pass-env",
	"passenv":           "pass-env",
	"pass_env":          "pass-env",
	"report_root":       "report-root",
	"reportroot":        "report-root",
	"working_directory": "working-directory",
}

// expansionFactor and expansionSlack bound how many nodes the document may
// grow to when aliases are followed, relative to its size: a few aliases that
// each repeat a list of aliases ("billion laughs") would otherwise make a
// small file cost gigabytes. Real missions reuse a step or a phase, well
// within this.
const (
	expansionFactor = 10
	expansionSlack  = 10000
)

type parser struct {
	file     string
	src      []byte
	builtins []string
	errs     Errors
}

// entry is one key of a mapping, with merge keys expanded and aliases on the
// value resolved.
type entry struct {
	key  *yaml.Node
	name string
	val  *yaml.Node
}

// phaseInfo keeps the nodes needed to position errors found after the phase
// itself has been read.
type phaseInfo struct {
	ph        *Phase
	key       *yaml.Node
	needNodes []*yaml.Node
}

func quote(s string) string { return strconv.Quote(s) }

func pos(n *yaml.Node) Pos { return Pos{n.Line, n.Column} }

func (p *parser) errAt(n *yaml.Node, kind Kind, format string, args ...any) {
	p.errs = append(p.errs, NodeError(p.file, n, kind, format, args...))
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// typeName names a node's type the way the messages and the JSON Schema do.
func typeName(n *yaml.Node) string {
	n = resolve(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str", "!!timestamp", "!!merge":
			// A JSON consumer (the schema, an editor) sees these as strings.
			return "string"
		case "!!int", "!!float":
			return "number"
		case "!!bool":
			return "boolean"
		case "!!null":
			return "null"
		case "!!binary":
			return "binary data"
		}
		return "a value tagged " + n.Tag
	}
	return "nothing"
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func (p *parser) parse() *Mission {
	root := p.document()
	if root == nil || !p.checkExpansion(root) {
		return nil
	}
	m := p.mission(root)
	p.dedupe()
	return m
}

// checkExpansion refuses documents that following aliases would make
// infinite or huge, before anything else walks the tree. yaml.v3 only
// rejects an anchor whose value contains an alias to itself when decoding
// into Go values, not into a Node tree, so the cycle check is ours. The size
// check is explained at expansionFactor.
func (p *parser) checkExpansion(root *yaml.Node) bool {
	const (
		ceiling    = 1 << 40
		inProgress = -1
	)
	memo := make(map[*yaml.Node]int)
	nodes := 0
	cyclic, reported := false, false
	var size func(n *yaml.Node) int
	size = func(n *yaml.Node) int {
		if n == nil || cyclic {
			return 0
		}
		if s, ok := memo[n]; ok {
			if s == inProgress {
				cyclic = true
			}
			return max(s, 0)
		}
		memo[n] = inProgress
		nodes++
		s := 1
		if n.Kind == yaml.AliasNode {
			s += size(n.Alias)
			if cyclic {
				// Only the alias that closes the loop, not every alias
				// on the way to it.
				if !reported {
					p.errAt(n, KindSyntax, "invalid YAML: anchor %s value contains itself", quote(n.Value))
					reported = true
				}
				return 0
			}
		}
		for _, c := range n.Content {
			s = min(s+size(c), ceiling)
		}
		memo[n] = s
		return s
	}
	total := size(root)
	if cyclic {
		return false
	}
	if limit := expansionFactor*nodes + expansionSlack; total > limit {
		p.errAt(root, KindValue, "aliases expand this document to more than %d nodes (limit %d); reuse less through aliases", total, limit)
		return false
	}
	return true
}

// dedupe drops repeated errors: a node reached through several aliases is
// checked each time, but its problems should be reported once.
func (p *parser) dedupe() {
	type key struct {
		line, col int
		msg       string
	}
	seen := make(map[key]bool, len(p.errs))
	out := p.errs[:0]
	for _, e := range p.errs {
		k := key{e.Line, e.Col, e.Msg}
		if !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	p.errs = out
}

// entries lists the keys of the mapping m in file order. Merge keys ("<<")
// are expanded in place, with keys written in m taking precedence. Repeated
// keys are reported, naming the line of the first, and dropped: YAML leaves
// their meaning undefined and yaml.v3's Node API keeps both silently. what
// names the mapping in messages.
func (p *parser) entries(m *yaml.Node, what string) []entry {
	m = resolve(m)
	explicit := make(map[string]*yaml.Node)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := resolve(m.Content[i])
		if k.Kind != yaml.ScalarNode || isMerge(m.Content[i]) {
			continue
		}
		if _, dup := explicit[k.Value]; !dup {
			explicit[k.Value] = m.Content[i]
		}
	}
	var out []entry
	added := make(map[string]bool)
	for i := 0; i+1 < len(m.Content); i += 2 {
		keyNode, val := m.Content[i], m.Content[i+1]
		k := resolve(keyNode)
		if isMerge(keyNode) {
			for _, e := range p.merged(val, what) {
				if explicit[e.name] == nil && !added[e.name] {
					added[e.name] = true
					out = append(out, e)
				}
			}
			continue
		}
		if k.Kind != yaml.ScalarNode {
			p.errAt(keyNode, KindType, "keys in %s must be strings, got %s", what, typeName(k))
			continue
		}
		if first := explicit[k.Value]; first != keyNode {
			p.duplicateKey(keyNode, first, k.Value, what)
			continue
		}
		added[k.Value] = true
		out = append(out, entry{key: keyNode, name: k.Value, val: resolve(val)})
	}
	return out
}

func isMerge(k *yaml.Node) bool {
	k = resolve(k)
	return k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge"
}

// merged returns the entries a merge key brings in: one mapping, or a list
// of mappings where earlier ones win, as YAML's merge key type specifies.
func (p *parser) merged(val *yaml.Node, what string) []entry {
	v := resolve(val)
	switch v.Kind {
	case yaml.MappingNode:
		return p.entries(v, what)
	case yaml.SequenceNode:
		var out []entry
		seen := make(map[string]bool)
		for _, item := range v.Content {
			if resolve(item).Kind != yaml.MappingNode {
				p.errAt(item, KindType, `each item of a merge ("<<") must be a mapping, got %s`, typeName(item))
				continue
			}
			for _, e := range p.entries(item, what) {
				if !seen[e.name] {
					seen[e.name] = true
					out = append(out, e)
				}
			}
		}
		return out
	}
	p.errAt(val, KindType, `a merge ("<<") must be a mapping or a list of mappings, got %s`, typeName(v))
	return nil
}

func (p *parser) duplicateKey(second, first *yaml.Node, name, what string) {
	if what == "phases" {
		p.errAt(second, KindDuplicate, "phase %s is defined twice (first at line %d)", quote(name), first.Line)
		return
	}
	p.errAt(second, KindDuplicate, "duplicate key %s in %s (first at line %d)", quote(name), what, first.Line)
}

// checkDuplicateKeys reports repeated keys anywhere under n, for the
// free-form "with" values that entries never reads.
func (p *parser) checkDuplicateKeys(n *yaml.Node, what string, seen map[*yaml.Node]bool) {
	n = resolve(n)
	if n == nil || seen[n] {
		return
	}
	seen[n] = true
	if n.Kind == yaml.MappingNode {
		first := make(map[string]*yaml.Node)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := resolve(n.Content[i])
			if k.Kind != yaml.ScalarNode || isMerge(k) {
				continue
			}
			if f, dup := first[k.Value]; dup {
				p.duplicateKey(n.Content[i], f, k.Value, what)
			} else {
				first[k.Value] = n.Content[i]
			}
		}
	}
	for _, c := range n.Content {
		p.checkDuplicateKeys(c, what, seen)
	}
}

func (p *parser) unknownKey(e entry, what string, known []string) {
	hint := ""
	if s, ok := synonyms[strings.ToLower(e.name)]; ok && contains(known, s) {
		hint = s
		// Actions' "timeout-minutes: 30" is "timeout: 30m" here: say so
		// whole, or the next run says a number needs a unit.
		if s == "timeout" && typeName(e.val) == "number" {
			if _, err := time.ParseDuration(e.val.Value + "m"); err == nil {
				hint = "timeout: " + e.val.Value + "m"
			}
		}
	} else {
		hint = suggest(e.name, known)
	}
	if hint != "" {
		p.errAt(e.key, KindUnknownKey, "unknown key %s in %s (did you mean %s?)", quote(e.name), what, quote(hint))
		return
	}
	p.errAt(e.key, KindUnknownKey, "unknown key %s in %s; expected one of %s", quote(e.name), what, quoteList(known, "or"))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// str reads a string value. JSON Schema (and so an editor) sees a YAML
// number or boolean as what it is, not as a string, so neither is accepted
// where a string is expected; quoting fixes it.
func (p *parser) str(e entry) (string, bool) {
	if typeName(e.val) != "string" {
		p.errAt(e.val, KindType, "%s must be a string, got %s", quote(e.name), typeName(e.val))
		return "", false
	}
	return e.val.Value, true
}

// nonEmptyStr is str for values where an empty or blank string is a mistake.
func (p *parser) nonEmptyStr(e entry) (string, bool) {
	s, ok := p.str(e)
	if ok && strings.TrimSpace(s) == "" {
		p.errAt(e.val, KindEmpty, "%s must not be empty", quote(e.name))
		return "", false
	}
	return s, ok
}

// boolean reads true or false. yes/no/on/off are plain strings to yaml.v3
// (YAML 1.2), so they get a message that says so.
func (p *parser) boolean(e entry) (bool, bool) {
	v := e.val
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!bool" {
		b, err := strconv.ParseBool(strings.ToLower(v.Value))
		if err == nil {
			return b, true
		}
	}
	if typeName(v) == "string" {
		p.errAt(v, KindType, "%s must be true or false, got %s", quote(e.name), quote(v.Value))
	} else {
		p.errAt(v, KindType, "%s must be true or false, got %s", quote(e.name), typeName(v))
	}
	return false, false
}

// duration reads a positive Go duration string.
func (p *parser) duration(e entry) (time.Duration, bool) {
	v := e.val
	switch typeName(v) {
	case "string":
	case "number":
		p.errAt(v, KindType, "%s %s, got the number %s; add a unit", quote(e.name), durationMsg, v.Value)
		return 0, false
	default:
		p.errAt(v, KindType, "%s %s, got %s", quote(e.name), durationMsg, typeName(v))
		return 0, false
	}
	d, err := time.ParseDuration(v.Value)
	if err != nil {
		if dayRE.MatchString(v.Value) {
			p.errAt(v, KindValue, `%s %s, got %s; there is no unit "d": use "24h" for a day`, quote(e.name), durationMsg, quote(v.Value))
		} else {
			p.errAt(v, KindValue, "%s %s, got %s", quote(e.name), durationMsg, quote(v.Value))
		}
		return 0, false
	}
	if d <= 0 {
		p.errAt(v, KindValue, "%s must be positive, got %s", quote(e.name), quote(v.Value))
		return 0, false
	}
	return d, true
}

func (p *parser) relPath(e entry, allowBase bool) (string, bool) {
	s, ok := p.str(e)
	if !ok {
		return "", false
	}
	c, prob := cleanRelPath(s, allowBase)
	if prob != nil {
		p.errAt(e.val, prob.kind, "%s %s", quote(e.name), prob.msg)
		return "", false
	}
	return c, true
}

// globs reads a list of globs, or with allowScalar also a single one.
func (p *parser) globs(e entry, allowScalar bool) []string {
	var items []*yaml.Node
	switch v := e.val; {
	case allowScalar && v.Kind == yaml.ScalarNode:
		items = []*yaml.Node{v}
	case v.Kind == yaml.SequenceNode:
		if len(v.Content) == 0 {
			p.errAt(v, KindEmpty, "%s must not be empty", quote(e.name))
			return nil
		}
		items = v.Content
	default:
		if allowScalar {
			p.errAt(v, KindType, "%s must be a glob or a list of globs, got %s", quote(e.name), typeName(v))
		} else {
			p.errAt(v, KindType, "%s must be a list of globs, got %s", quote(e.name), typeName(v))
		}
		return nil
	}
	var out []string
	for _, it := range items {
		it = resolve(it)
		if typeName(it) != "string" {
			p.errAt(it, KindType, "each glob in %s must be a string, got %s", quote(e.name), typeName(it))
			continue
		}
		if prob := checkGlob(it.Value); prob != nil {
			p.errAt(it, prob.kind, "glob %s in %s %s", quote(it.Value), quote(e.name), prob.msg)
			continue
		}
		out = append(out, it.Value)
	}
	return out
}

// mission reads the top-level mapping and then checks what spans phases.
func (p *parser) mission(root *yaml.Node) *Mission {
	root = resolve(root)
	if isNull(root) {
		p.errAt(root, KindEmpty, "mission file is empty")
		return nil
	}
	if root.Kind != yaml.MappingNode {
		p.errAt(root, KindType, `a mission must be a mapping with "version" and "phases", got %s`, typeName(root))
		return nil
	}
	m := &Mission{
		Name:       defaultName(p.file),
		ReportRoot: DefaultReportRoot,
		Network:    DefaultNetwork,
		RPC:        RPCRequired,
	}
	var (
		haveVersion, havePhases bool
		phases                  []*phaseInfo
		shards                  *shardsInfo
		envKeys                 = map[string]*yaml.Node{}
		passKeys                = map[string]*yaml.Node{}
	)
	for _, e := range p.entries(root, "mission") {
		switch e.name {
		case "version":
			haveVersion = true
			m.Version, _ = p.version(e)
		case "name":
			if s, ok := p.nonEmptyStr(e); ok {
				m.Name = s
			}
		case "report-root":
			if s, ok := p.relPath(e, false); ok {
				m.ReportRoot = s
			}
		case "network":
			if s, ok := p.nonEmptyStr(e); ok {
				if !networkRE.MatchString(s) {
					p.errAt(e.val, KindValue, `"network" must be a network name such as "hardhat" or "sepolia" (letters, digits, '.', '_' and '-'), got %s`, quote(s))
				} else {
					m.Network = s
				}
			}
		case "rpc":
			if v, ok := p.rpc(e); ok {
				m.RPC = v
			}
		case "env":
			m.Env = p.env(e, envKeys)
		case "pass-env":
			m.PassEnv = p.passEnv(e, passKeys)
		case "volatile":
			m.Volatile = p.globs(e, false)
		case "phases":
			havePhases = true
			phases = p.phases(e)
		case "shards":
			shards = p.shards(e)
		default:
			p.unknownKey(e, "mission", missionKeys)
		}
	}
	if !haveVersion {
		p.errAt(root, KindMissing, `missing required key "version" in mission (add "version: 1")`)
	}
	if !havePhases {
		p.errAt(root, KindMissing, `missing required key "phases" in mission`)
	}
	// One name set twice with different sources has no obvious winner.
	for _, pe := range m.PassEnv {
		if k := envKeys[pe.Name]; k != nil {
			p.errAt(passKeys[pe.Name], KindDuplicate, "%s is both passed through \"pass-env\" and set in \"env\" at line %d; keep one", quote(pe.Name), k.Line)
		}
	}
	for _, pi := range phases {
		m.Phases = append(m.Phases, pi.ph)
	}
	p.checkNeeds(phases)
	if shards != nil {
		p.checkShards(shards, phases)
		m.Sharding = shards.spec
	}
	return m
}

// rpc reads "rpc: required | optional". A near miss gets a suggestion
// ("optinal", "Optional"); the values are case-sensitive, as in the schema.
func (p *parser) rpc(e entry) (RPC, bool) {
	const want = `"rpc" must be "required" or "optional"`
	if tn := typeName(e.val); tn != "string" {
		p.errAt(e.val, KindType, "%s, got %s", want, tn)
		return "", false
	}
	s := e.val.Value
	if contains(rpcValues, s) {
		return RPC(s), true
	}
	if hint := suggest(s, rpcValues); hint != "" {
		p.errAt(e.val, KindValue, "%s, got %s (did you mean %s?)", want, quote(s), quote(hint))
	} else {
		p.errAt(e.val, KindValue, "%s, got %s", want, quote(s))
	}
	return "", false
}

func (p *parser) version(e entry) (int, bool) {
	v := e.val
	if tn := typeName(v); tn != "number" {
		p.errAt(v, KindType, `"version" must be the number 1, got %s`, tn)
		return 0, false
	}
	// JSON Schema's const 1 also accepts 1.0, so the parser does too.
	f, err := strconv.ParseFloat(strings.ReplaceAll(v.Value, "_", ""), 64)
	if err != nil || f != Version {
		p.errAt(v, KindValue, "unsupported mission version %s; this helios reads version %d", v.Value, Version)
		return 0, false
	}
	return Version, true
}

// env reads a NAME: scalar mapping. keys collects the name nodes, for the
// check against pass-env.
func (p *parser) env(e entry, keys map[string]*yaml.Node) []EnvVar {
	if e.val.Kind != yaml.MappingNode {
		p.errAt(e.val, KindType, `"env" must be a mapping of NAME: value, got %s`, typeName(e.val))
		return nil
	}
	var out []EnvVar
	for _, kv := range p.entries(e.val, `"env"`) {
		if !envNameRE.MatchString(kv.name) {
			p.errAt(kv.key, KindValue, "invalid environment variable name %s: names must match [A-Za-z_][A-Za-z0-9_]*", quote(kv.name))
			continue
		}
		val, ok := envValue(kv.val)
		if !ok {
			p.errAt(kv.val, KindType, "env %s must be a string, number or boolean, got %s", kv.name, typeName(kv.val))
			continue
		}
		if keys != nil {
			keys[kv.name] = kv.key
		}
		out = append(out, EnvVar{Name: kv.name, Value: val, Pos: pos(kv.key)})
	}
	return out
}

// envValue converts a scalar to the string a process will see. Numbers keep
// the text they were written with: "1.10" is a version, not 1.1, and "0777"
// is a mode, not 511. Booleans are normalised so that scripts can compare
// against "true".
func envValue(n *yaml.Node) (string, bool) {
	switch typeName(n) {
	case "string", "number":
		return n.Value, true
	case "boolean":
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err != nil {
			return n.Value, true
		}
		return strconv.FormatBool(b), true
	}
	return "", false
}

func (p *parser) passEnv(e entry, keys map[string]*yaml.Node) []PassEnv {
	if e.val.Kind != yaml.SequenceNode {
		p.errAt(e.val, KindType, `"pass-env" must be a list of variable names, got %s`, typeName(e.val))
		return nil
	}
	var out []PassEnv
	for _, item := range e.val.Content {
		item = resolve(item)
		pe := PassEnv{Pos: pos(item)}
		nameNode := item
		switch {
		case typeName(item) == "string":
			pe.Name = item.Value
		case item.Kind == yaml.MappingNode:
			nameNode = nil
			for _, kv := range p.entries(item, `"pass-env" item`) {
				switch kv.name {
				case "name":
					nameNode = kv.val
					pe.Name, _ = p.str(kv)
				case "public":
					pe.Public, _ = p.boolean(kv)
				default:
					p.unknownKey(kv, `"pass-env" item`, passEnvKeys)
				}
			}
			if nameNode == nil {
				p.errAt(item, KindMissing, `missing required key "name" in "pass-env" item`)
				continue
			}
		default:
			p.errAt(item, KindType, `each item of "pass-env" must be a variable name or a mapping with "name" and "public", got %s`, typeName(item))
			continue
		}
		if typeName(nameNode) != "string" {
			continue // reported by str
		}
		if !envNameRE.MatchString(pe.Name) {
			p.errAt(nameNode, KindValue, "invalid environment variable name %s: names must match [A-Za-z_][A-Za-z0-9_]*", quote(pe.Name))
			continue
		}
		if first := keys[pe.Name]; first != nil {
			p.errAt(nameNode, KindDuplicate, "%s is listed twice in \"pass-env\" (first at line %d)", quote(pe.Name), first.Line)
			continue
		}
		keys[pe.Name] = nameNode
		out = append(out, pe)
	}
	return out
}

func (p *parser) phases(e entry) []*phaseInfo {
	v := e.val
	if v.Kind != yaml.MappingNode {
		p.errAt(v, KindType, `"phases" must be a mapping of phase name to phase, got %s`, typeName(v))
		return nil
	}
	ents := p.entries(v, "phases")
	if len(ents) == 0 {
		// Also for a mapping that only merges an empty one: a mission with
		// no phases would succeed without doing anything.
		p.errAt(v, KindEmpty, `"phases" must not be empty`)
		return nil
	}
	var out []*phaseInfo
	for _, pe := range ents {
		out = append(out, p.phase(pe))
	}
	return out
}

// phase reads one phase. It always returns one, even for a broken phase, so
// that needs naming it do not also fail as unknown.
func (p *parser) phase(e entry) *phaseInfo {
	pi := &phaseInfo{ph: &Phase{Name: e.name, Pos: pos(e.key)}, key: e.key}
	if !nameRE.MatchString(e.name) {
		p.errAt(e.key, KindValue, "invalid phase name %s: names must match ^[a-z0-9][a-z0-9._-]*$ (try %s)", quote(e.name), quote(Slug(e.name)))
	}
	what := "phase " + quote(e.name)
	v := e.val
	switch {
	case isNull(v):
		p.errAt(e.key, KindEmpty, `%s is empty; it needs "steps"`, what)
		return pi
	case v.Kind == yaml.SequenceNode:
		p.errAt(v, KindType, `%s must be a mapping, got list (put the steps under "steps:")`, what)
		return pi
	case v.Kind != yaml.MappingNode:
		p.errAt(v, KindType, "%s must be a mapping, got %s", what, typeName(v))
		return pi
	}
	haveSteps := false
	for _, kv := range p.entries(v, what) {
		switch kv.name {
		case "needs":
			pi.needNodes = p.needs(kv)
		case "timeout":
			pi.ph.Timeout, _ = p.duration(kv)
		case "continue-on-error":
			pi.ph.ContinueOnError, _ = p.boolean(kv)
		case "steps":
			haveSteps = true
			pi.ph.Steps = p.steps(kv)
		default:
			p.unknownKey(kv, what, phaseKeys)
		}
	}
	if !haveSteps {
		p.errAt(e.key, KindMissing, `missing required key "steps" in %s`, what)
	}
	for _, n := range pi.needNodes {
		pi.ph.Needs = append(pi.ph.Needs, n.Value)
	}
	return pi
}

// needs returns the nodes of the phase names listed, for positioning the
// checks that can only run once every phase is known.
func (p *parser) needs(e entry) []*yaml.Node { return p.phaseNames(e, `"needs"`, true) }

// phaseNames reads key's value, a phase name or a list of them, and
// returns their nodes; an empty list is an error unless emptyOK.
func (p *parser) phaseNames(e entry, key string, emptyOK bool) []*yaml.Node {
	v := e.val
	var items []*yaml.Node
	switch {
	case typeName(v) == "string":
		items = []*yaml.Node{v}
	case v.Kind == yaml.SequenceNode:
		if len(v.Content) == 0 && !emptyOK {
			p.errAt(v, KindEmpty, `%s must not be empty`, key)
			return nil
		}
		items = v.Content
	default:
		p.errAt(v, KindType, `%s must be a phase name or a list of them, got %s`, key, typeName(v))
		return nil
	}
	var out []*yaml.Node
	for _, it := range items {
		it = resolve(it)
		if typeName(it) != "string" {
			p.errAt(it, KindType, `each item of %s must be a phase name, got %s`, key, typeName(it))
			continue
		}
		out = append(out, it)
	}
	return out
}

func (p *parser) steps(e entry) []*Step {
	v := e.val
	if v.Kind != yaml.SequenceNode {
		p.errAt(v, KindType, `"steps" must be a list, got %s`, typeName(v))
		return nil
	}
	if len(v.Content) == 0 {
		p.errAt(v, KindEmpty, `"steps" must not be empty`)
		return nil
	}
	var (
		steps    []*Step
		idNodes  = map[string]*yaml.Node{}
		nameNode = map[string]*yaml.Node{}
	)
	for _, item := range v.Content {
		s, idNode, nmNode := p.step(item)
		if s == nil {
			continue
		}
		if idNode != nil {
			if first := idNodes[s.ID]; first != nil {
				p.errAt(idNode, KindDuplicate, "duplicate step id %s (first at line %d)", quote(s.ID), first.Line)
			} else {
				idNodes[s.ID] = idNode
			}
		}
		if nmNode != nil {
			if first := nameNode[s.Name]; first != nil {
				p.errAt(nmNode, KindDuplicate, "duplicate step name %s (first at line %d)", quote(s.Name), first.Line)
			} else {
				nameNode[s.Name] = nmNode
			}
		}
		steps = append(steps, s)
	}
	assignIDs(steps)
	return steps
}

// assignIDs gives each step without an explicit id one derived from what it
// does. Explicit ids are reserved first, so adding a derived step never
// changes an id someone wrote down; derived ids that collide get -2, -3, ….
func assignIDs(steps []*Step) {
	used := make(map[string]bool)
	for _, s := range steps {
		if s.ID != "" {
			used[s.ID] = true
		}
	}
	for _, s := range steps {
		if s.ID != "" {
			continue
		}
		base := deriveID(s)
		id := base
		for n := 2; used[id]; n++ {
			suffix := "-" + strconv.Itoa(n)
			id = trimSlug(base[:min(len(base), maxSlug-len(suffix))]) + suffix
		}
		used[id] = true
		s.ID = id
	}
}

// deriveID is the id a step gets when it has none: from its name, else from
// the first line of its command, its first glob or its built-in.
func deriveID(s *Step) string {
	switch {
	case s.Name != "":
		return Slug(s.Name)
	case s.Kind == Run:
		for _, line := range strings.Split(s.Run, "\n") {
			if strings.TrimSpace(line) != "" {
				return Slug(line)
			}
		}
		return "run"
	case s.Kind == Collect:
		if s.Collect != nil && len(s.Collect.From) > 0 {
			return Slug("collect " + s.Collect.From[0])
		}
		return "collect"
	case s.Kind == Uses:
		return Slug(s.Uses)
	}
	return "step"
}

// step reads one step. It returns the nodes of an explicit id and name for
// the duplicate checks, which need the whole phase.
func (p *parser) step(item *yaml.Node) (s *Step, idNode, nameNode *yaml.Node) {
	item = resolve(item)
	switch {
	case isNull(item):
		p.errAt(item, KindEmpty, `step is empty; it needs one of "run", "collect" or "uses"`)
		return nil, nil, nil
	case typeName(item) == "string":
		p.errAt(item, KindType, "a step must be a mapping, got string (did you mean %s?)", quote("run: "+firstLine(item.Value)))
		return nil, nil, nil
	case item.Kind != yaml.MappingNode:
		p.errAt(item, KindType, "a step must be a mapping, got %s", typeName(item))
		return nil, nil, nil
	}
	s = &Step{Pos: pos(item)}
	var kindKey, envKey, wdKey, withKey, shellKey *yaml.Node
	setKind := func(kv entry, k StepKind) {
		if kindKey != nil {
			p.errAt(kv.key, KindValue, `a step does one thing, but this one has both %s and %s; split it into two steps`, quote(resolve(kindKey).Value), quote(kv.name))
			return
		}
		kindKey = kv.key
		s.Kind = k
	}
	for _, kv := range p.entries(item, "step") {
		switch kv.name {
		case "name":
			if v, ok := p.nonEmptyStr(kv); ok {
				s.Name = v
				nameNode = kv.val
			}
		case "id":
			if v, ok := p.str(kv); ok {
				if !nameRE.MatchString(v) {
					p.errAt(kv.val, KindValue, "invalid step id %s: ids must match ^[a-z0-9][a-z0-9._-]*$ (try %s)", quote(v), quote(Slug(v)))
				} else {
					s.ID = v
					idNode = kv.val
				}
			}
		case "run":
			setKind(kv, Run)
			s.Run, _ = p.nonEmptyStr(kv)
		case "collect":
			setKind(kv, Collect)
			s.Collect = p.collect(kv)
		case "uses":
			setKind(kv, Uses)
			s.Uses = p.uses(kv)
		case "with":
			withKey = kv.key
			s.With = kv.val
			p.checkDuplicateKeys(kv.val, `"with"`, make(map[*yaml.Node]bool))
		case "env":
			envKey = kv.key
			s.Env = p.env(kv, nil)
		case "working-directory":
			wdKey = kv.key
			s.WorkingDirectory, _ = p.relPath(kv, true)
		case "shell":
			shellKey = kv.key
			s.Shell = p.shell(kv)
		case "timeout":
			s.Timeout, _ = p.duration(kv)
		case "continue-on-error":
			s.ContinueOnError, _ = p.boolean(kv)
		default:
			p.unknownKey(kv, "step", stepKeys)
		}
	}
	if kindKey == nil {
		p.errAt(item, KindMissing, `step needs one of "run", "collect" or "uses"`)
	}
	// Keys that the step's kind would ignore are mistakes: say so rather than
	// run something other than what the user thinks.
	if withKey != nil && s.Kind != Uses {
		p.errAt(withKey, KindValue, `"with" only applies to "uses" steps`)
	}
	if wdKey != nil && s.Kind != Run {
		p.errAt(wdKey, KindValue, `"working-directory" only applies to "run" steps`)
	}
	if shellKey != nil && s.Kind != Run {
		p.errAt(shellKey, KindValue, `"shell" only applies to "run" steps`)
	}
	if envKey != nil && s.Kind == Collect {
		p.errAt(envKey, KindValue, `"env" does not apply to "collect" steps`)
	}
	return s, idNode, nameNode
}

// shell reads "shell": one of Shells, or a command that names the
// script file as {0}, as GitHub Actions takes it. The command is split at
// spaces (see ShellWords), so quotes and backslashes, which would read as
// if they grouped or escaped something, are refused.
func (p *parser) shell(e entry) string {
	s, ok := p.nonEmptyStr(e)
	if !ok {
		return ""
	}
	if _, named := Shells[s]; named {
		return s
	}
	const want = `"shell" must be %s, or a command with {0} for the script file such as "perl {0}"`
	names := quoteList(shellNames, "or")
	if !strings.Contains(s, ScriptArg) {
		if hint := suggest(strings.TrimSpace(s), shellNames); hint != "" {
			p.errAt(e.val, KindValue, want+", got %s (did you mean %s?)", names, quote(s), quote(hint))
		} else {
			p.errAt(e.val, KindValue, want+", got %s", names, quote(s))
		}
		return ""
	}
	if strings.ContainsAny(s, `"'\`) {
		p.errAt(e.val, KindValue, `"shell" is split at spaces and takes no quotes or backslashes, got %s`, quote(s))
		return ""
	}
	words := ShellWords(s)
	if strings.Contains(words[0], ScriptArg) {
		p.errAt(e.val, KindValue, `"shell" must start with the command that runs the script, such as "perl {0}", got %s`, quote(s))
		return ""
	}
	// One space between words, as the plan and the receipts show it.
	return strings.Join(words, " ")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func (p *parser) collect(e entry) *CollectSpec {
	v := e.val
	if v.Kind != yaml.MappingNode {
		p.errAt(v, KindType, `"collect" must be a mapping with "from" (and optionally "to" and "optional"), got %s`, typeName(v))
		return nil
	}
	c := &CollectSpec{}
	haveFrom := false
	for _, kv := range p.entries(v, `"collect"`) {
		switch kv.name {
		case "from":
			haveFrom = true
			c.From = p.globs(kv, true)
		case "to":
			if s, ok := p.relPath(kv, true); ok {
				c.To = s
			}
		case "optional":
			c.Optional, _ = p.boolean(kv)
		default:
			p.unknownKey(kv, `"collect"`, collectKeys)
		}
	}
	if !haveFrom {
		p.errAt(e.key, KindMissing, `missing required key "from" in "collect"`)
	}
	return c
}

func (p *parser) uses(e entry) string {
	s, ok := p.str(e)
	if !ok {
		return ""
	}
	if !usesRE.MatchString(s) {
		p.errAt(e.val, KindValue, `"uses" must name a built-in step such as "helios/name", got %s`, quote(s))
		return ""
	}
	if contains(p.builtins, s) {
		return s
	}
	switch {
	case len(p.builtins) == 0:
		p.errAt(e.val, KindValue, "unknown built-in step %s; no built-in steps are available", quote(s))
	case suggest(s, p.builtins) != "":
		p.errAt(e.val, KindValue, "unknown built-in step %s (did you mean %s?); available: %s", quote(s), quote(suggest(s, p.builtins)), quoteList(p.builtins, "and"))
	default:
		p.errAt(e.val, KindValue, "unknown built-in step %s; available: %s", quote(s), quoteList(p.builtins, "and"))
	}
	return ""
}

// checkNeeds resolves every phase's needs and then looks for cycles among
// the edges that resolved.
func (p *parser) checkNeeds(phases []*phaseInfo) {
	index := make(map[string]int, len(phases))
	var names []string
	for i, pi := range phases {
		if _, dup := index[pi.ph.Name]; !dup {
			index[pi.ph.Name] = i
			names = append(names, pi.ph.Name)
		}
	}
	edges := make([][]int, len(phases)) // phase -> the phases it needs
	for i, pi := range phases {
		seen := make(map[string]*yaml.Node)
		for _, n := range pi.needNodes {
			name := n.Value
			if first := seen[name]; first != nil {
				p.errAt(n, KindDuplicate, "phase %s lists %s in \"needs\" twice (first at line %d)", quote(pi.ph.Name), quote(name), first.Line)
				continue
			}
			seen[name] = n
			j, ok := index[name]
			switch {
			case !ok:
				if s := suggest(name, names); s != "" {
					p.errAt(n, KindUnknownNeeds, "phase %s needs unknown phase %s (did you mean %s?)", quote(pi.ph.Name), quote(name), quote(s))
				} else {
					p.errAt(n, KindUnknownNeeds, "phase %s needs unknown phase %s", quote(pi.ph.Name), quote(name))
				}
			case j == i:
				p.errAt(n, KindCycle, "phase %s needs itself", quote(name))
			default:
				edges[i] = append(edges[i], j)
			}
		}
	}
	for _, cycle := range findCycles(edges) {
		names := make([]string, 0, len(cycle)+1)
		for _, i := range cycle {
			names = append(names, phases[i].ph.Name)
		}
		names = append(names, names[0])
		p.errAt(phases[cycle[0]].key, KindCycle, "phases form a cycle: %s", strings.Join(names, " -> "))
	}
}

// findCycles returns cycles in the graph, each rotated to start at its
// earliest node, so that the report is the same however the file is edited
// around it. After Kahn's algorithm removes every node that can be ordered,
// each remaining node needs another remaining node, so following needs from
// any of them must loop. Each walk that closes a new loop reports it; nodes
// merely downstream of a cycle are not cycles themselves and are skipped.
func findCycles(edges [][]int) [][]int {
	n := len(edges)
	indeg := make([]int, n) // here: how many remaining phases each one needs
	needers := make([][]int, n)
	for i, out := range edges {
		indeg[i] = len(out)
		for _, j := range out {
			needers[j] = append(needers[j], i)
		}
	}
	var queue []int
	for i := range indeg {
		if indeg[i] == 0 {
			queue = append(queue, i)
		}
	}
	removed := make([]bool, n)
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		removed[i] = true
		for _, k := range needers[i] {
			indeg[k]--
			if indeg[k] == 0 {
				queue = append(queue, k)
			}
		}
	}
	var cycles [][]int
	visited := make([]bool, n)
walks:
	for start := 0; start < n; start++ {
		if removed[start] || visited[start] {
			continue
		}
		stepOf := make(map[int]int) // node -> index in path
		var path []int
		i := start
		for !visited[i] {
			visited[i] = true
			stepOf[i] = len(path)
			path = append(path, i)
			next := -1
			for _, j := range edges[i] {
				if !removed[j] {
					next = j
					break
				}
			}
			if next < 0 {
				continue walks // cannot happen after Kahn's algorithm
			}
			i = next
		}
		at, onPath := stepOf[i]
		if !onPath {
			continue // ran into a cycle found by an earlier walk
		}
		cycle := path[at:]
		first := 0
		for k, x := range cycle {
			if x < cycle[first] {
				first = k
			}
		}
		cycles = append(cycles, append(append([]int{}, cycle[first:]...), cycle[:first]...))
	}
	return cycles
}
