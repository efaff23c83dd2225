package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/helios-action/helios-action/internal/diff"
	"github.com/helios-action/helios-action/internal/manifest"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func at(ms int64) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func code(n int) *int { return &n }

func step(id, name, status string, from, to int64, exit *int) manifest.Step {
	s := manifest.Step{ID: id, Name: name, Kind: "run", Status: status, ExitCode: exit,
		Log: "logs/" + id + ".log", LogSHA256: strings.Repeat("ab", 32)}
	if from >= 0 {
		s.StartedAt, s.FinishedAt, s.DurationMs = at(from), at(to), to-from
	}
	return s
}

func phase(name, status string, needs []string, from, to int64, steps ...manifest.Step) manifest.Phase {
	p := manifest.Phase{Name: name, Needs: needs, Status: status, Steps: steps}
	if from >= 0 {
		p.StartedAt, p.FinishedAt, p.DurationMs = at(from), at(to), to-from
	}
	if p.Needs == nil {
		p.Needs = []string{}
	}
	return p
}

func baseManifest(conclusion string, phases ...manifest.Phase) *manifest.Manifest {
	var end int64
	for _, p := range phases {
		if !p.FinishedAt.IsZero() {
			end = max(end, p.FinishedAt.Sub(t0).Milliseconds())
		}
	}
	return &manifest.Manifest{
		Schema:     manifest.SchemaURL,
		Tool:       manifest.Tool{Name: "helios", Version: "1.0.0"},
		Mission:    manifest.Mission{Name: "Helios example mission", File: "helios.yml", ReportRoot: "reports/helios"},
		Network:    "hardhat",
		StartedAt:  t0,
		FinishedAt: at(end),
		DurationMs: end,
		Conclusion: conclusion,
		Phases:     phases,
	}
}

func tokenStep(status string, from, to int64) manifest.Step {
	s := step("token", "Check the token", status, from, to, nil)
	s.Kind, s.Uses = "uses", "helios/token"
	s.Outputs = []string{"owner/token.json", "owner/token.md"}
	// What chainstep.Connect records, as manifest.json reads back.
	s.Data = map[string]any{
		"chainId": float64(1),
		"block":   map[string]any{"number": float64(19000123), "hash": "0x" + strings.Repeat("5c", 32)},
	}
	return s
}

func links(in *Input) {
	in.ArtifactName = "helios-report-build"
	in.ArtifactURL = "https://github.com/octo/drill/actions/runs/42/artifacts/7"
	in.CheckRunURL = "https://github.com/octo/drill/runs/99"
	in.RunURL = "https://github.com/octo/drill/actions/runs/42"
	in.Key = "build"
	in.MissionFile = "helios.yml"
}

