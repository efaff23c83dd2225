package merge_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/bundlezip"
	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/merge"
)

// src is one source of a test case: the shard job of spec, changed by
// job, its zip's entries changed by edit.
type src struct {
	spec string
	job  func(*shardJob)
	edit func([]ent) []ent
}

func changeByte(name string) func([]ent) []ent {
	return func(es []ent) []ent {
		for i := range es {
			if es[i].name == name {
				b := []byte(es[i].data)
				b[0] ^= 1
				es[i].data = string(b)
			}
		}
		return es
	}
}

func add(e ent) func([]ent) []ent {
	return func(es []ent) []ent { return append(es, e) }
}

func drop(name string) func([]ent) []ent {
	return func(es []ent) []ent {
		return slices.DeleteFunc(es, func(e ent) bool { return e.name == name })
	}
}

func TestPlace(t *testing.T) {
	const (
		eu   = "eu-energy"
		us   = "us-energy"
		apac = "apac-energy"
	)
	all := []src{{spec: eu}, {spec: us}, {spec: apac}}
	with := func(s src) []src {
		out := []src{s}
		for _, o := range all {
			if o.spec != s.spec {
				out = append(out, o)
			}
		}
		return out
	}
	tests := []struct {
		name string
		srcs []src
		// conclusions are the Shards' specs and conclusions, in order.
		conclusions []string
		// problems are, in order, what each Problem says.
		problems []string
		notes    int
		// placed are the specs whose files dst must hold, and nothing else.
		placed []string
	}{
		{
			name:        "three shards",
			srcs:        all,
			conclusions: []string{"apac-energy success", "eu-energy success", "us-energy success"},
			placed:      []string{eu, us, apac},
		},
		{
			name:        "K-of-N",
			srcs:        []src{{spec: "2-of-2"}, {spec: "1-of-2"}},
			conclusions: []string{"1-of-2 success", "2-of-2 success"},
			placed:      []string{"1-of-2", "2-of-2"},
		},
		{
			name:        "one byte changed",
			srcs:        with(src{spec: eu, edit: changeByte("shards/eu-energy/plan/owner/a.json")}),
			conclusions: []string{"apac-energy success", "eu-energy tampered", "us-energy success"},
			problems:    []string{"shard eu-energy (artifact helios-x-eu-energy): shards/eu-energy/plan/owner/a.json does not match its SHA256SUMS"},
			placed:      []string{us, apac},
		},
		{
			name:        "its ledger changed",
			srcs:        with(src{spec: eu, edit: changeByte(ledger.FileName)}),
			conclusions: []string{"apac-energy success", "eu-energy tampered", "us-energy success"},
			problems:    []string{"shard eu-energy (artifact helios-x-eu-energy): "},
			placed:      []string{us, apac},
		},
		{
			name:        "an extra zip entry",
			srcs:        with(src{spec: eu, edit: add(ent{name: "shards/eu-energy/plan/extra.json", data: "{}"})}),
			conclusions: []string{"apac-energy success", "eu-energy tampered", "us-energy success"},
			problems:    []string{"shard eu-energy (artifact helios-x-eu-energy): it holds shards/eu-energy/plan/extra.json, which its SHA256SUMS does not list"},
			placed:      []string{us, apac},
		},
		{
			name:        "a ledger line without entry",
			srcs:        with(src{spec: eu, edit: drop("prep/out.json")}),
			conclusions: []string{"apac-energy success", "eu-energy tampered", "us-energy success"},
			problems:    []string{"shard eu-energy (artifact helios-x-eu-energy): its SHA256SUMS lists prep/out.json, which is not in the zip"},
			placed:      []string{us, apac},
		},
		{
			name:        "a symbolic link",
			srcs:        with(src{spec: eu, edit: add(ent{name: "shards/eu-energy/plan/link", data: "/etc/passwd", mode: fs.ModeSymlink | 0o777})}),
			conclusions: []string{"apac-energy success", "eu-energy tampered", "us-energy success"},
			problems:    []string{"shard eu-energy (artifact helios-x-eu-energy): shards/eu-energy/plan/link is a symbolic link, not a regular file"},
			placed:      []string{us, apac},
		},
		{
			name:        "a name that climbs out",
			srcs:        with(src{spec: eu, edit: add(ent{name: "../../evil", data: "x"})}),
			conclusions: []string{"apac-energy success", "eu-energy tampered", "us-energy success"},
			problems:    []string{`shard eu-energy (artifact helios-x-eu-energy): ../../evil has a ".." segment`},
			placed:      []string{us, apac},
		},
		{
			name:        "a manifest that does not parse",
			srcs:        with(src{spec: eu, edit: editEnt(manifest.FileName, "{", true)}),
			conclusions: []string{"apac-energy success", "eu-energy tampered", "us-energy success"},
			problems:    []string{"shard eu-energy (artifact helios-x-eu-energy): its manifest.json does not parse"},
			placed:      []string{us, apac},
		},
		{
			name:        "not a zip",
			srcs:        with(src{spec: eu, edit: func([]ent) []ent { return nil }}),
			conclusions: []string{"apac-energy success", "eu-energy tampered", "us-energy success"},
			problems:    []string{"shard eu-energy (artifact helios-x-eu-energy): not a helios bundle: no SHA256SUMS at its root"},
			placed:      []string{us, apac},
		},
		{
			name:        "a shard missing",
			srcs:        []src{{spec: apac}, {spec: eu}},
			conclusions: []string{"apac-energy success", "eu-energy success", "us-energy missing"},
			problems:    []string{"shard us-energy: no artifact helios-x-us-energy"},
			placed:      []string{eu, apac},
		},
		{
			name:        "every shard missing",
			srcs:        nil,
			conclusions: []string{"apac-energy missing", "eu-energy missing", "us-energy missing"},
			problems:    []string{"shard apac-energy: no artifact …-apac-energy", "shard eu-energy: no artifact …-eu-energy", "shard us-energy: no artifact …-us-energy"},
		},
		{
			name:        "a K-of-N part missing",
			srcs:        []src{{spec: "1-of-2"}},
			conclusions: []string{"1-of-2 success", "2-of-2 missing"},
			problems:    []string{"shard 2-of-2: no artifact helios-x-2-of-2"},
			placed:      []string{"1-of-2"},
		},
		{
			name:        "parts of two splits: missing shards by id",
			srcs:        []src{{spec: "1-of-3"}, {spec: "2-of-2"}},
			conclusions: []string{"1-of-3 success", "2-of-2 success", "us-energy missing"},
			problems:    []string{"shard us-energy: no artifact helios-x-us-energy"},
			placed:      []string{"1-of-3", "2-of-2"},
		},
		{
			name:        "two sources for one shard",
			srcs:        []src{{spec: "1-of-2"}, {spec: eu}, {spec: apac}},
			conclusions: []string{"1-of-2 success", "apac-energy success"},
			problems:    []string{"shard eu-energy (artifact helios-x-eu-energy): not used: it covers eu-energy, which shard 1-of-2 (artifact helios-x-1-of-2) covers too"},
			placed:      []string{"1-of-2", apac},
		},
		{
			name: "a shard writing into another's folder",
			srcs: with(src{spec: eu, job: func(j *shardJob) {
				j.files["shards/us-energy/plan/owner/a.json"] = `{"shard":"not us"}`
			}}),
			conclusions: []string{"apac-energy success", "eu-energy tampered", "us-energy success"},
			problems:    []string{"shard eu-energy (artifact helios-x-eu-energy): shards/us-energy/plan/owner/a.json writes into shards/us-energy/, the folder of a shard it did not run"},
			placed:      []string{us, apac},
		},
		{
			name: "a file and a folder of one name",
			srcs: with(src{spec: eu, job: func(j *shardJob) {
				j.files["prep"] = "a file where prep/ is a folder"
			}}),
			conclusions: []string{"apac-energy success", "eu-energy tampered", "us-energy success"},
			problems:    []string{"shard eu-energy (artifact helios-x-eu-energy): prep/out.json clashes with another of its files"},
			placed:      []string{us, apac},
		},
		{
			name: "a shard from another mission",
			srcs: with(src{spec: eu, job: func(j *shardJob) {
				j.man.Mission.SHA256 = hexOf("another mission")
			}}),
			conclusions: []string{"apac-energy success", "eu-energy tampered", "us-energy success"},
			problems:    []string{"shard eu-energy (artifact helios-x-eu-energy): from another mission"},
			placed:      []string{us, apac},
		},
		{
			// A leg that leaves out its failed instance would otherwise
			// turn the merged check green with the merge phases skipped.
			name: "a shard manifest without an instance's record",
			srcs: with(src{spec: eu, job: func(j *shardJob) {
				var kept []manifest.Phase
				for _, p := range j.man.Phases {
					if p.Shard == "" {
						kept = append(kept, p)
					}
				}
				j.man.Phases = kept
			}}),
			conclusions: []string{"apac-energy success", "eu-energy tampered", "us-energy success"},
			problems:    []string{`shard eu-energy (artifact helios-x-eu-energy): its manifest.json has no record of phase "plan [eu-energy]"`},
			placed:      []string{us, apac},
		},
		{
			name: "a shard manifest recording another shard's instance",
			srcs: with(src{spec: us, job: func(j *shardJob) {
				j.man.Phases = append(j.man.Phases, manifest.Phase{Name: "plan [eu-energy]", Shard: "us-energy", Status: manifest.Failure})
			}}),
			conclusions: []string{"apac-energy success", "eu-energy success", "us-energy tampered"},
			problems:    []string{`shard us-energy (artifact helios-x-us-energy): its manifest.json records phase "plan [eu-energy]" for shard "us-energy", which is not an instance of its own shards`},
			placed:      []string{eu, apac},
		},
		{
			// Products are copied into the merged manifest: its "made
			// by" and the signed predicate must not name, on a leg's
			// word, another shard's files or a path out of the bundle.
			name: "a shard's products naming another shard's file",
			srcs: with(src{spec: eu, job: func(j *shardJob) {
				p := &j.man.Phases[instanceIndex(t, &j.man, "plan [eu-energy]")]
				p.Steps = append(p.Steps, manifest.Step{ID: "w", Name: "Write", Kind: "run", Status: manifest.Success,
					Products: []manifest.Product{{Path: "shards/us-energy/plan/owner/a.json", SHA256: strings.Repeat("ab", 32), Change: manifest.Created}}})
			}}),
			conclusions: []string{"apac-energy success", "eu-energy tampered", "us-energy success"},
			problems:    []string{`shard eu-energy (artifact helios-x-eu-energy): its manifest.json says step "Write" of phase "plan [eu-energy]" made "shards/us-energy/plan/owner/a.json", which is not a file of shards/eu-energy/`},
			placed:      []string{us, apac},
		},
		{
			name: "a shard's products naming a step that never ran",
			srcs: with(src{spec: eu, job: func(j *shardJob) {
				p := &j.man.Phases[instanceIndex(t, &j.man, "plan [eu-energy]")]
				p.Steps = append(p.Steps, manifest.Step{ID: "w", Name: "Write", Kind: "run", Status: manifest.Success,
					Products: []manifest.Product{{Path: "shards/eu-energy/plan/w.txt", SHA256: strings.Repeat("ab", 32), Change: manifest.Created, Ambiguous: []string{"audit / Forged"}}}})
			}}),
			conclusions: []string{"apac-energy success", "eu-energy tampered", "us-energy success"},
			problems:    []string{`shard eu-energy (artifact helios-x-eu-energy): its manifest.json says step "Write" of phase "plan [eu-energy]" ran beside "audit / Forged", which is no step of the job`},
			placed:      []string{us, apac},
		},
		{
			name: "a shard's products naming a step of a phase it added",
			srcs: with(src{spec: eu, job: func(j *shardJob) {
				j.man.Phases = append(j.man.Phases, manifest.Phase{Name: "audit", Status: manifest.Skipped, Steps: []manifest.Step{{Name: "Forged", Status: manifest.Success}}})
				p := &j.man.Phases[instanceIndex(t, &j.man, "plan [eu-energy]")]
				p.Steps = append(p.Steps, manifest.Step{ID: "w", Name: "Write", Kind: "run", Status: manifest.Success,
					Products: []manifest.Product{{Path: "shards/eu-energy/plan/w.txt", SHA256: strings.Repeat("ab", 32), Change: manifest.Created, Ambiguous: []string{"audit / Forged"}}}})
			}}),
			conclusions: []string{"apac-energy success", "eu-energy tampered", "us-energy success"},
			problems:    []string{`shard eu-energy (artifact helios-x-eu-energy): its manifest.json says step "Write" of phase "plan [eu-energy]" ran beside "audit / Forged", which is no step of the job`},
			placed:      []string{us, apac},
		},
		{
			name: "a shard's products climbing out of its folder",
			srcs: with(src{spec: eu, job: func(j *shardJob) {
				p := &j.man.Phases[instanceIndex(t, &j.man, "plan [eu-energy]")]
				p.Steps = append(p.Steps, manifest.Step{ID: "w", Name: "Write", Kind: "run", Status: manifest.Success,
					Products: []manifest.Product{{Path: "shards/eu-energy/../../etc/passwd", Change: manifest.Removed}}})
			}}),
			conclusions: []string{"apac-energy success", "eu-energy tampered", "us-energy success"},
			problems:    []string{`shard eu-energy (artifact helios-x-eu-energy): its manifest.json says step "Write" of phase "plan [eu-energy]" made "shards/eu-energy/../../etc/passwd", which is not a file of shards/eu-energy/`},
			placed:      []string{us, apac},
		},
		{
			name: "a bundle of another shard under this one's name",
			srcs: with(src{spec: eu, job: func(j *shardJob) {
				j.man.Shard.Spec = us
			}}),
			conclusions: []string{"apac-energy success", "eu-energy tampered", "us-energy success"},
			problems:    []string{`shard eu-energy (artifact helios-x-eu-energy): its manifest.json is the record of shard "us-energy"`},
			placed:      []string{us, apac},
		},
		{
			name: "a bundle of no shard job",
			srcs: with(src{spec: eu, job: func(j *shardJob) {
				j.man.Shard = nil
			}}),
			conclusions: []string{"apac-energy success", "eu-energy tampered", "us-energy success"},
			problems:    []string{"shard eu-energy (artifact helios-x-eu-energy): its manifest.json records no shard job"},
			placed:      []string{us, apac},
		},
		{
			name: "a failed shard",
			srcs: with(src{spec: eu, job: func(j *shardJob) {
				j.man.Conclusion = manifest.Failure
				j.man.Reason = "plan [eu-energy]: make plan exited with code 2"
			}}),
			conclusions: []string{"apac-energy success", "eu-energy failure", "us-energy success"},
			problems:    []string{"shard eu-energy: failure: plan [eu-energy]: make plan exited with code 2"},
			placed:      []string{eu, us, apac},
		},
		{
			name:        "an artifact of no shard",
			srcs:        append([]src{{spec: "mars"}}, all...),
			conclusions: []string{"apac-energy success", "eu-energy success", "us-energy success"},
			notes:       1,
			placed:      []string{eu, us, apac},
		},
	}
	m := parseMission(t, missionSrc)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sources []merge.Source
			jobs := map[string]*shardJob{}
			for _, s := range tt.srcs {
				var j *shardJob
				if s.spec == "mars" { // no shard of m: only its name matters
					j = newShardJob(t, m, eu)
					j.spec = "mars"
				} else {
					j = newShardJob(t, m, s.spec)
				}
				if s.job != nil {
					s.job(j)
				}
				jobs[s.spec] = j
				sources = append(sources, j.source(t, s.edit))
			}
			dst := newRoot(t)
			got, err := merge.Place(context.Background(), dst, m, "", sources, bundlezip.Limits{})
			if err != nil {
				t.Fatal(err)
			}

			var conclusions []string
			for _, s := range got.Shards {
				conclusions = append(conclusions, s.Spec+" "+s.Conclusion)
			}
			if !slices.Equal(conclusions, tt.conclusions) {
				t.Errorf("shards = %q, want %q", conclusions, tt.conclusions)
			}
			if len(got.Problems) != len(tt.problems) {
				t.Errorf("problems = %q, want %d", got.Problems, len(tt.problems))
			} else {
				for i, p := range got.Problems {
					if !strings.HasPrefix(p, tt.problems[i]) {
						t.Errorf("problem %d = %q, want %q…", i, p, tt.problems[i])
					}
				}
			}
			if len(got.Notes) != tt.notes {
				t.Errorf("notes = %q, want %d", got.Notes, tt.notes)
			}

			want := map[string]string{}
			for _, spec := range tt.placed {
				maps.Copy(want, placed(t, jobs[spec]))
			}
			gotTree := tree(t, dst.Path())
			for name := range gotTree {
				if _, ok := want[name]; !ok {
					t.Errorf("dst holds %s", name)
				}
			}
			for name, data := range want {
				if g, ok := gotTree[name]; !ok {
					t.Errorf("dst lacks %s", name)
				} else if g != data {
					t.Errorf("%s = %q, want %q", name, g, data)
				}
			}
		})
	}
}

