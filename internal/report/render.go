package report

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/markup"
)

// Limits of our own; GitHub's and Mermaid's are in markup.
const (
	maxCheckTitle     = 200 // the check's title line; GitHub shows about a line of it
	maxGanttTasks     = 400 // past a few hundred bars a timeline is unreadable anyway
	maxFlowPhases     = 300
	maxChainRows      = 300
	nameChars         = 120 // a step or phase name in a table
	valueChars        = 160 // a value (error, chain-check value) in a table
	maxAnnotationMsg  = 4000
	noteReserveChars  = 600 // room kept for the note that says where the rest is
	gateBudgetSummary = 64 << 10
)

// measure counts a string in the unit of a limit: bytes for the job
// summary, characters for comments and check runs.
type measure func(string) int

func bytesOf(s string) int { return len(s) }

var charsOf = utf8.RuneCountInString

var statusIcons = map[string]string{
	manifest.Success:   "✅",
	manifest.Failure:   "❌",
	manifest.Cancelled: "🚫",
	manifest.Skipped:   "⏭️",
	manifest.Tampered:  "⛔",
}

func status(s string) string {
	icon, ok := statusIcons[s]
	if !ok {
		icon = "❔"
	}
	return icon + " " + mdText(s, 40)
}

// where says where the full record is, for the notes on cut parts.
func (in *Input) where() string {
	if in.ArtifactName != "" {
		if u := safeURL(in.ArtifactURL); u != "" {
			return fmt.Sprintf("`manifest.json` in the artifact [%s](%s)", mdText(in.ArtifactName, nameChars), u)
		}
		return fmt.Sprintf("`manifest.json` in the artifact %s", mdCode(in.ArtifactName, nameChars))
	}
	return "`manifest.json` in the report bundle"
}

// cutRows renders head, as many rows as fit in budget (leaving room for the
// note) and tail. When rows are left out, the note built by note(shown,
// total) follows the tail. It returns "" when not even the note fits.
func cutRows(m measure, budget int, head string, rows []string, tail string, note func(shown, total int) string) string {
	return cutRowsOf(m, budget, head, rows, len(rows), tail, note)
}

// cutRowsOf is cutRows for rows that are the first of total.
func cutRowsOf(m measure, budget int, head string, rows []string, total int, tail string, note func(shown, total int) string) string {
	size := m(head) + m(tail)
	for _, r := range rows {
		size += m(r)
	}
	if len(rows) == total && size <= budget {
		return head + strings.Join(rows, "") + tail
	}
	if size+m(note(len(rows), total)) <= budget {
		return head + strings.Join(rows, "") + tail + note(len(rows), total)
	}
	room := budget - m(head) - m(tail) - m(note(0, total))
	if room < 0 {
		n := note(0, total)
		if m(n) <= budget {
			return n
		}
		return ""
	}
	var b strings.Builder
	b.WriteString(head)
	shown := 0
	for _, r := range rows {
		if m(r) > room {
			break
		}
		room -= m(r)
		b.WriteString(r)
		shown++
	}
	b.WriteString(tail)
	b.WriteString(note(shown, total))
	return b.String()
}

