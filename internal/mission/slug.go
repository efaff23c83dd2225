package mission

import (
	"sort"
	"strconv"
	"strings"
)

// maxSlug bounds derived ids: they end up in file names inside the report
// bundle and in log prefixes, where a whole shell script would be unwieldy.
const maxSlug = 64

// Slug turns s into an id that matches ^[a-z0-9][a-z0-9._-]*$: lower-case,
// with every run of other characters (including '-') replaced by one '-',
// punctuation trimmed from both ends, and at most 64 characters. It never
// returns "" (it returns "step" instead), so a derived id always exists.
func Slug(s string) string {
	if id := slugOrEmpty(s); id != "" {
		return id
	}
	return "step"
}

// slugOrEmpty is Slug without the fallback: "" when s has no letter or
// digit to make an id from. Shard ids need it: a value that makes no id
// part is a mistake to report, not a shard called "step".
func slugOrEmpty(s string) string {
	var b strings.Builder
	pendingDash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '_':
			if pendingDash && b.Len() > 0 {
				b.WriteByte('-')
			}
			pendingDash = false
			b.WriteRune(r)
		default:
			pendingDash = true
		}
		if b.Len() >= maxSlug {
			break
		}
	}
	return cutSlug(b.String())
}

// trimSlug cuts a slug to maxSlug and removes the punctuation that the id
// pattern does not allow at the start (and that looks accidental at the end).
func trimSlug(s string) string {
	if s = cutSlug(s); s == "" {
		return "step"
	}
	return s
}

// cutSlug is trimSlug without the fallback.
func cutSlug(s string) string {
	if len(s) > maxSlug {
		s = s[:maxSlug]
	}
	return strings.Trim(s, "-._")
}

// suggest returns the candidate closest to word, or "" when none is close
// enough to be a likely typo. Candidates are compared case- and
// separator-insensitively first, because "continue_on_error" and
// "Working-Directory" are the mistakes people actually make.
func suggest(word string, candidates []string) string {
	norm := func(s string) string {
		return strings.ReplaceAll(strings.ToLower(s), "_", "-")
	}
	w := norm(word)
	// Long words are not typos, and the distance is quadratic in length.
	if w == "" || len(w) > 100 || len(candidates) > 1000 {
		return ""
	}
	for _, c := range candidates {
		if norm(c) == w {
			return c
		}
	}
	// A third of the word's length allows a typo or two in long words
	// without suggesting "run" for "env".
	limit := max(1, len(w)/3)
	best, bestDist := "", 0
	for _, c := range candidates {
		nc := norm(c)
		if len(nc) > len(w)+limit || len(nc) < len(w)-limit {
			continue // too far apart in length alone
		}
		d := editDistance(w, nc)
		if d <= limit && (best == "" || d < bestDist) {
			best, bestDist = c, d
		}
	}
	if best != "" {
		return best
	}
	// "working-dir" is a prefix of "working-directory": abbreviations are
	// clearer matches than their edit distance says.
	if len(w) >= 4 {
		for _, c := range candidates {
			if strings.HasPrefix(norm(c), w) {
				return c
			}
		}
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b, by runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// quoteList renders names as "a", "b" or "c" for messages, sorted so that the
// message does not depend on the caller's order.
func quoteList(names []string, conj string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	sort.Strings(q)
	switch len(q) {
	case 0:
		return ""
	case 1:
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " " + conj + " " + q[len(q)-1]
}
