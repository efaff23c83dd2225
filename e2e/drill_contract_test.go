package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDefaultPlanMatchesUpstream checks every command of the built-in drill,
// as `helios plan` prints it, against the flags and environment upstream's
// scripts accept (testdata/upstream/contract.json, extracted from upstream's
// sources by scripts/upstream-contract), and every collected path against
// where upstream's scripts write or what the repository holds. A wrong flag,
// a wrong path or a wrong command fails here, before anyone runs the drill.
func TestDefaultPlanMatchesUpstream(t *testing.T) {
	c := loadContract(t)
	res := run(t, t.TempDir(), nil, "plan")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	p, err := parsePlan(res.stdout)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range c.checkPlan(p) {
		t.Error(e)
	}
}

// TestContractCheckCatchesUpstreamDefects feeds the check the defects the
// Makefile and earlier drills had; each must be reported, or the check above
// proves nothing.
func TestContractCheckCatchesUpstreamDefects(t *testing.T) {
	c := loadContract(t)
	res := run(t, t.TempDir(), nil, "plan")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	cases := []struct {
		name, old, new, want string
	}{
		{"command-center --bundle",
			`--output "$HELIOS_REPORT_ROOT/owner/command-center.md"`,
			`--output "$HELIOS_REPORT_ROOT/owner/command-center.md" --bundle "$HELIOS_REPORT_ROOT/owner/command-center-bundle"`,
			"owner:command-center: --bundle is not a flag"},
		{"hardhat run -- --format",
			`THERMO_REPORT_FORMAT=markdown THERMO_REPORT_OUT="$HELIOS_REPORT_ROOT/owner/thermodynamics.md" npx hardhat run --no-compile scripts/v2/thermodynamicsReport.ts --network "$HELIOS_NETWORK"`,
			`npx hardhat run --no-compile scripts/v2/thermodynamicsReport.ts --network "$HELIOS_NETWORK" -- --format markdown --out "$HELIOS_REPORT_ROOT/owner/thermodynamics.md"`,
			"hardhat run: -- is not a parameter"},
		{"asi-global kit --output-basename",
			`--output-name helios-asi-global-kit`,
			`--output-basename helios-asi-global-kit`,
			"demo:asi-global:kit: --output-basename is not a flag"},
		{"receipts from where demo:asi-takeoff:local does not write",
			`collect reports/asi-takeoff/dry-run.json`,
			`collect reports/localhost/asi-takeoff/dry-run.json`,
			"reports/localhost/asi-takeoff/dry-run.json: nothing before this step writes it"},
		{"a script upstream does not have",
			`npm run demo:asi-global`,
			`npm run demo:asi-global:local`,
			"demo:asi-global:local: no such script"},
		{"an environment variable the script does not read",
			`THERMO_REPORT_FORMAT=markdown`,
			`THERMODYNAMICS_FORMAT=markdown`,
			"does not read THERMODYNAMICS_FORMAT"},
		{"a flag missing its value",
			`--output-name helios-asi-takeoff-kit`,
			`--output-name`,
			"--output-name needs a value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(res.stdout, tc.old) {
				t.Fatalf("the plan no longer holds %q", tc.old)
			}
			p, err := parsePlan(strings.Replace(res.stdout, tc.old, tc.new, 1))
			if err != nil {
				t.Fatal(err)
			}
			errs := c.checkPlan(p)
			var all []string
			for _, e := range errs {
				all = append(all, e.Error())
				if strings.Contains(e.Error(), tc.want) {
					return
				}
			}
			t.Errorf("no problem mentions %q; got:\n%s", tc.want, strings.Join(all, "\n"))
		})
	}
}

// plan is `helios plan` read back: phases in order, each with its needs and
// steps.
type plan struct{ phases []*planPhase }

type planPhase struct {
	name  string
	needs []string
	steps []planStep
}

