package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/helios-action/helios-action/internal/diff"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/markup"
)

// Limits of the comparison section of our own; the budget each form gives
// it bounds it as a whole.
const (
	maxTampered      = 10  // what did not verify: the first few say enough
	missingChars     = 400 // the one line that says why nothing was compared
	textLineChars    = 300 // one line of a text diff
	digestShownChars = 16  // a content digest in the comparison's own line
)

// compareLimits bound the parts of the comparison in one form of the report.
type compareLimits struct {
	chainRows    int // rows of "Chain values that moved"
	fileRows     int // rows of the file table (files and their keys)
	textFiles    int // text diffs shown
	textLines    int // lines of each text diff
	volatileRows int // volatile files listed
}

var (
	// compactLimits are the comment's and the check summary's: a reviewer
	// reads the first screen; helios diff has the rest.
	compactLimits = compareLimits{chainRows: 40, fileRows: 120, textFiles: 10, textLines: 40, volatileRows: 20}
	// fullLimits are the job summary's and the check text's.
	fullLimits = compareLimits{chainRows: 300, fileRows: 3000, textFiles: 100, textLines: 400, volatileRows: 300}
)

// identical reports whether the comparison found the same evidence: equal
// content digests, and no file outside the volatile ones moved.
func (in *Input) identical() bool {
	c := in.Compare
	if c == nil || c.Missing != "" || len(c.Tampered) > 0 || c.ContentDigest == "" || in.ContentDigest == "" {
		return false
	}
	return strings.EqualFold(c.ContentDigest, in.ContentDigest) && (in.Drift == nil || !in.Drift.Drift())
}

// baseName is the baseline as a reader names it, in Markdown: `main` @
// abc1234, `baseline/SHA256SUMS`, or "the baseline".
func (in *Input) baseName() string {
	c := in.Compare
	if c == nil || strings.TrimSpace(c.Label) == "" {
		return "the baseline"
	}
	s := mdCode(c.Label, nameChars)
	if c.SHA != "" {
		s += " @ " + shortSHA(c.SHA)
	}
	return s
}

// shortSHA is a commit as GitHub shows it: seven hex digits, left as text
// so GitHub links the commit. Anything but hex goes in code.
func shortSHA(sha string) string {
	if len(sha) >= 7 && hexPrefix(sha, 7) != "" {
		return hexPrefix(sha, 7)
	}
	return mdCode(sha, 12)
}

// baseRun is the baseline run as a link ("run #12", linked when its page
// is known), or "".
func (in *Input) baseRun() string {
	c := in.Compare
	if c == nil {
		return ""
	}
	u := safeURL(c.RunURL)
	switch {
	case c.RunNumber > 0 && u != "":
		return fmt.Sprintf("[%s](%s)", markup.Text(fmt.Sprintf("run #%d", c.RunNumber)), u)
	case c.RunNumber > 0:
		return markup.Text(fmt.Sprintf("run #%d", c.RunNumber))
	case u != "":
		return fmt.Sprintf("[baseline run](%s)", u)
	}
	return ""
}

// since is "`main` @ abc1234 ([run #12](…))" or "`path`".
func (in *Input) since() string {
	s := in.baseName()
	if r := in.baseRun(); r != "" {
		s += " (" + r + ")"
	}
	return s
}

// diffWhere says where every change is when the comparison was cut.
func (in *Input) diffWhere() string {
	return "`helios diff OLD NEW` of the baseline's bundle and this one (" + in.bundleName() + ") lists every change"
}

// bundleName names this run's bundle: its artifact, linked when it can be.
func (in *Input) bundleName() string {
	if in.ArtifactName != "" {
		if u := safeURL(in.ArtifactURL); u != "" {
			return fmt.Sprintf("the artifact [%s](%s)", mdText(in.ArtifactName, nameChars), u)
		}
		return "the artifact " + mdCode(in.ArtifactName, nameChars)
	}
	return "the report bundle"
}