// editEnt sets the data of the entry name; with relist, the ledger is
// rewritten to match, so that only the change itself is wrong.
func editEnt(name, data string, relist bool) func([]ent) []ent {
	return func(es []ent) []ent {
		files := map[string]string{}
		for i := range es {
			if es[i].name == name {
				es[i].data = data
			}
			if es[i].name != ledger.FileName {
				files[es[i].name] = es[i].data
			}
		}
		if relist {
			for i := range es {
				if es[i].name == ledger.FileName {
					es[i].data = sumsOf(files)
				}
			}
		}
		return es
	}
}

func sumsOf(files map[string]string) string {
	var es []ledger.Entry
	for name, content := range files {
		es = append(es, ledger.Entry{Name: name, Sum: sha256.Sum256([]byte(content))})
	}
	ledger.Sort(es)
	var b strings.Builder
	if err := ledger.Encode(&b, es); err != nil {
		panic(err)
	}
	return b.String()
}

// TestPlaceRecordsEachShard: a shard's entry and its phases' records come
// from its own manifest and ledger.
func TestPlaceRecordsEachShard(t *testing.T) {
	m := parseMission(t, missionSrc)
	one, two := newShardJob(t, m, "1-of-2"), newShardJob(t, m, "2-of-2")
	dst := newRoot(t)
	got, err := merge.Place(context.Background(), dst, m, prefix, []merge.Source{two.source(t, nil), one.source(t, nil)}, bundlezip.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	bundle := one.bundle(t)
	sum := sha256.Sum256([]byte(bundle[ledger.FileName]))
	want := manifest.Shard{
		ShardJob:      manifest.ShardJob{Spec: "1-of-2", IDs: []string{"eu-energy", "us-energy"}, Job: "shard", Runner: "runner-1-of-2"},
		Artifact:      "helios-x-1-of-2",
		Folder:        "jobs/1-of-2",
		Digest:        hex.EncodeToString(sum[:]),
		ContentDigest: one.man.ContentDigest,
		Conclusion:    manifest.Success,
		StartedAt:     one.man.StartedAt,
		FinishedAt:    one.man.FinishedAt,
		DurationMs:    3000,
		Files:         len(bundle) - 1, // SHA256SUMS does not list itself
	}
	if len(got.Shards) != 2 || !reflect.DeepEqual(got.Shards[0], want) {
		t.Errorf("shards[0] = %+v\nwant %+v", got.Shards, want)
	}
	if len(got.Problems) != 0 || len(got.Notes) != 0 {
		t.Errorf("problems %q, notes %q", got.Problems, got.Notes)
	}
	var names []string
	for name, p := range got.Phases {
		names = append(names, name)
		if want := strings.TrimSuffix(strings.TrimPrefix(name, "plan ["), "]"); p.Shard != want || p.Name != name {
			t.Errorf("phase %q: %+v", name, p)
		}
	}
	slices.Sort(names)
	if want := []string{"plan [apac-energy]", "plan [eu-energy]", "plan [us-energy]"}; !slices.Equal(names, want) {
		t.Errorf("phases = %q, want %q (prep is no shard's)", names, want)
	}
}

// TestPlaceOrder: sources in any order give the same dst and the same
// record, with a problem of each kind among them.
func TestPlaceOrder(t *testing.T) {
	m := parseMission(t, missionSrc)
	failed := newShardJob(t, m, "us-energy")
	failed.man.Conclusion, failed.man.Reason = manifest.Cancelled, "cancelled"
	sources := []merge.Source{
		newShardJob(t, m, "eu-energy").source(t, nil),
		failed.source(t, nil),
		newShardJob(t, m, "apac-energy").source(t, changeByte("prep/out.json")),
		newShardJob(t, m, "1-of-3").source(t, nil), // the same shards as eu-energy's
		{Spec: "nope", Artifact: "helios-x-nope", Zip: "/nonexistent"},
	}
	run := func(srcs []merge.Source) (*merge.Placed, map[string]string) {
		dst := newRoot(t)
		got, err := merge.Place(context.Background(), dst, m, "", srcs, bundlezip.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		return got, tree(t, dst.Path())
	}
	a, treeA := run(sources)
	rev := slices.Clone(sources)
	slices.Reverse(rev)
	b, treeB := run(rev)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("the order of sources changed the record:\n%+v\n%+v", a, b)
	}
	if !maps.Equal(treeA, treeB) {
		t.Errorf("the order of sources changed dst:\n%v\n%v", slices.Sorted(maps.Keys(treeA)), slices.Sorted(maps.Keys(treeB)))
	}
	if len(a.Problems) != 3 || len(a.Notes) != 1 || len(treeA) == 0 {
		t.Errorf("problems %q, notes %q, %d files: the case does not test what it means to", a.Problems, a.Notes, len(treeA))
	}
}

// TestPlaceHeliosZip: what helios' own artifact writer zips is placed.
func TestPlaceHeliosZip(t *testing.T) {
	m := parseMission(t, missionSrc)
	want := map[string]string{}
	var sources []merge.Source
	for _, spec := range []string{"eu-energy", "us-energy", "apac-energy"} {
		j := newShardJob(t, m, spec)
		sources = append(sources, merge.Source{Spec: spec, Artifact: prefix + "-" + spec, Zip: uploadZip(t, j.bundle(t))})
		maps.Copy(want, placed(t, j))
	}
	dst := newRoot(t)
	got, err := merge.Place(context.Background(), dst, m, prefix, sources, bundlezip.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Problems) != 0 || len(got.Shards) != 3 {
		t.Fatalf("problems %q, shards %+v", got.Problems, got.Shards)
	}
	if g := tree(t, dst.Path()); !maps.Equal(g, want) {
		t.Errorf("dst = %v\nwant %v", slices.Sorted(maps.Keys(g)), slices.Sorted(maps.Keys(want)))
	}
}

// TestPlaceLimits: a source over the limits is refused as a bad shard,
// not a failure of the merge.
func TestPlaceLimits(t *testing.T) {
	m := parseMission(t, missionSrc)
	j := newShardJob(t, m, "eu-energy")
	j.files["shards/eu-energy/plan/big.bin"] = strings.Repeat("x", 4096)
	dst := newRoot(t)
	got, err := merge.Place(context.Background(), dst, m, prefix, []merge.Source{j.source(t, nil)}, bundlezip.Limits{MaxFile: 1024})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Shards) != 3 || got.Shards[1].Conclusion != manifest.Tampered || !strings.Contains(got.Shards[1].Problem, "too large") {
		t.Errorf("shards = %+v", got.Shards)
	}
	if g := tree(t, dst.Path()); len(g) != 0 {
		t.Errorf("dst holds %v", slices.Sorted(maps.Keys(g)))
	}
}

func TestPlaceStopsOnContext(t *testing.T) {
	m := parseMission(t, missionSrc)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	root := newRoot(t)
	placed, err := merge.Place(ctx, root, m, prefix, []merge.Source{newShardJob(t, m, "eu-energy").source(t, nil)}, bundlezip.Limits{})
	// A signal is no failure of Place: the engine seals a cancelled run
	// over what is placed, and the rest is recorded as not placed.
	if err != nil {
		t.Fatalf("err = %v, want none", err)
	}
	i := slices.IndexFunc(placed.Shards, func(s manifest.Shard) bool { return s.Spec == "eu-energy" })
	if i < 0 || placed.Shards[i].Conclusion != manifest.Cancelled || !strings.Contains(placed.Shards[i].Problem, "cancelled") {
		t.Errorf("shards %+v", placed.Shards)
	}
	if _, err := root.Lstat("shards/eu-energy"); err == nil {
		t.Error("a cancelled merge placed the shard")
	}
}

// instanceIndex is the index of the record of instance name in m.
func instanceIndex(t *testing.T, m *manifest.Manifest, name string) int {
	t.Helper()
	for i, p := range m.Phases {
		if p.Name == name {
			return i
		}
	}
	t.Fatalf("no record of %s", name)
	return -1
}
