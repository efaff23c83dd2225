package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The tests run the extraction over small synthetic sources shaped like
// upstream's, never over a real checkout (CI has none).

func mustSource(t *testing.T, text string) *source {
	t.Helper()
	s, err := newSource("x.ts", text)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMaskKeepsOffsetsAndHidesLiterals(t *testing.T) {
	src := "const a = '}{'; // } comment\nconst b = `x ${c({ d: 1 })} }`; /* { */ const r = /[{]/g;\n"
	s := mustSource(t, src)
	if len(s.code) != len(src) {
		t.Fatalf("code view is %d bytes, text %d", len(s.code), len(src))
	}
	for _, hidden := range []string{"comment", "'}{'", "/[{]/"} {
		if strings.Contains(s.code, hidden) {
			t.Errorf("code view still shows %q:\n%s", hidden, s.code)
		}
	}
	if !strings.Contains(s.code, "${c({ d: 1 })}") {
		t.Errorf("template expression was masked:\n%s", s.code)
	}
	if strings.Count(s.code, "{") != strings.Count(s.code, "}") {
		t.Errorf("unbalanced braces after masking:\n%s", s.code)
	}
	if _, err := newSource("bad.ts", "const a = 'open\n"); err == nil {
		t.Error("an unterminated string was accepted")
	}
}

const switchSrc = `
function parseArgs(argv: string[]): CliOptions {
  const options: CliOptions = { format: 'human' };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    switch (arg) {
      case '--help':
      case '-h':
        options.help = true;
        break;
      case '--network': {
        const value = argv[i + 1];
        if (!value) {
          throw new Error('--network requires a value');
        }
        options.network = value;
        i += 1;
        break;
      }
      case '--out':
      case '--output': {
        const value = argv[i + 1];
        options.outPath = value;
        i += 1;
        break;
      }
      case '--no-mermaid':
        options.includeMermaid = false;
        break;
      default:
        %DEFAULT%
    }
  }
  return options;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  console.log(options);
}

main().catch((error) => {
  console.error('tool failed:', error);
  process.exitCode = 1;
});
`

func TestSwitchFlags(t *testing.T) {
	s := mustSource(t, strings.Replace(switchSrc, "%DEFAULT%", "throw new Error(`Unknown flag ${arg}`);", 1))
	p, err := s.parseArgv("parseArgs", "switch")
	if err != nil {
		t.Fatal(err)
	}
	type fv struct {
		name   string
		value  bool
		sameAs string
	}
	var got []fv
	for _, f := range p.flags {
		got = append(got, fv{f.Name, f.Value, strings.Join(f.SameAs, ",")})
	}
	want := []fv{
		{"--help", false, "-h"},
		{"--network", true, ""},
		{"--no-mermaid", false, ""},
		{"--out", true, "--output"},
		{"--output", true, "--out"},
		{"-h", false, "--help"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("flags:\n got %v\nwant %v", got, want)
	}
	if p.flags[1].Line != 11 || !reflect.DeepEqual(p.flags[1].Sets, []string{"network"}) {
		t.Errorf("--network: line %d sets %v", p.flags[1].Line, p.flags[1].Sets)
	}
	if p.unknown.action != "reject" || p.unknown.scope != "any" || p.unknown.msg != "Unknown flag %s" {
		t.Errorf("unknown: %+v", p.unknown)
	}
}

func TestUnknownArgumentShapes(t *testing.T) {
	cases := []struct {
		name, def          string
		action, scope, msg string
		stderr             string
		stack              bool
	}{
		{"unconditional", "throw new Error(`Unknown argument: ${arg}`);", "reject", "any", "Unknown argument: %s", "tool failed: Error: Unknown argument: %s", true},
		{"dash guard", "if (arg.startsWith('-')) {\n throw new Error(`Unknown option ${arg}`);\n }", "reject", "dash-prefixed", "Unknown option %s", "tool failed: Error: Unknown option %s", true},
		{"chain with else", "if (arg.startsWith('--only=')) {\n x();\n } else if (arg === '--steps') {\n const v = argv[i + 1];\n i += 1;\n } else {\n throw new Error(`Unknown flag ${arg}`);\n }", "reject", "any", "Unknown flag %s", "tool failed: Error: Unknown flag %s", true},
		{"empty default", "break;", "ignore", "", "", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := mustSource(t, strings.Replace(switchSrc, "%DEFAULT%", tc.def, 1))
			sc := &Script{}
			err := readArgs(s, spec{parser: "switch", parserFunc: "parseArgs", unknown: tc.action}, sc)
			if err != nil {
				t.Fatal(err)
			}
			u := sc.UnknownFlag
			if u.Action != tc.action || u.Scope != tc.scope || u.Message != tc.msg || u.Stderr != tc.stderr || u.StackTraceFollows != tc.stack {
				t.Errorf("got %+v", u)
			}
			if tc.action == "reject" && (u.ExitCode == nil || *u.ExitCode != 1) {
				t.Errorf("exit code %v", u.ExitCode)
			}
		})
	}
	// The chain's flags and prefix are recorded too.
	s := mustSource(t, strings.Replace(switchSrc, "%DEFAULT%", cases[2].def, 1))
	p, err := s.parseArgv("parseArgs", "switch")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.prefixes) != 1 || p.prefixes[0].Prefix != "--only=" {
		t.Errorf("prefixes %+v", p.prefixes)
	}
	found := false
	for _, f := range p.flags {
		if f.Name == "--steps" {
			found = f.Value
		}
	}
	if !found {
		t.Error("--steps from the default: chain is missing or takes no value")
	}
}

