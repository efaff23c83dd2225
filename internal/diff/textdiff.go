package diff

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"math"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// textExts are the extensions (any case) of the files compared line by line:
// prose, tables and configuration, whose lines people read. Left out on
// purpose: HTML and SVG (generated markup, one change rewraps the page),
// logs (volatile), JSON (compared key by key) and anything else, which may
// be binary.
var textExts = []string{".md", ".markdown", ".txt", ".csv", ".tsv", ".yml", ".yaml", ".toml"}

const (
	defaultMaxTextLines = 40
	defaultMaxLineLen   = 200
	// textContext is how many unchanged lines show around a change, as in
	// diff -u; changes closer than twice that share a hunk.
	textContext = 3
	// maxAlignLines bounds the lines of each side, after the lines the
	// files share at their start and end are set aside, that are aligned
	// one by one. Beyond it the lines in between are shown as one block
	// removed and one added, read line by line only as far as shown, so a
	// file of millions of short lines costs no more than its bytes.
	maxAlignLines = 1 << 18
	// alignWork bounds the steps of the alignment (diagonals tried and
	// lines compared), so that two 100,000-line files with little in
	// common cost about a tenth of a second, not hours. It allows an edit
	// distance of about 5,000 lines among the lines both files have, so
	// files of 100,000 lines with a thousand changes stay within it.
	alignWork = 1 << 24
)

func isText(name string) bool {
	ext := filepath.Ext(name)
	for _, e := range textExts {
		if strings.EqualFold(ext, e) {
			return true
		}
	}
	return false
}

// compareText fills c.Text with the first lines of a unified diff of a
// changed text file, or c.Note with why it could not.
func compareText(c *Change, oldB, newB *bundle, oldSum, newSum [32]byte, opts Options) {
	a, errOld := readVerified(oldB, c.Name, oldSum)
	b, errNew := readVerified(newB, c.Name, newSum)
	if c.Note = unreadNote(errOld, errNew, "lines"); c.Note != "" {
		return
	}
	if isBinary(a) || isBinary(b) {
		c.Note = "binary content; lines not compared"
		return
	}
	d := diffText(string(a), string(b), opts.MaxTextLines, opts.MaxLineLen, alignWork)
	c.Text, c.TextTruncated = d.lines, d.dropped
	c.Note = strings.Join(d.notes, "; ")
}

// isBinary reports content whose lines would not print: a NUL byte, as
// diff and git take it, or bytes that are not UTF-8.
func isBinary(data []byte) bool {
	return bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data)
}

// textDiff is a unified diff cut to its first lines.
type textDiff struct {
	lines   []string
	dropped int
	notes   []string
}

// diffText returns the unified diff of a and b: hunks with textContext
// lines of context, without the "---"/"+++" header, its first maxLines
// lines kept (all when negative) and each line's text cut to maxLineLen
// characters (none when negative) and made safe to print (cleanLine). A
// line is compared with its line ending, so a change of ending alone shows,
// and a note says which. work bounds the alignment; past it the changes
// not yet aligned show as whole blocks, and a note says so.
func diffText(a, b string, maxLines, maxLineLen, work int) textDiff {
	var notes []string
	if ea, eb := eolStyle(a), eolStyle(b); ea != "" && eb != "" && ea != eb {
		notes = append(notes, "line endings "+ea+" → "+eb)
	}
	switch ma, mb := missingEOL(a), missingEOL(b); {
	case ma && !mb:
		notes = append(notes, "no newline at end of old file")
	case mb && !ma:
		notes = append(notes, "no newline at end of new file")
	}

	// Lines the files share at their start and end cannot be part of a
	// change: set them aside but for the context, so that a one-line edit
	// of a large file splits and aligns a few lines, not all of them.
	head := commonHead(a, b)
	tail := commonTail(a[head:], b[head:])
	midA, midB := a[head:len(a)-tail], b[head:len(b)-tail]
	before := lastLines(a[:head], textContext)
	after := firstLines(a[len(a)-tail:], textContext)
	first := strings.Count(a[:head], "\n") - len(before)

	e := &emitter{max: maxLines, lineLen: maxLineLen}
	if na, nb := countLines(midA), countLines(midB); na > maxAlignLines || nb > maxAlignLines {
		notes = append(notes, fmt.Sprintf("over %d lines between the first change and the last, shown as one block removed and one added", maxAlignLines))
		e.block(first, before, midA, na, midB, nb, after)
	} else {
		la := joinLines(before, midA, na, after)
		lb := joinLines(before, midB, nb, after)
		removed, added, coarse := align(la, lb, work)
		if coarse {
			notes = append(notes, "too many differences to align every line; some are shown as a block removed and a block added")
		}
		e.hunks(first, la, lb, removed, added)
	}
	e.finish()
	return textDiff{lines: e.lines, dropped: e.dropped, notes: notes}
}

