package e2e

import (
	"archive/zip"
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/artifact/artifacttest"
	"github.com/helios-action/helios-action/internal/ghapi/ghtest"
	"github.com/helios-action/helios-action/internal/glob"
	"github.com/helios-action/helios-action/internal/manifest"
)

// The planetary fixture has 8 shards (4 regions × 2 sectors).
var planetaryShards = []string{"africa-energy", "africa-health", "apac-energy", "apac-health", "eu-energy", "eu-health", "us-energy", "us-health"}

// shardRun is one leg of the matrix: the action with shard set, in a job
// of its own (its own runtime token, so its own backend job id).
func shardRun(t *testing.T, art *artifacttest.Server, spec string) map[string]string {
	t.Helper()
	ar := newActionRun(t, "sharded", map[string]any{"ref": "refs/heads/main"}, "push", nil, art, map[string]string{"shard": spec})
	for k, v := range art.JobEnv("job-" + spec) {
		ar.env = append(ar.env, k+"="+v)
	}
	ar.env = append(ar.env, "GITHUB_JOB=shards", "RUNNER_NAME=runner-"+spec)
	res := ar.run(t)
	if res.code != 0 {
		t.Fatalf("shard %s: exit %d\n%s%s", spec, res.code, res.stdout, res.stderr)
	}
	return outputsOf(t, ar.outputs)
}

// mergeRun is the merge job; it returns its exit code, outputs, console
// and summary.
func mergeRun(t *testing.T, art *artifacttest.Server, gh *ghtest.Server) (int, map[string]string, string, string) {
	t.Helper()
	ar := newActionRun(t, "sharded", map[string]any{"ref": "refs/heads/main"}, "push", gh, art, map[string]string{"merge": "true", "baseline": "none"})
	for k, v := range art.JobEnv("job-merge") {
		ar.env = append(ar.env, k+"="+v)
	}
	ar.env = append(ar.env, "GITHUB_JOB=merge")
	res := ar.run(t)
	return res.code, outputsOf(t, ar.outputs), res.stdout + res.stderr, readFile(t, ar.summary)
}

// ledgerOf reads a bundle's SHA256SUMS as path → hash.
func ledgerOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("ledger line %q", sc.Text())
		}
		out[strings.TrimPrefix(name, "./")] = sum
	}
	return out
}

func bundleOf(t *testing.T, art *artifacttest.Server, name string) string {
	t.Helper()
	a, ok := art.Artifact(name)
	if !ok {
		t.Fatalf("no artifact %q; have %v", name, artifactNames(art))
	}
	b, err := a.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return unzipBundle(t, b)
}

func artifactNames(art *artifacttest.Server) []string {
	var out []string
	for _, a := range art.Artifacts() {
		out = append(out, a.Name)
	}
	sort.Strings(out)
	return out
}

// copyShards stores the shard artifacts of from in a new fake, each as
// uploaded by its own job, leaving out skip, in the order given.
func copyShards(t *testing.T, from *artifacttest.Server, names []string, skip string) *artifacttest.Server {
	t.Helper()
	to := artifacttest.Start(t, artifacttest.Options{})
	for _, n := range names {
		if n == skip {
			continue
		}
		a, _ := from.Artifact(n)
		b, err := a.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		to.AddZipAs(to.RunBackendID, "job-"+n, n, b)
	}
	return to
}

