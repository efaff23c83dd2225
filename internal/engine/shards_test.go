package engine_test

import (
	"archive/zip"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/merge"
	missionpkg "github.com/helios-action/helios-action/internal/mission"
)

// shardedMission shards plan and check over region × sector. prep runs in
// every shard job; digest needs every shard's check.
const shardedMission = `version: 1
name: sharded
report-root: out
shards:
  matrix:
    region: [eu, us]
    sector: [energy, health]
  phases: [plan, check]
phases:
  prep:
    steps:
      - run: echo prepared > "$HELIOS_REPORT_ROOT/prep.txt"
  plan:
    needs: prep
    steps:
      - run: printf '%s %s %s\n' "$HELIOS_SHARD" "$HELIOS_MATRIX_REGION" "$HELIOS_MATRIX_SECTOR" > "$HELIOS_REPORT_ROOT/plan.txt"
      - uses: helios/probe
        with: {fail: false}
  check:
    needs: plan
    steps:
      - run: test -f "$HELIOS_REPORT_ROOT/plan.txt" && cp "$HELIOS_REPORT_ROOT/plan.txt" "$HELIOS_REPORT_ROOT/checked.txt"
  digest:
    needs: [prep, check]
    steps:
      - run: cat "$HELIOS_REPORT_ROOT"/shards/*/checked.txt > "$HELIOS_REPORT_ROOT/digest.txt"
`

// allSucceeded is the phases of shardedMission run whole, or merged,
// every one a success.
const allSucceeded = "prep=success" +
	" plan [eu-energy]=success plan [eu-health]=success plan [us-energy]=success plan [us-health]=success" +
	" check [eu-energy]=success check [eu-health]=success check [us-energy]=success check [us-health]=success" +
	" digest=success"

func parseSharded(t *testing.T) (*missionpkg.Mission, engine.Registry) {
	t.Helper()
	reg := engine.NewRegistry(&probe{})
	m, err := reg.Parse("helios.yml", []byte(shardedMission))
	if err != nil {
		t.Fatal(err)
	}
	return m, reg
}

func phaseLine(mf *manifest.Manifest) string {
	var out []string
	for _, p := range mf.Phases {
		out = append(out, p.Name+"="+p.Status)
	}
	return strings.Join(out, " ")
}

