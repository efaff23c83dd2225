package main

// stampRules maps each output whose producer a regular expression cannot
// find to its producers, and says which of their clock reads reach it. Line
// numbers are never written here: each claim names text its line contains
// (and the function it is in where the text repeats), and the program finds
// the line, so the table survives edits above it and fails when the code it
// describes changes. Writes not listed here get the reads of the source the
// extraction already names (From), e.g. the governance kit's library.

const (
	asiGlobalDemo   = "scripts/v2/asiGlobalDemo.ts"
	asiTakeoffDemo  = "scripts/v2/asiTakeoffDemo.ts"
	testnetDryRun   = "scripts/v2/testnetDryRun.ts"
	thermoReport    = "scripts/v2/thermodynamicsReport.ts"
	missionControl  = "scripts/v2/ownerMissionControl.ts"
	commandCenter   = "scripts/v2/ownerCommandCenter.ts"
	parameterMatrix = "scripts/v2/ownerParameterMatrix.ts"
	emergencyBook   = "scripts/v2/ownerEmergencyRunbook.ts"
	ownerMermaid    = "scripts/v2/renderOwnerMermaid.ts"
	kitLib          = "scripts/v2/lib/asiTakeoffKit.ts"
	deployDefaults  = "scripts/v2/deployDefaults.ts"
	takeoffLocal    = "demo/asi-takeoff/bin/asi-takeoff-local.sh"
)

// Modes of demo:asi-takeoff (asiTakeoffDemo.ts reads the variable once).
const (
	takeoffOnline  = "AGIJOBS_FLAGSHIP_SKIP_ONCHAIN is not 'true' (the default)"
	takeoffOffline = "AGIJOBS_FLAGSHIP_SKIP_ONCHAIN=true"
)

var takeoffModeCheck = evidence{re: `const SKIP_FLAGSHIP_ONCHAIN = process\.env\.AGIJOBS_FLAGSHIP_SKIP_ONCHAIN === 'true';`,
	why: "the offline mode is chosen by AGIJOBS_FLAGSHIP_SKIP_ONCHAIN === 'true'"}

// The dry run the demos parse from `testnetDryRun.ts --json`.
func dryRunProducer(when string) producerRule {
	return producerRule{source: testnetDryRun, when: when,
		claims: []claim{{at: "timestamp: new Date()", fn: "generateReport"}},
		check: []evidence{{re: `console\.log\(JSON\.stringify\(report, null, 2\)\)`, fn: "main",
			why: "--json prints the report, timestamp included"}},
	}
}

const dryRunVaries = "the txHash of the job.create step: its createJob deadline is time.latest() + 3600, the latest block time of the in-process Hardhat chain, which follows the wall clock"

var dryRunVariesCheck = []evidence{
	{source: testnetDryRun, re: `const deadline = BigInt\(\(await time\.latest\(\)\) \+ 3600\);`, why: "the deadline comes from the chain's clock"},
	{source: testnetDryRun, re: `step\.txHash = detail\.tx\.hash;`, why: "transaction hashes are recorded"},
}

// demoCalls ties a demo's output constant to the sub-command that writes it.
func demoCalls(re, why string) []evidence { return []evidence{{re: re, why: why}} }

// The demo's own reads: the step durations of runCommand, which go to logs/.
func runCommandReads(source string, why string) producerRule {
	return producerRule{source: source, exclude: []claim{
		{at: "const start = Date.now()", fn: "runCommand", why: why},
		{at: "Date.now() - start", fn: "runCommand", why: why},
	}}
}

const durationsWhy = "runCommand's step duration, written only to the step's log under logs/"

// Mission control, rendered as markdown to --out (the demos) or in every
// format to --bundle.
var missionControlDurations = []claim{
	{at: "const started = Date.now()", fn: "runStep"},
	{at: "Date.now() - started", fn: "runStep"},
}