// fixtures are the inputs of the golden files.
func fixtures() map[string]Input {
	success := Input{
		Manifest: baseManifest(manifest.Success,
			phase("prep", manifest.Success, nil, 0, 1200,
				step("check-the-toolchain", "Check the toolchain", manifest.Success, 5, 1190, code(0))),
			phase("plan", manifest.Success, []string{"prep"}, 1200, 5000,
				step("rehearse", "Rehearse asi-takeoff", manifest.Success, 1210, 4100, code(0)),
				step("collect", "Collect receipts", manifest.Success, 4100, 4990, nil)),
			phase("governance", manifest.Success, []string{"prep"}, 1200, 3400,
				tokenStep(manifest.Success, 1210, 3390)),
			phase("digest", manifest.Success, []string{"plan", "governance"}, 5000, 5300,
				step("summarise", "Summarise", manifest.Success, 5010, 5290, code(0))),
		),
		LedgerDigest: "177007b0c2d5e4f6a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1",
		Files:        32,
		Compare:      &Comparison{Label: "baseline/SHA256SUMS"},
		Drift: &diff.Result{Old: "baseline/SHA256SUMS", New: "reports/helios",
			Volatile:  []diff.Change{{Name: "manifest.json", Old: strings.Repeat("1", 64), New: strings.Repeat("2", 64), Volatile: true}},
			Unchanged: 31},
		Gate: []GateRow{{Job: "build", Result: "success"}, {Job: "docs", Result: "skipped"}},
	}
	links(&success)

	nasty := "Rehearse | \"quoted\" [x](http://evil) #1 @bob <img src=x> `tick`"
	failed := step("rehearse", nasty, manifest.Failure, 1210, 2100, code(1))
	failed.Error = "exit status 1: npm ERR! | <b>boom</b> @alice\nsecond line ```"
	failure := Input{
		Manifest: baseManifest(manifest.Failure,
			phase("prep", manifest.Success, nil, 0, 1200,
				step("check-the-toolchain", "Check the toolchain", manifest.Success, 5, 1190, code(0))),
			phase("plan", manifest.Failure, []string{"prep"}, 1200, 2100,
				failed,
				step("collect", "Collect receipts", manifest.Skipped, -1, 0, nil)),
			phase("governance", manifest.Success, []string{"prep"}, 1200, 3400,
				tokenStep(manifest.Success, 1210, 3390)),
			phase("digest", manifest.Skipped, []string{"plan", "governance"}, -1, 0,
				step("summarise", "Summarise", manifest.Skipped, -1, 0, nil)),
		),
		LedgerDigest: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Files:        17,
		Compare:      &Comparison{Label: "baseline/SHA256SUMS"},
		Drift: &diff.Result{Old: "baseline/SHA256SUMS", New: "reports/helios",
			Changed: []diff.Change{{Name: "owner/plan.json", Old: strings.Repeat("a", 64), New: strings.Repeat("b", 64),
				JSON: []diff.KeyChange{{Path: "/thermostat/kp", Old: `"100"`, New: `"120"`, Kind: "changed"},
					{Path: "/owner|@carol", Old: "", New: `"<x>"`, Kind: "added"}}}},
			Added:     []diff.Change{{Name: "owner/new `file`.json", New: strings.Repeat("c", 64)}},
			Unchanged: 14},
		Gate:      []GateRow{{Job: "build", Result: "success"}, {Job: "docs", Result: "skipped"}, {Job: "lint", Result: "failure"}},
		StepLines: map[string]int{"plan/rehearse": 14},
	}
	failure.Manifest.Reason = `step "rehearse" of phase "plan" failed: exit status 1`
	links(&failure)

	cancelledStep := step("rehearse", "Rehearse asi-takeoff", manifest.Cancelled, 1210, 1900, nil)
	cancelledStep.Error = "cancelled (SIGTERM)"
	cancelled := Input{
		Manifest: baseManifest(manifest.Cancelled,
			phase("prep", manifest.Success, nil, 0, 1200,
				step("check-the-toolchain", "Check the toolchain", manifest.Success, 5, 1190, code(0))),
			phase("plan", manifest.Cancelled, []string{"prep"}, 1200, 1900,
				cancelledStep,
				step("collect", "Collect receipts", manifest.Cancelled, -1, 0, nil)),
			phase("governance", manifest.Cancelled, []string{"prep"}, 1200, 1900,
				tokenStep(manifest.Cancelled, 1210, 1900)),
			phase("digest", manifest.Cancelled, []string{"plan", "governance"}, -1, 0,
				step("summarise", "Summarise", manifest.Cancelled, -1, 0, nil)),
		),
		LedgerDigest: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		Files:        9,
	}
	cancelled.Manifest.Reason = "cancelled by SIGTERM"
	links(&cancelled)

	// A mission with `rpc: optional` run without an endpoint: its chain
	// steps skipped themselves with a reason, the phase that needs them ran.
	skippedStep := func(id, name, uses string, from, to int64) manifest.Step {
		s := step(id, name, manifest.Skipped, from, to, nil)
		s.Kind, s.Uses = "uses", uses
		s.SkipReason = "no RPC endpoint: chain pre-flight skipped; pass rpc-url to run it"
		return s
	}
	skipped := Input{
		Manifest: baseManifest(manifest.Success,
			phase("prep", manifest.Success, nil, 0, 1200,
				step("check-the-toolchain", "Check the toolchain", manifest.Success, 5, 1190, code(0))),
			phase("preflight", manifest.Success, []string{"prep"}, 1200, 1210,
				skippedStep("token", "Check the token", "helios/token", 1201, 1203),
				skippedStep("pause", "", "helios/pause", 1204, 1206)),
			phase("plan", manifest.Success, []string{"preflight"}, 1210, 4100,
				step("rehearse", "Rehearse asi-takeoff", manifest.Success, 1211, 4090, code(0))),
		),
		LedgerDigest: "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef",
		Files:        14,
		StepLines:    map[string]int{"preflight/token": 9},
	}
	links(&skipped)

	fx := map[string]Input{"success": success, "failure": failure, "cancelled": cancelled, "skipped": skipped}
	for name, in := range merges() {
		fx[name] = in
	}
	for name, in := range comparisons() {
		fx[name] = in
	}
	return fx
}

