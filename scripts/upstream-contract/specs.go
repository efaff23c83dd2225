package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// spec is what this program expects of one CLI. The expectations (parser
// kind, unknown-argument action, env reads that must be found) are checked,
// so an upstream change that the regular expressions no longer fit stops the
// program instead of producing a thinner contract.
type spec struct {
	name       string // npm script; empty for a file run by `hardhat run`
	source     string // hardhat scripts only: the file
	parser     string // "", "switch" or "if-chain"; "" means argv is never read
	parserFunc string // function holding the argument loop; "" for file level
	unknown    string // reject, warn or ignore
	wantEnv    []string
	writes     func(c *checkout, sc *Script, s *source) error
	shell      func(c *checkout, sc *Script, sh *shellScript) error
}

var npmSpecs = []spec{
	{name: "ci:verify-toolchain", unknown: "ignore"},
	{name: "docs:verify", unknown: "ignore"},
	{name: "demo:asi-takeoff:local", unknown: "ignore", shell: asiTakeoffLocal,
		wantEnv: []string{"NETWORK", "AURORA_REPORT_SCOPE", "AURORA_DEPLOY_OUTPUT"}},
	{name: "demo:asi-takeoff", unknown: "ignore", writes: demoWrites("REPORT_ROOT"),
		wantEnv: []string{"ASI_TAKEOFF_PLAN_PATH"}},
	{name: "demo:asi-global", unknown: "ignore", writes: demoWrites("REPORT_ROOT"),
		wantEnv: []string{"ASI_GLOBAL_REPORT_ROOT", "ASI_GLOBAL_OUTPUT_BASENAME"}},
	{name: "owner:mission-control", parser: "switch", parserFunc: "parseArgs", unknown: "reject"},
	{name: "owner:command-center", parser: "switch", parserFunc: "parseArgs", unknown: "reject",
		wantEnv: []string{"DEBUG_OWNER_COMMAND_CENTER"}},
	{name: "owner:parameters", parser: "switch", parserFunc: "parseArgs", unknown: "reject"},
	{name: "owner:emergency", parser: "switch", parserFunc: "parseArgs", unknown: "reject"},
	{name: "demo:asi-takeoff:kit", parser: "switch", parserFunc: "parseArgs", unknown: "reject", writes: kitCLIWrites},
	{name: "demo:asi-global:kit", parser: "switch", parserFunc: "parseArgs", unknown: "reject", writes: kitCLIWrites,
		wantEnv: []string{"ASI_GLOBAL_REPORT_ROOT", "ASI_GLOBAL_OUTPUT_BASENAME"}},
	{name: "verify:agialpha", parser: "if-chain", unknown: "warn"},
	{name: "identity:update", parser: "if-chain", parserFunc: "parseArgs", unknown: "ignore"},
}

var hardhatSpecs = []spec{
	{source: "scripts/v2/thermodynamicsReport.ts", parser: "if-chain", parserFunc: "parseArgs", unknown: "ignore",
		wantEnv: []string{"THERMO_REPORT_FORMAT", "THERMO_REPORT_OUT", "THERMODYNAMICS_REPORT_FORMAT", "THERMODYNAMICS_REPORT_OUT"}},
}

// checkout reads files of the upstream work tree.
type checkout struct {
	dir     string
	scripts map[string]string
}

func openCheckout(dir string) (*checkout, error) {
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, err
	}
	var pkg struct {
		Scripts map[string]string `json:"scripts"`
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		return nil, fmt.Errorf("package.json: %w", err)
	}
	return &checkout{dir: dir, scripts: pkg.Scripts}, nil
}

func (c *checkout) read(rel string) (string, string, error) {
	b, err := os.ReadFile(filepath.Join(c.dir, filepath.FromSlash(rel)))
	if err != nil {
		return "", "", err
	}
	sum := sha256.Sum256(b)
	return string(b), hex.EncodeToString(sum[:]), nil
}

var srcTokenRe = regexp.MustCompile(`^[\w./@-]+\.(?:ts|js|mjs|cjs|sh)$`)

// commandSource finds the program an npm command runs: the first token that
// names a .ts/.js/.sh file, and the runner in front of it.
func commandSource(cmd string) (runner, src string, err error) {
	toks := strings.Fields(cmd)
	for i, t := range toks {
		if !srcTokenRe.MatchString(t) {
			continue
		}
		src = strings.TrimPrefix(t, "./")
		before := " " + strings.Join(toks[:i], " ") + " "
		switch {
		case strings.Contains(before, " hardhat run "):
			runner = "hardhat run"
		case strings.Contains(before, " ts-node "):
			runner = "ts-node"
		case strings.Contains(before, " bash ") || strings.Contains(before, " sh "):
			runner = "bash"
		case strings.Contains(before, " node "):
			runner = "node"
		default:
			return "", "", fmt.Errorf("no known runner before %s in %q", t, cmd)
		}
		return runner, src, nil
	}
	return "", "", fmt.Errorf("no source file in %q", cmd)
}

