package ledger

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"slices"
	"strings"

	"github.com/helios-action/helios-action/internal/mask"
)

// Secrets finds secret values in the bytes the ledger hashes, so a bundle
// that holds one is caught while it is read anyway. It looks for each value
// as given (callers pass every form the masker masks: raw, trimmed, query-
// and path-escaped, JSON-escaped, the parts of an RPC URL) and for the
// base64 of each, in both alphabets and at all three alignments, as it
// appears inside a longer base64 stream: `AUTHORIZATION: basic
// base64("x-access-token:"+token)` in .git/config holds no standalone
// base64 of the token. A nil *Secrets finds nothing. It is immutable and
// safe for concurrent use.
type Secrets struct {
	long   *sampled // patterns of at least longMin bytes
	short  [][]byte // shorter ones, each searched on its own
	maxLen int
	n      int
}

// longMin is the length from which a pattern goes to the sampled filter,
// whose stride is the shortest such pattern less three: below that the
// samples get so dense that a few bytes.Index passes are cheaper.
const longMin = 16

// b64Min is the shortest base64 fragment looked for. The masker's own
// minimum (mask.MinLen) is about a value on its own; a fragment of 4 to 7
// base64 characters is 24 to 42 bits, which turns up by chance in any
// megabyte of base64 (an embedded image, a wheel, a tarball listing).
const b64Min = 2 * mask.MinLen

// NewSecrets returns a matcher for values and their base64 forms. Values
// shorter than mask.MinLen, and values of only white space, are ignored, as
// the masker ignores them; it returns nil when nothing is left.
func NewSecrets(values []string) *Secrets {
	seen := map[string]bool{}
	var pats []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			pats = append(pats, p)
		}
	}
	for _, v := range values {
		if len(v) < mask.MinLen || strings.TrimSpace(v) == "" {
			continue
		}
		add(v)
		for _, f := range base64Forms(v) {
			add(f)
		}
	}
	if len(pats) == 0 {
		return nil
	}
	slices.Sort(pats) // a stable layout whatever the order of values
	s := &Secrets{n: len(pats)}
	var long [][]byte
	for _, p := range pats {
		s.maxLen = max(s.maxLen, len(p))
		if len(p) >= longMin {
			long = append(long, []byte(p))
		} else {
			s.short = append(s.short, []byte(p))
		}
	}
	if len(long) > 0 {
		s.long = newSampled(long)
	}
	return s
}

// Len is the number of patterns searched, base64 forms included.
func (s *Secrets) Len() int {
	if s == nil {
		return 0
	}
	return s.n
}

// base64Forms returns the base64 of v as it reads inside a longer stream:
// v starting 0, 1 or 2 bytes into a 3-byte group, in the standard and the
// URL alphabet, without the characters at either edge that also encode
// neighbouring bytes. Fragments shorter than b64Min are left out.
func base64Forms(v string) []string {
	var out []string
	buf := make([]byte, 2+len(v))
	for o := range 3 {
		copy(buf[o:], v)
		enc := base64.StdEncoding.EncodeToString(buf[:o+len(v)])
		// Character i holds bits [6i, 6i+6) of the input: keep those that
		// hold only bits of v.
		start := (8*o + 5) / 6
		end := 8 * (o + len(v)) / 6
		if end-start < b64Min {
			continue
		}
		f := enc[start:end]
		out = append(out, f)
		if u := strings.NewReplacer("+", "-", "/", "_").Replace(f); u != f {
			out = append(out, u)
		}
	}
	return out
}

// Contains reports whether b holds any pattern.
func (s *Secrets) Contains(b []byte) bool {
	if s == nil {
		return false
	}
	if s.long != nil && s.long.find(b) {
		return true
	}
	for _, p := range s.short {
		if bytes.Contains(b, p) {
			return true
		}
	}
	return false
}

// secretStream looks for patterns across the reads of one file: a pattern
// split between two reads is found in a window made of the end of one and
// the start of the next.
type secretStream struct {
	s     *Secrets
	carry []byte // the last maxLen-1 bytes seen, or fewer at the start
	win   []byte // scratch for the window across a boundary
	hit   bool
}

func (s *Secrets) stream() *secretStream {
	if s == nil {
		return nil
	}
	return &secretStream{s: s, carry: make([]byte, 0, s.maxLen), win: make([]byte, 0, 2*s.maxLen)}
}

// reset starts a new file.
func (st *secretStream) reset() {
	st.carry, st.hit = st.carry[:0], false
}

// pieceSize is how much is hashed and then scanned at a time, so that the
// scan reads what the hash has just pulled into the L1 cache: scanning a
// whole 128 KiB read after hashing it fetches every line again from L2,
// which costs more than the scan's own work.
const pieceSize = 16 << 10