// clamp is the last guard: it cuts s at a line break so that it and a
// closing note fit limit. The sections are sized to make this rare.
func clamp(m measure, limit int, s, where string) string {
	if m(s) <= limit {
		return s
	}
	note := fmt.Sprintf("\n\n> [!NOTE]\n> This report was cut to fit GitHub's limit; the rest is in %s.\n", where)
	room := limit - m(note)
	// Walk back from a byte length that is surely within room.
	cut := min(len(s), max(room, 0))
	for cut > 0 && m(s[:cut]) > room {
		cut -= max(1, (m(s[:cut])-room)/2)
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if i := strings.LastIndexByte(s[:cut], '\n'); i > 0 {
		cut = i
	}
	return s[:cut] + note
}

// header is the title and the conclusion line.
func (in *Input) header(level string) string {
	var b strings.Builder
	c := in.conclusion()
	fmt.Fprintf(&b, "%s %s %s: %s\n\n", level, statusIcons[c], mdText(in.missionName(), nameChars), mdText(c, 40))
	var facts []string
	if in.Manifest != nil {
		steps := 0
		for _, p := range in.Manifest.Phases {
			steps += len(p.Steps)
		}
		facts = append(facts, markup.Plural(len(in.Manifest.Phases), "phase")+", "+markup.Plural(steps, "step"))
		if in.Manifest.DurationMs > 0 {
			facts = append(facts, markup.DurationMs(in.Manifest.DurationMs))
		}
		if in.Manifest.Network != "" {
			facts = append(facts, "network "+mdCode(in.Manifest.Network, 40))
		}
	}
	if in.Key != "" {
		facts = append(facts, "key "+mdCode(in.Key, 80))
	}
	fmt.Fprintf(&b, "**Conclusion: %s**", mdText(c, 40))
	if len(facts) > 0 {
		b.WriteString(" · " + strings.Join(facts, " · "))
	}
	b.WriteString("\n")
	if in.Manifest != nil && in.Manifest.Reason != "" {
		fmt.Fprintf(&b, "\n> %s\n", mdText(in.Manifest.Reason, 400))
	}
	b.WriteString(in.skips())
	return b.String()
}

// maxSkipReasons bounds the distinct reasons the header lists; the step
// table has every skipped step with its own.
const maxSkipReasons = 5

// skips says, under the conclusion, which steps skipped themselves and why
// (one line per reason): a run whose chain pre-flight was skipped for want
// of an endpoint succeeded, but must not read as if it had checked the
// chain. Steps skipped because their phase did not run are left out: the
// phase's own status and the reason above say why.
func (in *Input) skips() string {
	reasons, count := manifest.SkipReasons(in.phases())
	var b strings.Builder
	for i, r := range reasons {
		if i == maxSkipReasons {
			fmt.Fprintf(&b, "\n…and %s; each skipped step gives its own below.\n", markup.Plural(len(reasons)-i, "more reason"))
			break
		}
		fmt.Fprintf(&b, "\n%s **%s skipped:** %s\n", statusIcons[manifest.Skipped], markup.Plural(count[r], "step"), mdText(r, 400))
	}
	return b.String()
}

// ledger is the ledger's digest and file count, and the content digest.
func (in *Input) ledger() string {
	var parts []string
	if in.LedgerDigest != "" {
		parts = append(parts, fmt.Sprintf("**Ledger:** %s in `SHA256SUMS`, digest `sha256:%s` (check with `sha256sum -c SHA256SUMS` in the bundle)",
			markup.Plural(in.Files, "file"), mdText(in.LedgerDigest, 64)))
	}
	if d := hexPrefix(in.ContentDigest, 64); d != "" {
		parts = append(parts, fmt.Sprintf("content digest `sha256:%s` (of the ledger's lines of the non-volatile files: the same evidence, the same digest)", d))
	}
	if len(parts) == 0 {
		return ""
	}
	return "\n" + strings.Join(parts, "; ") + "\n"
}

// links is the line of links to the artifact, the check run and the run.
func (in *Input) links() string {
	var ls []string
	if u := safeURL(in.ArtifactURL); u != "" {
		name := "report bundle"
		if in.ArtifactName != "" {
			name = in.ArtifactName
		}
		ls = append(ls, fmt.Sprintf("📦 Artifact [%s](%s)", mdText(name, nameChars), u))
	} else if in.ArtifactName != "" {
		ls = append(ls, "📦 Artifact "+mdCode(in.ArtifactName, nameChars))
	}
	if u := safeURL(in.CheckRunURL); u != "" {
		ls = append(ls, fmt.Sprintf("☑️ [Check run](%s)", u))
	}
	if u := safeURL(in.RunURL); u != "" {
		ls = append(ls, fmt.Sprintf("🏃 [Workflow run](%s)", u))
	}
	if len(ls) == 0 {
		return ""
	}
	return "\n" + strings.Join(ls, " · ") + "\n"
}

func (in *Input) gate(m measure, budget int, heading string) string {
	if in.Gate == nil {
		return ""
	}
	var failed []string
	rows := make([]string, 0, len(in.Gate))
	for _, r := range in.Gate {
		rows = append(rows, fmt.Sprintf("| %s | %s |\n", mdText(r.Job, nameChars), status(r.Result)))
		if r.Failed() {
			failed = append(failed, r.Job)
		}
	}
	verdict := "\nEvery upstream job succeeded or was skipped.\n"
	if len(failed) > 0 {
		names := make([]string, 0, len(failed))
		for _, f := range failed[:min(len(failed), 20)] {
			names = append(names, mdText(f, nameChars))
		}
		verdict = fmt.Sprintf("\n**The gate fails:** %s did not succeed (%s).\n",
			markup.Plural(len(failed), "upstream job"), strings.Join(names, ", "))
	}
	head := fmt.Sprintf("\n%s CI summary gate\n\n| Job | Result |\n| --- | --- |\n", heading)
	return cutRows(m, budget, head, rows, verdict, func(shown, total int) string {
		return fmt.Sprintf("\n…%d more upstream jobs not shown.\n", total-shown)
	})
}

// stepRows is the table of phases and their steps.
func (in *Input) stepRows(failedOnly bool) (head string, rows []string) {
	head = "| Phase | Step | Status | Duration | Exit code | Detail |\n| --- | --- | --- | --- | --- | --- |\n"
	for _, p := range in.phases() {
		needs := "—"
		if len(p.Needs) > 0 {
			ns := make([]string, 0, len(p.Needs))
			for _, n := range p.Needs {
				ns = append(ns, mdText(n, nameChars))
			}
			needs = "needs " + strings.Join(ns, ", ")
		}
		dur := "—"
		if !p.StartedAt.IsZero() {
			dur = markup.DurationMs(p.DurationMs)
		}
		rows = append(rows, fmt.Sprintf("| **%s** | %s | %s | %s | | %s |\n",
			mdText(p.Name, nameChars), markup.Plural(len(p.Steps), "step"), status(p.Status), dur, needs))
		for _, s := range p.Steps {
			// The short form keeps the steps a reviewer must look at:
			// those that failed or were cancelled, and those that skipped
			// themselves (a check that did not run is not a pass).
			if failedOnly && s.Status != manifest.Failure && s.Status != manifest.Cancelled && s.SkipReason == "" {
				continue
			}
			name := s.Name
			if name == "" {
				name = s.ID
			}
			code := ""
			if s.ExitCode != nil {
				code = fmt.Sprint(*s.ExitCode)
			}
			dur := "—"
			if !s.StartedAt.IsZero() {
				dur = markup.DurationMs(s.DurationMs)
			}
			detail := ""
			switch {
			case s.Error != "":
				detail = mdText(s.Error, valueChars)
			case s.SkipReason != "" && s.Uses != "":
				detail = mdCode(s.Uses, nameChars) + " · " + mdText(s.SkipReason, valueChars)
			case s.SkipReason != "":
				detail = mdText(s.SkipReason, valueChars)
			case s.Uses != "":
				detail = mdCode(s.Uses, nameChars)
			}
			if s.ContinueOnError && s.Status == manifest.Failure {
				detail = "continue-on-error · " + detail
			}
			rows = append(rows, fmt.Sprintf("| | %s | %s | %s | %s | %s |\n",
				mdText(name, nameChars), status(s.Status), dur, code, detail))
		}
	}
	return head, rows
}

func (in *Input) steps(m measure, budget int, heading string, failedOnly bool) string {
	if len(in.phases()) == 0 {
		return ""
	}
	head, rows := in.stepRows(failedOnly)
	title := "Phases and steps"
	switch {
	case failedOnly && in.allPassed():
		title = "Phases"
	case failedOnly:
		title = "Phases (and the steps that did not succeed)"
	}
	title = fmt.Sprintf("\n%s %s\n\n", heading, title)
	tail := ""
	if in.allPassed() {
		steps := 0
		for _, p := range in.phases() {
			steps += len(p.Steps)
		}
		// Collapsed: a run that passed has nothing here for a reviewer.
		// The blank lines end the HTML blocks, so the table is read.
		title += fmt.Sprintf("<details><summary>All %s and %s succeeded</summary>\n\n",
			markup.Plural(len(in.phases()), "phase"), markup.Plural(steps, "step"))
		tail = "\n</details>\n"
	}
	head = title + head
	return cutRows(m, budget, head, rows, tail, func(shown, total int) string {
		return fmt.Sprintf("\n…%d more rows not shown; every step is in %s.\n", total-shown, in.where())
	})
}

// allPassed reports whether the run succeeded with every phase and step
// succeeding (or skipped by a condition, not by itself): then the step
// table is collapsed.
func (in *Input) allPassed() bool {
	if in.conclusion() != manifest.Success {
		return false
	}
	for _, p := range in.phases() {
		if p.Status == manifest.Failure || p.Status == manifest.Cancelled {
			return false
		}
		for _, s := range p.Steps {
			if s.Status == manifest.Failure || s.Status == manifest.Cancelled || s.SkipReason != "" {
				return false
			}
		}
	}
	return true
}

// flowchart is the phase graph as a Mermaid flowchart coloured by status,
// or "" when there are too many phases to draw.
func (in *Input) flowchart(heading string) string {
	phases := in.phases()
	if len(phases) == 0 {
		return ""
	}
	if len(phases) > maxFlowPhases {
		return fmt.Sprintf("\n%s Phase graph\n\n%s are too many to draw; the graph is in %s.\n",
			heading, markup.Plural(len(phases), "phase"), in.where())
	}
	graph := make([]markup.Phase, len(phases))
	for i, p := range phases {
		graph[i] = markup.Phase{Name: p.Name, Needs: p.Needs, Status: p.Status}
	}
	chart := markup.Flowchart(graph)
	if len(chart) > markup.MaxMermaidChars {
		return fmt.Sprintf("\n%s Phase graph\n\nThe graph of %s is too large for Mermaid; the phases are in %s.\n",
			heading, markup.Plural(len(phases), "phase"), in.where())
	}
	return fmt.Sprintf("\n%s Phase graph\n\n```mermaid\n%s```\n", heading, chart)
}

// gantt is a Mermaid gantt of phase and step timings, in milliseconds from
// the start of the run (dateFormat x), one section per phase so phases that
// ran side by side show side by side.
func (in *Input) gantt(heading string) string {
	if in.Manifest == nil || in.Manifest.StartedAt.IsZero() {
		return ""
	}
	t0 := in.Manifest.StartedAt
	ms := func(t time.Time) int64 { return max(t.Sub(t0).Milliseconds(), 0) }
	tag := map[string]string{manifest.Success: "done, ", manifest.Failure: "crit, ", manifest.Cancelled: "active, "}
	axis := "%S.%L s"
	if in.Manifest.DurationMs >= 10_000 {
		axis = "%M:%S"
	}
	if in.Manifest.DurationMs >= 3_600_000 {
		axis = "%H:%M"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "gantt\n  dateFormat x\n  axisFormat %s\n  todayMarker off\n", axis)
	tasks, total := 0, 0
	for _, p := range in.phases() {
		for _, s := range p.Steps {
			if !s.StartedAt.IsZero() {
				total++
			}
		}
		if !p.StartedAt.IsZero() {
			total++
		}
	}
	if total == 0 {
		return ""
	}
	line := func(name, status string, start, end time.Time) {
		from := ms(start)
		to := max(ms(end), from+1)
		fmt.Fprintf(&b, "    %s :%s%d, %d\n", markup.MermaidLabel(name, markup.LabelChars), tag[status], from, to)
		tasks++
	}
	for _, p := range in.phases() {
		if p.StartedAt.IsZero() || tasks >= maxGanttTasks || b.Len() > markup.MaxMermaidChars-2000 {
			continue
		}
		fmt.Fprintf(&b, "  section %s\n", markup.MermaidLabel(p.Name, markup.LabelChars))
		end := p.FinishedAt
		if end.IsZero() {
			end = p.StartedAt
		}
		line("phase "+p.Name, p.Status, p.StartedAt, end)
		for _, s := range p.Steps {
			if s.StartedAt.IsZero() || tasks >= maxGanttTasks || b.Len() > markup.MaxMermaidChars-200 {
				continue
			}
			name := s.Name
			if name == "" {
				name = s.ID
			}
			end := s.FinishedAt
			if end.IsZero() {
				end = s.StartedAt
			}
			line(name, s.Status, s.StartedAt, end)
		}
	}
	note := ""
	if tasks < total {
		note = fmt.Sprintf("\nThe timeline shows %d of %d bars; every timing is in %s.\n", tasks, total, in.where())
	}
	return fmt.Sprintf("\n%s Timeline\n\n```mermaid\n%s```\n%s", heading, b.String(), note)
}

// chainRows renders the helios/* steps, one row per check: the step, its
// verdict (status and the error, the skip reason or what it found), the
// block its reads were pinned to, and the report it wrote.
func (in *Input) chainRows() []string {
	var rows []string
	for _, p := range in.phases() {
		for _, s := range p.Steps {
			if !strings.HasPrefix(s.Uses, "helios/") {
				continue
			}
			check := fmt.Sprintf("%s (%s)", mdText(stepName(&s), nameChars), mdCode(s.Uses, nameChars))
			verdict := status(s.Status)
			switch {
			case s.Error != "":
				verdict += " · " + mdText(s.Error, valueChars)
			case s.SkipReason != "":
				verdict += " · " + mdText(s.SkipReason, valueChars)
			default:
				if f := findings(s.Data); f != "" {
					verdict += " · " + f
				}
			}
			block := "—"
			if n := blockNumber(s.Data); n != "" {
				block = mdText(n, 40)
			}
			rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s |\n", check, verdict, block, reportFiles(s.Outputs)))
		}
	}
	return rows
}

func stepName(s *manifest.Step) string {
	if s.Name != "" {
		return s.Name
	}
	return s.ID
}

// maxFindings bounds the recorded values a verdict quotes; the step's data
// in manifest.json has them all.
const maxFindings = 3

// findings quotes what a step recorded beyond where it read (the chain id
// and block have their own column, the report its own): "pauseState:
// paused", "problems: 0".
func findings(data map[string]any) string {
	var parts []string
	left := 0
	for _, kv := range flatten(data) {
		k := kv[0]
		if k == "chainId" || k == "report" || k == "block" || strings.HasPrefix(k, "block.") {
			continue
		}
		if len(parts) == maxFindings {
			left++
			continue
		}
		parts = append(parts, mdText(markup.Line(k, 40)+": "+markup.Line(kv[1], 40), 90))
	}
	if left > 0 {
		parts = append(parts, fmt.Sprintf("…%d more", left))
	}
	return strings.Join(parts, " · ")
}

// reportFiles names the Markdown reports a step wrote (its other files
// when it wrote none), in code: they are inside the artifact's zip, which
// has no URL per file.
func reportFiles(outputs []string) string {
	var md []string
	for _, o := range outputs {
		if strings.EqualFold(path.Ext(o), ".md") {
			md = append(md, o)
		}
	}
	if len(md) == 0 {
		md = outputs
	}
	if len(md) == 0 {
		return "—"
	}
	const shown = 2
	names := make([]string, 0, shown+1)
	for _, o := range md[:min(len(md), shown)] {
		names = append(names, mdCode(o, nameChars))
	}
	if len(md) > shown {
		names = append(names, fmt.Sprintf("…%d more", len(md)-shown))
	}
	return strings.Join(names, ", ")
}

// flatten turns recorded data into sorted "a.b[0]" → compact JSON pairs.
func flatten(data map[string]any) [][2]string {
	var out [][2]string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if len(x) == 0 {
				out = append(out, [2]string{prefix, "{}"})
			}
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, x[k])
			}
		case []any:
			if len(x) == 0 {
				out = append(out, [2]string{prefix, "[]"})
			}
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", prefix, i), e)
			}
		case string:
			out = append(out, [2]string{prefix, x})
		default:
			b, err := json.Marshal(x)
			if err != nil {
				b = []byte(fmt.Sprint(x))
			}
			out = append(out, [2]string{prefix, string(b)})
		}
	}
	// Round-trip through JSON so structs and typed maps recorded by steps
	// read as they do in manifest.json.
	var norm map[string]any
	if b, err := json.Marshal(data); err == nil && json.Unmarshal(b, &norm) == nil {
		walk("", norm)
	} else {
		walk("", map[string]any{})
	}
	return out
}

