package action

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/sethvargo/go-githubactions"

	"github.com/helios-action/helios-action/internal/artifact"
	"github.com/helios-action/helios-action/internal/artifact/artifacttest"
	"github.com/helios-action/helios-action/internal/exitcode"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/mission"
)

// shardedMission has two shards, eu and us: prep runs in each shard job,
// plan once per shard into shards/<id>/, digest in the merge over both.
const shardedMission = `version: 1
name: sharded drill
report-root: out
shards:
  matrix:
    region: [eu, us]
  phases: [plan]
phases:
  prep:
    steps:
      - run: echo prep > "$HELIOS_REPORT_ROOT/prep.txt"
  plan:
    needs: prep
    steps:
      - run: echo "plan $HELIOS_SHARD $HELIOS_MATRIX_REGION" > "$HELIOS_REPORT_ROOT/plan.txt"
  digest:
    needs: plan
    steps:
      - run: cd "$HELIOS_REPORT_ROOT" && cat shards/eu/plan.txt shards/us/plan.txt > digest.txt
`

// TestShardInputs: shard and merge as written, before the mission is read.
func TestShardInputs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		inputs map[string]string
		want   string // the input named in the error; "" for none
		msg    string
	}{
		{"neither", nil, "", ""},
		{"a shard id", map[string]string{"shard": "eu-energy"}, "", ""},
		{"K-of-N", map[string]string{"shard": "2-of-5"}, "", ""},
		{"merge", map[string]string{"merge": "true"}, "", ""},
		{"merge false with a shard", map[string]string{"shard": "eu", "merge": "false"}, "", ""},
		{"both", map[string]string{"shard": "eu", "merge": "true"}, "shard", "not both"},
		{"a slash", map[string]string{"shard": "eu/energy"}, "shard", `got "eu/energy"`},
		{"a backslash", map[string]string{"shard": `eu\energy`}, "shard", "artifact's name"},
		{"a colon", map[string]string{"shard": "eu:1"}, "shard", "artifact's name"},
		{"a shard without running", map[string]string{"shard": "eu", "run": "false"}, "shard", "run: false"},
		{"a merge without running", map[string]string{"merge": "true", "run": "false"}, "merge", "run: false"},
		{"merge not a boolean", map[string]string{"merge": "please"}, "merge", "true or false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string {
				name, ok := strings.CutPrefix(k, "INPUT_")
				if !ok {
					return ""
				}
				return tc.inputs[strings.ToLower(name)]
			}
			in, err := readInputs(githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(io.Discard)))
			var ie *InputError
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want == "":
				if in.Shard != tc.inputs["shard"] || in.Merge != (tc.inputs["merge"] == "true") {
					t.Errorf("shard %q merge %v", in.Shard, in.Merge)
				}
			case !errors.As(err, &ie):
				t.Fatalf("error %v, want an InputError", err)
			case ie.Name != tc.want || !strings.Contains(ie.Msg, tc.msg):
				t.Errorf("error %v, want input %q saying %q", err, tc.want, tc.msg)
			}
		})
	}
}

// TestShardInputsAgainstMission: the shard and merge inputs need a mission
// with shards, and a shard it has; each is a usage error before anything
// runs or is reported.
func TestShardInputsAgainstMission(t *testing.T) {
	for _, tc := range []struct {
		name, mission string
		inputs        map[string]string
		want          string
	}{
		{"shard without shards", simpleMission, map[string]string{"shard": "eu"}, `input "shard": the mission reporting has no "shards"`},
		{"merge without shards", simpleMission, map[string]string{"merge": "true"}, `input "merge": the mission reporting has no "shards"`},
		{"unknown shard", shardedMission, map[string]string{"shard": "apac"}, `unknown shard "apac"`},
		{"too many parts", shardedMission, map[string]string{"shard": "1-of-3"}, "N is at most 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTestRun(t, "pull_request", prEvent(7)).mission("helios.yml", tc.mission)
			gh := tr.withGitHub()
			art := tr.withArtifacts()
			for k, v := range tc.inputs {
				tr.input(k, v)
			}
			if code := tr.main(context.Background()); code != exitcode.Usage {
				t.Fatalf("exit %d, want %d\n%s", code, exitcode.Usage, tr.stdout.String())
			}
			if errs := tr.lines("::error::"); len(errs) != 1 || !strings.Contains(errs[0], tc.want) {
				t.Errorf("errors %q, want one saying %q", errs, tc.want)
			}
			if n := len(gh.Requests()); n != 0 {
				t.Errorf("%d GitHub requests, want none", n)
			}
			if n := len(art.Requests()); n != 0 {
				t.Errorf("%d artifact requests, want none", n)
			}
			if _, err := os.Stat(filepath.Join(tr.ws, "out")); err == nil {
				t.Error("the mission ran")
			}
		})
	}
}

