package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Which outputs differ between two identical runs. A stand-in of upstream's
// scripts must stamp exactly the files upstream stamps, so that a test of two
// runs proves the drill's volatile declarations cover them, no more, no less.
//
// A stamp is a read of the clock or of a random source (clockRe) whose value
// reaches an output. The reads are found in the source that produces the
// output. Which source that is, and which of its reads reach which output, is
// read from a hand-written table (stampRules) where a regular expression
// cannot tell: a demo writes its summary itself but copies a sub-command's
// timestamp into it, a renderer stamps one format and not another. Every row
// is checked against the checkout when the contract is built: the producer
// exists, each claimed line holds a clock read (or the copied value), the
// evidence that ties the output to the producer is still in the sources, and
// every clock read of a listed producer is claimed or excluded with a reason,
// so a new read upstream stops the program instead of going unrecorded.

// Stamp is one clock or random read whose value reaches an output, or, for
// an output that has none of its own, the line that copies such a value in
// from another output.
type Stamp struct {
	Source string `json:"source"`
	Line   int    `json:"line"`
	What   string `json:"what"`
	// When: the condition under which it applies (a format, a mode); empty
	// when it always does.
	When string `json:"when,omitempty"`
	// File: for a directory or a script with several outputs, the files
	// that carry it.
	File string `json:"file,omitempty"`
}

// clockRe finds the candidates in the code view (comments and string
// contents masked); clockReads keeps those that are calls. new Date(x) and
// Date(x) with an argument convert a value and are not clock reads.
var clockRe = regexp.MustCompile(`\bnew\s+Date\b|\bDate\.now\b|\bDate\b|\bMath\.random\b|\brandomUUID\b|\bperformance\.now\b|\bprocess\.hrtime\b|\brandomBytes\b|\bgetRandomValues\b`)

// shClockRe: the same for bash, on lines that are not comments.
var shClockRe = regexp.MustCompile("\\$\\(\\s*date\\b|`date\\b|\\$\\{?(?:RANDOM|SECONDS|EPOCHSECONDS|EPOCHREALTIME)\\b|\\buuidgen\\b|/dev/u?random\\b")

type clockRead struct {
	line int
	what string
	fn   string // innermost enclosing function declaration, "" at file level
}

// producer is one source file read for stamps.
type producer struct {
	path  string
	lines []string // text, 1-based through line-1
	reads []clockRead
	js    *source // nil for bash
}

func (p *producer) lineText(n int) string { return p.lines[n-1] }

func newProducer(rel, text string) (*producer, error) {
	p := &producer{path: rel, lines: strings.Split(text, "\n")}
	if strings.HasSuffix(rel, ".sh") {
		for i, l := range p.lines {
			if strings.HasPrefix(strings.TrimSpace(l), "#") {
				continue
			}
			for _, m := range shClockRe.FindAllString(l, -1) {
				p.reads = append(p.reads, clockRead{line: i + 1, what: m})
			}
		}
		return p, nil
	}
	s, err := newSource(rel, text)
	if err != nil {
		return nil, err
	}
	p.js = s
	if p.reads, err = s.clockReads(); err != nil {
		return nil, err
	}
	return p, nil
}

// clockReads lists the clock and random calls of a JS/TS source, each with
// its expression extended over the calls chained to it (new
// Date().toISOString()).
func (s *source) clockReads() ([]clockRead, error) {
	var out []clockRead
	for _, m := range clockRe.FindAllStringIndex(s.code, -1) {
		word := s.code[m[0]:m[1]]
		if m[0] > 0 && (s.code[m[0]-1] == '.' || s.code[m[0]-1] == '$') {
			continue // a property or identifier that only ends like one
		}
		i := s.skipSpace(m[1])
		called := i < len(s.code) && s.code[i] == '('
		if !called && word != "process.hrtime" {
			continue // an import, a type, a reference
		}
		end := m[1]
		if called {
			closeP, err := s.matchClose(i)
			if err != nil {
				return nil, err
			}
			if (word == "Date" || strings.HasPrefix(word, "new")) && strings.TrimSpace(s.code[i+1:closeP]) != "" {
				continue // new Date(value) converts; it does not read the clock
			}
			end = closeP + 1
		}
		// Chained calls: .toISOString(), .bigint().
		for {
			cm := regexp.MustCompile(`^\s*\.\s*[A-Za-z_$][\w$]*\s*\(`).FindStringIndex(s.code[end:])
			if cm == nil {
				break
			}
			closeP, err := s.matchClose(end + cm[1] - 1)
			if err != nil {
				return nil, err
			}
			end = closeP + 1
		}
		f, err := s.enclosingFunc(m[0])
		if err != nil {
			return nil, err
		}
		r := clockRead{line: s.line(m[0]), what: strings.Join(strings.Fields(s.text[m[0]:end]), " ")}
		if f != nil {
			r.fn = f.name
		}
		out = append(out, r)
	}
	return out, nil
}