func (in *Input) chain(m measure, budget int, heading string, maxRows int) string {
	rows := in.chainRows()
	if len(rows) == 0 {
		return ""
	}
	total := len(rows)
	rows = rows[:min(len(rows), maxRows)]
	head := fmt.Sprintf("\n%s Chain checks\n\n| Check | Verdict | Block | Report |\n| --- | --- | --- | --- |\n", heading)
	return cutRowsOf(m, budget, head, rows, total, "", func(shown, total int) string {
		return fmt.Sprintf("\n…%d more checks not shown; every check is in %s (each step's `data` and `outputs`).\n", total-shown, in.where())
	})
}

func sum(s string) string {
	if s == "" {
		return "—"
	}
	if len(s) > 12 {
		s = s[:12]
	}
	return mdCode(s, 12)
}

// Summary renders the job summary: conclusion, what changed since the
// baseline, links and digests, CI gate, chain checks, phases and steps,
// phase graph, timeline. It never exceeds 1 MiB; long parts are cut with a
// note that says where the rest is.
func Summary(in Input) string {
	m := measure(bytesOf)
	head := in.header("##")
	links := in.links() + in.ledger()
	gate := in.gate(m, gateBudgetSummary, "###")
	shards := in.shards(m, shardsBudgetSummary, "###", false)
	flow := in.flowchart("###")
	gantt := in.gantt("###")
	chain := in.chain(m, 128<<10, "###", maxChainRows)
	fixed := m(head) + m(links) + m(gate) + m(shards) + m(flow) + m(gantt) + m(chain)
	room := markup.MaxSummaryBytes - fixed - noteReserveChars
	cmp, steps := in.split(m, room, "###", fullLimits, false)
	out := head + cmp + links + gate + shards + chain + steps + flow + gantt
	return clamp(m, markup.MaxSummaryBytes, out, in.where())
}