// eolStyle names how s ends its lines: "LF", "CRLF", "mixed", or "" when it
// has no line break.
func eolStyle(s string) string {
	lf := strings.Count(s, "\n")
	crlf := strings.Count(s, "\r\n")
	switch {
	case lf == 0:
		return ""
	case crlf == 0:
		return "LF"
	case crlf == lf:
		return "CRLF"
	}
	return "mixed"
}

func missingEOL(s string) bool { return s != "" && s[len(s)-1] != '\n' }

// commonHead returns the length of the whole lines a and b start with.
func commonHead(a, b string) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	return strings.LastIndexByte(a[:i], '\n') + 1
}

// commonTail returns the length of the whole lines a and b end with: the
// longest common suffix that starts at a line start on both sides.
func commonTail(a, b string) int {
	n := min(len(a), len(b))
	s := 0
	for s < n && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	for t := range s {
		pa, pb := len(a)-s+t, len(b)-s+t
		if (pa == 0 || a[pa-1] == '\n') && (pb == 0 || b[pb-1] == '\n') {
			return s - t
		}
	}
	return 0
}

// countLines counts the lines of s, a last one without a newline included.
func countLines(s string) int {
	n := strings.Count(s, "\n")
	if missingEOL(s) {
		n++
	}
	return n
}

// nextLine splits the first line of s, with its newline, from the rest.
func nextLine(s string) (line, rest string) {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i+1], s[i+1:]
	}
	return s, ""
}

// firstLines returns up to n lines from the start of s.
func firstLines(s string, n int) []string {
	var out []string
	for s != "" && len(out) < n {
		var l string
		l, s = nextLine(s)
		out = append(out, l)
	}
	return out
}

// lastLines returns up to n lines from the end of s, which is empty or ends
// with a newline.
func lastLines(s string, n int) []string {
	start := len(s)
	for k := 0; k < n && start > 0; k++ {
		start = strings.LastIndexByte(s[:start-1], '\n') + 1
	}
	return firstLines(s[start:], n)
}

// joinLines returns before, the n lines of mid and after as one list.
func joinLines(before []string, mid string, n int, after []string) []string {
	out := make([]string, 0, len(before)+n+len(after))
	out = append(out, before...)
	for mid != "" {
		var l string
		l, mid = nextLine(mid)
		out = append(out, l)
	}
	return append(out, after...)
}

// align finds which lines of a are removed and which of b are added by a
// shortest edit script, within a budget of work steps; coarse reports that
// the budget ran out and some changes are whole blocks instead.
func align(a, b []string, work int) (removed, added []bool, coarse bool) {
	removed, added = make([]bool, len(a)), make([]bool, len(b))
	// Number the lines, so the alignment compares integers.
	nums := newNumberer(len(a) + len(b))
	number := func(lines []string) []int32 {
		out := make([]int32, len(lines))
		for i, l := range lines {
			out[i] = nums.number(l)
		}
		return out
	}
	na, nb := number(a), number(b)
	sides := make([]uint8, len(nums.lines))
	for _, id := range na {
		sides[id] |= 1
	}
	for _, id := range nb {
		sides[id] |= 2
	}
	// A line found on one side only matches nothing: it is removed or
	// added whatever the alignment, so only the others are aligned. This
	// keeps the result exact and makes a rewritten file cheap.
	al := aligner{
		a: make([]int32, 0, len(na)), ia: make([]int32, 0, len(na)),
		b: make([]int32, 0, len(nb)), ib: make([]int32, 0, len(nb)),
		removed: removed, added: added, work: work,
	}
	for i, id := range na {
		if sides[id] == 3 {
			al.a, al.ia = append(al.a, id), append(al.ia, int32(i))
		} else {
			removed[i] = true
		}
	}
	for i, id := range nb {
		if sides[id] == 3 {
			al.b, al.ib = append(al.b, id), append(al.ib, int32(i))
		} else {
			added[i] = true
		}
	}
	al.align(0, len(al.a), 0, len(al.b))
	return removed, added, al.coarse
}