func TestIfChain(t *testing.T) {
	ignoring := `
function parseArgs(argv: string[]): CliOptions {
  const options: CliOptions = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--json') {
      options.format = 'json';
    } else if (arg === '--out' || arg === '--output') {
      const value = argv[i + 1];
      if (!value) throw new Error(` + "`${arg} requires a file path`" + `);
      options.outPath = value;
      i += 1;
    } else if (arg === '--help' || arg === '-h') {
      process.exit(0);
    }
  }
  return options;
}
main(parseArgs(process.argv.slice(2)));
`
	s := mustSource(t, ignoring)
	p, err := s.parseArgv("parseArgs", "if-chain")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range p.flags {
		names = append(names, f.Name)
		if (f.Name == "--out" || f.Name == "--output") != f.Value {
			t.Errorf("%s value=%v", f.Name, f.Value)
		}
	}
	if want := []string{"--help", "--json", "--out", "--output", "-h"}; !reflect.DeepEqual(names, want) {
		t.Errorf("flags %v, want %v", names, want)
	}
	if p.unknown.action != "ignore" {
		t.Errorf("unknown %+v, want ignore", p.unknown)
	}

	warning := `
(async () => {
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--config' && i + 1 < args.length) {
      configPath = args[++i];
    } else if (arg === '--skip') {
      skip = true;
    } else if (arg.startsWith('--network=')) {
      net = arg.slice(10);
    } else {
      console.warn(` + "`Unrecognized argument: ${arg}`" + `);
    }
  }
})();
`
	s = mustSource(t, warning)
	p, err = s.parseArgv("", "if-chain")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.flags) != 2 || p.flags[0].Name != "--config" || !p.flags[0].Value || p.flags[1].Value {
		t.Errorf("flags %+v", p.flags)
	}
	if len(p.prefixes) != 1 || p.prefixes[0].Prefix != "--network=" {
		t.Errorf("prefixes %+v", p.prefixes)
	}
	if p.unknown.action != "warn" || p.unknown.msg != "Unrecognized argument: %s" {
		t.Errorf("unknown %+v", p.unknown)
	}
}