// split shares room between the comparison and the step table: the
// comparison leads, so it gets what it needs up to all but half of room,
// and the step table the rest.
func (in *Input) split(m measure, room int, heading string, lim compareLimits, failedOnly bool) (cmp, steps string) {
	stepsFull := in.steps(m, room, heading, failedOnly)
	cmp = in.comparison(m, max(room/2, room-m(stepsFull)), heading, lim)
	steps = in.steps(m, room-m(cmp), heading, failedOnly)
	return cmp, steps
}

// compact is the short form shared by the comment and the check run:
// conclusion, what changed since the baseline, links and digests, gate,
// chain checks, phases with the steps that did not succeed.
func (in *Input) compact(m measure, limit int, withGraph bool) string {
	head := in.header("###")
	links := in.links() + in.ledger()
	gate := in.gate(m, limit/8, "####")
	shards := in.shards(m, limit/8, "####", true)
	flow := ""
	if withGraph {
		if f := in.flowchart("####"); m(f) <= limit/8 {
			flow = f
		}
	}
	chain := in.chain(m, limit/8, "####", 60)
	room := limit - m(head) - m(links) - m(gate) - m(shards) - m(flow) - m(chain) - noteReserveChars
	cmp, steps := in.split(m, room, "####", compactLimits, true)
	return head + cmp + links + gate + shards + chain + steps + flow
}

