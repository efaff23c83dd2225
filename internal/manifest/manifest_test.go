package manifest

import (
	"reflect"
	"testing"
	"time"
)

func TestMadeBy(t *testing.T) {
	at := func(sec int) time.Time { return time.Date(2026, 1, 1, 0, 0, sec, 0, time.UTC) }
	step := func(name string, finished int, products ...Product) Step {
		return Step{Name: name, FinishedAt: at(finished), Products: products}
	}
	made := func(p string) Product { return Product{Path: p, SHA256: "h-" + p, Change: Created} }
	changed := func(p string, amb ...string) Product {
		return Product{Path: p, SHA256: "h-" + p, Change: Changed, Ambiguous: amb}
	}
	removed := func(p string) Product { return Product{Path: p, Change: Removed} }
	for _, tc := range []struct {
		name   string
		phases []Phase
		want   map[string]string
	}{{
		name: "plan order when the steps ran one after another",
		phases: []Phase{
			{Name: "a", Steps: []Step{step("one", 1, made("x"), made("y")), step("two", 2, changed("x"))}},
			{Name: "b", Steps: []Step{step("three", 3, made("z"), removed("y"))}},
		},
		want: map[string]string{"x": "a / two", "z": "b / three"},
	}, {
		// --jobs 2: b / write ran (beside a / wait) before a / rewrite,
		// which changed the file last and alone.
		name: "a step later in the plan that finished first is not the maker",
		phases: []Phase{
			{Name: "a", Steps: []Step{step("wait", 2), step("rewrite", 5, changed("x.txt"))}},
			{Name: "b", Steps: []Step{step("write", 1, changed("x.txt", "a / wait"))}},
		},
		want: map[string]string{"x.txt": "a / rewrite"},
	}, {
		name: "the last ambiguous change names every step",
		phases: []Phase{
			{Name: "a", Steps: []Step{step("one", 1, made("x.txt")), step("two", 4, changed("x.txt", "b / write"))}},
			{Name: "b", Steps: []Step{step("write", 3, changed("x.txt", "a / two"))}},
		},
		want: map[string]string{"x.txt": "a / two or b / write (they ran side by side)"},
	}, {
		name: "a removal by a step that finished last",
		phases: []Phase{
			{Name: "a", Steps: []Step{step("clean", 9, removed("x"))}},
			{Name: "b", Steps: []Step{step("write", 1, made("x"))}},
		},
		want: map[string]string{},
	}, {
		name: "a removal by a step that finished first",
		phases: []Phase{
			{Name: "a", Steps: []Step{step("clean", 1, removed("x"))}},
			{Name: "b", Steps: []Step{step("write", 9, made("x"))}},
		},
		want: map[string]string{"x": "b / write"},
	}, {
		name: "plan order between steps that finished at the same instant",
		phases: []Phase{
			{Name: "a", Steps: []Step{step("one", 1, made("x"))}},
			{Name: "b", Steps: []Step{step("two", 1, changed("x"))}},
		},
		want: map[string]string{"x": "b / two"},
	}, {
		name:   "no products",
		phases: []Phase{{Name: "a", Steps: []Step{step("one", 1)}}},
		want:   map[string]string{},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]string{}
			for p, m := range MadeBy(tc.phases) {
				if m.SHA256 != "h-"+p {
					t.Errorf("%s: maker's hash %q", p, m.SHA256)
				}
				got[p] = m.Of("h-" + p)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("made by\n got %v\nwant %v", got, tc.want)
			}
		})
	}
}

// TestMakerOf: a file that changed after its maker ended, with no step's
// products saying so, has no maker to show.
func TestMakerOf(t *testing.T) {
	m := MadeBy([]Phase{{Name: "a", Steps: []Step{{Name: "one", Products: []Product{{Path: "x", SHA256: "aa", Change: Created}}}}}})["x"]
	for _, tc := range []struct{ sum, want string }{
		{"aa", "a / one"},
		{"bb", ""},
		{"", ""},
	} {
		if got := m.Of(tc.sum); got != tc.want {
			t.Errorf("Of(%q) = %q, want %q", tc.sum, got, tc.want)
		}
	}
	if got := (Maker{}).Of(""); got != "" {
		t.Errorf("no maker: %q", got)
	}
}