// numberer gives equal lines equal numbers, from 0 up. It is a hash table
// of its own, open addressing at most half full, rather than a map, so that
// each line is hashed once and the table never grows: numbering two files
// of 100,000 lines took three times as long with a map. The seed is random,
// so a file cannot be made to collide.
type numberer struct {
	seed maphash.Seed
	// slots hold a line's number plus one, 0 when free.
	slots []int32
	// hashes and lines are indexed by number.
	hashes []uint64
	lines  []string
}

// newNumberer returns a numberer for up to n lines.
func newNumberer(n int) *numberer {
	size := 1
	for size < 2*n {
		size <<= 1
	}
	return &numberer{
		seed:   maphash.MakeSeed(),
		slots:  make([]int32, size),
		hashes: make([]uint64, 0, n),
		lines:  make([]string, 0, n),
	}
}

func (t *numberer) number(l string) int32 {
	h := maphash.String(t.seed, l)
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			id := int32(len(t.lines))
			t.slots[i] = id + 1
			t.hashes = append(t.hashes, h)
			t.lines = append(t.lines, l)
			return id
		}
		if t.hashes[s-1] == h && t.lines[s-1] == l {
			return s - 1
		}
	}
}

// aligner computes a shortest edit script between two lists of line
// numbers by Myers' O(ND) algorithm in its linear-space form: find a point
// on an optimal path by searching from both ends at once, then solve each
// side of it the same way.
type aligner struct {
	a, b []int32
	// ia and ib are where each entry of a and b is in the caller's lists,
	// whose removed and added flags the script is written to.
	ia, ib         []int32
	removed, added []bool
	// work is the budget left; below zero, what is left is not aligned.
	work   int
	coarse bool
	// vf and vb hold, by diagonal, the furthest point reached from the
	// start and from the end.
	vf, vb []int
}

// align writes the script for a[a0:a1] and b[b0:b1].
func (al *aligner) align(a0, a1, b0, b1 int) {
	for {
		for a0 < a1 && b0 < b1 && al.a[a0] == al.b[b0] {
			a0, b0 = a0+1, b0+1
		}
		for a0 < a1 && b0 < b1 && al.a[a1-1] == al.b[b1-1] {
			a1, b1 = a1-1, b1-1
		}
		if a0 == a1 || b0 == b1 {
			al.mark(a0, a1, b0, b1)
			return
		}
		x, y, ok := al.split(a0, a1, b0, b1)
		if !ok {
			al.coarse = true
			al.mark(a0, a1, b0, b1)
			return
		}
		// Each side costs about half of the whole: the recursion is as
		// deep as the log of the edit distance.
		al.align(a0, x, b0, y)
		a0, b0 = x, y
	}
}

// mark removes a[a0:a1] and adds b[b0:b1].
func (al *aligner) mark(a0, a1, b0, b1 int) {
	for _, i := range al.ia[a0:a1] {
		al.removed[i] = true
	}
	for _, j := range al.ib[b0:b1] {
		al.added[j] = true
	}
}