// stampRule says what stamps one output of one script: the writes entry
// path, or with path "" the files the script writes where its flags say
// (outputStamped).
type stampRule struct {
	script string // npm script name, or a hardhat script's source
	path   string
	// check: facts in the sources that tie the output to its producers (the
	// command line the demo runs, the env it sets).
	check  []evidence
	from   []producerRule
	varies string // variation that comes from chain state, not a clock call
	// variesCheck: the facts the varies note rests on.
	variesCheck []evidence
	note        string
}

// producerRule is one producer of an output and which of its clock reads
// reach that output.
type producerRule struct {
	source string
	when   string // default When of its claims
	file   string // default File of its claims
	claims []claim
	// embeds are lines that copy a stamped value in from another output;
	// they hold no clock read of their own.
	embeds []claim
	// exclude: the producer's other clock reads, with why they do not reach
	// this output. A read neither claimed nor excluded is an error.
	exclude []claim
	check   []evidence
}

type claim struct {
	at   string // text the line contains
	fn   string // the function declaration the line is in, when it matters
	nth  int    // 1-based among the lines that match; 0 means exactly one must
	when string
	file string
	why  string // exclusions
}

type evidence struct {
	source string // "" for the script's own source
	re     string
	fn     string // the match must be inside this function
	why    string
}

// stamper reads producers once and applies the table.
type stamper struct {
	co    *checkout
	files map[string]*producer
	// used records, per script source, the reads some rule of that script
	// claimed or excluded.
	used map[string]map[int]bool
}

func newStamper(co *checkout) *stamper {
	return &stamper{co: co, files: map[string]*producer{}, used: map[string]map[int]bool{}}
}

func (st *stamper) producer(rel string) (*producer, error) {
	if p, ok := st.files[rel]; ok {
		return p, nil
	}
	text, _, err := st.co.read(rel)
	if err != nil {
		return nil, err
	}
	p, err := newProducer(rel, text)
	if err != nil {
		return nil, err
	}
	st.files[rel] = p
	return p, nil
}

// checkEvidence fails unless each regular expression matches its source.
func (st *stamper) checkEvidence(self string, evs []evidence) error {
	for _, ev := range evs {
		src := ev.source
		if src == "" {
			src = self
		}
		p, err := st.producer(src)
		if err != nil {
			return err
		}
		text := strings.Join(p.lines, "\n")
		a, b := 0, len(text)
		if ev.fn != "" {
			if p.js == nil {
				return fmt.Errorf("%s: evidence scoped to function %s in a shell script", src, ev.fn)
			}
			f, err := p.js.funcNamed(ev.fn)
			if err != nil {
				return err
			}
			if f == nil {
				return fmt.Errorf("%s: no function %s (expected: %s)", src, ev.fn, ev.why)
			}
			a, b = f.bodyOpen, f.bodyEnd
		}
		if !regexp.MustCompile(ev.re).MatchString(text[a:b]) {
			where := src
			if ev.fn != "" {
				where += " function " + ev.fn
			}
			return fmt.Errorf("%s no longer matches %s (%s)", where, ev.re, ev.why)
		}
	}
	return nil
}