// write hashes p and, when secrets are looked for, scans it, piece by
// piece. It is the hasher's one way to consume what it read.
func (h *hasher) write(p []byte) {
	st := h.secrets
	if st == nil || st.hit {
		h.h.Write(p)
		return
	}
	st.boundary(p)
	for off := 0; off < len(p); off += pieceSize {
		end := min(off+pieceSize, len(p))
		h.h.Write(p[off:end])
		if !st.hit && st.s.containsIn(p, off, end) {
			st.hit = true
		}
	}
	st.keep(p)
}

// feed scans the next bytes of the file without hashing them.
func (st *secretStream) feed(p []byte) {
	if st.hit || len(p) == 0 {
		return
	}
	st.boundary(p)
	if !st.hit && st.s.Contains(p) {
		st.hit = true
	}
	st.keep(p)
}

// boundary looks for the patterns that start in the bytes kept from the
// previous reads and end in p: matches within those bytes alone were
// looked for already, so the window is them and p's first maxLen-1 bytes.
func (st *secretStream) boundary(p []byte) {
	if len(st.carry) == 0 || st.hit {
		return
	}
	st.win = append(append(st.win[:0], st.carry...), p[:min(len(p), st.s.maxLen-1)]...)
	st.hit = st.s.Contains(st.win)
}

// keep remembers the last maxLen-1 bytes seen, for the next boundary.
func (st *secretStream) keep(p []byte) {
	if st.hit {
		return
	}
	keep := st.s.maxLen - 1
	if len(p) >= keep {
		st.carry = append(st.carry[:0], p[len(p)-keep:]...)
		return
	}
	st.carry = append(st.carry, p...)
	if drop := len(st.carry) - keep; drop > 0 {
		st.carry = st.carry[:copy(st.carry, st.carry[drop:])]
	}
}

// containsIn reports whether b holds a pattern that starts in b[from:to]
// or, for the sampled patterns, whose sampled gram starts there; over
// consecutive ranges that covers every match inside b.
func (s *Secrets) containsIn(b []byte, from, to int) bool {
	if s.long != nil && s.long.findIn(b, from, to) {
		return true
	}
	for _, p := range s.short {
		end := min(to+len(p)-1, len(b))
		if bytes.Contains(b[from:end], p) {
			return true
		}
	}
	return false
}

// sampled finds patterns of at least m bytes by looking at one 4-byte
// gram every m-3 bytes: an occurrence of a pattern covers a sampled gram
// whole, at an offset into the pattern that is fixed modulo m-3 by where
// the occurrence starts. For each pattern and each such phase one gram is
// registered, the least common-looking of those the pattern has at that
// phase ("http" of a URL would send every logged URL to the exact check).
// A bit set of the hashed grams rejects nearly every sample with one load;
// the few left are checked exactly.
type sampled struct {
	stride int
	minLen int
	bits   *[filterBits / 64]uint64
	grams  gramTable
	pats   [][]byte
	// ascii is set when every registered gram is printable ASCII (as
	// tokens, keys, URLs and their base64 are): then a sample with a byte
	// outside 0x20-0x7f is rejected with arithmetic alone, before the bit
	// set, which on binary data is nearly every sample.
	ascii bool
}

// filterBits sizes the bit set: 4 KiB, so that it and the piece being
// scanned stay in the L1 cache together. A real run registers several
// hundred grams (a dozen values and their forms, 20-odd phases each), so
// about 2 % of the bits are set and of random samples pass.
const (
	filterLog  = 15
	filterBits = 1 << filterLog
)

// cand is a pattern whose gram at off is the one sampled.
type cand struct{ pat, off int32 }

const gramLen = 4

func newSampled(pats [][]byte) *sampled {
	m := len(pats[0])
	for _, p := range pats {
		m = min(m, len(p))
	}
	stride := m - gramLen + 1
	s := &sampled{
		stride: stride,
		minLen: m,
		bits:   new([filterBits / 64]uint64),
		pats:   pats,
	}
	byGram := map[uint32][]cand{}
	s.ascii = true
	for i, p := range pats {
		for phase := range stride {
			off := phase
			for o := phase + stride; o+gramLen <= len(p); o += stride {
				if gramScore(p[o:o+gramLen]) > gramScore(p[off:off+gramLen]) {
					off = o
				}
			}
			v := binary.LittleEndian.Uint32(p[off:])
			s.ascii = s.ascii && asciiGram(v)
			h := gramHash(v)
			s.bits[h>>6] |= 1 << (h & 63)
			byGram[v] = append(byGram[v], cand{int32(i), int32(off)})
		}
	}
	s.grams = newGramTable(byGram)
	return s
}

// gramTable maps a registered gram to its candidates: an open-addressing
// table, as a sample that passes the bit set (a few in a hundred on
// random data) must not cost a map lookup.
type gramTable struct {
	slots []gramSlot
	cands []cand
	mask  uint32
}