func readOut(t *testing.T, res *engine.Result, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(res.ReportRoot, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestShardedMissionInOneJob: without --shard every instance runs, each in
// its shard's folder with its shard's variables, and a phase that needs a
// sharded phase waits for all of its instances.
func TestShardedMissionInOneJob(t *testing.T) {
	m, reg := parseSharded(t)
	res, err := engine.Run(context.Background(), m, engine.Options{Workspace: t.TempDir(), Jobs: 3, Builtins: reg, Environ: os.Environ()})
	if err != nil {
		t.Fatal(err)
	}
	mf := res.Manifest
	want := allSucceeded
	if got := phaseLine(mf); got != want {
		t.Fatalf("phases\n got %s\nwant %s", got, want)
	}
	if mf.Conclusion != manifest.Success || mf.Shard != nil || mf.Shards != nil {
		t.Errorf("conclusion %s, shard %+v, shards %+v", mf.Conclusion, mf.Shard, mf.Shards)
	}
	if got := readOut(t, res, "shards/us-health/plan.txt"); got != "us-health us health\n" {
		t.Errorf("plan.txt of us-health: %q", got)
	}
	if got := readOut(t, res, "digest.txt"); got != "eu-energy eu energy\neu-health eu health\nus-energy us energy\nus-health us health\n" {
		t.Errorf("digest.txt: %q", got)
	}
	ph := mf.Phases[1]
	if ph.Shard != "eu-energy" || !reflect.DeepEqual(ph.Needs, []string{"prep"}) {
		t.Errorf("instance record: shard %q needs %v", ph.Shard, ph.Needs)
	}
	if got := mf.Phases[5].Needs; !reflect.DeepEqual(got, []string{"plan [eu-energy]"}) {
		t.Errorf("check [eu-energy] needs %v", got)
	}
	if got := mf.Phases[9].Needs; len(got) != 5 || got[0] != "prep" || got[4] != "check [us-health]" {
		t.Errorf("digest needs %v", got)
	}
	// The instance's receipts name files from the report root.
	st := ph.Steps[1]
	if st.Log != "shards/eu-energy/logs/plan/2.log" && !strings.HasPrefix(st.Log, "shards/eu-energy/logs/plan/") {
		t.Errorf("log %q", st.Log)
	}
	if len(st.Outputs) != 1 || !strings.HasPrefix(st.Outputs[0], "shards/eu-energy/probe/") {
		t.Errorf("outputs %v", st.Outputs)
	}
	if _, err := os.Stat(filepath.Join(res.ReportRoot, filepath.FromSlash(st.Outputs[0]))); err != nil {
		t.Errorf("output not where the receipt says: %v", err)
	}
	if _, err := os.Stat(filepath.Join(res.ReportRoot, filepath.FromSlash(st.Log))); err != nil {
		t.Errorf("log not where the receipt says: %v", err)
	}
	rep, err := ledger.Verify(context.Background(), res.ReportRoot, ledger.ScanOptions{})
	if err != nil || !rep.Clean() {
		t.Errorf("bundle does not verify: %+v %v", rep, err)
	}
}

// TestShardJob: a shard job runs its shards' instances and what they need,
// nothing the merge runs, and records which shards it ran.
func TestShardJob(t *testing.T) {
	m, reg := parseSharded(t)
	env := append(os.Environ(), "GITHUB_JOB=shards", "RUNNER_NAME=runner-7")
	res, err := engine.Run(context.Background(), m, engine.Options{Workspace: t.TempDir(), Builtins: reg, Environ: env, Shard: "2-of-3"})
	if err != nil {
		t.Fatal(err)
	}
	mf := res.Manifest
	if got, want := phaseLine(mf), "prep=success plan [us-energy]=success check [us-energy]=success"; got != want {
		t.Fatalf("phases\n got %s\nwant %s", got, want)
	}
	want := &manifest.ShardJob{Spec: "2-of-3", IDs: []string{"us-energy"}, Job: "shards", Runner: "runner-7"}
	if !reflect.DeepEqual(mf.Shard, want) {
		t.Errorf("shard %+v, want %+v", mf.Shard, want)
	}
	if got := readOut(t, res, "shards/us-energy/checked.txt"); got != "us-energy us energy\n" {
		t.Errorf("checked.txt: %q", got)
	}
	if _, err := os.Stat(filepath.Join(res.ReportRoot, "digest.txt")); !os.IsNotExist(err) {
		t.Errorf("a shard job ran the merge's digest: %v", err)
	}
	if _, err := os.Stat(filepath.Join(res.ReportRoot, "shards", "eu-energy")); !os.IsNotExist(err) {
		t.Errorf("a shard job wrote another shard's folder: %v", err)
	}
}

func TestShardUsageErrors(t *testing.T) {
	m, reg := parseSharded(t)
	plain, err := reg.Parse("plain.yml", []byte("version: 1\nphases:\n  a:\n    steps:\n      - run: 'true'\n"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		m    *missionpkg.Mission
		opts engine.Options
		want string
	}{
		{"unknown shard", m, engine.Options{Shard: "eu-enrgy"}, `unknown shard "eu-enrgy" (did you mean "eu-energy"?)`},
		{"N past the shards", m, engine.Options{Shard: "1-of-5"}, "the mission has 4 shards"},
		{"both", m, engine.Options{Shard: "1-of-2", Merge: &engine.Merge{}}, "not both"},
		{"shard of a plain mission", plain, engine.Options{Shard: "1-of-2"}, `has no "shards" key`},
		{"merge of a plain mission", plain, engine.Options{Merge: &engine.Merge{}}, "no shards to merge"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.Workspace, opts.Builtins, opts.Environ = t.TempDir(), reg, os.Environ()
			_, err := engine.Run(context.Background(), tc.m, opts)
			var ue *engine.UsageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want a usage error with %q", err, tc.want)
			}
		})
	}
}

// zipBundle zips a bundle folder as an artifact holds it.
func zipBundle(t *testing.T, dir, to string) {
	t.Helper()
	f, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		w, err := zw.Create(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// shardZips runs the shard jobs specs and zips each bundle.
func shardZips(t *testing.T, m *missionpkg.Mission, reg engine.Registry, specs ...string) []merge.Source {
	t.Helper()
	zips := t.TempDir()
	var out []merge.Source
	for _, spec := range specs {
		res, err := engine.Run(context.Background(), m, engine.Options{Workspace: t.TempDir(), Builtins: reg, Environ: os.Environ(), Shard: spec})
		if err != nil || res.Manifest.Conclusion != manifest.Success {
			t.Fatalf("shard %s: %v %+v", spec, err, res)
		}
		z := filepath.Join(zips, spec+".zip")
		zipBundle(t, res.ReportRoot, z)
		out = append(out, merge.Source{Spec: spec, Artifact: "helios-x-" + spec, Zip: z})
	}
	return out
}

// TestMergeMatchesOneJob: the merge of three shard jobs holds every file
// of the one-job run with the same hash, volatile files aside, and the
// same content digest; its phases wait for the shards' records.
func TestMergeMatchesOneJob(t *testing.T) {
	m, reg := parseSharded(t)
	one, err := engine.Run(context.Background(), m, engine.Options{Workspace: t.TempDir(), Builtins: reg, Environ: os.Environ()})
	if err != nil {
		t.Fatal(err)
	}
	sources := shardZips(t, m, reg, "1-of-3", "2-of-3", "3-of-3")
	res, err := engine.Run(context.Background(), m, engine.Options{Workspace: t.TempDir(), Builtins: reg, Environ: os.Environ(), Merge: &engine.Merge{Sources: sources, Prefix: "helios-x"}})
	if err != nil {
		t.Fatal(err)
	}
	mf := res.Manifest
	want := allSucceeded
	if got := phaseLine(mf); got != want || mf.Conclusion != manifest.Success {
		t.Fatalf("%s: phases\n got %s\nwant %s\n%s", mf.Conclusion, got, want, mf.Reason)
	}
	if len(mf.Shards) != 3 || mf.Shards[0].Spec != "1-of-3" || !reflect.DeepEqual(mf.Shards[0].IDs, []string{"eu-energy", "eu-health"}) {
		t.Errorf("shards %+v", mf.Shards)
	}
	if res.ContentDigest != one.ContentDigest {
		t.Errorf("content digest %x merged, %x in one job", res.ContentDigest, one.ContentDigest)
	}
	merged := map[string]string{}
	for _, f := range mf.Files {
		merged[f.Path] = f.SHA256
	}
	for _, f := range one.Manifest.Files {
		if f.Volatile {
			continue
		}
		if merged[f.Path] != f.SHA256 {
			t.Errorf("%s: %q merged, %q in one job", f.Path, merged[f.Path], f.SHA256)
		}
	}
	if _, ok := merged["jobs/2-of-3/SHA256SUMS"]; !ok {
		t.Error("the shard job's own ledger is not under jobs/2-of-3/")
	}
	rep, err := ledger.Verify(context.Background(), res.ReportRoot, ledger.ScanOptions{})
	if err != nil || !rep.Clean() {
		t.Errorf("merged bundle does not verify: %+v %v", rep, err)
	}
}

// TestMergeMissingShard: a shard job without an artifact fails the merge,
// which names it, skips what needs its shards and still seals the rest.
func TestMergeMissingShard(t *testing.T) {
	m, reg := parseSharded(t)
	sources := shardZips(t, m, reg, "1-of-2")
	res, err := engine.Run(context.Background(), m, engine.Options{Workspace: t.TempDir(), Builtins: reg, Environ: os.Environ(), Merge: &engine.Merge{Sources: sources, Prefix: "helios-x"}})
	if err != nil {
		t.Fatal(err)
	}
	mf := res.Manifest
	if mf.Conclusion != manifest.Failure || !strings.Contains(mf.Reason, "2-of-2") || !strings.Contains(mf.Reason, "helios-x-2-of-2") {
		t.Errorf("conclusion %s, reason %q", mf.Conclusion, mf.Reason)
	}
	want := "prep=success" +
		" plan [eu-energy]=success plan [eu-health]=success plan [us-energy]=skipped plan [us-health]=skipped" +
		" check [eu-energy]=success check [eu-health]=success check [us-energy]=skipped check [us-health]=skipped" +
		" digest=skipped"
	if got := phaseLine(mf); got != want {
		t.Errorf("phases\n got %s\nwant %s", got, want)
	}
	if len(mf.Shards) != 2 || mf.Shards[1].Conclusion != manifest.Missing {
		t.Errorf("shards %+v", mf.Shards)
	}
	if got := readOut(t, res, "shards/eu-health/checked.txt"); got != "eu-health eu health\n" {
		t.Errorf("the present shard's file: %q", got)
	}
	rep, err := ledger.Verify(context.Background(), res.ReportRoot, ledger.ScanOptions{})
	if err != nil || !rep.Clean() {
		t.Errorf("merged bundle does not verify: %+v %v", rep, err)
	}
}

// TestMergeStepsCannotRewriteShards: in a merge, the shards' files are
// what their legs made, checked against their ledgers; the merge's steps,
// run as the workspace's owner, read them but cannot change them, and
// helios's own logs of each shard stay helios's in every mode.
func TestMergeStepsCannotRewriteShards(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("steps change user only when helios is root")
	}
	src := strings.Replace(shardedMission,
		`      - run: cat "$HELIOS_REPORT_ROOT"/shards/*/checked.txt > "$HELIOS_REPORT_ROOT/digest.txt"`,
		`      - run: |
          echo forged >> "$HELIOS_REPORT_ROOT/shards/eu-energy/checked.txt" && echo rewrote >&2 || true
          rm -f "$HELIOS_REPORT_ROOT/jobs/1-of-2/SHA256SUMS" && echo removed >&2 || true
          cat "$HELIOS_REPORT_ROOT"/shards/*/checked.txt > "$HELIOS_REPORT_ROOT/digest.txt"`, 1)
	reg := engine.NewRegistry(&probe{})
	m, err := reg.Parse("helios.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	sources := shardZips(t, m, reg, "1-of-2", "2-of-2")
	ws := t.TempDir()
	if err := os.Chmod(filepath.Dir(ws), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(ws, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	res, err := engine.Run(context.Background(), m, engine.Options{Workspace: ws, Builtins: reg, Environ: os.Environ(), Merge: &engine.Merge{Sources: sources, Prefix: "helios-x"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Manifest.Conclusion != manifest.Success {
		t.Fatalf("%s: %s", res.Manifest.Conclusion, res.Manifest.Reason)
	}
	if got := readOut(t, res, "shards/eu-energy/checked.txt"); got != "eu-energy eu energy\n" {
		t.Errorf("a merge step rewrote a shard's file: %q", got)
	}
	if _, err := os.Stat(filepath.Join(res.ReportRoot, "jobs", "1-of-2", "SHA256SUMS")); err != nil {
		t.Errorf("a merge step removed a leg's ledger: %v", err)
	}
	log := readOut(t, res, res.Manifest.Phases[len(res.Manifest.Phases)-1].Steps[0].Log)
	_, output, _ := strings.Cut(log, "## Output")
	if strings.Contains(output, "rewrote") || strings.Contains(output, "removed") || !strings.Contains(output, "Permission denied") {
		t.Errorf("the step's log says it changed the shards:\n%s", log)
	}
	for _, dir := range []string{"shards/eu-energy/logs", "shards", "jobs"} {
		fi, err := os.Stat(filepath.Join(res.ReportRoot, dir))
		if err != nil {
			t.Fatal(err)
		}
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != 0 {
			t.Errorf("%s belongs to uid %d, want helios's (0)", dir, st.Uid)
		}
	}
}

// TestMergeCancelled: a signal before or while the shards are placed still
// leaves a sealed, cancelled bundle, whose manifest says which shards were
// not placed.
func TestMergeCancelled(t *testing.T) {
	m, reg := parseSharded(t)
	sources := shardZips(t, m, reg, "1-of-2", "2-of-2")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := engine.Run(ctx, m, engine.Options{Workspace: t.TempDir(), Builtins: reg, Environ: os.Environ(), Merge: &engine.Merge{Sources: sources, Prefix: "helios-x"}})
	if err != nil {
		t.Fatal(err)
	}
	mf := res.Manifest
	if mf.Conclusion != manifest.Cancelled || len(mf.Shards) != 2 || mf.Shards[0].Conclusion != manifest.Cancelled {
		t.Errorf("conclusion %s, shards %+v", mf.Conclusion, mf.Shards)
	}
	rep, err := ledger.Verify(context.Background(), res.ReportRoot, ledger.ScanOptions{})
	if err != nil || !rep.Clean() {
		t.Errorf("bundle does not verify: %+v %v", rep, err)
	}
}
