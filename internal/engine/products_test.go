package engine_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/manifest"
)

// runJobs runs src in ws with at most jobs phases side by side.
// It fails the test unless the run succeeds.
func runJobs(t *testing.T, ws, src string, jobs int) *engine.Result {
	t.Helper()
	res, con := runWithJobs(t, ws, src, jobs)
	if res.Manifest.Conclusion != manifest.Success {
		t.Fatalf("run %s: %s\n%s", res.Manifest.Conclusion, res.Manifest.Reason, con)
	}
	return res
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// TestProductsExact: with --jobs 1 no step overlaps another, so each
// step's products are exactly what it created, changed or removed, with
// hashes; a collect step's are what it copied, with their sources; the
// logs, the manifest and the ledger are nobody's products.
func TestProductsExact(t *testing.T) {
	ws := t.TempDir()
	if err := os.MkdirAll(filepath.Join(ws, "src", "deep"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"src/a.md": "a\n", "src/deep/b.md": "b\n"} {
		if err := os.WriteFile(filepath.Join(ws, filepath.FromSlash(name)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res := runJobs(t, ws, `version: 1
name: products
report-root: out
phases:
  write:
    steps:
      - name: make
        run: |
          mkdir -p "$HELIOS_REPORT_ROOT/d"
          echo one > "$HELIOS_REPORT_ROOT/one.txt"
          echo gone > "$HELIOS_REPORT_ROOT/d/gone.txt"
          echo kept > "$HELIOS_REPORT_ROOT/kept.txt"
      - name: edit
        run: |
          echo two >> "$HELIOS_REPORT_ROOT/one.txt"
          rm "$HELIOS_REPORT_ROOT/d/gone.txt"
      - name: nothing
        run: "true"
  gather:
    steps:
      - name: bring
        collect: {from: [src], to: in}
      - name: again
        run: echo other > "$HELIOS_REPORT_ROOT/other.txt"
`, 1)
	want := map[string][]manifest.Product{
		"write / make": {
			{Path: "d/gone.txt", SHA256: sum("gone\n"), Size: 5, Change: manifest.Created},
			{Path: "kept.txt", SHA256: sum("kept\n"), Size: 5, Change: manifest.Created},
			{Path: "one.txt", SHA256: sum("one\n"), Size: 4, Change: manifest.Created},
		},
		"write / edit": {
			{Path: "d/gone.txt", Change: manifest.Removed},
			{Path: "one.txt", SHA256: sum("one\ntwo\n"), Size: 8, Change: manifest.Changed},
		},
		"write / nothing": nil,
		"gather / bring": {
			{Path: "in/src/a.md", SHA256: sum("a\n"), Size: 2, Change: manifest.Created, From: "src/a.md"},
			{Path: "in/src/deep/b.md", SHA256: sum("b\n"), Size: 2, Change: manifest.Created, From: "src/deep/b.md"},
		},
		"gather / again": {
			{Path: "other.txt", SHA256: sum("other\n"), Size: 6, Change: manifest.Created},
		},
	}
	for _, p := range res.Manifest.Phases {
		for _, st := range p.Steps {
			key := p.Name + " / " + st.Name
			if got := st.Products; !reflect.DeepEqual(got, want[key]) {
				t.Errorf("%s: products\n got %+v\nwant %+v", key, got, want[key])
			}
		}
	}
	madeBy := map[string]string{}
	for p, m := range manifest.MadeBy(res.Manifest.Phases) {
		madeBy[p] = m.String()
	}
	wantMade := map[string]string{
		"kept.txt": "write / make", "one.txt": "write / edit",
		"in/src/a.md": "gather / bring", "in/src/deep/b.md": "gather / bring", "other.txt": "gather / again",
	}
	if !reflect.DeepEqual(madeBy, wantMade) {
		t.Errorf("made by\n got %v\nwant %v", madeBy, wantMade)
	}
}

// TestProductsOverlap: two phases whose steps each wait for the other's
// file must run at the same time (--jobs 2); a change seen while both ran
// cannot be pinned on either, so each product names the other step as
// ambiguous rather than guessing, and each file is "made by" either. The
// waits are bounded so a broken scheduler fails instead of hanging.
func TestProductsOverlap(t *testing.T) {
	res := runJobs(t, t.TempDir(), `version: 1
name: overlap
report-root: out
phases:
  left:
    steps:
      - name: write left
        run: |
          echo left > "$HELIOS_REPORT_ROOT/left.txt"
          i=0; while [ ! -e "$HELIOS_REPORT_ROOT/right.txt" ]; do i=$((i+1)); [ $i -lt 2000 ] || exit 1; sleep 0.01; done
  right:
    steps:
      - name: write right
        run: |
          echo right > "$HELIOS_REPORT_ROOT/right.txt"
          i=0; while [ ! -e "$HELIOS_REPORT_ROOT/left.txt" ]; do i=$((i+1)); [ $i -lt 2000 ] || exit 1; sleep 0.01; done
`, 2)
	others := map[string]string{"left / write left": "right / write right", "right / write right": "left / write left"}
	own := map[string]string{"left / write left": "left.txt", "right / write right": "right.txt"}
	for _, p := range res.Manifest.Phases {
		st := p.Steps[0]
		key := p.Name + " / " + st.Name
		found := false
		for _, pr := range st.Products {
			if !reflect.DeepEqual(pr.Ambiguous, []string{others[key]}) {
				t.Errorf("%s: %s ambiguous %v, want [%s]", key, pr.Path, pr.Ambiguous, others[key])
			}
			found = found || pr.Path == own[key]
		}
		if !found {
			t.Errorf("%s: its own file %s is not among its products %+v", key, own[key], st.Products)
		}
	}
	// Either step may have seen a file last; both are named.
	for p, m := range manifest.MadeBy(res.Manifest.Phases) {
		if got := append([]string{m.Step}, m.Others...); len(got) != 2 || others[got[0]] != got[1] {
			t.Errorf("%s made by %q", p, m)
		}
	}
}

// TestProductsSharded: an instance's products are named from the report
// root (shards/<id>/…), and the instances of one phase, run side by side,
// are other phases to each other.
func TestProductsSharded(t *testing.T) {
	m, reg := parseSharded(t)
	res, err := engine.Run(context.Background(), m, engine.Options{Workspace: t.TempDir(), Jobs: 1, Builtins: reg, Environ: os.Environ()})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Manifest.Phases {
		if p.Shard == "" {
			continue
		}
		for _, st := range p.Steps {
			for _, pr := range st.Products {
				if !strings.HasPrefix(pr.Path, "shards/"+p.Shard+"/") || strings.Contains(pr.Path, "/logs/") || pr.Ambiguous != nil {
					t.Errorf("%s / %s: product %+v", p.Name, st.Name, pr)
				}
			}
		}
	}
	plan := res.Manifest.Phases[1]
	if got := plan.Steps[0].Products; len(got) != 1 || got[0].Path != "shards/eu-energy/plan.txt" || got[0].Change != manifest.Created {
		t.Errorf("%s: products %+v", plan.Name, got)
	}
	madeBy := manifest.MadeBy(res.Manifest.Phases)
	if got := madeBy["digest.txt"].Step; got != "digest / "+res.Manifest.Phases[9].Steps[0].Name {
		t.Errorf("digest.txt made by %q", got)
	}
	if got := madeBy["shards/us-health/checked.txt"].Step; got != "check [us-health] / "+res.Manifest.Phases[8].Steps[0].Name {
		t.Errorf("checked.txt made by %q", got)
	}
}

// TestProductsFolderSwapped: a step that makes a folder and puts a file or
// a FIFO in its place keeps its products, and later steps' products are
// still right (report.md is changed by the second step, not created).
func TestProductsFolderSwapped(t *testing.T) {
	for _, tc := range []struct {
		name, swap string
		want       []string // paths the first step created
	}{
		{"a file", `echo f > "$HELIOS_REPORT_ROOT/x"`, []string{"report.md", "x"}},
		{"a FIFO", `mkfifo "$HELIOS_REPORT_ROOT/x"`, []string{"report.md"}},
		{"a link", `ln -s report.md "$HELIOS_REPORT_ROOT/x"`, []string{"report.md"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runJobs(t, t.TempDir(), `version: 1
name: swap
report-root: out
phases:
  p:
    steps:
      - name: one
        run: |
          echo keep > "$HELIOS_REPORT_ROOT/report.md"
          mkdir "$HELIOS_REPORT_ROOT/x" && rmdir "$HELIOS_REPORT_ROOT/x" && `+tc.swap+`
      - name: two
        run: echo more >> "$HELIOS_REPORT_ROOT/report.md"
`, 1)
			steps := res.Manifest.Phases[0].Steps
			var got []string
			for _, pr := range steps[0].Products {
				if pr.Change != manifest.Created {
					t.Errorf("one: %+v", pr)
				}
				got = append(got, pr.Path)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("one: products %v, want %v created", got, tc.want)
			}
			want := []manifest.Product{{Path: "report.md", SHA256: sum("keep\nmore\n"), Size: 10, Change: manifest.Changed}}
			if got := steps[1].Products; !reflect.DeepEqual(got, want) {
				t.Errorf("two: products %+v, want %+v", got, want)
			}
		})
	}
}

// TestProductsMadeByLastToRun: with --jobs 2, b / write (later in the
// plan) writes x.txt while a / wait runs, and a / rewrite, after b has
// ended (c, which needs b, tells it), writes it again: a / rewrite made
// it, whatever the plan order.
func TestProductsMadeByLastToRun(t *testing.T) {
	res := runJobs(t, t.TempDir(), `version: 1
name: order
report-root: out
phases:
  a:
    steps:
      - name: wait
        run: |
          i=0; while [ ! -e "$HELIOS_REPORT_ROOT/go.txt" ]; do i=$((i+1)); [ $i -lt 2000 ] || exit 1; sleep 0.01; done
      - name: rewrite
        run: echo from-a > "$HELIOS_REPORT_ROOT/x.txt"
  b:
    steps:
      - name: write
        run: echo from-b > "$HELIOS_REPORT_ROOT/x.txt"
  c:
    needs: b
    steps:
      - name: go
        run: echo go > "$HELIOS_REPORT_ROOT/go.txt"
`, 2)
	// c / go may still be observed while a / rewrite runs, and then be
	// named with it; b / write had ended before.
	m := manifest.MadeBy(res.Manifest.Phases)["x.txt"]
	if who := append([]string{m.Step}, m.Others...); !slices.Contains(who, "a / rewrite") || slices.Contains(who, "b / write") {
		t.Errorf("x.txt made by %q, want a / rewrite", m)
	}
}

// TestProductsShardOwnFolder: a sharded instance's products are the files
// of its own folder; what it writes elsewhere in the report root is no
// step's product (by design: instances run side by side, and a shard job
// holds only its shards' folders).
func TestProductsShardOwnFolder(t *testing.T) {
	res := runJobs(t, t.TempDir(), `version: 1
name: sharded
report-root: out
shards:
  matrix:
    region: [eu]
  phases: [plan]
phases:
  plan:
    steps:
      - run: |
          echo mine > "$HELIOS_REPORT_ROOT/plan.txt"
          echo "$HELIOS_SHARD" >> "$HELIOS_REPORT_ROOT/../../shared.txt"
`, 1)
	var got []string
	for _, p := range res.Manifest.Phases {
		for _, st := range p.Steps {
			for _, pr := range st.Products {
				got = append(got, pr.Path)
			}
		}
	}
	if want := []string{"shards/eu/plan.txt"}; !reflect.DeepEqual(got, want) {
		t.Errorf("products %v, want %v", got, want)
	}
}

// TestProductsAmbiguous: which steps a product names as ambiguous, when
// steps of several units must run at the same time (each waits for a file
// another writes; the waits are bounded so a broken scheduler fails
// instead of hanging). want maps each step to its products' paths and the
// steps they name.
func TestProductsAmbiguous(t *testing.T) {
	// wait is shell that waits for the files named, relative to the step's
	// folder.
	wait := func(files ...string) string {
		return `for f in ` + strings.Join(files, " ") + `; do
            i=0; while [ ! -e "$HELIOS_REPORT_ROOT/$f" ]; do i=$((i+1)); [ $i -lt 2000 ] || exit 1; sleep 0.01; done
          done`
	}
	for _, tc := range []struct {
		name string
		jobs int
		src  string
		want map[string]map[string][]string
	}{
		{
			// Instances' products are files of their own folders, so
			// two instances never name each other (eu is a prefix of
			// eu-west's name, not of its folder); an unsharded step
			// and an instance still name each other.
			name: "shard instances side by side",
			jobs: 3,
			src: `version: 1
name: shards
report-root: out
shards:
  matrix:
    region: [eu, eu-west]
  phases: [plan]
phases:
  plan:
    steps:
      - name: write
        run: |
          echo mine > "$HELIOS_REPORT_ROOT/plan.txt"
          ` + wait("../eu/plan.txt", "../eu-west/plan.txt", "../../top.txt") + `
  top:
    steps:
      - name: write
        run: |
          echo top > "$HELIOS_REPORT_ROOT/top.txt"
          ` + wait("shards/eu/plan.txt", "shards/eu-west/plan.txt") + `
`,
			want: map[string]map[string][]string{
				"plan [eu] / write":      {"shards/eu/plan.txt": {"top / write"}},
				"plan [eu-west] / write": {"shards/eu-west/plan.txt": {"top / write"}},
				"top / write": {
					"shards/eu/plan.txt":      {"plan [eu-west] / write", "plan [eu] / write"},
					"shards/eu-west/plan.txt": {"plan [eu-west] / write", "plan [eu] / write"},
					"top.txt":                 {"plan [eu-west] / write", "plan [eu] / write"},
				},
			},
		},
		{
			// gather / bring starts after watch / write has, and ends
			// before it: what it copied names it too.
			name: "a collect step",
			jobs: 2,
			src: `version: 1
name: collect
report-root: out
phases:
  gather:
    steps:
      - name: wait
        run: |
          ` + wait("ready.txt") + `
      - name: bring
        collect: {from: [src], to: in}
  watch:
    steps:
      - name: write
        run: |
          echo ready > "$HELIOS_REPORT_ROOT/ready.txt"
          ` + wait("in/src/a.md") + `
`,
			want: map[string]map[string][]string{
				"gather / wait":  {"ready.txt": {"watch / write"}},
				"gather / bring": {"in/src/a.md": {"watch / write"}},
				"watch / write": {
					"in/src/a.md": {"gather / bring", "gather / wait"},
					"ready.txt":   {"gather / bring", "gather / wait"},
				},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := t.TempDir()
			if err := os.MkdirAll(filepath.Join(ws, "src"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(ws, "src", "a.md"), []byte("a\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			res := runJobs(t, ws, tc.src, tc.jobs)
			got := map[string]map[string][]string{}
			for _, p := range res.Manifest.Phases {
				for _, st := range p.Steps {
					products := map[string][]string{}
					for _, pr := range st.Products {
						products[pr.Path] = pr.Ambiguous
					}
					got[p.Name+" / "+st.Name] = products
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ambiguous\n got %v\nwant %v", got, tc.want)
			}
		})
	}
}