// comparison renders what the bundle was compared with and what moved, in
// at most budget: the headline, the chain values that moved, the files
// (with the JSON keys that moved), the text diffs and the volatile files.
// Every part is cut whole, with a note saying where the rest is.
func (in *Input) comparison(m measure, budget int, heading string, lim compareLimits) string {
	c := in.Compare
	if c == nil && in.Drift == nil {
		return ""
	}
	var out string
	switch {
	case c != nil && len(c.Tampered) > 0:
		out = in.tampered(m, budget)
	case c != nil && c.Missing != "":
		out = fmt.Sprintf("\nℹ️ No baseline to compare with: %s\n", inlineCode(c.Missing, missingChars))
	case in.identical():
		out = fmt.Sprintf("\n**Since %s: identical evidence**\n", in.since()) + in.volatile(m, budget/4, lim)
	case in.Drift == nil:
		out = fmt.Sprintf("\nℹ️ Not compared with %s; the run's log says why.\n", in.baseName())
	default:
		return in.drift(m, budget, heading, lim)
	}
	if m(out) > budget {
		return ""
	}
	return out
}

// tampered says the baseline did not verify and was not used.
func (in *Input) tampered(m measure, budget int) string {
	c := in.Compare
	head := fmt.Sprintf("\n⚠️ **The baseline %s does not match its own `SHA256SUMS` and was not used:**\n\n", in.since())
	rows := make([]string, 0, maxTampered)
	for _, t := range c.Tampered[:min(len(c.Tampered), maxTampered)] {
		rows = append(rows, "- "+inlineCode(t, valueChars)+"\n")
	}
	return cutRowsOf(m, budget, head, rows, len(c.Tampered), "", func(shown, total int) string {
		return fmt.Sprintf("\n…%s not shown; the run's log lists them.\n", markup.Plural(total-shown, "more problem"))
	})
}

// drift renders a comparison that was made and found files that moved, or
// found none without the digests to call the evidence identical.
func (in *Input) drift(m measure, budget int, heading string, lim compareLimits) string {
	r := in.Drift
	n := r.Counts()
	head := fmt.Sprintf("\n**Since %s: %d changed, %d added, %d removed**\n", in.since(), n.Changed, n.Added, n.Removed)
	if !r.Drift() {
		head = fmt.Sprintf("\n**Since %s: no drift** (0 changed, 0 added, 0 removed)\n", in.since())
	}
	if now, then := hexPrefix(in.ContentDigest, digestShownChars), hexPrefix(in.compareDigest(), digestShownChars); now != "" && then != "" {
		head += fmt.Sprintf("\nContent digest `sha256:%s…`, the baseline's `sha256:%s…`.\n", now, then)
	}
	rest := budget - m(head)
	if rest < 0 {
		return ""
	}
	chain := in.chainValues(m, rest/4, heading+"#", lim)
	rest -= m(chain)
	vol := in.volatile(m, rest/8, lim)
	rest -= m(vol)
	textsFull := in.texts(m, rest, lim)
	files := in.files(m, max(rest/2, rest-m(textsFull)), heading+"#", lim)
	texts := in.texts(m, rest-m(files), lim)
	return head + chain + files + texts + vol
}