// TestShardsMergeMatchesOneJob is the acceptance test: the mission
// run as 8 shard processes against the artifact service, then merged,
// holds every file of the same mission run in one job with the same hash
// (volatile files aside), in one artifact whose ledger sha256sum -c
// accepts; merging the same legs again gives the same evidence; a
// tampered and a missing shard each fail the merge and name the shard.
func TestShardsMergeMatchesOneJob(t *testing.T) {
	// One job.
	single := artifacttest.Start(t, artifacttest.Options{})
	ar := newActionRun(t, "sharded", map[string]any{"ref": "refs/heads/main"}, "push", nil, single, map[string]string{"baseline": "none"})
	if res := ar.run(t); res.code != 0 {
		t.Fatalf("one job: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	oneOuts := outputsOf(t, ar.outputs)
	arts := single.Artifacts()
	if len(arts) != 1 {
		t.Fatalf("one job uploaded %v", artifactNames(single))
	}
	oneDir := bundleOf(t, single, arts[0].Name)
	one := ledgerOf(t, oneDir)
	oneMf, err := manifest.Read(filepath.Join(oneDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}

	// Eight legs, one after another, then the merge.
	art := artifacttest.Start(t, artifacttest.Options{})
	for _, id := range planetaryShards {
		outs := shardRun(t, art, id)
		if len(outs["shard-digest"]) != 64 {
			t.Errorf("shard %s: shard-digest %q", id, outs["shard-digest"])
		}
	}
	// The legs and the merge share a key of their own ("shards" where a
	// single job's key has its job id), so the merge finds the legs.
	shardNames := artifactNames(art)
	name := strings.TrimSuffix(shardNames[0], "-"+planetaryShards[0])
	for i, id := range planetaryShards {
		if shardNames[i] != name+"-"+id {
			t.Fatalf("shard artifacts %v: want %s-<shard> for each", shardNames, name)
		}
	}
	gh := ghtest.NewServer(t)
	code, outs, console, summary := mergeRun(t, art, gh)
	if code != 0 || outs["conclusion"] != "success" {
		t.Fatalf("merge: exit %d, conclusion %q\n%s", code, outs["conclusion"], console)
	}
	mergedDir := bundleOf(t, art, name)
	merged := ledgerOf(t, mergedDir)

	// Every file of the one job, with the same hash, volatile ones aside.
	compared := 0
	for p, sum := range one {
		if glob.MatchAny(oneMf.Volatile, p) {
			continue
		}
		compared++
		if got, ok := merged[p]; !ok {
			t.Errorf("%s: in the one-job bundle, not in the merged one", p)
		} else if got != sum {
			t.Errorf("%s: hash %s merged, %s in one job", p, got[:12], sum[:12])
		}
	}
	if compared < 8*5+3 {
		t.Errorf("compared only %d files", compared)
	}
	if oneOuts["content-digest"] == "" || oneOuts["content-digest"] != outs["content-digest"] {
		t.Errorf("content digest: one job %q, merged %q", oneOuts["content-digest"], outs["content-digest"])
	}

	// The merged manifest lists each shard job, with its digest and job.
	mf, err := manifest.Read(filepath.Join(mergedDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(mf.Shards) != 8 {
		t.Fatalf("manifest lists %d shards", len(mf.Shards))
	}
	for i, s := range mf.Shards {
		if s.Spec != planetaryShards[i] || s.Conclusion != manifest.Success || len(s.Digest) != 64 || s.Runner != "runner-"+s.Spec || s.Artifact != name+"-"+s.Spec {
			t.Errorf("shard %d: %+v", i, s)
		}
		if _, ok := merged["jobs/"+s.Spec+"/SHA256SUMS"]; !ok {
			t.Errorf("the shard's own ledger is not kept under jobs/%s/", s.Spec)
		}
	}
	// One check of the merge, none of the shards.
	if n := len(gh.CheckRuns()); n != 1 {
		t.Errorf("%d check runs, want the merge's one", n)
	}
	for _, want := range []string{"eu-energy", "us-health"} {
		if !strings.Contains(summary, want) {
			t.Errorf("merge summary does not name shard %s", want)
		}
	}

	// The merge sorts the shards by spec wherever they come from
	// (merge.TestPlaceOrder gives it sources in both orders); here the
	// same legs, uploaded in reverse, by other jobs, to another service,
	// merge again to the same evidence.
	t.Run("again", func(t *testing.T) {
		rev := append([]string(nil), shardNames...)
		sort.Sort(sort.Reverse(sort.StringSlice(rev)))
		other := copyShards(t, art, rev, "")
		code, outs2, console, _ := mergeRun(t, other, ghtest.NewServer(t))
		if code != 0 {
			t.Fatalf("merge: exit %d\n%s", code, console)
		}
		if outs2["content-digest"] != outs["content-digest"] {
			t.Errorf("content digest %s merged again, %s before", outs2["content-digest"], outs["content-digest"])
		}
		again := ledgerOf(t, bundleOf(t, other, name))
		for p, sum := range merged {
			if (strings.HasPrefix(p, "shards/") || strings.HasPrefix(p, "jobs/")) && again[p] != sum {
				t.Errorf("%s differs between the two merges", p)
			}
		}
	})

	t.Run("missing shard", func(t *testing.T) {
		other := copyShards(t, art, shardNames, name+"-apac-health")
		code, outs, console, summary := mergeRun(t, other, ghtest.NewServer(t))
		if code == 0 || outs["conclusion"] != "failure" {
			t.Fatalf("merge without a shard: exit %d, conclusion %q", code, outs["conclusion"])
		}
		for _, text := range []string{console, summary} {
			if !strings.Contains(text, "apac-health") {
				t.Errorf("the failure does not name the missing shard:\n%s", lastLines(text, 30))
			}
		}
		// The merge still leaves a consistent bundle.
		bundleOf(t, other, name)
	})

	t.Run("tampered shard", func(t *testing.T) {
		// Uploaded whole by a job holding the run's token: the listing's
		// digest matches, only the shard's own ledger can tell.
		victim := name + "-eu-health"
		other := copyShards(t, art, shardNames, victim)
		a, _ := art.Artifact(victim)
		b, err := a.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		other.AddZipAs(other.RunBackendID, "job-"+victim, victim, tamperZip(t, b, "shards/eu-health/review.md"))
		code, outs, console, summary := mergeRun(t, other, ghtest.NewServer(t))
		if code == 0 || outs["conclusion"] != "failure" {
			t.Fatalf("merge with a tampered shard: exit %d, conclusion %q", code, outs["conclusion"])
		}
		// The summary escapes Markdown (review\.md).
		for _, text := range []string{console, strings.ReplaceAll(summary, `\`, "")} {
			if !strings.Contains(text, "eu-health") || !strings.Contains(text, "review.md") {
				t.Errorf("the failure does not name the shard and file:\n%s", lastLines(text, 30))
			}
		}
		// None of the tampered shard's files reach the merged bundle.
		dir := bundleOf(t, other, name)
		if _, err := os.Stat(filepath.Join(dir, "shards", "eu-health", "review.md")); !os.IsNotExist(err) {
			t.Errorf("the tampered shard's file is in the merged bundle: %v", err)
		}
	})
}

// tamperZip rewrites one file of a bundle zip, keeping its ledger, as a
// hostile leg (or anyone with the run's token) could.
func tamperZip(t *testing.T, zb []byte, name string) []byte {
	t.Helper()
	files := unzipFiles(t, zb)
	if _, ok := files[name]; !ok {
		t.Fatalf("zip has no %s", name)
	}
	files[name] = append(files[name], []byte("- Verdict: forged\n")...)
	return zipFiles(t, files)
}

func unzipFiles(t *testing.T, zb []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	if err != nil {
		t.Fatalf("artifact is not a zip: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = b
	}
	return out
}

func zipFiles(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(files[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
