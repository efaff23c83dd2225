// Package mask redacts secrets (RPC URLs with API keys, tokens, environment
// values passed to steps) from everything helios writes: console output,
// logs, reports and artefacts.
//
// Every occurrence of a secret is replaced by "***". Occurrences that overlap
// or touch are replaced together by a single "***", so when two secrets
// overlap no part of either survives, and a longer secret is never left half
// visible because a shorter one inside it matched first.
package mask

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Mask is what every secret is replaced with.
const Mask = "***"

// MinLen is the shortest value masked. Shorter values ("1", "eth", "on")
// would blank out ordinary text everywhere while hiding next to nothing.
const MinLen = 4

// keyLen is how long a URL path segment or user name must be to look like an
// API key rather than a route such as "v3" or "rpc".
const keyLen = 16

// Masker replaces secrets in strings, byte slices and streams. The zero value
// and a nil *Masker mask nothing. A Masker is safe for concurrent use.
type Masker struct {
	mu   sync.Mutex // serialises Add
	sets atomic.Pointer[secretSet]
}

// secretSet is an immutable snapshot of the values masked; Add replaces it
// rather than changing it so that readers need no lock.
type secretSet struct {
	strs []string // longest first, then byte order
	bs   [][]byte // the same values, for bytes.Index
	// star is set when a value contains the mask's own '*': then a mask next
	// to ordinary text can spell a secret, and masking is repeated.
	star bool
}

// New returns a Masker for secrets and the forms derived from them (see Add).
func New(secrets ...string) *Masker {
	m := &Masker{}
	m.Add(secrets...)
	return m
}