// Digests of the comparison fixtures.
var (
	contentNow  = "c0ffee00" + strings.Repeat("1a", 28)
	contentBase = "0ddba110" + strings.Repeat("2b", 28)
	baseSHA     = "abc1234def567890abc1234def567890abc12345"
)

// thermoStep is a helios/state thermodynamics step pinned to block.
func thermoStep(status string, block float64, from, to int64) manifest.Step {
	s := step("thermo", "Thermodynamics", status, from, to, nil)
	s.Kind, s.Uses = "uses", "helios/state"
	s.Outputs = []string{"owner/thermodynamics.json", "owner/thermodynamics.md"}
	s.Data = map[string]any{
		"chainId": float64(31337),
		"block":   map[string]any{"number": block, "hash": "0x" + strings.Repeat("7e", 32)},
	}
	return s
}

// chainRun is a run of a mission with chain checks, its chain steps pinned
// to block.
func chainRun(conclusion string, block float64) *manifest.Manifest {
	token := tokenStep(manifest.Success, 1210, 2000)
	token.Data["block"] = map[string]any{"number": block, "hash": "0x" + strings.Repeat("7e", 32)}
	token.Data["chainId"] = float64(31337)
	collect := step("collect", "Collect receipts", manifest.Success, 3000, 3400, nil)
	collect.Kind = "collect"
	collect.Outputs = []string{"kits/asi-takeoff/receipts.json"}
	m := baseManifest(conclusion,
		phase("prep", manifest.Success, nil, 0, 1200,
			step("check-the-toolchain", "Check the toolchain", manifest.Success, 5, 1190, code(0))),
		phase("chain", manifest.Success, []string{"prep"}, 1200, 3000,
			token, thermoStep(manifest.Success, block, 2000, 2990)),
		phase("plan", manifest.Success, []string{"chain"}, 3000, 3500, collect),
	)
	return m
}

func volatileFiles() []diff.Change {
	return []diff.Change{
		{Name: "index.html", Old: strings.Repeat("3", 64), New: strings.Repeat("4", 64), Volatile: true},
		{Name: "logs/thermo.log", Old: strings.Repeat("5", 64), New: strings.Repeat("6", 64), Volatile: true},
		{Name: "manifest.json", Old: strings.Repeat("7", 64), New: strings.Repeat("8", 64), Volatile: true},
	}
}

// baseRun is the baseline as baseline: auto finds it.
func baseRun() *Comparison {
	return &Comparison{Label: "main", SHA: baseSHA, RunNumber: 12,
		RunURL: "https://github.com/octo/drill/actions/runs/40", ContentDigest: contentBase,
		Manifest: chainRun(manifest.Success, 19000100)}
}

// thermoDrift is the comparison of a PR that changed the thermostat's kp
// and added a file.
func thermoDrift() *diff.Result {
	return &diff.Result{Old: "baseline", New: "reports/helios",
		Changed: []diff.Change{
			{Name: "owner/thermodynamics.json", Old: strings.Repeat("a", 64), New: strings.Repeat("b", 64),
				JSON: []diff.KeyChange{
					{Path: "/thermostat/parameters/kp/config", Old: `"100"`, New: `"120"`, Kind: "changed"},
					{Path: "/thermostat/parameters/kp/onChain", Old: `"100"`, New: `"120"`, Kind: "changed"},
				}},
			{Name: "owner/thermodynamics.md", Old: strings.Repeat("c", 64), New: strings.Repeat("d", 64),
				Text: []string{
					"@@ -9,5 +9,5 @@",
					" | Parameter | Config | On chain | Status |",
					" | --- | --- | --- | --- |",
					"-| kp | 100 | 100 | match |",
					"+| kp | 120 | 120 | match |",
					" | ki | 5 | 5 | match |",
				}},
		},
		Added:     []diff.Change{{Name: "kits/asi-takeoff/receipts.json", New: strings.Repeat("e", 64)}},
		Volatile:  volatileFiles(),
		Unchanged: 21,
	}
}