// files is the table of the files that moved, with the JSON keys that moved
// under each changed JSON file.
func (in *Input) files(m measure, budget int, heading string, lim compareLimits) string {
	r := in.Drift
	owners := in.chainOwners()
	var rows []string
	total := 0
	add := func(kind string, cs []diff.Change) {
		for _, c := range cs {
			// A built-in's JSON report has its keys in the chain values'
			// table already: one row points there instead of repeating them.
			if _, chain := owners[c.Name]; chain && kind == "changed" && len(c.JSON)+c.JSONTruncated > 0 {
				total += 2 + btoi(c.Note != "")
				if len(rows) >= lim.fileRows {
					continue
				}
				rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s |\n", kind, mdCode(c.Name, 200), sum(c.Old), sum(c.New)))
				rows = append(rows, fmt.Sprintf("| ↳ keys | %s moved, under Chain values that moved | | |\n", markup.Plural(len(c.JSON)+c.JSONTruncated, "value")))
				if c.Note != "" {
					rows = append(rows, fmt.Sprintf("| ↳ note | %s | | |\n", mdText(c.Note, valueChars)))
				}
				continue
			}
			total += 1 + len(c.JSON) + btoi(c.JSONTruncated > 0) + btoi(c.Note != "")
			if len(rows) >= lim.fileRows {
				continue
			}
			rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s |\n", kind, mdCode(c.Name, 200), sum(c.Old), sum(c.New)))
			for _, k := range c.JSON {
				rows = append(rows, fmt.Sprintf("| ↳ key %s | %s | %s | %s |\n", mdText(k.Kind, 20), mdCode(k.Pointer(), nameChars), mdCode(k.Old, valueChars), mdCode(k.New, valueChars)))
			}
			if c.JSONTruncated > 0 {
				rows = append(rows, fmt.Sprintf("| ↳ keys | …%d more | | |\n", c.JSONTruncated))
			}
			if c.Note != "" {
				rows = append(rows, fmt.Sprintf("| ↳ note | %s | | |\n", mdText(c.Note, valueChars)))
			}
		}
	}
	add("changed", r.Changed)
	add("added", r.Added)
	add("removed", r.Removed)
	// The comparison keeps at most diff.Options.MaxFiles files of each
	// kind; the counts in the headline are complete.
	n := r.Counts()
	if left := n.Changed + n.Added + n.Removed - len(r.Changed) - len(r.Added) - len(r.Removed); left > 0 {
		rows = append(rows, fmt.Sprintf("| … | %d more files not listed | | |\n", left))
		total++
	}
	if len(rows) == 0 {
		return ""
	}
	rows = rows[:min(len(rows), lim.fileRows)]
	head := fmt.Sprintf("\n%s Files that moved\n\n| Change | File | Before | After |\n| --- | --- | --- | --- |\n", heading)
	return cutRowsOf(m, budget, head, rows, total, "", func(shown, total int) string {
		return fmt.Sprintf("\n…%d more rows not shown; %s.\n", total-shown, in.diffWhere())
	})
}

func (in *Input) compareDigest() string {
	if in.Compare == nil {
		return ""
	}
	return in.Compare.ContentDigest
}