// TestShardKey: without a key input, a shard job and the merge job get the
// same key although their job ids differ (the merge finds the shards'
// artifacts by it), and every shard job's artifact is the merge job's
// name with its shard after it.
func TestShardKey(t *testing.T) {
	names := map[string]string{}
	for _, tc := range []struct{ job, input, value string }{
		{"shards", "shard", "eu"},
		{"shards", "shard", "1-of-2"},
		{"merge", "merge", "true"},
	} {
		tr := newTestRun(t, "push", nil).mission("helios.yml", shardedMission).input(tc.input, tc.value)
		tr.vars["GITHUB_JOB"] = tc.job
		r := newRunner(tr.env())
		if _, ok := r.setup(); !ok {
			t.Fatalf("setup:\n%s", tr.stdout.String())
		}
		if _, ok := r.load(); !ok {
			t.Fatalf("load:\n%s", tr.stdout.String())
		}
		if !strings.HasPrefix(r.in.Key, shardedKeyJob+"-") {
			t.Errorf("%s: key %q, want it to start with %q", tc.value, r.in.Key, shardedKeyJob+"-")
		}
		names[tc.value] = r.artifactNameFor()
	}
	base := names["true"]
	if want := defaultArtifactName("sharded drill", defaultKey(shardedKeyJob, &Inputs{ReportRoot: "", Run: true})); base != want {
		t.Errorf("merge artifact %q, want %q", base, want)
	}
	for _, s := range []string{"eu", "1-of-2"} {
		if names[s] != base+"-"+s {
			t.Errorf("shard %s: artifact %q, want %q", s, names[s], base+"-"+s)
		}
		if err := artifact.ValidateName(names[s]); err != nil {
			t.Error(err)
		}
	}

	// The artifact-name input is the merge job's name, the shards' prefix.
	tr := newTestRun(t, "push", nil).mission("helios.yml", shardedMission).input("shard", "us").input("artifact-name", "drill")
	r := newRunner(tr.env())
	r.setup()
	if _, ok := r.load(); !ok {
		t.Fatalf("load:\n%s", tr.stdout.String())
	}
	if got := r.artifactNameFor(); got != "drill-us" {
		t.Errorf("artifact %q, want drill-us", got)
	}
}