func buildNpm(c *checkout, sp spec) (*Script, error) {
	cmd, ok := c.scripts[sp.name]
	if !ok {
		return nil, fmt.Errorf("package.json has no script %q", sp.name)
	}
	runner, src, err := commandSource(cmd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sp.name, err)
	}
	sc := &Script{Name: sp.name, Command: cmd, Runner: runner, Source: src}
	if err := build(c, sp, sc); err != nil {
		return nil, fmt.Errorf("%s: %w", sp.name, err)
	}
	return sc, nil
}

func buildHardhat(c *checkout, sp spec) (*Script, error) {
	sc := &Script{Runner: "hardhat run", Source: sp.source}
	if err := build(c, sp, sc); err != nil {
		return nil, fmt.Errorf("%s: %w", sp.source, err)
	}
	return sc, nil
}

// build fills sc from its source file.
func build(c *checkout, sp spec, sc *Script) error {
	text, sum, err := c.read(sc.Source)
	if err != nil {
		return err
	}
	sc.SourceSha256 = sum
	sc.Flags, sc.FlagPrefixes, sc.Writes = []Flag{}, []Prefix{}, []Write{}
	switch {
	case sc.Runner == "hardhat run":
		sc.ArgsParsedBy = "hardhat run"
		sc.Notes = append(sc.Notes, "Run through `hardhat run`: arguments after the script path are parsed by Hardhat (see hardhatRun) "+
			"and the script's own argv is always empty, so the flags below cannot be reached this way; they are recorded as the file's own parser.")
	case sp.parser == "":
		sc.ArgsParsedBy = "none"
	default:
		sc.ArgsParsedBy = "script"
	}
	if sc.Runner == "bash" {
		if sp.parser != "" || sp.shell == nil {
			return fmt.Errorf("a bash script needs a shell reader and no argv parser")
		}
		sh, err := parseShell(sc.Source, text)
		if err != nil {
			return err
		}
		sc.UnknownFlag = Unknown{Action: "ignore", Note: "the script never reads its positional parameters at the top level"}
		sc.Env = sh.envNames()
		sc.EnvDefaults = sh.defaults
		if err := requireEnv(sc.Source, sc.Env, sp.wantEnv); err != nil {
			return err
		}
		if err := sp.shell(c, sc, sh); err != nil {
			return err
		}
		sortWrites(sc)
		return nil
	}
	s, err := newSource(sc.Source, text)
	if err != nil {
		return err
	}
	if sc.Env, sc.EnvDynamic, err = s.envReads(); err != nil {
		return err
	}
	if err := requireEnv(sc.Source, sc.Env, sp.wantEnv); err != nil {
		return err
	}
	sc.EnvAliases = s.envAliases()
	if sc.EnvOptions, err = s.envOptions(); err != nil {
		return err
	}
	if err := readArgs(s, sp, sc); err != nil {
		return err
	}
	if sp.writes != nil {
		if err := sp.writes(c, sc, s); err != nil {
			return err
		}
	}
	sortWrites(sc)
	return nil
}

func sortWrites(sc *Script) {
	sort.Slice(sc.Writes, func(i, j int) bool { return sc.Writes[i].Path < sc.Writes[j].Path })
	sort.Slice(sc.OtherPaths, func(i, j int) bool { return sc.OtherPaths[i].Path < sc.OtherPaths[j].Path })
}