// split returns a point (x, y) on a shortest path through the edit graph
// of a[a0:a1] and b[b0:b1], neither corner, or false when the budget runs
// out first. The sides must differ in their first and in their last line
// and neither be empty, as align leaves them; the edit distance D is then
// at least 2, which keeps the point off the corners.
//
// In diagonal k (x-y = k) from the start, vf holds the furthest x a path
// of d edits reaches; vb does the same from the end, with x and y counted
// back from (n, m). The paths meet after about D/2 steps from each end. A
// point that a d-path from the start reaches, and that lies on the same
// diagonal as, and past, a point from which the end is d or d-1 edits away
// (the cost to the end does not grow along a diagonal), is on a path of
// cost at most D: a shortest one.
func (al *aligner) split(a0, a1, b0, b1 int) (int, int, bool) {
	a, b := al.a[a0:a1], al.b[b0:b1]
	n, m := len(a), len(b)
	delta := n - m
	odd := delta&1 != 0
	work := al.work
	defer func() { al.work = work }()
	// A step d tries 2d+1 diagonals from each end, so the budget allows
	// about sqrt(work/2) steps in all; that bounds the vectors as well.
	maxD := min((n+m+1)/2, int(math.Sqrt(float64(max(work, 0))/2))+1)
	off := maxD + 1
	if size := 2*maxD + 3; cap(al.vf) < size {
		al.vf, al.vb = make([]int, size), make([]int, size)
	}
	vf, vb := al.vf[:2*maxD+3], al.vb[:2*maxD+3]
	for d := 0; d <= maxD; d++ {
		for k := -d; k <= d; k += 2 {
			x := reach(vf, off, k, d, n, m)
			if x < 0 {
				vf[off+k] = -1
				continue
			}
			y := x - k
			start := x
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			work -= 1 + x - start
			vf[off+k] = x
			if c := delta - k; odd && c >= -(d-1) && c <= d-1 {
				if w := vb[off+c]; w >= 0 && x+w >= n {
					return a0 + x, b0 + y, true
				}
			}
		}
		for c := -d; c <= d; c += 2 {
			x := reach(vb, off, c, d, n, m)
			if x < 0 {
				vb[off+c] = -1
				continue
			}
			y := x - c
			start := x
			for x < n && y < m && a[n-1-x] == b[m-1-y] {
				x, y = x+1, y+1
			}
			work -= 1 + x - start
			vb[off+c] = x
			if k := delta - c; !odd && k >= -d && k <= d {
				if v := vf[off+k]; v >= 0 && v+x >= n {
					return a1 - x, b1 - y, true
				}
			}
		}
		if work < 0 {
			return 0, 0, false
		}
	}
	// maxD was cut by the budget, which has all but run out.
	return 0, 0, false
}

// reach returns the x a path of d edits reaches on diagonal k before its
// last snake, from the furthest points of d-1 edits in v, or -1 when no such
// path stays inside the n×m graph.
func reach(v []int, off, k, d, n, m int) int {
	if d == 0 {
		return 0
	}
	best := -1
	if k < d {
		if x := v[off+k+1]; x >= 0 && x-k <= m {
			best = x
		}
	}
	if k > -d {
		if x := v[off+k-1] + 1; x > 0 && x <= n && x > best {
			best = x
		}
	}
	return best
}

// emitter collects the lines of a unified diff up to its bound and counts
// those past it.
type emitter struct {
	max, lineLen int
	lines        []string
	dropped      int
}

func (e *emitter) full() bool { return e.max >= 0 && len(e.lines) >= e.max }

// header starts a hunk of the lines from index a (0-based) of the old file,
// na of them, and b of the new, nb. As in diff -u, an empty range names
// the line before it.
func (e *emitter) header(a, na, b, nb int) {
	if e.full() {
		e.dropped++
		return
	}
	if na > 0 {
		a++
	}
	if nb > 0 {
		b++
	}
	e.lines = append(e.lines, fmt.Sprintf("@@ -%d,%d +%d,%d @@", a, na, b, nb))
}

// line adds a line of a file, marked ' ', '-' or '+', cut to lineLen
// characters.
func (e *emitter) line(mark byte, l string) {
	if e.full() {
		e.dropped++
		return
	}
	e.add(mark, truncate(withoutEOL(l), e.lineLen))
}

// changed adds a removed or added line whose counterpart, at the same place
// in the run of lines added or removed in its stead, is other. When both
// are longer than lineLen and differ only past it, both are cut to a window
// around their first difference (clip), so that they do not read the same.
func (e *emitter) changed(mark byte, l, other string) {
	if e.full() {
		e.dropped++
		return
	}
	s, _ := clip(withoutEOL(l), withoutEOL(other), e.lineLen)
	e.add(mark, s)
}

// add appends a line, marked, made safe to print.
func (e *emitter) add(mark byte, s string) {
	e.lines = append(e.lines, string(mark)+cleanLine(s))
}

// withoutEOL drops the line ending, "\n" or "\r\n", of a line.
func withoutEOL(l string) string {
	if strings.HasSuffix(l, "\r\n") {
		return l[:len(l)-2]
	}
	return strings.TrimSuffix(l, "\n")
}