type gramSlot struct {
	gram   uint32
	lo, hi int32 // cands[lo:hi]; hi == 0 marks an empty slot
}

func newGramTable(byGram map[uint32][]cand) gramTable {
	size := 8
	for size < 2*len(byGram) {
		size *= 2
	}
	t := gramTable{slots: make([]gramSlot, size), mask: uint32(size - 1)}
	for g, cs := range byGram {
		i := slotHash(g) & t.mask
		for t.slots[i].hi != 0 {
			i = (i + 1) & t.mask
		}
		lo := int32(len(t.cands))
		t.cands = append(t.cands, cs...)
		t.slots[i] = gramSlot{g, lo, int32(len(t.cands))}
	}
	return t
}

// slotHash differs from gramHash, so grams that share a bit do not also
// share a slot.
func slotHash(v uint32) uint32 { return (v ^ v>>15) * 0x2c1b3c6d >> 7 }

func (t *gramTable) lookup(v uint32) []cand {
	for i := slotHash(v) & t.mask; ; i = (i + 1) & t.mask {
		sl := &t.slots[i]
		if sl.hi == 0 {
			return nil
		}
		if sl.gram == v {
			return t.cands[sl.lo:sl.hi]
		}
	}
}

// gramScore is higher for grams less likely in ordinary text: ones that
// mix upper case, digits and symbols rather than lower-case words and the
// punctuation of URLs and paths.
func gramScore(g []byte) int {
	score := 0
	if !asciiGram(binary.LittleEndian.Uint32(g)) {
		// Keeps the arithmetic pre-filter usable where a gram of
		// printable bytes can be had at this phase.
		score -= 100
	}
	for i, c := range g {
		switch {
		case 'a' <= c && c <= 'z', c == ' ', c == '/', c == ':', c == '.', c == '\n':
		case '0' <= c && c <= '9':
			score++
		default:
			score += 2
		}
		if i > 0 && c != g[i-1] {
			score++
		}
	}
	return score
}

// asciiGram reports whether the four bytes of v are all in 0x20-0x7f: no
// byte has its top bit set, and subtracting 0x20 from each borrows nowhere
// (a byte below 0x20 wraps to one with the top bit set).
func asciiGram(v uint32) bool { return (v|(v-0x20202020))&0x80808080 == 0 }

// gramHash spreads a gram over the bit set (Fibonacci hashing).
func gramHash(v uint32) uint32 { return (v * 0x9e3779b1) >> (32 - filterLog) }

func (s *sampled) find(b []byte) bool { return s.findIn(b, 0, len(b)) }

// findIn samples the grams that start in b[from:to] and checks candidates
// against the whole of b. The samples sit every stride bytes from the
// start of b, whatever from is: a gram registered at a later phase of a
// pattern is found only if the grid runs on unbroken through the pattern.
func (s *sampled) findIn(b []byte, from, to int) bool {
	if len(b) < s.minLen {
		return false
	}
	last := min(to-1, len(b)-gramLen)
	for i := (from + s.stride - 1) / s.stride * s.stride; i <= last; i += s.stride {
		if i = s.next(b, i, last); i < 0 {
			return false
		}
		if s.check(b, i, gram(b, i)) {
			return true
		}
	}
	return false
}

// next returns the first sample from i on, at most last, whose gram
// passes the bit set, or -1. It is the hot loop: no calls, so nothing is
// spilled, and one bounds check a sample.
func (s *sampled) next(b []byte, i, last int) int {
	bits, stride := s.bits, s.stride
	if last >= len(b)-3 || i < 0 || stride <= 0 {
		return -1
	}
	if s.ascii {
		for ; i <= last; i += stride {
			v := gram(b, i)
			if !asciiGram(v) {
				continue
			}
			if h := gramHash(v); bits[h>>6%uint32(len(bits))]&(1<<(h&63)) != 0 {
				return i
			}
		}
		return -1
	}
	for ; i <= last; i += stride {
		h := gramHash(gram(b, i))
		if bits[h>>6%uint32(len(bits))]&(1<<(h&63)) != 0 {
			return i
		}
	}
	return -1
}

// gram is the 4 bytes at b[i:], little-endian; one load once compiled.
func gram(b []byte, i int) uint32 {
	_ = b[i+3]
	return uint32(b[i]) | uint32(b[i+1])<<8 | uint32(b[i+2])<<16 | uint32(b[i+3])<<24
}

// check verifies the patterns whose gram v could sit at b[i:]. One that
// would run past either end of b is left to the window across the
// boundary (see secretStream.boundary).
func (s *sampled) check(b []byte, i int, v uint32) bool {
	for _, c := range s.grams.lookup(v) {
		p := s.pats[c.pat]
		start := i - int(c.off)
		if start >= 0 && start+len(p) <= len(b) && bytes.Equal(b[start:start+len(p)], p) {
			return true
		}
	}
	return false
}