func TestHandlers(t *testing.T) {
	parse := "function parseArgs(argv: string[]) {\n  for (let i = 0; i < argv.length; i += 1) {\n    const arg = argv[i];\n    switch (arg) {\n      case '--x':\n        break;\n      default:\n        throw new Error(`Unknown flag ${arg}`);\n    }\n  }\n}\n"
	cases := []struct {
		name, main string
		stderr     string
		stack      bool
		exit       int
	}{
		{"try in main, message", "async function main() {\n  let o;\n  try {\n    o = parseArgs(process.argv.slice(2));\n  } catch (error: any) {\n    console.error(`Argument error: ${error?.message || error}`);\n    process.exit(1);\n  }\n}\nmain().catch((e) => { console.error(`x: ${e}`); process.exit(3); });\n",
			"Argument error: Unknown flag %s", false, 1},
		{"catch wraps main body", "async function main() {\n  try {\n    const o = parseArgs(process.argv.slice(2));\n  } catch (error) {\n    console.error(error instanceof Error ? error.message : error);\n    process.exitCode = 1;\n  }\n}\nmain();\n",
			"Unknown flag %s", false, 1},
		{"promise catch, inspected", "async function main(): Promise<void> {\n  const o = parseArgs(process.argv.slice(2));\n}\nmain().catch((error) => {\n  console.error('tool failed:', error);\n  process.exitCode = 1;\n});\n",
			"tool failed: Error: Unknown flag %s", true, 1},
		{"stderr write", "async function main(): Promise<void> {\n  const o = parseArgs(process.argv.slice(2));\n}\nmain().catch((error) => {\n  process.stderr.write(`\\nKit failed: ${(error as Error).message}\\n`);\n  process.exitCode = 2;\n});\n",
			"Kit failed: Unknown flag %s", false, 2},
		{"stack in template", "async function main() {\n  parseArgs(process.argv.slice(2));\n}\nmain().catch((error) => {\n  console.error(`Mission failed: ${error instanceof Error ? error.stack || error.message : error}`);\n  process.exit(1);\n});\n",
			"Mission failed: Error: Unknown flag %s", true, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := mustSource(t, parse+tc.main)
			sc := &Script{}
			if err := readArgs(s, spec{parser: "switch", parserFunc: "parseArgs", unknown: "reject"}, sc); err != nil {
				t.Fatal(err)
			}
			u := sc.UnknownFlag
			if u.Stderr != tc.stderr || u.StackTraceFollows != tc.stack || u.ExitCode == nil || *u.ExitCode != tc.exit {
				t.Errorf("got stderr %q stack %v exit %v", u.Stderr, u.StackTraceFollows, *u.ExitCode)
			}
		})
	}
}

func TestEnvReads(t *testing.T) {
	src := `
const KEY = 'FROM_CONST';
const A_ENV = 'LISTED_A';
const B_ENV = 'LISTED_B';
function fromEnv(envKey: string, fallback: string): string {
  return process.env[envKey] || fallback;
}
function anyOf() {
  const keys = [A_ENV, B_ENV];
  for (const key of keys) {
    if (process.env[key]) return true;
  }
}
const x = fromEnv('VIA_PARAM', 'a');
const y = process.env.DOT_READ ?? process.env.DOT_ALIAS ?? process.env.DOT_ALIAS2;
const z = process.env['BRACKET'];
const w = process.env[KEY];
const v = process.env[someCall()];
spawn('x', [], { env: { ...process.env, EXTRA: '1' } });
// process.env.IN_COMMENT
const s = 'process.env.IN_STRING';
const t = ` + "`${process.env.IN_TEMPLATE}`" + `;
`
	s := mustSource(t, src)
	names, dynamic, err := s.envReads()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"BRACKET", "DOT_ALIAS", "DOT_ALIAS2", "DOT_READ", "FROM_CONST", "IN_TEMPLATE", "LISTED_A", "LISTED_B", "VIA_PARAM"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("env\n got %v\nwant %v", names, want)
	}
	if len(dynamic) != 1 || dynamic[0].Expr != "someCall()" {
		t.Errorf("dynamic %+v", dynamic)
	}
	al := s.envAliases()
	if len(al) != 1 || al[0].Name != "DOT_READ" || !reflect.DeepEqual(al[0].Aliases, []string{"DOT_ALIAS", "DOT_ALIAS2"}) {
		t.Errorf("aliases %+v", al)
	}
}