// finish drops a hunk header left last by the bound, with nothing of its
// hunk under it.
func (e *emitter) finish() {
	if n := len(e.lines); e.dropped > 0 && n > 0 && strings.HasPrefix(e.lines[n-1], "@@") {
		e.lines = e.lines[:n-1]
		e.dropped++
	}
}

// group is a run of changed lines: a[a0:a1] removed, b[b0:b1] added.
type group struct{ a0, a1, b0, b1 int }

// changeGroups reads the runs of changed lines from align's flags. Lines
// not flagged pair up, in order, as the lines the files share.
func changeGroups(removed, added []bool) []group {
	var gs []group
	i, j := 0, 0
	for i < len(removed) || j < len(added) {
		if i < len(removed) && j < len(added) && !removed[i] && !added[j] {
			i, j = i+1, j+1
			continue
		}
		g := group{a0: i, b0: j}
		for i < len(removed) && removed[i] {
			i++
		}
		for j < len(added) && added[j] {
			j++
		}
		if i == g.a0 && j == g.b0 {
			// Flags that do not pair up; align never leaves them. Show
			// the rest as one block rather than loop.
			i, j = len(removed), len(added)
		}
		g.a1, g.b1 = i, j
		gs = append(gs, g)
	}
	return gs
}

// hunks writes the diff of the lines a and b, whose first line is line
// first (0-based) of both files, given align's flags.
func (e *emitter) hunks(first int, a, b []string, removed, added []bool) {
	gs := changeGroups(removed, added)
	for i := 0; i < len(gs); {
		j := i
		for j+1 < len(gs) && gs[j+1].a0-gs[j].a1 <= 2*textContext {
			j++
		}
		// The lines before the first group and after the last are
		// shared, so the context is the same on both sides.
		pre := min(textContext, gs[i].a0)
		post := min(textContext, len(a)-gs[j].a1)
		as, ae := gs[i].a0-pre, gs[j].a1+post
		bs, be := gs[i].b0-pre, gs[j].b1+post
		e.header(first+as, ae-as, first+bs, be-bs)
		x := as
		for _, g := range gs[i : j+1] {
			for ; x < g.a0; x++ {
				e.line(' ', a[x])
			}
			removed, added := a[g.a0:g.a1], b[g.b0:g.b1]
			for k, l := range removed {
				if k < len(added) {
					e.changed('-', l, added[k])
				} else {
					e.line('-', l)
				}
			}
			for k, l := range added {
				if k < len(removed) {
					e.changed('+', l, removed[k])
				} else {
					e.line('+', l)
				}
			}
			x = g.a1
		}
		for ; x < ae; x++ {
			e.line(' ', a[x])
		}
		i = j + 1
	}
}

// block writes one hunk: the context before, all na lines of midA removed,
// all nb of midB added, the context after. Lines past the bound are
// counted, not split, so the cost stays that of counting newlines.
func (e *emitter) block(first int, before []string, midA string, na int, midB string, nb int, after []string) {
	ctx := len(before) + len(after)
	e.header(first, ctx+na, first, ctx+nb)
	for _, l := range before {
		e.line(' ', l)
	}
	e.run('-', midA, na)
	e.run('+', midB, nb)
	for _, l := range after {
		e.line(' ', l)
	}
}

// run adds the n lines of s, each marked mark.
func (e *emitter) run(mark byte, s string, n int) {
	for ; n > 0 && !e.full(); n-- {
		var l string
		l, s = nextLine(s)
		e.line(mark, l)
	}
	e.dropped += n
}

// cleanLine makes a line of a file safe to print on a terminal or in a
// report: C0 control characters but tab become their Control Pictures
// (ESC shows as "␛", so an escape sequence is seen, not obeyed), DEL
// becomes "␡", and other control and format characters (C1, bidi
// overrides, zero-width characters), line and paragraph separators and
// invalid UTF-8 become U+FFFD. Everything else is left for each report to
// escape in its own way.
func cleanLine(s string) string {
	if utf8.ValidString(s) && strings.IndexFunc(s, unsafeRune) < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		switch {
		case r == '\t':
		case r < 0x20:
			r += 0x2400
		case r == 0x7f:
			r = '\u2421'
		case unsafeRune(r):
			r = utf8.RuneError
		}
		b.WriteRune(r)
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return r != '\t' && (unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029')
}