type planStep struct {
	name     string
	command  string   // a run step's command, as printed
	from     []string // a collect step's sources
	optional bool
}

// parsePlan reads the text `helios plan` prints.
func parsePlan(out string) (*plan, error) {
	p := &plan{}
	var ph *planPhase
	for i, line := range strings.Split(out, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case !strings.HasPrefix(line, " ") && strings.Contains(line, ". phase "):
			name := strings.SplitN(line, ". phase ", 2)[1]
			ph = &planPhase{}
			if n, needs, ok := strings.Cut(name, " (needs "); ok {
				name = n
				for _, s := range strings.Split(strings.TrimSuffix(needs, ")"), ",") {
					ph.needs = append(ph.needs, strings.TrimSpace(s))
				}
			}
			ph.name = name
			p.phases = append(p.phases, ph)
		case ph == nil || t == "":
		case strings.HasPrefix(line, "   ") && !strings.HasPrefix(line, "    "):
			ph.steps = append(ph.steps, planStep{name: t})
		case strings.HasPrefix(t, "$ "):
			if len(ph.steps) == 0 {
				return nil, fmt.Errorf("plan line %d: a command outside a step", i+1)
			}
			ph.steps[len(ph.steps)-1].command = strings.TrimPrefix(t, "$ ")
		case strings.HasPrefix(t, "collect "):
			if len(ph.steps) == 0 {
				return nil, fmt.Errorf("plan line %d: a collect outside a step", i+1)
			}
			st := &ph.steps[len(ph.steps)-1]
			src, _, ok := strings.Cut(strings.TrimPrefix(t, "collect "), " → ")
			if !ok {
				return nil, fmt.Errorf("plan line %d: collect without →", i+1)
			}
			st.from = strings.Fields(src)
			st.optional = strings.HasSuffix(t, "(optional)")
		}
	}
	if len(p.phases) == 0 {
		return nil, fmt.Errorf("no phases in the plan")
	}
	return p, nil
}

// before lists the phases that surely finished before ph starts: the ones
// it needs, transitively.
func (p *plan) before(ph *planPhase) []*planPhase {
	byName := map[string]*planPhase{}
	for _, x := range p.phases {
		byName[x.name] = x
	}
	seen := map[string]bool{}
	var out []*planPhase
	var walk func(*planPhase)
	walk = func(x *planPhase) {
		for _, n := range x.needs {
			if d := byName[n]; d != nil && !seen[n] {
				seen[n] = true
				out = append(out, d)
				walk(d)
			}
		}
	}
	walk(ph)
	return out
}

// shellWords splits a command as sh would for the plain forms the drill
// uses: words, single and double quotes, NAME=value prefixes. Variables stay
// as written ("$HELIOS_NETWORK"), which is enough to check flags.
func shellWords(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case ' ', '\t':
			if in {
				words = append(words, w.String())
				w.Reset()
				in = false
			}
		case '\'', '"':
			j := strings.IndexByte(s[i+1:], ch)
			if j < 0 {
				return nil, fmt.Errorf("unterminated %c in %q", ch, s)
			}
			w.WriteString(s[i+1 : i+1+j])
			i += j + 1
			in = true
		case ';', '&', '|', '<', '>', '`', '(', ')':
			return nil, fmt.Errorf("%q: the contract check reads simple commands only, not %q", s, ch)
		default:
			w.WriteByte(ch)
			in = true
		}
	}
	if in {
		words = append(words, w.String())
	}
	return words, nil
}

// repoFile says whether the stand-in tree holds rel, as upstream's
// repository does at the contract's commit.
func repoFile(rel string) bool {
	fi, err := os.Stat(filepath.Join("..", "testdata", "upstream", filepath.FromSlash(rel)))
	return err == nil && fi.Mode().IsRegular()
}

// under says whether p is w or inside folder w.
func under(p, w string) bool {
	w = strings.TrimSuffix(w, "/")
	return p == w || strings.HasPrefix(p, w+"/")
}