// Comment renders the sticky pull-request comment: marker first, then the
// compact report; at most 65,536 characters.
func Comment(in Input, marker string) string {
	m := measure(charsOf)
	limit := markup.MaxCommentChars - m(marker) - 1
	return clamp(m, markup.MaxCommentChars, marker+"\n"+in.compact(m, limit, true), in.where())
}

// CheckOutput renders the check run's output: a one-line title, the compact
// report as summary and the comparison and full step table as text, each
// within 65,535 bytes (GitHub counts the check output in bytes, unlike
// comments).
func CheckOutput(in Input) (title, summary, text string) {
	m := measure(bytesOf)
	title = markup.Line(fmt.Sprintf("%s · %s", in.conclusion(), strings.TrimPrefix(statusLine(&in), in.conclusion()+" · ")), maxCheckTitle)
	summary = clamp(m, markup.MaxCheckOutputBytes, in.compact(m, markup.MaxCheckOutputBytes, false), in.where())
	cmp, steps := in.split(m, markup.MaxCheckOutputBytes-noteReserveChars, "###", fullLimits, false)
	text = clamp(m, markup.MaxCheckOutputBytes, strings.TrimPrefix(cmp+steps, "\n"), in.where())
	return title, summary, text
}

// statusLine is the plain one-line summary behind the status description
// and the check title: conclusion, counts, digest, reason.
func statusLine(in *Input) string {
	parts := []string{in.conclusion()}
	if in.Manifest != nil {
		steps, failed, skipped := 0, 0, 0
		for _, p := range in.Manifest.Phases {
			for _, s := range p.Steps {
				steps++
				if s.Status == manifest.Failure {
					failed++
				}
				// Only steps that skipped themselves: those a failure
				// skipped are implied by it.
				if s.SkipReason != "" {
					skipped++
				}
			}
		}
		if failed > 0 {
			parts = append(parts, fmt.Sprintf("%d of %s failed", failed, markup.Plural(steps, "step")))
		} else {
			parts = append(parts, markup.Plural(steps, "step"))
		}
		if skipped > 0 {
			parts = append(parts, fmt.Sprintf("%d skipped", skipped))
		}
	}
	if in.LedgerDigest != "" {
		d := in.LedgerDigest
		if len(d) > 12 {
			d = d[:12]
		}
		parts = append(parts, markup.Plural(in.Files, "file"), "sha256:"+markup.Line(d, 12))
	}
	if c := in.compareWord(); c != "" {
		parts = append(parts, c)
	}
	for _, g := range in.Gate {
		if g.Failed() {
			parts = append(parts, "gate failed")
			break
		}
	}
	if in.Manifest != nil && in.Manifest.Reason != "" {
		parts = append(parts, in.Manifest.Reason)
	}
	return strings.Join(parts, " · ")
}

// compareWord is the comparison in a few words, for the status line.
func (in *Input) compareWord() string {
	c := in.Compare
	switch {
	case c != nil && len(c.Tampered) > 0:
		return "baseline tampered"
	case c != nil && c.Missing != "":
		return "no baseline"
	case in.identical():
		return "identical evidence"
	case in.Drift == nil:
		return ""
	case in.Drift.Drift():
		n := in.Drift.Counts()
		return "drift: " + markup.Plural(n.Changed+n.Added+n.Removed, "file")
	}
	return "no drift"
}

// StatusDescription is the commit status description: at most 140 characters.
func StatusDescription(in Input) string {
	return markup.Line(statusLine(&in), markup.MaxStatusDescriptionChars)
}