// readArgs records the parser, or checks that the file never reads argv.
func readArgs(s *source, sp spec, sc *Script) error {
	if sp.parser == "" {
		if m := regexp.MustCompile(`\bprocess\.argv\b`).FindStringIndex(s.code); m != nil {
			return fmt.Errorf("%s:%d: expected no use of process.argv", s.path, s.line(m[0]))
		}
		sc.UnknownFlag = Unknown{Action: "ignore", Note: "the source never reads process.argv: every argument is accepted and ignored"}
		return nil
	}
	p, err := s.parseArgv(sp.parserFunc, sp.parser)
	if err != nil {
		return err
	}
	if p.unknown.action != sp.unknown {
		return fmt.Errorf("%s: expected unknown arguments to be %s, found %s", s.path, sp.unknown, p.unknown.action)
	}
	pp := p.parser
	sc.Parser = &pp
	sc.Flags, sc.FlagPrefixes = p.flags, p.prefixes
	if sc.FlagPrefixes == nil {
		sc.FlagPrefixes = []Prefix{}
	}
	u := Unknown{Action: p.unknown.action, Scope: p.unknown.scope, Message: p.unknown.msg}
	switch u.Action {
	case "ignore":
		u.Note = "no else branch or default: case rejects an unlisted argument; it is skipped"
	case "warn":
		u.Line = s.line(p.unknown.off)
		u.Stderr = u.Message
		u.Note = "printed with console.warn (stderr); parsing goes on and the exit status is not affected"
	case "reject":
		u.Line = s.line(p.unknown.off)
		h, err := s.findHandler(p.unknown.off)
		if err != nil {
			return err
		}
		pr, err := s.describe(h, u.Message)
		if err != nil {
			return err
		}
		code := pr.exit
		u.Stderr, u.StackTraceFollows, u.ExitCode, u.HandlerLine = pr.stderr, pr.stack, &code, s.line(h.off)
		if u.Scope == "dash-prefixed" {
			u.Note = "arguments not starting with '-' fall through the default: case and are ignored"
		}
	}
	sc.UnknownFlag = u
	return nil
}

// demoWrites reads a demo's path constants and its kit calls.
func demoWrites(rootConst string) func(*checkout, *Script, *source) error {
	return func(c *checkout, sc *Script, s *source) error {
		pe := newPathEval(s)
		if err := pe.topConsts(); err != nil {
			return err
		}
		writes, others, err := pe.demoPaths(rootConst)
		if err != nil {
			return err
		}
		lib, err := readLib(c, s)
		if err != nil {
			return err
		}
		kit, err := pe.demoKitWrites(lib)
		if err != nil {
			return err
		}
		sc.Writes = append(writes, kit...)
		sc.OtherPaths = others
		return nil
	}
}

func readLib(c *checkout, s *source) (*source, error) {
	libPath, err := kitLibPath(s)
	if err != nil {
		return nil, err
	}
	text, _, err := c.read(libPath)
	if err != nil {
		return nil, err
	}
	return newSource(libPath, text)
}

// kitCLIWrites reads a kit CLI's defaults (the options object in parseArgs)
// for the report root and basename, and the flags that set them.
func kitCLIWrites(c *checkout, sc *Script, s *source) error {
	f, err := s.funcNamed("parseArgs")
	if err != nil || f == nil {
		return fmt.Errorf("%s: no parseArgs", s.path)
	}
	m := regexp.MustCompile(`\bconst\s+options\s*:\s*\w+\s*=\s*\{`).FindStringIndex(s.code[f.bodyOpen:f.bodyEnd])
	if m == nil {
		return fmt.Errorf("%s: parseArgs has no `const options: … = {…}`", s.path)
	}
	props, err := s.objectProps(f.bodyOpen + m[1] - 1)
	if err != nil {
		return err
	}
	pe := newPathEval(s)
	if err := pe.topConsts(); err != nil {
		return err
	}
	r, ok := props["reportRoot"]
	if !ok {
		return fmt.Errorf("%s: the options have no reportRoot default", s.path)
	}
	root, err := pe.eval(r[0], r[1])
	if err != nil {
		return err
	}
	lib, err := readLib(c, s)
	if err != nil {
		return err
	}
	def, err := kitDefault(lib)
	if err != nil {
		return err
	}
	base := pathVal{p: def}
	if b, ok := props["outputBasename"]; ok {
		if base, err = pe.eval(b[0], b[1]); err != nil {
			return err
		}
	}
	var flags []string
	for _, fl := range sc.Flags {
		for _, set := range fl.Sets {
			if set == "reportRoot" || set == "outputBasename" {
				flags = append(flags, fl.Name)
			}
		}
	}
	if len(flags) != 2 {
		return fmt.Errorf("%s: expected one flag for reportRoot and one for outputBasename, found %v", s.path, flags)
	}
	sc.Writes = kitWrites(root, base, sortedUnique(flags), lib.path, s.line(f.bodyOpen+m[0]))
	return nil
}

// invokedBy lists the covered scripts whose sources name the hardhat
// script's path, so a reader sees where `hardhat run FILE` comes from.
func invokedBy(c *checkout, hs *Script, scripts []*Script) ([]string, error) {
	var out []string
	for _, sc := range scripts {
		files := []string{sc.Source}
		for _, ch := range sc.Invokes {
			files = append(files, ch.Source)
		}
		for _, f := range files {
			text, _, err := c.read(f)
			if err != nil {
				return nil, err
			}
			if strings.Contains(text, hs.Source) {
				out = append(out, f)
			}
		}
	}
	return sortedUnique(out), nil
}