// find locates the line of one claim. clock: the line must hold exactly one
// clock read, which is returned.
func (p *producer) find(c claim, clock bool) (int, *clockRead, error) {
	var lines []int
	var reads []*clockRead
	for i, l := range p.lines {
		if !strings.Contains(l, c.at) {
			continue
		}
		n := i + 1
		var onLine []*clockRead
		for j := range p.reads {
			if p.reads[j].line == n {
				onLine = append(onLine, &p.reads[j])
			}
		}
		if clock && len(onLine) == 0 {
			continue
		}
		if c.fn != "" {
			if p.js == nil {
				return 0, nil, fmt.Errorf("%s: a claim scoped to function %s in a shell script", p.path, c.fn)
			}
			f, err := p.js.enclosingFunc(p.js.lines[i])
			if err != nil {
				return 0, nil, err
			}
			if f == nil || f.name != c.fn {
				continue
			}
		}
		if clock && len(onLine) != 1 {
			return 0, nil, fmt.Errorf("%s:%d: %d clock reads on the line claimed by %q; the table needs one line per read", p.path, n, len(onLine), c.at)
		}
		lines = append(lines, n)
		if clock {
			reads = append(reads, onLine[0])
		} else {
			reads = append(reads, nil)
		}
	}
	kind := "a line containing"
	if clock {
		kind = "a clock or random read on a line containing"
	}
	scope := ""
	if c.fn != "" {
		scope = " in function " + c.fn
	}
	switch {
	case c.nth == 0 && len(lines) == 1:
		return lines[0], reads[0], nil
	case c.nth == 0:
		return 0, nil, fmt.Errorf("%s: the table claims %s %q%s; found %d (lines %v)", p.path, kind, c.at, scope, len(lines), lines)
	case c.nth <= len(lines):
		return lines[c.nth-1], reads[c.nth-1], nil
	}
	return 0, nil, fmt.Errorf("%s: the table claims occurrence %d of %s %q%s; found %d", p.path, c.nth, kind, c.at, scope, len(lines))
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// apply evaluates one rule for the script whose source is self.
func (st *stamper) apply(r *stampRule, self string) (stamps []Stamp, note string, err error) {
	fail := func(err error) ([]Stamp, string, error) {
		what := r.path
		if what == "" {
			what = "its flag-named output"
		}
		return nil, "", fmt.Errorf("stamp table, %s %s: %w", r.script, what, err)
	}
	if err := st.checkEvidence(self, r.check); err != nil {
		return fail(err)
	}
	if err := st.checkEvidence(self, r.variesCheck); err != nil {
		return fail(err)
	}
	stamps = []Stamp{}
	type exclusion struct {
		source string
		line   int
		text   string
	}
	var excluded []exclusion
	for _, pr := range r.from {
		p, err := st.producer(pr.source)
		if err != nil {
			return fail(fmt.Errorf("producer: %w", err))
		}
		if err := st.checkEvidence(pr.source, pr.check); err != nil {
			return fail(err)
		}
		classified := map[int]bool{}
		mark := func(c claim, n int) error {
			if classified[n] {
				return fmt.Errorf("%s:%d is claimed or excluded twice (%q)", p.path, n, c.at)
			}
			classified[n] = true
			if pr.source == self {
				if st.used[self] == nil {
					st.used[self] = map[int]bool{}
				}
				st.used[self][n] = true
			}
			return nil
		}
		for _, c := range pr.claims {
			n, rd, err := p.find(c, true)
			if err != nil {
				return fail(err)
			}
			// The same read may reach several files of one output (a
			// bundle); it is classified once.
			if !classified[n] {
				if err := mark(c, n); err != nil {
					return fail(err)
				}
			}
			stamps = append(stamps, Stamp{Source: p.path, Line: n, What: rd.what,
				When: firstNonEmpty(c.when, pr.when), File: firstNonEmpty(c.file, pr.file)})
		}
		for _, c := range pr.embeds {
			n, _, err := p.find(c, false)
			if err != nil {
				return fail(err)
			}
			stamps = append(stamps, Stamp{Source: p.path, Line: n, What: c.at,
				When: firstNonEmpty(c.when, pr.when), File: firstNonEmpty(c.file, pr.file)})
		}
		for _, c := range pr.exclude {
			if c.why == "" {
				return fail(fmt.Errorf("%s: exclusion %q without a reason", p.path, c.at))
			}
			n, rd, err := p.find(c, true)
			if err != nil {
				return fail(err)
			}
			if err := mark(c, n); err != nil {
				return fail(err)
			}
			excluded = append(excluded, exclusion{p.path, n, fmt.Sprintf("%s:%d %s: %s", p.path, n, rd.what, c.why)})
		}
		for _, rd := range p.reads {
			if !classified[rd.line] {
				return fail(fmt.Errorf("%s:%d reads %s, which the table neither claims nor excludes for this output: classify it", p.path, rd.line, rd.what))
			}
		}
	}
	sortStamps(stamps)
	var parts []string
	if r.note != "" {
		parts = append(parts, r.note)
	}
	// A read one producer rule excludes and another claims (a format, a
	// mode) is in the output under its condition: only reads that reach it
	// in no way are noted, once each.
	claimed := map[string]bool{}
	for _, x := range stamps {
		claimed[fmt.Sprintf("%s:%d", x.Source, x.Line)] = true
	}
	var notes []string
	for _, x := range excluded {
		k := fmt.Sprintf("%s:%d", x.source, x.line)
		if !claimed[k] {
			claimed[k] = true
			notes = append(notes, x.text)
		}
	}
	if len(notes) > 0 {
		parts = append(parts, "Excluded: "+strings.Join(notes, "; ")+".")
	}
	return stamps, strings.Join(parts, " "), nil
}

func sortStamps(s []Stamp) {
	key := func(x Stamp) string {
		return fmt.Sprintf("%s\x00%08d\x00%s\x00%s\x00%s", x.Source, x.Line, x.File, x.When, x.What)
	}
	sort.SliceStable(s, func(i, j int) bool { return key(s[i]) < key(s[j]) })
}

// derived stamps a write whose producer the extraction already knows (From,
// read from an import): every clock read of that file reaches it.
func (st *stamper) derived(from string) ([]Stamp, error) {
	p, err := st.producer(from)
	if err != nil {
		return nil, err
	}
	out := []Stamp{}
	for _, rd := range p.reads {
		out = append(out, Stamp{Source: p.path, Line: rd.line, What: rd.what})
	}
	return out, nil
}

// addStamps fills stamped on every write and outputStamped on the scripts
// the table names, and fails on a table row that matches nothing.
func addStamps(co *checkout, c *Contract, rules []stampRule) error {
	st := newStamper(co)
	all := append([]*Script{}, c.Scripts...)
	for _, k := range sortedKeys(c.HardhatScripts) {
		all = append(all, c.HardhatScripts[k])
	}
	byKey := map[string]*Script{}
	for _, sc := range all {
		byKey[scriptKey(sc)] = sc
	}
	seen := map[string]bool{}
	for i := range rules {
		r := &rules[i]
		k := r.script + "\x00" + r.path
		if seen[k] {
			return fmt.Errorf("stamp table: two rows for %s %q", r.script, r.path)
		}
		seen[k] = true
		sc, ok := byKey[r.script]
		if !ok {
			return fmt.Errorf("stamp table: no script %s", r.script)
		}
		stamps, note, err := st.apply(r, sc.Source)
		if err != nil {
			return err
		}
		if r.path == "" {
			sc.OutputStamped, sc.OutputStampedNote = &stamps, note
			continue
		}
		w := findWrite(sc, r.path)
		if w == nil {
			return fmt.Errorf("stamp table: %s has no write %s (the row is stale)", r.script, r.path)
		}
		w.Stamped, w.StampedNote, w.Varies = &stamps, note, r.varies
	}
	for _, sc := range all {
		for i := range sc.Writes {
			w := &sc.Writes[i]
			if w.Stamped != nil {
				continue
			}
			if w.From == "" {
				return fmt.Errorf("stamp table: %s writes %s and its producer is not known: add a row to stampRules", scriptKey(sc), w.Path)
			}
			s, err := st.derived(w.From)
			if err != nil {
				return fmt.Errorf("%s %s: %w", scriptKey(sc), w.Path, err)
			}
			w.Stamped = &s
		}
		// A clock read in a script's own source that no row of that script
		// classified is new upstream: the table must say where it goes.
		if len(sc.Writes) == 0 && sc.OutputStamped == nil {
			continue
		}
		p, err := st.producer(sc.Source)
		if err != nil {
			return err
		}
		for _, rd := range p.reads {
			if !st.used[sc.Source][rd.line] && !derivedFrom(sc, sc.Source) {
				return fmt.Errorf("stamp table: %s:%d reads %s and no row of %s claims or excludes it", sc.Source, rd.line, rd.what, scriptKey(sc))
			}
		}
	}
	return nil
}

func derivedFrom(sc *Script, src string) bool {
	for _, w := range sc.Writes {
		if w.From == src {
			return true
		}
	}
	return false
}

func scriptKey(sc *Script) string {
	if sc.Name != "" {
		return sc.Name
	}
	return sc.Source
}

func findWrite(sc *Script, p string) *Write {
	for i := range sc.Writes {
		if sc.Writes[i].Path == p {
			return &sc.Writes[i]
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
