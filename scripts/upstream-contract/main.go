// Command upstream-contract reads a checkout of MontrealAI/AGIJobsv0 and
// prints, as JSON, the contract of the CLIs the Helios drill calls: the flags
// and env each accepts, what it does with an unknown flag, the fixed paths it
// writes, and which of its outputs differ between two identical runs (the
// clock and random reads that reach them, see stamps.go). CI has no upstream
// checkout, so it is run by hand and its output committed as
// testdata/upstream/contract.json:
//
//	go run ./scripts/upstream-contract CHECKOUT_DIR [COMMIT] > testdata/upstream/contract.json
//
// The facts are extracted with regular expressions over the source shapes
// upstream uses today; when a shape is missing the program exits 1 naming the
// script, so a change upstream is noticed instead of silently dropped.
// Hardhat's own `hardhat run` contract is not in the checkout and is a table
// written by hand in hardhat.go, with citations.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) < 1 || len(args) > 2 {
		fmt.Fprintln(stderr, "usage: go run ./scripts/upstream-contract CHECKOUT_DIR [COMMIT]")
		return 2
	}
	dir := args[0]
	commit, err := resolveCommit(dir, args[1:])
	if err != nil {
		fmt.Fprintln(stderr, "upstream-contract:", err)
		return 2
	}
	c, err := buildContract(dir, commit)
	if err != nil {
		fmt.Fprintln(stderr, "upstream-contract:", err)
		return 1
	}
	out, err := encode(c)
	if err != nil {
		fmt.Fprintln(stderr, "upstream-contract:", err)
		return 1
	}
	stdout.Write(out)
	return 0
}

var commitRe = regexp.MustCompile(`^[0-9a-f]{40}$`)

// resolveCommit takes the commit from the arguments or from git; a work tree
// without .git (an exported tree) needs it given, since the contract is only
// worth anything tied to the commit it was read from.
func resolveCommit(dir string, rest []string) (string, error) {
	if len(rest) == 1 {
		if !commitRe.MatchString(rest[0]) {
			return "", fmt.Errorf("COMMIT must be 40 lower-case hex digits, got %q", rest[0])
		}
		return rest[0], nil
	}
	out, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
	commit := strings.TrimSpace(string(out))
	if err != nil || !commitRe.MatchString(commit) {
		return "", fmt.Errorf("cannot read the commit of %s with git rev-parse HEAD; pass it: go run ./scripts/upstream-contract %s COMMIT", dir, dir)
	}
	return commit, nil
}

func buildContract(dir, commit string) (*Contract, error) {
	co, err := openCheckout(dir)
	if err != nil {
		return nil, err
	}
	c := &Contract{
		Repository:  "MontrealAI/AGIJobsv0",
		Commit:      commit,
		GeneratedBy: "go run ./scripts/upstream-contract <checkout> " + commit,
		Notes: []string{
			"env lists the process.env names the source file itself reads (or, for bash, the variables it expands that it never assigns); modules it imports and programs it starts may read more.",
			"unknownFlag.stderr is the first line the script prints; `npm run` then adds its own \"npm error …\" lines, not recorded here.",
			"ts-node 10.9.2 (upstream's lock) stops parsing its own options at the script path (arg with stopAtPositional: true in src/bin.ts, TypeStrong/ts-node v10.9.2 057ac1beb118f9c42d21e876a17320ad73ea6be2), so arguments after the path reach the script.",
			"Paths are relative to the checkout root; a trailing / marks a directory.",
			"writes[].stamped lists what makes a file differ between two identical runs: each clock or random read (new Date(), Date.now(), Math.random(), randomUUID(), randomBytes(), getRandomValues(), performance.now(), process.hrtime) in the source that produces the file and whose value reaches it, or, where the file only copies such a value from another output, the line that copies it; [] when nothing does. when gives the condition (a format, a mode) under which one applies, file the files of a directory that carry it. outputStamped is the same for the files a script writes where a flag says (--out, --bundle, --output-name). varies notes variation that comes from chain state rather than a clock call. Producers and line choices are a table in scripts/upstream-contract/stamptable.go, checked against the checkout on every run.",
		},
	}
	for _, sp := range npmSpecs {
		sc, err := buildNpm(co, sp)
		if err != nil {
			return nil, err
		}
		c.Scripts = append(c.Scripts, sc)
	}
	c.HardhatScripts = map[string]*Script{}
	for _, sp := range hardhatSpecs {
		sc, err := buildHardhat(co, sp)
		if err != nil {
			return nil, err
		}
		if sc.InvokedBy, err = invokedBy(co, sc, c.Scripts); err != nil {
			return nil, err
		}
		c.HardhatScripts[sc.Source] = sc
	}
	sortScripts(c.Scripts)
	if err := addStamps(co, c, stampRules); err != nil {
		return nil, err
	}
	if c.HardhatRun, err = hardhatRun(dir); err != nil {
		return nil, err
	}
	return c, nil
}

func sortScripts(s []*Script) {
	key := func(x *Script) string { return x.Name + "\x00" + x.Source }
	sort.Slice(s, func(i, j int) bool { return key(s[i]) < key(s[j]) })
}

// encode is 2-space JSON with a trailing newline and no HTML escaping, so
// "<network>" stays readable.
func encode(c *Contract) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