func TestEnvOptions(t *testing.T) {
	src := `
function parseArgs(argv: string[]) {
  const envOut = process.env.REPORT_OUT ?? process.env.LONG_REPORT_OUT;
  if (envOut) {
    options.outPath = envOut.trim();
  }
  const options = {
    reportRoot: resolveWithDefault(process.env.ROOT_DIR, 'reports/x'),
    name: process.env.BASENAME || 'kit',
    logDir: resolveOptional(process.env.LOG_DIR),
  };
}
`
	got, err := mustSource(t, src).envOptions()
	if err != nil {
		t.Fatal(err)
	}
	want := []EnvOpt{
		{Name: "BASENAME", Sets: "name", Default: "kit", Line: 9},
		{Name: "LOG_DIR", Sets: "logDir", Line: 10},
		{Name: "REPORT_OUT", Aliases: []string{"LONG_REPORT_OUT"}, Sets: "outPath", Line: 3},
		{Name: "ROOT_DIR", Sets: "reportRoot", Default: "reports/x", Line: 8},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("\n got %+v\nwant %+v", got, want)
	}
}

// Each of these must stop the program rather than yield an empty contract.
func TestMissingShapesFail(t *testing.T) {
	cases := []struct {
		name, src, parser, fn, unknown, wantErr string
	}{
		{"no parseArgs", "const x = process.argv.slice(2);\n", "switch", "parseArgs", "reject", "no function parseArgs"},
		{"parseArgs not on argv", "function parseArgs(a: string[]) {}\nparseArgs([]);\n", "switch", "parseArgs", "reject", "never called on process.argv"},
		{"no loop", "function parseArgs(a: string[]) { return {}; }\nparseArgs(process.argv.slice(2));\n", "switch", "parseArgs", "reject", "no argument loop"},
		{"no switch", strings.Replace(strings.Replace(switchSrc, "switch (arg)", "switch (other)", 1), "%DEFAULT%", "break;", 1), "switch", "parseArgs", "ignore", "no `switch (arg)`"},
		{"default expected to throw", strings.Replace(switchSrc, "%DEFAULT%", "break;", 1), "switch", "parseArgs", "reject", "expected unknown arguments to be reject, found ignore"},
		{"reads without stepping", strings.Replace(strings.Replace(switchSrc, "options.network = value;\n        i += 1;", "options.network = value;", 1), "%DEFAULT%", "break;", 1), "switch", "parseArgs", "ignore", "without stepping"},
		{"argv in a script said to ignore it", "console.log(process.argv);\n", "", "", "ignore", "expected no use of process.argv"},
		{"unknown condition", "function parseArgs(argv: string[]) {\n for (let i = 0; i < argv.length; i += 1) {\n const arg = argv[i];\n if (arg === '--a' || ok(arg)) {\n }\n }\n}\nparseArgs(process.argv.slice(2));\n", "if-chain", "parseArgs", "ignore", "unrecognised argument condition"},
		{"uncaught rejection", "function parseArgs(argv: string[]) {\n for (let i = 0; i < argv.length; i += 1) {\n const arg = argv[i];\n switch (arg) {\n default:\n throw new Error(`Unknown ${arg}`);\n }\n }\n}\nasync function main() { parseArgs(process.argv.slice(2)); }\nmain();\n", "switch", "parseArgs", "reject", "has no main().catch"},
		{"message without the argument", strings.Replace(switchSrc, "%DEFAULT%", "throw new Error(`Unknown ${other}`);", 1), "switch", "parseArgs", "reject", "interpolates"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := readArgs(mustSource(t, tc.src), spec{parser: tc.parser, parserFunc: tc.fn, unknown: tc.unknown}, &Script{})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestCommandSource(t *testing.T) {
	cases := []struct{ cmd, runner, src string }{
		{`npx ts-node --compiler-options '{"module":"commonjs"}' scripts/v2/ownerCommandCenter.ts`, "ts-node", "scripts/v2/ownerCommandCenter.ts"},
		{"node scripts/ci/check-toolchain-locks.js", "node", "scripts/ci/check-toolchain-locks.js"},
		{"bash demo/asi-takeoff/bin/asi-takeoff-local.sh", "bash", "demo/asi-takeoff/bin/asi-takeoff-local.sh"},
		{"npx hardhat run scripts/v2/updateIdentityRegistry.ts", "hardhat run", "scripts/v2/updateIdentityRegistry.ts"},
	}
	for _, tc := range cases {
		r, s, err := commandSource(tc.cmd)
		if err != nil || r != tc.runner || s != tc.src {
			t.Errorf("%q: %q %q %v", tc.cmd, r, s, err)
		}
	}
	if _, _, err := commandSource("npx prettier --check ."); err == nil {
		t.Error("a command without a source file was accepted")
	}
}

func TestMissingNpmScriptFails(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"scripts":{"other":"node a.js"}}`), 0o644)
	co, err := openCheckout(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := buildNpm(co, spec{name: "owner:command-center"}); err == nil || !strings.Contains(err.Error(), `no script "owner:command-center"`) {
		t.Errorf("error %v", err)
	}
	os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"scripts":{"owner:command-center":"npx ts-node scripts/gone.ts"}}`), 0o644)
	co, _ = openCheckout(dir)
	if _, err := buildNpm(co, spec{name: "owner:command-center"}); err == nil || !strings.Contains(err.Error(), "gone.ts") {
		t.Errorf("a missing source file gave %v", err)
	}
}