// hexPrefix is the first n digits of a hex digest, or "" when s is not one.
func hexPrefix(s string, n int) string {
	s = strings.ToLower(s)
	if s == "" || strings.Trim(s, "0123456789abcdef") != "" {
		return ""
	}
	return s[:min(len(s), n)]
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// texts renders the unified diffs of the text files that moved, each in
// a collapsed <details>, as many whole ones as fit budget.
func (in *Input) texts(m measure, budget int, lim compareLimits) string {
	r := in.Drift
	var b strings.Builder
	shown, total, size := 0, 0, 0
	full := false // once one did not fit, the rest are counted only
	for _, cs := range [][]diff.Change{r.Changed, r.Added, r.Removed} {
		for _, c := range cs {
			if len(c.Text) == 0 {
				continue
			}
			total++
			if full || shown >= lim.textFiles {
				continue
			}
			block := in.textDiff(m, c, lim.textLines, budget-noteReserveChars-size)
			if block == "" {
				full = true
				continue
			}
			b.WriteString(block)
			size += m(block)
			shown++
		}
	}
	if shown < total {
		note := fmt.Sprintf("\n…%s not shown; %s.\n", markup.Plural(total-shown, "more text diff"), in.diffWhere())
		if size+m(note) > budget {
			return b.String()
		}
		b.WriteString(note)
	}
	return b.String()
}

// textDiff is one file's diff: its name, then at most lines lines in a
// fenced block inside a collapsed <details>, in at most room; "" when not
// even one line fits. The summary is our own text: inside an HTML block
// Markdown is not read, so a file name there would need HTML escaping of
// its own. The fence is longer than any run of backticks in the lines
// (markup.Code's rule for spans), so no line can close it; inside it
// nothing is Markdown, HTML or a mention.
func (in *Input) textDiff(m measure, c diff.Change, lines, room int) string {
	body := make([]string, 0, min(len(c.Text), lines))
	longest := 0
	for _, l := range c.Text[:min(len(c.Text), lines)] {
		l = markup.Line(l, textLineChars)
		run := 0
		for j := 0; j < len(l); j++ {
			if l[j] == '`' {
				run++
				longest = max(longest, run)
			} else {
				run = 0
			}
		}
		body = append(body, l+"\n")
	}
	fence := strings.Repeat("`", max(3, longest+1))
	all := len(c.Text) + c.TextTruncated
	head := fmt.Sprintf("\n📝 %s %s:\n\n<details><summary>Show the diff (%s)</summary>\n\n%sdiff\n",
		mdCode(c.Name, 200), c.Kind(), markup.Plural(all, "line"), fence)
	tail := fence + "\n"
	const shut = "\n</details>\n"
	note := func(shown int) string {
		if shown == all {
			return ""
		}
		return fmt.Sprintf("\n…%s not shown; the file is in %s.\n", markup.Plural(all-shown, "more line"), in.bundleName())
	}
	size := m(head) + m(tail) + m(note(0)) + m(shut)
	shown := 0
	for _, l := range body {
		if size+m(l) > room {
			break
		}
		size += m(l)
		shown++
	}
	if shown == 0 {
		return ""
	}
	return head + strings.Join(body[:shown], "") + tail + note(shown) + shut
}

// volatile lists the volatile files that differ, collapsed: they are
// expected to, and are not drift.
func (in *Input) volatile(m measure, budget int, lim compareLimits) string {
	r := in.Drift
	if r == nil {
		return ""
	}
	n := r.Counts().Volatile
	if n == 0 {
		return ""
	}
	verb := "differ"
	if n == 1 {
		verb = "differs"
	}
	open := fmt.Sprintf("\n<details><summary>%s %s, as expected; not drift</summary>\n", markup.Plural(n, "volatile file"), verb)
	const shut = "\n</details>\n"
	rows := make([]string, 0, min(len(r.Volatile), lim.volatileRows))
	for _, c := range r.Volatile[:min(len(r.Volatile), lim.volatileRows)] {
		rows = append(rows, fmt.Sprintf("| %s | %s | %s |\n", mdCode(c.Name, 200), sum(c.Old), sum(c.New)))
	}
	table := cutRowsOf(m, budget-m(open)-m(shut), "\n| File | Before | After |\n| --- | --- | --- |\n", rows, n, "", func(shown, total int) string {
		return fmt.Sprintf("\n…%d more not listed.\n", total-shown)
	})
	if table == "" {
		return ""
	}
	return open + table + shut
}

// chainValues is the table of the values that moved in the JSON reports
// of helios/* steps: which check, the value's JSON pointer, before, after,
// and the blocks the two runs read them at.
// chainOwner is the helios/* step that wrote a file, and its phase.
type chainOwner struct {
	phase string
	step  *manifest.Step
}

// chainOwners maps each file a built-in (helios/*) step wrote to it.
func (in *Input) chainOwners() map[string]chainOwner {
	owners := map[string]chainOwner{}
	for _, p := range in.phases() {
		for i := range p.Steps {
			s := &p.Steps[i]
			if !strings.HasPrefix(s.Uses, "helios/") {
				continue
			}
			for _, o := range s.Outputs {
				if _, ok := owners[o]; !ok {
					owners[o] = chainOwner{p.Name, s}
				}
			}
		}
	}
	return owners
}

func (in *Input) chainValues(m measure, budget int, heading string, lim compareLimits) string {
	owners := in.chainOwners()
	var rows []string
	total := 0
	for _, c := range in.Drift.Changed {
		o, ok := owners[c.Name]
		if !ok || len(c.JSON)+c.JSONTruncated == 0 {
			continue
		}
		check := mdText(stepName(o.step), nameChars)
		block := in.blockMove(o.phase, o.step, c.Name)
		for _, k := range c.JSON {
			total++
			if len(rows) < lim.chainRows {
				rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s | %s |\n", check, mdCode(k.Pointer(), nameChars), mdCode(k.Old, valueChars), mdCode(k.New, valueChars), block))
			}
		}
		if c.JSONTruncated > 0 {
			total++
			if len(rows) < lim.chainRows {
				rows = append(rows, fmt.Sprintf("| %s | …%d more in %s | | | %s |\n", check, c.JSONTruncated, mdCode(c.Name, nameChars), block))
			}
		}
	}
	if len(rows) == 0 {
		return ""
	}
	head := fmt.Sprintf("\n%s Chain values that moved\n\n| Check | Parameter | Before | After | Block |\n| --- | --- | --- | --- | --- |\n", heading)
	return cutRowsOf(m, budget, head, rows, total, "", func(shown, total int) string {
		return fmt.Sprintf("\n…%d more values not shown; %s.\n", total-shown, in.diffWhere())
	})
}

// blockMove is "19000100 → 19000123": the block the baseline's step that
// wrote file read at (found by the file, else by phase and step id), and
// the block this run's did.
func (in *Input) blockMove(phase string, s *manifest.Step, file string) string {
	now := blockNumber(s.Data)
	before := ""
	if b := in.baseStep(phase, s.ID, file); b != nil {
		before = blockNumber(b.Data)
	}
	switch {
	case before == "" && now == "":
		return "—"
	case before == now:
		return mdText(now, 40) + " (both)"
	}
	return mdText(or(before, "?"), 40) + " → " + mdText(or(now, "?"), 40)
}

// baseStep is the baseline's step that wrote file, else the one with the
// same phase and id, else nil.
func (in *Input) baseStep(phase, id, file string) *manifest.Step {
	c := in.Compare
	if c == nil || c.Manifest == nil {
		return nil
	}
	var byID *manifest.Step
	for _, p := range c.Manifest.Phases {
		for i := range p.Steps {
			b := &p.Steps[i]
			if slices.Contains(b.Outputs, file) {
				return b
			}
			if byID == nil && p.Name == phase && b.ID == id {
				byID = b
			}
		}
	}
	return byID
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// blockNumber is the number of the block a chain step was pinned to, as
// recorded in its data ({"block": {"number": …, "hash": …}}), or "".
func blockNumber(data map[string]any) string {
	v, ok := data["block"]
	if !ok {
		return ""
	}
	if mv, ok := v.(map[string]any); ok {
		v = mv["number"]
	}
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// inlineCode renders a line of our own composing that may quote untrusted
// text: the parts between backticks as code (markup.Code), the rest as
// prose (markup.Text). With an odd number of backticks it is all prose.
// Either way every part goes through markup, so it is inert.
func inlineCode(s string, max int) string {
	s = markup.Line(s, max)
	parts := strings.Split(s, "`")
	if len(parts)%2 == 0 {
		return mdText(s, max)
	}
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 1 {
			if strings.TrimSpace(p) == "" {
				b.WriteString(markup.Text("`" + p + "`"))
				continue
			}
			b.WriteString(markup.Code(p))
			continue
		}
		// markup.Text trims the spaces at either end; those between the
		// parts are kept.
		if strings.HasPrefix(p, " ") && i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(markup.Text(p))
		if strings.HasSuffix(p, " ") && i < len(parts)-1 && strings.TrimSpace(p) != "" {
			b.WriteByte(' ')
		}
	}
	if strings.TrimSpace(b.String()) == "" {
		return "—"
	}
	return b.String()
}