// contract is testdata/upstream/contract.json, the part this check reads.
type contract struct {
	Commit         string                     `json:"commit"`
	Scripts        []contractScript           `json:"scripts"`
	HardhatScripts map[string]*contractScript `json:"hardhatScripts"`
	HardhatRun     struct {
		GlobalParams []contractFlag `json:"globalParams"`
		Run          struct {
			Params []contractFlag `json:"params"`
		} `json:"run"`
	} `json:"hardhatRun"`
}

type contractScript struct {
	Name         string         `json:"name"`
	Source       string         `json:"source"`
	ArgsParsedBy string         `json:"argsParsedBy"` // script, none or "hardhat run"
	Flags        []contractFlag `json:"flags"`
	FlagPrefixes []struct {
		Prefix string `json:"prefix"`
	} `json:"flagPrefixes"`
	Env    []string `json:"env"`
	Writes []struct {
		Path string `json:"path"`
	} `json:"writes"`
}

type contractFlag struct {
	Name  string `json:"name"`
	Value bool   `json:"value"`
}

func loadContract(t *testing.T) *contract {
	t.Helper()
	var c contract
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join("..", "testdata", "upstream", "contract.json"))), &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Commit) != 40 || len(c.Scripts) == 0 {
		t.Fatalf("contract.json: no commit or no scripts")
	}
	return &c
}

func (c *contract) script(name string) *contractScript {
	for i := range c.Scripts {
		if c.Scripts[i].Name == name {
			return &c.Scripts[i]
		}
	}
	return nil
}

// checkFlags checks args against flags as the script's parser reads them.
func checkFlags(who string, flags []contractFlag, prefixes []string, args []string) []error {
	var errs []error
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			errs = append(errs, fmt.Errorf("%s: %q is not a flag, and no flag before it takes a value", who, a))
			continue
		}
		var f *contractFlag
		for j := range flags {
			if flags[j].Name == a {
				f = &flags[j]
			}
		}
		switch {
		case f == nil && slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(a, p) }):
		case f == nil:
			errs = append(errs, fmt.Errorf("%s: %s is not a flag of it at the contract's commit", who, a))
		case f.Value && (i+1 >= len(args) || strings.HasPrefix(args[i+1], "--")):
			errs = append(errs, fmt.Errorf("%s: %s needs a value", who, a))
		case f.Value:
			i++
		}
	}
	return errs
}

// checkEnv checks the NAME=value words a command sets against what the
// script's source reads.
func checkEnv(who string, env []string, read []string) []error {
	var errs []error
	for _, e := range env {
		name, _, _ := strings.Cut(e, "=")
		if !slices.Contains(read, name) {
			errs = append(errs, fmt.Errorf("%s: the script does not read %s", who, name))
		}
	}
	return errs
}