func TestShell(t *testing.T) {
	src := `#!/usr/bin/env bash
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NET="${NETWORK:-localhost}"
SCOPE="${REPORT_SCOPE:-demo}"
OUT="reports/${NET}/${SCOPE}/receipts"
DEPLOY="${DEPLOY_OUTPUT:-${OUT}/deploy.json}"
OPTS="${NODE_OPTIONS:+${NODE_OPTIONS} }--x"
run() {
  local f=$1
  echo "$UNSET_IN_FUNC $f"
}
mkdir -p "$OUT"
`
	sh, err := parseShell("x.sh", src)
	if err != nil {
		t.Fatal(err)
	}
	if got := sh.envNames(); !reflect.DeepEqual(got, []string{"DEPLOY_OUTPUT", "NETWORK", "NODE_OPTIONS", "REPORT_SCOPE", "UNSET_IN_FUNC"}) {
		t.Errorf("env %v", got)
	}
	v, _, err := sh.pathOf("DEPLOY")
	if err != nil || v.v != "reports/localhost/demo/receipts/deploy.json" || !reflect.DeepEqual(v.env, []string{"DEPLOY_OUTPUT", "NETWORK", "REPORT_SCOPE"}) {
		t.Errorf("DEPLOY = %+v, %v", v, err)
	}
	if _, _, err := sh.pathOf("ROOT"); err == nil {
		t.Error("a command substitution resolved to a path")
	}
	if len(sh.defaults) != 3 || sh.defaults[0].Name != "DEPLOY_OUTPUT" || sh.defaults[0].Default != "reports/localhost/demo/receipts/deploy.json" {
		t.Errorf("defaults %+v", sh.defaults)
	}
	if _, err := parseShell("y.sh", "#!/bin/sh\nNAME=\"$1\"\n"); err == nil {
		t.Error("a script reading $1 at the top level was accepted")
	}
}