// comparisons are the layouts of the comparison with a baseline: a first
// run, a rerun with identical evidence, drift, no baseline (403), a
// baseline that did not verify, and an explicit baseline path.
func comparisons() map[string]Input {
	in := func(m *manifest.Manifest, c *Comparison, d *diff.Result) Input {
		i := Input{Manifest: m, LedgerDigest: "9a8b7c6d5e4f" + strings.Repeat("01", 26), Files: 27,
			ContentDigest: contentNow, Compare: c, Drift: d}
		links(&i)
		return i
	}
	firstRun := in(chainRun(manifest.Success, 19000123),
		&Comparison{Label: "main", Missing: "no successful run of this workflow on `main` yet; the first push to `main` makes one"}, nil)

	same := baseRun()
	same.ContentDigest = contentNow
	identical := in(chainRun(manifest.Success, 19000123), same,
		&diff.Result{Old: "baseline", New: "reports/helios", Volatile: volatileFiles(), Unchanged: 24})

	drift := in(chainRun(manifest.Success, 19000123), baseRun(), thermoDrift())

	noBaseline := in(chainRun(manifest.Success, 19000123),
		&Comparison{Label: "main", Missing: "the token may not read actions (403 Resource not accessible by integration); add `actions: read` to the job's `permissions`"}, nil)

	bad := baseRun()
	// As the action words them (internal/action, tamperedFiles).
	bad.Tampered = []string{
		"`owner/thermodynamics.json` does not match its line in SHA256SUMS",
		"`../../.github/workflows/ci.yml` has a \"..\" segment",
		"`owner/@carol|<b>x</b>.md` is a symbolic link, not a regular file",
		"`kits/receipt #1.json` is in the zip but not in SHA256SUMS",
	}
	tampered := in(chainRun(manifest.Success, 19000123), bad, nil)

	// fail-on-drift with an explicit baseline folder: the run fails, so
	// the phase table is open.
	pd := &diff.Result{Old: "baseline/helios", New: "reports/helios",
		Changed: []diff.Change{{Name: "README.md", Old: strings.Repeat("a", 64), New: strings.Repeat("b", 64),
			Text: []string{"@@ -1,2 +1,2 @@", " # Drill", "-Runs every night.", "+Runs on every push."}}},
		Removed:   []diff.Change{{Name: "owner/old.json", Old: strings.Repeat("c", 64)}},
		Volatile:  volatileFiles()[2:],
		Unchanged: 20,
	}
	path := in(chainRun(manifest.Success, 19000123), &Comparison{Label: "baseline/helios"}, pd)
	path.Conclusion = manifest.Failure
	path.Manifest.Reason = "the bundle drifted from the baseline"

	return map[string]Input{"first-run": firstRun, "identical": identical, "drift": drift,
		"no-baseline": noBaseline, "tampered": tampered, "path": path}
}

// huge is a run at the limits: 10,000 files, a 5 MB log excerpt as a step
// error, thousands of steps, chain data and drift on every file.
// shardRecord is a merge's record of a shard job that ran from ms to
// ms+dur.
func shardRecord(spec string, ids []string, conclusion string, ms, dur int64, files int, digest string) manifest.Shard {
	return manifest.Shard{
		ShardJob:   manifest.ShardJob{Spec: spec, IDs: ids, Job: "shards", Runner: "GitHub Actions 7"},
		Artifact:   "helios-example-mission-shards-0badcafe-" + spec,
		Folder:     "jobs/" + spec,
		Digest:     digest,
		Conclusion: conclusion,
		StartedAt:  at(ms), FinishedAt: at(ms + dur), DurationMs: dur,
		Files: files,
	}
}

