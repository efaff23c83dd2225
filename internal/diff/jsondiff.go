package diff

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// compareJSON fills c.JSON with the keys that moved between the two sides of
// a changed JSON file, or c.Note with why it could not.
func compareJSON(c *Change, oldB, newB *bundle, oldSum, newSum [32]byte, opts Options) {
	a, errOld := loadJSON(oldB, c.Name, oldSum)
	b, errNew := loadJSON(newB, c.Name, newSum)
	if c.Note = unreadNote(errOld, errNew, "keys"); c.Note != "" {
		return
	}
	d := jsonDiff{max: opts.MaxJSONChanges, maxValueLen: opts.MaxValueLen}
	d.walk("", a, b)
	c.JSON, c.JSONTruncated = d.changes, d.dropped
	if len(c.JSON) == 0 && c.JSONTruncated == 0 {
		c.Note = "same values, only the formatting differs"
	}
}

// unreadNote says why a changed file's insides (its keys or lines, what)
// were not compared, from the errors reading each side; "" when both read.
func unreadNote(errOld, errNew error, what string) string {
	var notes []string
	if errOld != nil {
		notes = append(notes, "old: "+errOld.Error())
	}
	if errNew != nil {
		notes = append(notes, "new: "+errNew.Error())
	}
	if len(notes) == 0 {
		return ""
	}
	return strings.Join(notes, "; ") + "; " + what + " not compared"
}

// loadJSON reads a JSON file of a bundle, checked against its ledger sum,
// and decodes it.
func loadJSON(b *bundle, name string, sum [32]byte) (any, error) {
	data, err := readVerified(b, name, sum)
	if err != nil {
		return nil, err
	}
	var v any
	if err := jsonUnmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	return v, nil
}

// jsonUnmarshal decodes exactly one JSON value. Numbers stay json.Number so
// that large integers and their spelling ("1e3") survive for display.
func jsonUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the top-level value")
	}
	return nil
}

type jsonDiff struct {
	max, maxValueLen int
	changes          []KeyChange
	dropped          int
}

// walk compares a and b at the JSON Pointer ptr. Objects are compared key by
// key in sorted order and arrays index by index, so the output is stable;
// any other pair is one change when the values differ.
func (d *jsonDiff) walk(ptr string, a, b any) {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := make([]string, 0, len(av)+len(bv))
		for k := range av {
			keys = append(keys, k)
		}
		for k := range bv {
			if _, ok := av[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			x, inA := av[k]
			y, inB := bv[k]
			p := ptr + "/" + escapePointer(k)
			switch {
			case !inB:
				d.add(p, "removed", x, nil)
			case !inA:
				d.add(p, "added", nil, y)
			default:
				d.walk(p, x, y)
			}
		}
		return
	case []any:
		bv, ok := b.([]any)
		if !ok {
			break
		}
		for i := range max(len(av), len(bv)) {
			p := ptr + "/" + strconv.Itoa(i)
			switch {
			case i >= len(bv):
				d.add(p, "removed", av[i], nil)
			case i >= len(av):
				d.add(p, "added", nil, bv[i])
			default:
				d.walk(p, av[i], bv[i])
			}
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		d.add(ptr, "changed", a, b)
	}
}

// add records a change, or counts it once the bound is reached. Walking on
// past the bound keeps the count of what was left out exact.
func (d *jsonDiff) add(ptr, kind string, a, b any) {
	if d.max >= 0 && len(d.changes) >= d.max {
		d.dropped++
		return
	}
	kc := KeyChange{Path: ptr, Kind: kind}
	switch kind {
	case "added":
		kc.New = truncate(compact(b), d.maxValueLen)
	case "removed":
		kc.Old = truncate(compact(a), d.maxValueLen)
	default:
		kc.Old, kc.New = clip(compact(a), compact(b), d.maxValueLen)
	}
	d.changes = append(d.changes, kc)
}

// clip cuts two values that differ to n characters each. When they differ
// only after the first n characters, plain truncation would show the same
// text twice, so both are cut to a window that starts a little before the
// first difference, marked with "…" at each end that was cut.
func clip(a, b string, n int) (string, string) {
	if n < 0 {
		return a, b
	}
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	for i > 0 && i < len(a) && !utf8.RuneStart(a[i]) {
		i--
	}
	same := utf8.RuneCountInString(a[:i])
	if same < n {
		return truncate(a, n), truncate(b, n)
	}
	// Start a quarter window before the difference, so it shows with
	// some context; a and b agree up to there, so one offset fits both.
	start := skipRunes(a, same-n/4)
	return "…" + truncate(a[start:], n), "…" + truncate(b[start:], n)
}

// skipRunes returns the byte offset of the n-th rune of s.
func skipRunes(s string, n int) int {
	i := 0
	for range n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return i
}

// compact renders v as compact JSON.
func compact(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Keep <, > and & readable; the renderers escape for their formats.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Unreachable for decoded JSON; show something rather than nothing.
		return fmt.Sprintf("%v", v)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// truncate cuts s to n characters (runes, so UTF-8 stays valid) and marks
// the cut with "…". A negative n means no limit.
func truncate(s string, n int) string {
	if n < 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	return s[:skipRunes(s, n)] + "…"
}

// escapePointer escapes a key for a JSON Pointer: "~" becomes "~0" and "/"
// becomes "~1", in that order so that "~1" in a key stays distinguishable.
func escapePointer(k string) string {
	if !strings.ContainsAny(k, "~/") {
		return k
	}
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}