func missionControlMarkdown(when string, extra ...claim) producerRule {
	return producerRule{source: missionControl, when: when,
		claims: append([]claim{{at: "const now = new Date()", fn: "renderMarkdown"}}, missionControlDurations...),
		exclude: append([]claim{
			{at: "const now = new Date()", fn: "renderHuman", why: "renderHuman: the human format and the bundle's .txt only"},
			{at: "generatedAt: new Date()", fn: "renderJson", why: "renderJson: the json format and the bundle's .json only"},
			{at: "generatedAt: new Date()", fn: "writeBundle", why: "the bundle's manifest only"},
		}, extra...),
		check: []evidence{
			{re: `case 'markdown':\s*default:\s*return renderMarkdown\(options, reports\);`, fn: "render", why: "markdown renders with renderMarkdown"},
			{re: `Duration:\*\* \$\{formatDuration\(report\.durationMs\)\}`, fn: "renderMarkdown", why: "the markdown prints each step's duration"},
		},
	}
}

func missionControlBundle(when string) producerRule {
	const b = "<--bundle>/<name>"
	return producerRule{source: missionControl, when: when,
		claims: []claim{
			{at: "const now = new Date()", fn: "renderMarkdown", file: b + ".md"},
			{at: "const now = new Date()", fn: "renderHuman", file: b + ".txt"},
			{at: "generatedAt: new Date()", fn: "renderJson", file: b + ".json"},
			{at: "generatedAt: new Date()", fn: "writeBundle", file: b + ".manifest.json"},
			{at: "const started = Date.now()", fn: "runStep", file: b + ".{md,txt,json,manifest.json}"},
			{at: "Date.now() - started", fn: "runStep", file: b + ".{md,txt,json,manifest.json}"},
		},
		embeds: []claim{{at: "${file.sha256}  ${file.filename}", fn: "writeBundle", file: b + ".checksums.txt"}},
		check: []evidence{
			{re: `renderMarkdown\(\s*\{ \.\.\.options, format: 'markdown' \}`, fn: "writeBundle", why: "the bundle holds the markdown"},
			{re: `renderJson\(\{ \.\.\.options, format: 'json' \}`, fn: "writeBundle", why: "the bundle holds the json"},
			{re: `renderHuman\(\{ \.\.\.options, format: 'human' \}`, fn: "writeBundle", why: "the bundle holds the human text"},
			{re: `durationMs: report\.durationMs,`, fn: "writeBundle", why: "the manifest lists step durations"},
		},
	}
}

// The governance kit library: generatedAt in the manifest and its markdown.
var kitProducer = producerRule{source: kitLib,
	claims: []claim{{at: "generatedAt: new Date()", fn: "generateAsiTakeoffKit"}},
	check: []evidence{
		{re: `mdLines\.push\(\x60- Generated: \$\{manifest\.generatedAt\}\x60\)`, fn: "generateAsiTakeoffKit", why: "the markdown prints generatedAt"},
		{re: `JSON\.stringify\(manifest, null, 2\)`, fn: "generateAsiTakeoffKit", why: "the json is the manifest"},
	},
}

// The aurora demo's receipts: the job deadline is read from the wall clock
// and each validator's commit salt from a random source.
var auroraReceipts = producerRule{source: auroraDemo,
	claims: []claim{
		{at: "Date.now()", fn: "main", file: "jobs/<slug>/post.json, mission.json (deadline)"},
		{at: "randomBytes(32)", fn: "deriveCommitPlan", file: "jobs/<slug>/validate.json (salt)"},
	},
	check: []evidence{
		{re: `deadline: deadline\.toString\(\),`, fn: "main", why: "the deadline is written to the receipts"},
		{re: `salt: plan\.salt,`, fn: "main", why: "the salt is written to validate.json"},
	},
}

const chainVaries = "transaction hashes: the post transaction carries the Date.now() deadline and the commit the random salt, and the local node mines a block every second (anvil --block-time 1), so base fees, hence the fee fields and hashes of every transaction, depend on timing"

var chainVariesCheck = []evidence{
	{re: `anvil --silent --block-time 1 `, why: "anvil mines on a timer"},
	{source: auroraDemo, re: `txHash: postReceipt\?\.hash \|\| postTx\.hash,`, why: "transaction hashes are recorded"},
	{source: auroraDemo, re: `commitTx: commitReceipt\?\.hash \|\| commitTx\.hash,`, why: "commit hashes are recorded"},
}