// merges are merged bundles: every shard job succeeded; and a K-of-N
// split with one shard job tampered with, one missing, one failed.
func merges() map[string]Input {
	// The merge runs kits over the shards' plans, and prep again, which
	// kits needs too.
	prep := phase("prep", manifest.Success, nil, 0, 1200,
		step("check-the-toolchain", "Check the toolchain", manifest.Success, 5, 1190, code(0)))
	phases := func(status string) []manifest.Phase {
		return []manifest.Phase{prep,
			phase("kits", status, []string{"prep", "plan"}, 5000, 6000,
				step("assemble", "Assemble the kits", status, 5010, 5990, code(0))),
		}
	}
	ok := Input{
		Manifest:     baseManifest(manifest.Success, phases(manifest.Success)...),
		LedgerDigest: "4b227777d4dd1fc61c6f884f48641d02b4d121d3fd328cb08b5531fcacdabf8a",
		Files:        40,
	}
	ok.Manifest.Shards = []manifest.Shard{
		shardRecord("eu", []string{"eu"}, manifest.Success, 0, 4200, 12, strings.Repeat("e1", 32)),
		shardRecord("us", []string{"us"}, manifest.Success, 100, 4700, 12, strings.Repeat("a5", 32)),
	}
	links(&ok)

	bad := Input{
		Manifest: baseManifest(manifest.Failure, prep,
			phase("kits", manifest.Skipped, []string{"prep", "plan"}, -1, 0, step("assemble", "Assemble the kits", manifest.Skipped, -1, 0, nil))),
		LedgerDigest: "ef2d127de37b942baad06145e54b0c619a1f22327b2ebbcfbec78f5564afe39d",
		Files:        25,
	}
	bad.Manifest.Reason = "shards 2-of-4, 3-of-4, 4-of-4 did not succeed"
	tampered := shardRecord("2-of-4", []string{"eu-health", "us-energy"}, manifest.Tampered, 0, 3900, 11, strings.Repeat("7c", 32))
	tampered.Problem = "shard 2-of-4: shards/eu-health/plan.json does not match its SHA256SUMS | @bob <b>x</b>"
	missing := manifest.Shard{ShardJob: manifest.ShardJob{Spec: "3-of-4", IDs: []string{"us-health", "apac-energy", "apac-health", "latam-energy", "latam-health"}},
		Conclusion: manifest.Missing, Problem: "shard 3-of-4: no artifact helios-example-mission-shards-0badcafe-3-of-4"}
	failed := shardRecord("4-of-4", []string{"mena-energy"}, manifest.Failure, 0, 800, 4, strings.Repeat("0f", 32))
	failed.Problem = "shard 4-of-4: phase plan [mena-energy] failed"
	bad.Manifest.Shards = []manifest.Shard{
		shardRecord("1-of-4", []string{"eu-energy"}, manifest.Success, 0, 4100, 9, strings.Repeat("9a", 32)),
		tampered, missing, failed,
	}
	links(&bad)
	return map[string]Input{"merged": ok, "merged-failure": bad}
}

func huge() Input {
	log := strings.Repeat("npm ERR! | @everyone <script>x</script> ``` \n", 5<<20/45)
	var phases []manifest.Phase
	var ms int64
	for p := range 40 {
		var steps []manifest.Step
		for s := range 100 {
			st := step(fmt.Sprintf("s%03d", s), fmt.Sprintf("Step %d of phase %d | %s", s, p, strings.Repeat("long name ", 20)), manifest.Success, ms, ms+10, code(0))
			if p == 3 && s == 7 {
				st.Status, st.Error, st.ExitCode = manifest.Failure, log, code(2)
			}
			if s == 0 {
				st.Kind, st.Uses = "uses", "helios/token"
				st.Data = map[string]any{"blob": strings.Repeat("x", 1<<20), "list": make([]any, 500)}
			}
			steps = append(steps, st)
			ms += 10
		}
		phases = append(phases, phase(fmt.Sprintf("phase-%02d", p), manifest.Success, nil, ms-1000, ms, steps...))
	}
	m := baseManifest(manifest.Failure, phases...)
	m.Reason = log[:1<<20]
	for i := range 10000 {
		m.Files = append(m.Files, manifest.File{Path: fmt.Sprintf("kits/file-%05d.json", i), Size: 1, SHA256: strings.Repeat("0", 64)})
	}
	d := &diff.Result{Old: "baseline", New: "reports/helios"}
	for i := range 10000 {
		d.Added = append(d.Added, diff.Change{Name: fmt.Sprintf("kits/%s-%05d.json", strings.Repeat("deep/", 20), i), New: strings.Repeat("f", 64)})
	}
	var gate []GateRow
	for i := range 3000 {
		gate = append(gate, GateRow{Job: fmt.Sprintf("matrix-leg-%04d", i), Result: "success"})
	}
	for i := range 256 {
		spec := fmt.Sprintf("%d-of-256", i+1)
		m.Shards = append(m.Shards, shardRecord(spec, []string{fmt.Sprintf("region-%03d | @everyone", i)}, manifest.Tampered, 0, 10, 1, strings.Repeat("c", 64)))
		m.Shards[i].Problem = log[:2000]
	}
	in := Input{Manifest: m, LedgerDigest: strings.Repeat("d", 64), Files: 10000, Drift: d, Compare: &Comparison{Label: "baseline"}, Gate: gate}
	links(&in)
	return in
}