// TestShardJobReportsNoVerdict: a shard job posts no comment, no check run
// and no commit status, compares with no baseline, and uploads its bundle
// as <artifact-name>-<shard>, with shard-digest set to its ledger digest
// and a summary that says the merge job has the verdict.
func TestShardJobReportsNoVerdict(t *testing.T) {
	tr := newTestRun(t, "pull_request", prEvent(7)).mission("helios.yml", shardedMission).
		input("shard", "eu").input("status", "both").input("artifact-name", "drill")
	gh := tr.withGitHub()
	art := tr.withArtifacts()
	tr.main(context.Background())

	if n := len(gh.Requests()); n != 0 {
		t.Errorf("%d GitHub requests (%v), want none: comment, check run, status and baseline are the merge job's", n, gh.Counts())
	}
	var names []string
	for _, a := range art.Artifacts() {
		names = append(names, a.Name)
	}
	if !slices.Equal(names, []string{"drill-eu"}) {
		t.Errorf("artifacts %q, want [drill-eu]", names)
	}
	outs := tr.outs()
	if d := outs["shard-digest"]; len(d) != 64 || d != outs["ledger-digest"] {
		t.Errorf("shard-digest %q, ledger-digest %q", d, outs["ledger-digest"])
	}
	if _, ok := outs["check-run-id"]; ok {
		t.Error("check-run-id is set")
	}
	sum := readFile(t, tr.summary)
	for _, want := range []string{"Shard job `eu`: 1 shard of the mission's 2 (`eu`)", "The merge job (`merge: true`) publishes the verdict", "-eu`"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
}

// TestNoShardDigestOutsideShards: shard-digest is a shard job's only.
func TestNoShardDigestOutsideShards(t *testing.T) {
	tr := newTestRun(t, "push", nil).mission("helios.yml", simpleMission)
	if code := tr.main(context.Background()); code != exitcode.OK {
		t.Fatalf("exit %d\n%s", code, tr.stdout.String())
	}
	if v, ok := tr.outs()["shard-digest"]; ok {
		t.Errorf("shard-digest %q set outside a shard job", v)
	}
}

// TestMergeNeedsArtifactService: outside a workflow run (a laptop) there
// are no shard artifacts to merge; that is said, not taken for missing
// shards.
func TestMergeNeedsArtifactService(t *testing.T) {
	tr := newTestRun(t, "push", nil).mission("helios.yml", shardedMission).input("merge", "true")
	if code := tr.main(context.Background()); code != exitcode.Usage {
		t.Fatalf("exit %d, want %d\n%s", code, exitcode.Usage, tr.stdout.String())
	}
	if errs := tr.lines("::error::"); len(errs) != 1 || !strings.Contains(errs[0], "ACTIONS_RUNTIME_TOKEN is not set") {
		t.Errorf("errors %q", errs)
	}
	if _, err := os.Stat(filepath.Join(tr.ws, "out")); err == nil {
		t.Error("the merge ran")
	}
}

// TestDownloadShards: the merge takes this run's artifacts named with its
// prefix, whoever uploaded them, and nothing else; a download that fails
// is a warning naming the artifact, leaves no file and no source.
func TestDownloadShards(t *testing.T) {
	art := artifacttest.Start(t, artifacttest.Options{})
	zips := map[string][]byte{}
	add := func(job, name string) {
		zips[name] = bytes.Repeat([]byte(name), 1000)
		art.AddZipAs(art.RunBackendID, job, name, zips[name])
	}
	add("leg-1", "drill-eu")
	add("leg-2", "drill-us")
	add("leg-3", "drill-1-of-2")
	add("leg-4", "drill-apac")
	add(art.JobBackendID, "drill") // a merge's own name, from an earlier attempt
	add("other", "drilling-eu")    // another prefix
	add("other", "drill-")         // no shard after the prefix
	art.AddZipAs("another-run", "leg-1", "drill-apj", []byte("not this run's"))
	if err := art.Corrupt("drill-us", func(b []byte) []byte { b[10] ^= 1; return b }); err != nil {
		t.Fatal(err)
	}
	art.Fail(artifacttest.Fault{Op: artifacttest.OpGetBlob, Truncate: 100})

	cfg, err := artifact.ConfigFromEnv(art.Getenv(nil))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var warnings []string
	m, err := mission.Parse("helios.yml", []byte(shardedMission), mission.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srcs, err := downloadShards(context.Background(), cfg, "drill-", dir, m, func(f string, args ...any) {
		warnings = append(warnings, fmt.Sprintf(f, args...))
	})
	if err != nil {
		t.Fatal(err)
	}
	// The listing is sorted by name: drill-1-of-2 comes first, and the
	// truncated blob is its; drill-apac names no shard of the mission, so
	// it is not even downloaded; drill-us does not match its digest.
	var got []string
	for _, s := range srcs {
		got = append(got, s.Spec+"="+s.Artifact)
		b, err := os.ReadFile(s.Zip)
		if err != nil || !bytes.Equal(b, zips[s.Artifact]) {
			t.Errorf("%s: zip %d bytes (%v), want %d", s.Artifact, len(b), err, len(zips[s.Artifact]))
		}
		if filepath.Dir(s.Zip) != dir {
			t.Errorf("%s: zip %s outside %s", s.Artifact, s.Zip, dir)
		}
	}
	if want := []string{"eu=drill-eu"}; !slices.Equal(got, want) {
		t.Errorf("sources %q, want %q", got, want)
	}
	if len(warnings) != 3 || !strings.Contains(warnings[0], "drill-1-of-2 not downloaded") ||
		!strings.Contains(warnings[1], "drill-apac is named for no shard") || !strings.Contains(warnings[2], "drill-us not downloaded") {
		t.Errorf("warnings %q, want one each for drill-1-of-2, drill-apac and drill-us", warnings)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(srcs) {
		t.Errorf("%d files in the download folder, want %d: a failed download leaves none", len(entries), len(srcs))
	}
	if v := art.Violations(); len(v) > 0 {
		t.Errorf("protocol violations: %q", v)
	}
}

// TestMergeSourcesFromRunner: the merge job lists by its own artifact name
// (the key it shares with the shard jobs).
func TestMergeSourcesFromRunner(t *testing.T) {
	tr := newTestRun(t, "push", nil).mission("helios.yml", shardedMission).input("merge", "true")
	tr.vars["GITHUB_JOB"] = "merge"
	art := tr.withArtifacts()
	r := newRunner(tr.env())
	r.setup()
	if _, ok := r.load(); !ok {
		t.Fatalf("load:\n%s", tr.stdout.String())
	}
	base := r.artifactNameFor()
	art.AddZipAs(art.RunBackendID, "leg-1", base+"-us", []byte("us"))
	art.AddZipAs(art.RunBackendID, "leg-2", base+"-eu", []byte("eu"))
	art.AddZipAs(art.RunBackendID, "leg-3", "unrelated-eu", []byte("x"))
	srcs, err := r.shardSources(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var specs []string
	for _, s := range srcs {
		specs = append(specs, s.Spec)
	}
	if !slices.Equal(specs, []string{"eu", "us"}) {
		t.Errorf("specs %q, want [eu us]\n%s", specs, tr.stdout.String())
	}
}

// TestShardedMissionEndToEnd is the acceptance test of a matrix of shard
// jobs and their merge job in one workflow run: each shard job its own
// process's worth of action (its own job token and workspace), then the
// merge, which publishes the one check, comment and artifact, and whose
// bundle holds every shard's files with a manifest listing each shard.
func TestShardedMissionEndToEnd(t *testing.T) {
	art := artifacttest.Start(t, artifacttest.Options{})
	shardDigests := map[string]string{}
	for _, spec := range []string{"eu", "us"} {
		tr := newTestRun(t, "pull_request", prEvent(7)).mission("helios.yml", shardedMission).input("shard", spec)
		tr.vars["GITHUB_JOB"] = "shards"
		for k, v := range art.JobEnv("leg-" + spec) {
			tr.vars[k] = v
		}
		gh := tr.withGitHub()
		if code := tr.main(context.Background()); code != exitcode.OK {
			t.Fatalf("shard %s: exit %d\n%s", spec, code, tr.stdout.String())
		}
		if n := len(gh.Requests()); n != 0 {
			t.Errorf("shard %s: %d GitHub requests", spec, n)
		}
		shardDigests[spec] = tr.outs()["shard-digest"]
		mf, err := manifest.Read(filepath.Join(tr.ws, "out", manifest.FileName))
		if err != nil {
			t.Fatal(err)
		}
		if mf.Shard == nil || mf.Shard.Spec != spec || !slices.Equal(mf.Shard.IDs, []string{spec}) {
			t.Errorf("shard %s: manifest shard %+v", spec, mf.Shard)
		}
	}

	tr := newTestRun(t, "pull_request", prEvent(7)).mission("helios.yml", shardedMission).input("merge", "true").input("status", "both")
	tr.vars["GITHUB_JOB"] = "merge"
	for k, v := range art.JobEnv("merge") {
		tr.vars[k] = v
	}
	tr.art = art
	gh := tr.withGitHub()
	if code := tr.main(context.Background()); code != exitcode.OK {
		t.Fatalf("merge: exit %d\n%s", code, tr.stdout.String())
	}
	root := filepath.Join(tr.ws, "out")
	if got := readFile(t, filepath.Join(root, "digest.txt")); got != "plan eu eu\nplan us us\n" {
		t.Errorf("digest.txt %q", got)
	}
	mf, err := manifest.Read(filepath.Join(root, manifest.FileName))
	if err != nil {
		t.Fatal(err)
	}
	var specs []string
	for _, s := range mf.Shards {
		specs = append(specs, s.Spec)
		if s.Conclusion != manifest.Success || s.Digest != shardDigests[s.Spec] {
			t.Errorf("shard %s: conclusion %s digest %s, want success %s", s.Spec, s.Conclusion, s.Digest, shardDigests[s.Spec])
		}
	}
	if !slices.Equal(specs, []string{"eu", "us"}) {
		t.Errorf("manifest shards %q", specs)
	}
	if runs := gh.CheckRuns(); len(runs) != 1 || runs[0].Conclusion != "success" {
		t.Errorf("check runs %+v, want one success", runs)
	}
	if cs := gh.Comments("octo", "helios", 7); len(cs) != 1 {
		t.Errorf("%d comments, want 1", len(cs))
	}
	if _, ok := tr.outs()["shard-digest"]; ok {
		t.Error("shard-digest set in the merge job")
	}
	var names []string
	for _, a := range art.Artifacts() {
		names = append(names, a.Name)
	}
	sort.Strings(names)
	if len(names) != 3 || names[1] != names[0]+"-eu" || names[2] != names[0]+"-us" {
		t.Errorf("artifacts %q, want the merged bundle and the two shards'", names)
	}
}

// TestMergeWarnsOfAFailedDownload: a shard artifact that cannot be
// downloaded is a warning naming it, and the merge goes on without it:
// the merged conclusion fails and names the shard as missing.
func TestMergeWarnsOfAFailedDownload(t *testing.T) {
	art := artifacttest.Start(t, artifacttest.Options{})
	for _, spec := range []string{"eu", "us"} {
		tr := newTestRun(t, "push", nil).mission("helios.yml", shardedMission).input("shard", spec)
		tr.vars["GITHUB_JOB"] = "shards"
		for k, v := range art.JobEnv("leg-" + spec) {
			tr.vars[k] = v
		}
		tr.main(context.Background())
	}
	var us string
	for _, a := range art.Artifacts() {
		if strings.HasSuffix(a.Name, "-us") {
			us = a.Name
		}
	}
	if us == "" {
		t.Fatal("no shard artifact uploaded")
	}
	if err := art.Corrupt(us, func(b []byte) []byte { return b[:len(b)/2] }); err != nil {
		t.Fatal(err)
	}
	tr := newTestRun(t, "push", nil).mission("helios.yml", shardedMission).input("merge", "true")
	tr.vars["GITHUB_JOB"] = "merge"
	for k, v := range art.JobEnv("merge") {
		tr.vars[k] = v
	}
	if code := tr.main(context.Background()); code != exitcode.Failure {
		t.Fatalf("exit %d, want %d\n%s", code, exitcode.Failure, tr.stdout.String())
	}
	if w := tr.lines("::warning::"); !slices.ContainsFunc(w, func(l string) bool { return strings.Contains(l, us+" not downloaded") }) {
		t.Errorf("warnings %q, want one naming %s", w, us)
	}
	mf, err := manifest.Read(filepath.Join(tr.ws, "out", manifest.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if mf.Conclusion != manifest.Failure {
		t.Errorf("conclusion %s, want failure", mf.Conclusion)
	}
	i := slices.IndexFunc(mf.Shards, func(s manifest.Shard) bool { return s.Spec == "us" })
	if i < 0 {
		t.Fatalf("manifest shards %+v, want shard us listed as missing", mf.Shards)
	}
	if s := mf.Shards[i]; s.Conclusion != manifest.Missing || s.Problem == "" {
		t.Errorf("shard us: %s (%q), want %s with a problem", s.Conclusion, s.Problem, manifest.Missing)
	}
}