var stampRules = []stampRule{
	// demo:asi-global: every output but the kit comes from a sub-command
	// or embeds one's output.
	{script: "demo:asi-global", path: "reports/asi-global/command-center.md",
		check: demoCalls(`'scripts/v2/ownerCommandCenter\.ts',\s*'--network',\s*'hardhat',\s*'--format',\s*'markdown',\s*'--out',\s*COMMAND_CENTER_PATH,`, "ownerCommandCenter.ts writes it"),
		from:  []producerRule{{source: commandCenter}}},
	{script: "demo:asi-global", path: "reports/asi-global/dry-run.json",
		check: demoCalls(`'scripts/v2/testnetDryRun\.ts',\s*'--json',\s*\],\s*parseJson: true,\s*outputPath: DRY_RUN_PATH,`, "the JSON testnetDryRun.ts --json prints is saved as it"),
		from:  []producerRule{dryRunProducer("")}, varies: dryRunVaries, variesCheck: dryRunVariesCheck},
	{script: "demo:asi-global", path: "reports/asi-global/governance.md",
		check: demoCalls(`'scripts/v2/renderOwnerMermaid\.ts',\s*\],\s*env: \{\s*OWNER_MERMAID_FORMAT: 'markdown',\s*OWNER_MERMAID_OUTPUT: MERMAID_MARKDOWN_PATH,`, "renderOwnerMermaid.ts writes it in the markdown format"),
		from: []producerRule{{source: ownerMermaid,
			claims: []claim{{at: "new Date().toISOString()", fn: "renderMarkdown"}},
			check:  []evidence{{re: `options\.format === 'mermaid'\s*\?\s*mermaid\s*:\s*renderMarkdown\(`, fn: "main", why: "markdown output is renderMarkdown's"}}}},
		note: "The demo sets OWNER_MERMAID_FORMAT=markdown: the page renderMarkdown builds, with its Generated line."},
	{script: "demo:asi-global", path: "reports/asi-global/governance.mmd",
		check: demoCalls(`'scripts/v2/renderOwnerMermaid\.ts',\s*\],\s*env: \{\s*OWNER_MERMAID_FORMAT: 'mermaid',\s*OWNER_MERMAID_OUTPUT: MERMAID_PATH,`, "renderOwnerMermaid.ts writes it in the mermaid format"),
		from: []producerRule{{source: ownerMermaid,
			exclude: []claim{{at: "new Date().toISOString()", fn: "renderMarkdown", why: "in renderMarkdown, which the mermaid format never calls: it writes renderMermaid's diagram as is"}},
			check: []evidence{
				{re: `options\.format === 'mermaid'\s*\?\s*mermaid\s*:`, fn: "main", why: "the mermaid format writes the diagram alone"},
				{re: `OWNER_MERMAID_FORMAT`, fn: "parseArgs", why: "the format comes from OWNER_MERMAID_FORMAT"},
			}}},
		note: "The demo sets OWNER_MERMAID_FORMAT=mermaid: the diagram alone."},
	{script: "demo:asi-global", path: "reports/asi-global/logs/",
		check: demoCalls(`Duration: \$\{durationMs\}ms`, "each step's log records its duration"),
		from: []producerRule{{source: asiGlobalDemo, file: "<step key>.log", claims: []claim{
			{at: "const start = Date.now()", fn: "runCommand"},
			{at: "Date.now() - start", fn: "runCommand"},
		}}},
		note: "Each log also holds the step's whole stdout and stderr, so the sub-commands' printed stamps (the dry-run JSON, the thermodynamics JSON) appear there too; every log already differs by its Duration line."},
	{script: "demo:asi-global", path: "reports/asi-global/mission-bundle/",
		check: demoCalls(`'scripts/v2/ownerMissionControl\.ts',[^\]]*'--bundle',\s*BUNDLE_ROOT,\s*'--bundle-name',\s*BUNDLE_NAME,`, "ownerMissionControl.ts writes the bundle"),
		from:  []producerRule{missionControlBundle("")},
		note:  "<name> is --bundle-name (ASI_GLOBAL_BUNDLE_NAME, default asi-takeoff)."},
	{script: "demo:asi-global", path: "reports/asi-global/mission-control.md",
		check: demoCalls(`'scripts/v2/ownerMissionControl\.ts',\s*'--network',\s*'hardhat',\s*'--format',\s*'markdown',\s*'--out',\s*MISSION_CONTROL_PATH,`, "ownerMissionControl.ts writes it as markdown"),
		from:  []producerRule{missionControlMarkdown("")}},
	{script: "demo:asi-global", path: "reports/asi-global/parameter-matrix.md",
		check: demoCalls(`'scripts/v2/ownerParameterMatrix\.ts',\s*'--network',\s*'hardhat',\s*'--format',\s*'markdown',\s*'--out',\s*PARAMETER_MATRIX_PATH,`, "ownerParameterMatrix.ts writes it as markdown"),
		from: []producerRule{{source: parameterMatrix,
			claims: []claim{{at: "generatedAt: new Date()", fn: "main"}},
			check:  []evidence{{re: `matrix\.generatedAt`, fn: "renderMarkdown", why: "the markdown prints generatedAt"}}}}},
	{script: "demo:asi-global", path: "reports/asi-global/summary.json",
		check: demoCalls(`const dryRunReport = JSON\.parse\(dryRunRaw\) as DryRunReport;\s*const plan = await loadPlan\(\);\s*await writeSummary\(plan, dryRunReport\);`, "the summary is written from the saved dry run"),
		from: []producerRule{
			{source: asiGlobalDemo, embeds: []claim{{at: "    dryRun,", fn: "writeSummary"}},
				exclude: runCommandReads(asiGlobalDemo, durationsWhy).exclude},
			dryRunProducer(""),
		},
		varies: "in the embedded dry run, " + dryRunVaries, variesCheck: dryRunVariesCheck,
		note: "The demo embeds the whole dry-run report, timestamp included."},
	{script: "demo:asi-global", path: "reports/asi-global/summary.md",
		check: demoCalls(`const dryRunReport = JSON\.parse\(dryRunRaw\) as DryRunReport;\s*const plan = await loadPlan\(\);\s*await writeSummary\(plan, dryRunReport\);`, "the summary is written from the saved dry run"),
		from: []producerRule{
			{source: asiGlobalDemo, embeds: []claim{{at: "${dryRun.timestamp}", fn: "writeSummary"}},
				exclude: runCommandReads(asiGlobalDemo, durationsWhy).exclude},
			dryRunProducer(""),
		}},
	{script: "demo:asi-global", path: "reports/asi-global/thermodynamics.json",
		check: demoCalls(`THERMODYNAMICS_REPORT_FORMAT: 'json',\s*THERMODYNAMICS_REPORT_OUT: THERMODYNAMICS_PATH,`, "thermodynamicsReport.ts writes it as json"),
		from: []producerRule{{source: thermoReport,
			claims: []claim{{at: "generatedAt: new Date()", fn: "renderJson"}},
			check:  []evidence{{re: `options\.format === 'json'\s*\?\s*renderJson\(`, fn: "main", why: "json output is renderJson's"}}}}},

	// demo:asi-takeoff: the same sub-commands, or, offline, stubs the demo
	// writes itself.
	{script: "demo:asi-takeoff", path: "reports/asi-takeoff/dry-run.json",
		check: []evidence{takeoffModeCheck,
			{re: `'scripts/v2/testnetDryRun\.ts',\s*'--json',\s*\],\s*parseJson: true,\s*outputPath: DRY_RUN_PATH,`, why: "online, the JSON testnetDryRun.ts --json prints is saved as it"}},
		from: []producerRule{
			dryRunProducer(takeoffOnline),
			{source: asiTakeoffDemo, when: takeoffOffline, claims: []claim{{at: "timestamp: new Date()", fn: "main"}},
				exclude: append(runCommandReads(asiTakeoffDemo, durationsWhy).exclude,
					claim{at: "generatedAt: new Date()", fn: "main", why: "the offline thermodynamics stub's"})},
		},
		varies: "online, " + dryRunVaries, variesCheck: dryRunVariesCheck},
	{script: "demo:asi-takeoff", path: "reports/asi-takeoff/logs/",
		check: []evidence{takeoffModeCheck, {re: `Duration: \$\{durationMs\}ms`, why: "each step's log records its duration"},
			{re: `'# Offline orchestration\\nSimulated outputs generated without blockchain access\.\\n'`, why: "offline, the only log is fixed text"}},
		from: []producerRule{{source: asiTakeoffDemo, when: takeoffOnline, file: "<step key>.log",
			claims: []claim{{at: "const start = Date.now()", fn: "runCommand"}, {at: "Date.now() - start", fn: "runCommand"}},
			exclude: []claim{
				{at: "timestamp: new Date()", fn: "main", why: "the offline dry-run stub's"},
				{at: "generatedAt: new Date()", fn: "main", why: "the offline thermodynamics stub's"},
			}}},
		note: "Offline the demo writes only offline.log, fixed text. Online each log also holds the step's whole stdout and stderr, so the sub-commands' printed stamps appear there too."},
	{script: "demo:asi-takeoff", path: "reports/asi-takeoff/mission-bundle/",
		check: []evidence{takeoffModeCheck,
			{re: `'scripts/v2/ownerMissionControl\.ts',[^\]]*'--bundle',\s*BUNDLE_ROOT,\s*'--bundle-name',\s*'asi-takeoff',`, why: "online, ownerMissionControl.ts writes the bundle"},
			{re: `path\.join\(BUNDLE_ROOT, 'offline-readme\.md'\),\s*'# Offline Mission Bundle\\n\\nGenerated without remote compiler downloads\.\\n',`, why: "offline, the bundle is one fixed file"}},
		from: []producerRule{missionControlBundle(takeoffOnline)},
		note: "<name> is asi-takeoff. Offline the bundle is offline-readme.md alone, fixed text."},
	{script: "demo:asi-takeoff", path: "reports/asi-takeoff/mission-control.md",
		check: []evidence{takeoffModeCheck,
			{re: `'scripts/v2/ownerMissionControl\.ts',\s*'--network',\s*'hardhat',\s*'--format',\s*'markdown',\s*'--out',\s*MISSION_CONTROL_PATH,`, why: "online, ownerMissionControl.ts writes it as markdown"},
			{re: `await fs\.writeFile\(MISSION_CONTROL_PATH, \x60\$\{missionControlLines\.join\('\\n'\)\}\\n\x60\);`, why: "offline, the demo writes a fixed stub"}},
		from: []producerRule{missionControlMarkdown(takeoffOnline)},
		note: "Offline it is a fixed stub (missionControlLines) with no stamp."},
	{script: "demo:asi-takeoff", path: "reports/asi-takeoff/summary.json",
		check: []evidence{takeoffModeCheck,
			{re: `const dryRunReport = JSON\.parse\(dryRunRaw\) as DryRunReport;\s*const plan = await loadPlan\(\);\s*await writeSummary\(plan, dryRunReport\);`, why: "online, the summary is written from the saved dry run"}},
		from: []producerRule{
			{source: asiTakeoffDemo, embeds: []claim{{at: "dryRun: dryRun,", fn: "writeSummary"}},
				claims: []claim{{at: "timestamp: new Date()", fn: "main", when: takeoffOffline}},
				exclude: append(runCommandReads(asiTakeoffDemo, durationsWhy).exclude,
					claim{at: "generatedAt: new Date()", fn: "main", why: "the offline thermodynamics stub's"})},
			dryRunProducer(takeoffOnline),
		},
		varies: "online, in the embedded dry run, " + dryRunVaries, variesCheck: dryRunVariesCheck,
		note: "The demo embeds the whole dry-run report, timestamp included: testnetDryRun.ts's online, its own offline stub's."},
	{script: "demo:asi-takeoff", path: "reports/asi-takeoff/summary.md",
		check: []evidence{takeoffModeCheck,
			{re: `const dryRunReport = JSON\.parse\(dryRunRaw\) as DryRunReport;\s*const plan = await loadPlan\(\);\s*await writeSummary\(plan, dryRunReport\);`, why: "online, the summary is written from the saved dry run"}},
		from: []producerRule{
			{source: asiTakeoffDemo, embeds: []claim{{at: "${dryRun.timestamp}", fn: "writeSummary"}},
				claims: []claim{{at: "timestamp: new Date()", fn: "main", when: takeoffOffline}},
				exclude: append(runCommandReads(asiTakeoffDemo, durationsWhy).exclude,
					claim{at: "generatedAt: new Date()", fn: "main", why: "the offline thermodynamics stub's"})},
			dryRunProducer(takeoffOnline),
		}},
	{script: "demo:asi-takeoff", path: "reports/asi-takeoff/thermodynamics.json",
		check: []evidence{takeoffModeCheck,
			{re: `THERMODYNAMICS_REPORT_FORMAT: 'json',\s*THERMODYNAMICS_REPORT_OUT: THERMODYNAMICS_PATH,`, why: "online, thermodynamicsReport.ts writes it as json"}},
		from: []producerRule{
			{source: thermoReport, when: takeoffOnline,
				claims: []claim{{at: "generatedAt: new Date()", fn: "renderJson"}},
				check:  []evidence{{re: `options\.format === 'json'\s*\?\s*renderJson\(`, fn: "main", why: "json output is renderJson's"}}},
			{source: asiTakeoffDemo, when: takeoffOffline, claims: []claim{{at: "generatedAt: new Date()", fn: "main"}},
				exclude: append(runCommandReads(asiTakeoffDemo, durationsWhy).exclude,
					claim{at: "timestamp: new Date()", fn: "main", why: "the offline dry-run stub's"})},
		}},

	// demo:asi-takeoff:local: the shell script writes nothing itself but
	// the node log; the programs it starts write the rest.
	{script: "demo:asi-takeoff:local", path: "/tmp/asi-takeoff-node.log",
		check: []evidence{{re: `anvil --silent --block-time 1 >"\$log_file" 2>&1 &`, why: "anvil's output is the log"},
			{re: `npx hardhat node --hostname 127\.0\.0\.1 --port 8545 >"\$log_file" 2>&1 &`, why: "or the Hardhat node's"}},
		from:   []producerRule{{source: takeoffLocal}},
		varies: "the node's own output: anvil runs with --silent; the Hardhat node it falls back to logs each request with transaction and block hashes, and block times follow the wall clock",
		note:   "Written by the node the script starts (anvil or npx hardhat node), not by a source in the checkout."},
	{script: "demo:asi-takeoff:local", path: "reports/localhost/asi-takeoff/asi-takeoff-report.md",
		check: []evidence{{re: `render_report\(\) \{\s*AURORA_REPORT_SCOPE="\$SCOPE"`, why: "aurora-report.ts renders it"}},
		from: []producerRule{
			{source: auroraReport, embeds: []claim{
				{at: "parts.push('- **Deadline**: ' + post.deadline)", nth: 1, when: "mission.json lists no jobs (receipts/postJob.json)"},
				{at: "parts.push('- **Deadline**: ' + post.deadline)", nth: 2, when: "for each job of mission.json (jobs/<slug>/post.json)"},
			}},
			{source: auroraDemo, claims: []claim{
				{at: "Date.now()", fn: "main"},
				{at: "randomBytes(32)", fn: "deriveCommitPlan"},
			}, check: auroraReceipts.check},
		},
		varies: "the receipts' " + chainVaries, variesCheck: chainVariesCheck,
		note: "aurora-report.ts reads no clock; it prints the receipts' deadlines (aurora.demo.ts's Date.now()) and transaction hashes. The randomBytes(32) salt itself is not printed; the commit transaction hashes it changes are."},
	{script: "demo:asi-takeoff:local", path: "reports/localhost/asi-takeoff/receipts/",
		check: []evidence{{re: `DEPLOY_DEFAULTS_OUTPUT="\$DEPLOY_OUTPUT"`, why: "deployDefaults.ts writes deploy.json there"},
			{source: auroraDemo, re: `const legacyDir = path\.join\('reports', net, REPORT_SCOPE, 'receipts'\);`, why: "aurora.demo.ts writes every receipt to reports/<net>/<scope>/receipts too"}},
		from: []producerRule{
			auroraReceipts,
			{source: deployDefaults, file: "deploy.json", claims: []claim{{at: "timestamp: new Date()", fn: "main"}}},
		},
		varies: chainVaries, variesCheck: chainVariesCheck},
	{script: "demo:asi-takeoff:local", path: "reports/localhost/asi-takeoff/receipts/deploy.json",
		check: []evidence{{re: `DEPLOY_DEFAULTS_OUTPUT="\$DEPLOY_OUTPUT"`, why: "deployDefaults.ts writes it"},
			{source: deployDefaults, re: `process\.env\.DEPLOY_DEFAULTS_OUTPUT`, why: "deployDefaults.ts takes its output path from DEPLOY_DEFAULTS_OUTPUT"}},
		from: []producerRule{{source: deployDefaults, claims: []claim{{at: "timestamp: new Date()", fn: "main"}}}},
		note: "Contract addresses on the fresh chain follow from the deployer's nonces and do not vary."},
	{script: "demo:asi-takeoff:local", path: "reports/localhost/aurora/receipts/",
		from:   []producerRule{auroraReceipts},
		varies: chainVaries, variesCheck: chainVariesCheck},

	// Outputs that go where a flag says.
	{script: "owner:mission-control", path: "",
		from: []producerRule{
			withFile(missionControlMarkdown("--format markdown (the default)"), "--out"),
			{source: missionControl, when: "--format json", file: "--out",
				claims: append([]claim{{at: "generatedAt: new Date()", fn: "renderJson"}}, missionControlDurations...),
				exclude: []claim{
					{at: "const now = new Date()", fn: "renderMarkdown", why: "in the markdown only"},
					{at: "const now = new Date()", fn: "renderHuman", why: "in the human text only"},
					{at: "generatedAt: new Date()", fn: "writeBundle", why: "the bundle's manifest only"},
				},
				check: []evidence{{re: `case 'json':\s*return renderJson\(options, reports\);`, fn: "render", why: "json renders with renderJson"}}},
			{source: missionControl, when: "--format human", file: "--out",
				claims: append([]claim{{at: "const now = new Date()", fn: "renderHuman"}}, missionControlDurations...),
				exclude: []claim{
					{at: "const now = new Date()", fn: "renderMarkdown", why: "in the markdown only"},
					{at: "generatedAt: new Date()", fn: "renderJson", why: "in the json only"},
					{at: "generatedAt: new Date()", fn: "writeBundle", why: "the bundle's manifest only"},
				},
				check: []evidence{{re: `case 'human':\s*return renderHuman\(options, reports\);`, fn: "render", why: "human renders with renderHuman"}}},
			missionControlBundle("--bundle given"),
		},
		note: "--out gets one format; --bundle gets all of them plus a manifest and checksums. Durations are 0 for skipped steps. The steps' own stdout (a surface report with its generatedAt) is parsed, not copied, except for log lines."},
	{script: "owner:command-center", path: "",
		from: []producerRule{{source: commandCenter}},
		note: "ownerCommandCenter.ts reads no clock or random source: --out holds config and chain state only."},
	{script: "owner:parameters", path: "",
		from: []producerRule{{source: parameterMatrix, file: "--out",
			claims: []claim{{at: "generatedAt: new Date()", fn: "main"}},
			check: []evidence{
				{re: `matrix\.generatedAt`, fn: "renderMarkdown", why: "markdown prints generatedAt"},
				{re: `matrix\.generatedAt`, fn: "renderHuman", why: "human prints generatedAt"},
				{re: `output = JSON\.stringify\(matrix, null, 2\);`, fn: "main", why: "json is the matrix"},
			}}},
		note: "In every format. The demo config overrides it writes under deployment-config/generated/demo-hardhat-owner-matrix/ (not --out) copy config files and carry no stamp."},
	{script: "owner:emergency", path: "",
		from: []producerRule{{source: emergencyBook, file: "--out",
			claims: []claim{{at: "generatedAt: new Date()", fn: "buildRunbook"}},
			check: []evidence{
				{re: `runbook\.generatedAt`, fn: "renderMarkdown", why: "markdown prints generatedAt"},
				{re: `runbook\.generatedAt`, fn: "renderHuman", why: "human prints generatedAt"},
				{re: `output = JSON\.stringify\(runbook, null, 2\);`, fn: "main", why: "json is the runbook"},
			}}},
		note: "In every format."},
	{script: "demo:asi-takeoff:kit", path: "",
		from: []producerRule{withFile(kitProducer, "<--report-root>/<--output-name>.{json,md}")}},
	{script: "demo:asi-global:kit", path: "",
		from: []producerRule{withFile(kitProducer, "<--report-root>/<--output-name>.{json,md}")}},
	{script: thermoReport, path: "",
		from: []producerRule{{source: thermoReport, when: "--format json or THERMO_REPORT_FORMAT/THERMODYNAMICS_REPORT_FORMAT=json", file: "--out (THERMO_REPORT_OUT/THERMODYNAMICS_REPORT_OUT)",
			claims: []claim{{at: "generatedAt: new Date()", fn: "renderJson"}},
			check: []evidence{
				{re: `options\.format === 'json'\s*\?\s*renderJson\(`, fn: "main", why: "json output is renderJson's"},
				{re: `format: 'markdown'`, fn: "parseArgs", why: "markdown is the default"},
			}}},
		note: "The markdown format (the default) has no stamp: renderMarkdown prints the network, summary, sections and notes only."},
}

func withFile(p producerRule, file string) producerRule {
	p.file = file
	return p
}