func TestDemoPaths(t *testing.T) {
	src := `
import { generateAsiTakeoffKit } from './lib/kit';
const ROOT = path.resolve(__dirname, '..', '..');
function resolvePathFromEnv(envKey: string, defaultPath: string): string {
  const override = process.env[envKey];
  return override ? override : defaultPath;
}
function resolveWithin(base: string, envKey: string, fallback: string): string {
  const override = process.env[envKey];
  return override ? override : path.join(base, fallback);
}
const REPORT_ROOT = resolvePathFromEnv('X_ROOT', path.join(ROOT, 'reports', 'x'));
const LOG_ROOT = resolveWithin(REPORT_ROOT, 'X_LOGS', 'logs');
const DRY = path.join(REPORT_ROOT, 'dry-run.json');
const PLAN = path.join(ROOT, 'demo', 'plan.json');
const BASE = process.env.X_BASENAME?.trim() || 'x-kit';
async function main() {
  await fs.mkdir(LOG_ROOT, { recursive: true });
  await generateAsiTakeoffKit({ reportRoot: REPORT_ROOT, outputBasename: BASE });
}
`
	s, err := newSource("scripts/v2/demo.ts", src)
	if err != nil {
		t.Fatal(err)
	}
	pe := newPathEval(s)
	if err := pe.topConsts(); err != nil {
		t.Fatal(err)
	}
	writes, others, err := pe.demoPaths("REPORT_ROOT")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range writes {
		got = append(got, w.Path+" "+strings.Join(w.Env, ","))
	}
	if want := []string{"reports/x/dry-run.json X_ROOT", "reports/x/logs/ X_LOGS,X_ROOT"}; !reflect.DeepEqual(got, want) {
		t.Errorf("writes %q", got)
	}
	if len(others) != 1 || others[0].Path != "demo/plan.json" {
		t.Errorf("others %+v", others)
	}
	lib, _ := newSource("scripts/v2/lib/kit.ts", "const outputBasename = options.outputBasename ?? 'governance-kit';\nconst m = path.join(reportRoot, `${outputBasename}.json`);\nconst d = path.join(reportRoot, `${outputBasename}.md`);\n")
	kit, err := pe.demoKitWrites(lib)
	if err != nil {
		t.Fatal(err)
	}
	if len(kit) != 2 || kit[0].Path != "reports/x/x-kit.json" || !reflect.DeepEqual(kit[0].Env, []string{"X_BASENAME", "X_ROOT"}) {
		t.Errorf("kit %+v", kit)
	}
	if p, err := kitLibPath(s); err != nil || p != "scripts/v2/lib/kit.ts" {
		t.Errorf("lib path %q %v", p, err)
	}
}