// Add masks more values. Besides each value it masks the forms in which the
// value turns up in output: its query- and path-escaped forms (in URLs and
// form bodies) and its JSON-escaped forms (in JSON artefacts and logs). A
// value with surrounding white space (a token read from a file with its final
// newline) is also masked without it. For a URL with a scheme and a host it
// also masks the userinfo password, a user name that looks like a key, each
// query value, and each path segment that looks like a key (at least 16 of
// [A-Za-z0-9_-]), because RPC providers put the API key in one of those and
// a client may log the key on its own. Values shorter than MinLen bytes, and
// values of only white space, are ignored, derived ones included.
func (m *Masker) Add(secrets ...string) {
	forms := make(map[string]struct{})
	for _, s := range secrets {
		for _, f := range derive(s) {
			// White space alone is no secret, and masking it would blank
			// out the indentation of every log.
			if len(f) >= MinLen && strings.TrimSpace(f) != "" {
				forms[f] = struct{}{}
			}
		}
	}
	if len(forms) == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := m.set()
	all := slices.Clone(old.strs)
	for _, f := range old.strs {
		delete(forms, f)
	}
	if len(forms) == 0 {
		return
	}
	for f := range forms {
		all = append(all, f)
	}
	slices.SortFunc(all, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	next := &secretSet{strs: all, bs: make([][]byte, len(all))}
	for i, s := range all {
		next.bs[i] = []byte(s)
		next.star = next.star || strings.Contains(s, "*")
	}
	m.sets.Store(next)
}

var emptySet = &secretSet{}

func (m *Masker) set() *secretSet {
	if m == nil {
		return emptySet
	}
	if s := m.sets.Load(); s != nil {
		return s
	}
	return emptySet
}

// Secrets returns every value masked, derived forms included, longest first,
// for example to register each with the runner's "::add-mask::" command.
func (m *Masker) Secrets() []string {
	return slices.Clone(m.set().strs)
}

// ScanSecrets returns Secrets less the WholeURLForms of each of urls: what
// a search of a report for leaked credentials looks for. The URLs stay
// masked in output; a report that shows the RPC URL of a local node is no
// leak, and one that shows a URL with a key holds the key.
func (m *Masker) ScanSecrets(urls ...string) []string {
	drop := map[string]bool{}
	for _, u := range urls {
		for _, f := range WholeURLForms(u) {
			drop[f] = true
		}
	}
	all := m.Secrets()
	if len(drop) == 0 {
		return all
	}
	return slices.DeleteFunc(all, func(s string) bool { return drop[s] })
}

// String returns s with every secret replaced by Mask.
func (m *Masker) String(s string) string {
	set := m.set()
	found := false
	for _, sec := range set.strs {
		if strings.Contains(s, sec) {
			found = true
			break
		}
	}
	if !found {
		return s
	}
	return string(set.maskAll([]byte(s)))
}

// Bytes returns b with every secret replaced by Mask. When there is nothing
// to mask it returns b itself rather than a copy.
func (m *Masker) Bytes(b []byte) []byte {
	set := m.set()
	for _, sec := range set.bs {
		if bytes.Contains(b, sec) {
			return set.maskAll(b)
		}
	}
	return b
}

// maskAll masks b into a new slice. One pass is enough unless a secret holds
// a '*': text next to a mask cannot form a secret otherwise, since text left
// unmasked is a run of the input that had no secret in it. With a '*' the
// pass is repeated until nothing changes; each pass that changes anything
// replaces at least MinLen bytes by len(Mask) < MinLen, so it ends.
func (set *secretSet) maskAll(b []byte) []byte {
	for {
		spans := set.cover(b, 0)
		if len(spans) == 0 {
			return b
		}
		b = render(nil, b, spans, len(b), false)
		if !set.star {
			return b
		}
	}
}

// span is a half-open range of bytes to mask.
type span struct{ start, end int }

// cover returns the sorted, merged ranges of b inside an occurrence of a
// secret, every occurrence counted, overlapping ones included. When head > 0,
// b[:head] is covered too: it continues a secret that began in earlier input.
// Ranges that overlap or touch are merged so that each becomes one mask.
func (set *secretSet) cover(b []byte, head int) []span {
	var spans []span
	if head > 0 {
		spans = append(spans, span{0, head})
	}
	for _, sec := range set.bs {
		for i := 0; i+len(sec) <= len(b); {
			j := bytes.Index(b[i:], sec)
			if j < 0 {
				break
			}
			spans = append(spans, span{i + j, i + j + len(sec)})
			// The next occurrence may overlap this one ("aaaa" in "aaaaa").
			i += j + 1
		}
	}
	if len(spans) < 2 {
		return spans
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	merged := spans[:1]
	for _, s := range spans[1:] {
		last := &merged[len(merged)-1]
		if s.start <= last.end {
			last.end = max(last.end, s.end)
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// render appends b[:cut] to dst with each span replaced by Mask. continues
// says the byte before b was masked, so a span at 0 extends that mask
// instead of starting another.
func render(dst, b []byte, spans []span, cut int, continues bool) []byte {
	pos := 0
	for _, s := range spans {
		if s.start >= cut {
			break
		}
		dst = append(dst, b[pos:s.start]...)
		if s.start > 0 || !continues {
			dst = append(dst, Mask...)
		}
		pos = min(s.end, cut)
	}
	return append(dst, b[pos:cut]...)
}

// derive lists s and the forms of it that Add masks, possibly with repeats
// and short values, which Add drops.
func derive(s string) []string {
	if s == "" {
		return nil
	}
	base := []string{s}
	if t := strings.TrimSpace(s); t != s {
		base = append(base, t)
	}
	var parts []string
	for _, b := range base {
		if n := normalised(b); n != "" {
			parts = append(parts, n)
		}
		parts = append(parts, urlParts(b)...)
	}
	return escapedForms(append(base, parts...))
}

// escapedForms lists each value and the escaped forms it takes in output.
func escapedForms(vs []string) []string {
	var out []string
	for _, b := range vs {
		out = append(out, b, url.QueryEscape(b), url.PathEscape(b), jsonEscape(b, true), jsonEscape(b, false))
	}
	return out
}

// normalised is the form in which clients that log a parsed URL print it,
// or "" when s is not a URL with a scheme and a host or already reads so.
func normalised(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	if n := u.String(); n != s {
		return n
	}
	return ""
}

// WholeURLForms returns the forms Add derives from s taken whole as a URL
// (s, trimmed, normalised, and their query-, path- and JSON-escaped forms)
// that a search for leaked credentials can leave out: a copy of a URL that
// holds a credential holds the credential, which Add masks on its own, and
// a URL that holds none (a local node's "http://127.0.0.1:8545") is no
// secret. It returns nil when s is not a URL with a scheme and a host, and
// when the URL holds a credential too short to be masked on its own (a
// password or a key parameter under MinLen bytes): then only the whole URL
// finds a copy. Forms that are also forms of a credential are kept.
func WholeURLForms(s string) []string {
	base := []string{s}
	if t := strings.TrimSpace(s); t != s {
		base = append(base, t)
	}
	// s itself need not parse ("…/\n" has a control byte): the URL is what
	// is left without the white space.
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Scheme == "" || u.Host == "" || shortCredential(u) {
		return nil
	}
	whole := base
	var creds []string
	for _, b := range base {
		if n := normalised(b); n != "" {
			whole = append(whole, n)
		}
		creds = append(creds, urlParts(b)...)
	}
	keep := map[string]bool{}
	for _, f := range escapedForms(creds) {
		keep[f] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, f := range escapedForms(whole) {
		if !keep[f] && !seen[f] && len(f) >= MinLen && strings.TrimSpace(f) != "" {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// shortCredential reports whether u holds a password or a value of a
// secret-named query parameter that is shorter than MinLen: Add does not
// mask it on its own, so only the URL taken whole gives it away.
func shortCredential(u *url.URL) bool {
	if u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" && (len(p) < MinLen || strings.TrimSpace(p) == "") {
			return true
		}
	}
	for _, kv := range strings.FieldsFunc(u.RawQuery, func(r rune) bool { return r == '&' || r == ';' }) {
		k, v, _ := strings.Cut(kv, "=")
		dk, _ := url.QueryUnescape(k)
		if secretParam(dk) && v != "" && (len(v) < MinLen || strings.TrimSpace(v) == "") {
			return true
		}
	}
	return false
}

// urlParts returns the pieces of a URL that may be a credential on their own.
func urlParts(s string) []string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil
	}
	var out []string
	if u.User != nil {
		if p, ok := u.User.Password(); ok {
			out = append(out, p)
		}
		if name := u.User.Username(); looksLikeKey(name) {
			// "https://KEY@host/" puts the key where the user name goes.
			out = append(out, name)
		}
	}
	// Query values are secret when their name says so (key, token, …) or
	// when they look like a key; "?network=mainnet" is not masked, since
	// masking a common word would blank it out of every log and change
	// report bytes with the URL.
	for name, vs := range u.Query() {
		for _, v := range vs {
			if secretParam(name) || looksLikeKey(v) {
				out = append(out, v)
			}
		}
	}
	// The raw values too: the decoded value, escaped again, need not give
	// back the bytes that were in the URL ("%2b" against "%2B").
	for _, kv := range strings.FieldsFunc(u.RawQuery, func(r rune) bool { return r == '&' || r == ';' }) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			dk, _ := url.QueryUnescape(k)
			dv, _ := url.QueryUnescape(v)
			if secretParam(dk) || looksLikeKey(dv) || looksLikeKey(v) {
				out = append(out, v)
			}
		}
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if looksLikeKey(seg) {
			out = append(out, seg)
		}
	}
	return out
}

// secretWords mark a query parameter whose value is a credential.
var secretWords = []string{"key", "token", "secret", "auth", "pass", "pwd", "sig", "credential", "session", "jwt", "bearer"}

func secretParam(name string) bool {
	n := strings.ToLower(name)
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

func looksLikeKey(s string) bool {
	if len(s) < keyLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// jsonEscape returns s as it appears between the quotes of a JSON string,
// with or without the HTML escaping (\u003c) that encoding/json does by default.
func jsonEscape(s string, html bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(html)
	if err := enc.Encode(s); err != nil {
		return ""
	}
	out := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	return string(out[1 : len(out)-1])
}