// checkCommand checks one run step's command; it returns what the command
// writes (repository-relative), for the collect checks after it.
func (c *contract) checkCommand(step, cmd string) (writes []string, errs []error) {
	words, err := shellWords(cmd)
	if err != nil {
		return nil, []error{fmt.Errorf("%s: %v", step, err)}
	}
	var env []string
	for len(words) > 0 && strings.Contains(words[0], "=") && !strings.HasPrefix(words[0], "-") {
		env, words = append(env, words[0]), words[1:]
	}
	switch {
	case len(words) >= 3 && words[0] == "npm" && words[1] == "run":
		name, args := words[2], words[3:]
		s := c.script(name)
		if s == nil {
			return nil, []error{fmt.Errorf("%s: npm run %s: no such script in upstream's package.json", step, name)}
		}
		who := fmt.Sprintf("%s: %s", step, name)
		if len(args) > 0 {
			if args[0] != "--" {
				errs = append(errs, fmt.Errorf("%s: arguments for the script must follow --, or npm takes them", who))
			} else {
				args = args[1:]
			}
		}
		if len(args) > 0 && s.ArgsParsedBy != "script" {
			errs = append(errs, fmt.Errorf("%s: the script reads no arguments (%s), so %q would be ignored", who, s.ArgsParsedBy, args))
		} else {
			var prefixes []string
			for _, p := range s.FlagPrefixes {
				prefixes = append(prefixes, p.Prefix)
			}
			errs = append(errs, checkFlags(who, s.Flags, prefixes, args)...)
		}
		errs = append(errs, checkEnv(who, env, s.Env)...)
		for _, w := range s.Writes {
			writes = append(writes, w.Path)
		}
		return writes, errs
	case len(words) >= 3 && words[0] == "npx" && words[1] == "hardhat" && words[2] == "run":
		who := step + ": hardhat run"
		params := append(append([]contractFlag{}, c.HardhatRun.GlobalParams...), c.HardhatRun.Run.Params...)
		var positional []string
		args := words[3:]
		for i := 0; i < len(args); i++ {
			a := args[i]
			if !strings.HasPrefix(a, "--") {
				positional = append(positional, a)
				continue
			}
			i0 := i
			var f *contractFlag
			for j := range params {
				if params[j].Name == a {
					f = &params[j]
				}
			}
			switch {
			case f == nil:
				errs = append(errs, fmt.Errorf("%s: %s is not a parameter of it (Hardhat: HH305 Unrecognized param %s)", who, a, a))
			case f.Value && i+1 < len(args):
				i++
			case f.Value:
				errs = append(errs, fmt.Errorf("%s: %s needs a value", who, args[i0]))
			}
		}
		if len(positional) != 1 {
			return nil, append(errs, fmt.Errorf("%s: one script path, not %q (Hardhat passes no arguments to the script)", who, positional))
		}
		s := c.HardhatScripts[positional[0]]
		if s == nil {
			return nil, append(errs, fmt.Errorf("%s: %s is not a script the contract knows", who, positional[0]))
		}
		return nil, append(errs, checkEnv(who+" "+positional[0], env, s.Env)...)
	case len(words) == 2 && words[0] == "npm" && words[1] == "ci" && len(env) == 0:
		if !repoFile("package-lock.json") {
			return nil, []error{fmt.Errorf("%s: npm ci needs a package-lock.json in the repository", step)}
		}
		return nil, nil
	case len(words) >= 2 && words[0] == "mkdir" && words[1] == "-p" && len(env) == 0:
		return nil, nil
	}
	return nil, []error{fmt.Errorf("%s: %q is not an upstream command the contract knows", step, cmd)}
}

// checkPlan checks every command, and every collected path against what
// the repository holds or a command that surely ran before writes.
func (c *contract) checkPlan(p *plan) []error {
	var errs []error
	// Each command is checked once; what it writes serves the collects after
	// it in its phase and in the phases that need it.
	writes := map[*planStep][]string{}
	writesOf := map[*planPhase][]string{}
	for _, ph := range p.phases {
		for i := range ph.steps {
			st := &ph.steps[i]
			if st.command == "" {
				continue
			}
			w, e := c.checkCommand(st.name, st.command)
			errs = append(errs, e...)
			writes[st] = w
			writesOf[ph] = append(writesOf[ph], w...)
		}
	}
	for _, ph := range p.phases {
		var before []string
		for _, d := range p.before(ph) {
			before = append(before, writesOf[d]...)
		}
		for i := range ph.steps {
			st := &ph.steps[i]
			before = append(before, writes[st]...)
			for _, from := range st.from {
				if repoFile(from) || slices.ContainsFunc(before, func(w string) bool { return under(from, w) || under(w, from) }) {
					continue
				}
				errs = append(errs, fmt.Errorf("%s: %s: nothing before this step writes it, and the repository does not hold it", st.name, from))
			}
		}
	}
	return errs
}