func TestCommitIsRequired(t *testing.T) {
	var out, errb bytes.Buffer
	dir := t.TempDir() // not a git work tree
	if code := run([]string{dir}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "pass it") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{dir, "HEAD"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "40 lower-case hex") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
	errb.Reset()
	// A valid commit on a tree that is not an upstream checkout fails with 1.
	if code := run([]string{dir, strings.Repeat("a", 40)}, &out, &errb); code != 1 {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

func TestClockReads(t *testing.T) {
	src := `import { randomBytes, randomUUID } from 'crypto';
// new Date() in a comment
const label = 'Date.now() in a string';
let when: Date | undefined;
const parsed = new Date(raw);
function render(): string {
  return ` + "`Generated ${new Date().toISOString()}`" + `;
}
function timed() {
  const start = Date.now();
  const ms = Date.now() - start;
  const t = performance.now();
  const h = process.hrtime.bigint();
  return { id: randomUUID(), salt: randomBytes(32), r: Math.random() };
}
const obj = { Date: 1 };
const x = obj.Date;
`
	reads, err := mustSource(t, src).clockReads()
	if err != nil {
		t.Fatal(err)
	}
	type rd struct {
		line     int
		what, fn string
	}
	var got []rd
	for _, r := range reads {
		got = append(got, rd{r.line, r.what, r.fn})
	}
	want := []rd{
		{7, "new Date().toISOString()", "render"},
		{10, "Date.now()", "timed"},
		{11, "Date.now()", "timed"},
		{12, "performance.now()", "timed"},
		{13, "process.hrtime.bigint()", "timed"},
		{14, "randomUUID()", "timed"},
		{14, "randomBytes(32)", "timed"},
		{14, "Math.random()", "timed"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("reads\n got %v\nwant %v", got, want)
	}
	none, err := mustSource(t, "const d = new Date(value);\nexport function f(x: Date): string { return x.toISOString(); }\n").clockReads()
	if err != nil || len(none) != 0 {
		t.Errorf("a file without clock reads gave %v, %v", none, err)
	}
	sh, err := newProducer("x.sh", "#!/bin/bash\n# date in a comment: $(date)\nSTAMP=\"$(date +%s)\"\nN=$RANDOM\necho done\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(sh.reads) != 2 || sh.reads[0].line != 3 || sh.reads[1].line != 4 {
		t.Errorf("shell reads %+v", sh.reads)
	}
}

// stampCheckout writes a small checkout: a demo that runs a renderer and
// embeds its timestamp, the renderer with a markdown and a plain branch, and
// a file with no clock read.
func stampCheckout(t *testing.T) *checkout {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"package.json": `{"scripts":{}}`,
		"demo.ts": `const start = Date.now();
function summary(report: any) {
  return ` + "`stamp ${report.timestamp}`" + `;
}
run(['render.ts', '--format', 'markdown', '--out', OUT]);
`,
		"render.ts": `function renderMarkdown(): string {
  return ` + "`Generated ${new Date().toISOString()}`" + `;
}
function renderPlain(): string {
  return 'plain';
}
function report() {
  return { timestamp: new Date().toISOString() };
}
const out = options.format === 'markdown' ? renderMarkdown() : renderPlain();
`,
		"still.ts": "export const x = 1;\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	co, err := openCheckout(dir)
	if err != nil {
		t.Fatal(err)
	}
	return co
}

func TestStampRules(t *testing.T) {
	co := stampCheckout(t)
	ok := stampRule{script: "demo", path: "out.md",
		check: []evidence{{re: `'render\.ts', '--format', 'markdown'`, why: "the demo asks for markdown"}},
		from: []producerRule{
			{source: "render.ts", when: "markdown",
				claims:  []claim{{at: "Generated", fn: "renderMarkdown"}},
				exclude: []claim{{at: "timestamp: new Date()", fn: "report", why: "the report's, not the page's"}},
				check:   []evidence{{re: `'markdown' \? renderMarkdown\(\)`, why: "markdown branch"}}},
			{source: "demo.ts", embeds: []claim{{at: "${report.timestamp}", fn: "summary"}},
				exclude: []claim{{at: "Date.now()", why: "a duration, logged only"}}},
		}}
	stamps, note, err := newStamper(co).apply(&ok, "demo.ts")
	if err != nil {
		t.Fatal(err)
	}
	want := []Stamp{
		{Source: "demo.ts", Line: 3, What: "${report.timestamp}"},
		{Source: "render.ts", Line: 2, What: "new Date().toISOString()", When: "markdown"},
	}
	if !reflect.DeepEqual(stamps, want) {
		t.Errorf("stamps\n got %+v\nwant %+v", stamps, want)
	}
	if !strings.Contains(note, "render.ts:8 new Date().toISOString(): the report's, not the page's") || !strings.Contains(note, "demo.ts:1 Date.now(): a duration") {
		t.Errorf("note %q", note)
	}

	// A producer with no clock read and nothing claimed: [].
	none := stampRule{script: "demo", path: "still.txt", from: []producerRule{{source: "still.ts"}}}
	if stamps, _, err := newStamper(co).apply(&none, "demo.ts"); err != nil || stamps == nil || len(stamps) != 0 {
		t.Errorf("no clock read gave %v, %v", stamps, err)
	}

	bad := []struct {
		name    string
		rule    stampRule
		wantErr string
	}{
		{"claimed line has no clock read",
			stampRule{script: "demo", path: "x", from: []producerRule{{source: "render.ts", claims: []claim{{at: "return 'plain'"}}}}},
			`claims a clock or random read on a line containing "return 'plain'"`},
		{"claimed in the wrong function",
			stampRule{script: "demo", path: "x", from: []producerRule{{source: "render.ts", claims: []claim{{at: "Generated", fn: "renderPlain"}}}}},
			"in function renderPlain; found 0"},
		{"a read left unclassified",
			stampRule{script: "demo", path: "x", from: []producerRule{{source: "render.ts", claims: []claim{{at: "Generated", fn: "renderMarkdown"}}}}},
			"render.ts:8 reads new Date().toISOString(), which the table neither claims nor excludes"},
		{"a read claimed twice",
			stampRule{script: "demo", path: "x", from: []producerRule{{source: "demo.ts", claims: []claim{{at: "Date.now()"}}, exclude: []claim{{at: "const start", why: "x"}}}}},
			"claimed or excluded twice"},
		{"an exclusion without a reason",
			stampRule{script: "demo", path: "x", from: []producerRule{{source: "demo.ts", exclude: []claim{{at: "Date.now()"}}}}},
			"without a reason"},
		{"producer missing",
			stampRule{script: "demo", path: "x", from: []producerRule{{source: "gone.ts"}}},
			"producer: open"},
		{"evidence gone",
			stampRule{script: "demo", path: "x", check: []evidence{{re: `'--format', 'json'`, why: "json"}}, from: []producerRule{{source: "still.ts"}}},
			"demo.ts no longer matches"},
		{"embed text gone",
			stampRule{script: "demo", path: "x", from: []producerRule{{source: "demo.ts", embeds: []claim{{at: "${report.generatedAt}"}}, exclude: []claim{{at: "Date.now()", why: "x"}}}}},
			`a line containing "${report.generatedAt}"; found 0`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := newStamper(co).apply(&tc.rule, "demo.ts")
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestAddStamps(t *testing.T) {
	co := stampCheckout(t)
	contract := func() *Contract {
		return &Contract{Scripts: []*Script{
			{Name: "demo", Source: "demo.ts", Writes: []Write{{Path: "out.md"}, {Path: "kit.json", From: "render.ts"}}},
			{Name: "quiet", Source: "still.ts", Writes: []Write{}},
		}}
	}
	rules := []stampRule{{script: "demo", path: "out.md", from: []producerRule{
		{source: "demo.ts", claims: []claim{{at: "Date.now()"}}},
	}}}
	c := contract()
	if err := addStamps(co, c, rules); err != nil {
		t.Fatal(err)
	}
	w := c.Scripts[0].Writes
	if w[0].Stamped == nil || len(*w[0].Stamped) != 1 || (*w[0].Stamped)[0].Line != 1 {
		t.Errorf("out.md %+v", w[0].Stamped)
	}
	// kit.json: From is known, so every read of render.ts reaches it.
	if w[1].Stamped == nil || len(*w[1].Stamped) != 2 {
		t.Errorf("kit.json %+v", w[1].Stamped)
	}
	if c.Scripts[1].OutputStamped != nil {
		t.Error("a script without an output rule got outputStamped")
	}

	bad := []struct {
		name    string
		rules   []stampRule
		wantErr string
	}{
		{"write without a known producer", nil, "out.md and its producer is not known"},
		{"stale row", append(rules, stampRule{script: "demo", path: "gone.md", from: []producerRule{{source: "still.ts"}}}), "has no write gone.md"},
		{"unknown script", append(rules, stampRule{script: "nope", path: ""}), "no script nope"},
		{"the script's own read unclassified", []stampRule{{script: "demo", path: "out.md", from: []producerRule{{source: "still.ts"}}}}, "demo.ts:1 reads Date.now() and no row of demo claims or excludes it"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			err := addStamps(co, contract(), tc.rules)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}
