package main

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// asiTakeoffLocal reads demo:asi-takeoff:local: the paths its shell variables
// resolve to, the programs it starts, the mission report aurora-report.ts
// writes from NETWORK and AURORA_REPORT_SCOPE, and the namespaced receipts
// aurora.demo.ts writes besides the script's own receipts directory.
func asiTakeoffLocal(c *checkout, sc *Script, sh *shellScript) error {
	text := strings.Join(sh.lines, "\n")
	// Each variable, with the use that shows it is written.
	vars := []struct {
		name string
		dir  bool
		use  string
		note string
	}{
		{"REPORT_DIR", true, `(?m)^mkdir -p "\$REPORT_DIR"$`, "the script's receipts directory (mkdir -p)"},
		{"DEPLOY_OUTPUT", false, `DEPLOY_DEFAULTS_OUTPUT="\$DEPLOY_OUTPUT"`, "deployment summary written by scripts/v2/deployDefaults.ts (DEPLOY_DEFAULTS_OUTPUT)"},
		{"LOG_FILE", false, `start_node "\$LOG_FILE"`, "the local node's log (anvil or hardhat node); an absolute path outside the checkout"},
	}
	for _, v := range vars {
		if !regexp.MustCompile(v.use).MatchString(text) {
			return fmt.Errorf("%s: no %q: %s is no longer written the expected way", sh.path, v.use, v.name)
		}
		val, line, err := sh.pathOf(v.name)
		if err != nil {
			return err
		}
		w := Write{Path: val.v, Dir: v.dir, Env: val.env, Line: line, Note: v.note}
		if w.Dir {
			w.Path += "/"
		}
		sc.Writes = append(sc.Writes, w)
	}

	for _, ch := range sh.children() {
		t, sum, err := c.read(ch)
		if err != nil {
			return fmt.Errorf("%s starts %s: %w", sh.path, ch, err)
		}
		s, err := newSource(ch, t)
		if err != nil {
			return err
		}
		env, _, err := s.envReads()
		if err != nil {
			return err
		}
		sc.Invokes = append(sc.Invokes, Child{Source: ch, SourceSha256: sum, Env: env})
	}

	report, err := missionReport(c, sh)
	if err != nil {
		return err
	}
	receipts, err := namespacedReceipts(c, sh)
	if err != nil {
		return err
	}
	sc.Writes = append(sc.Writes, report, receipts)
	sc.Notes = append(sc.Notes,
		"The script runs `pkill -f \"[a]nvil\"` and `pkill -f \"hardhat node\"` before starting its own node on 127.0.0.1:8545.")
	return nil
}

const (
	auroraReport = "demo/aurora/bin/aurora-report.ts"
	auroraDemo   = "demo/aurora/aurora.demo.ts"
)

// missionReport: render_report runs aurora-report.ts with the script's NET
// and SCOPE, which writes reports/<net>/<scope>/<scope>-report.md (or
// aurora-report.md for the aurora scope).
func missionReport(c *checkout, sh *shellScript) (Write, error) {
	body, err := sh.funcBody("render_report")
	if err != nil {
		return Write{}, err
	}
	for _, want := range []string{`AURORA_REPORT_SCOPE="$SCOPE"`, `NETWORK="$NET"`, auroraReport} {
		if !strings.Contains(body, want) {
			return Write{}, fmt.Errorf("%s: render_report no longer has %s", sh.path, want)
		}
	}
	text, _, err := c.read(auroraReport)
	if err != nil {
		return Write{}, err
	}
	shapes := map[string]*regexp.Regexp{
		"net":    regexp.MustCompile(`\bconst\s+net\s*=\s*process\.env\.NETWORK\s*\|\|`),
		"scope":  regexp.MustCompile(`\bconst\s+scope\s*=\s*process\.env\.AURORA_REPORT_SCOPE\s*\|\|\s*'([\w.-]+)'`),
		"name":   regexp.MustCompile(`\bconst\s+reportFileName\s*=\s*scope\s*===\s*'([\w.-]+)'\s*\?\s*'([\w.-]+)'\s*:\s*` + "`" + `\$\{scope\}-report\.md` + "`"),
		"mdFile": regexp.MustCompile(`\bconst\s+mdFile\s*=\s*path\.join\(\s*'reports'\s*,\s*net\s*,\s*scope\s*,\s*reportFileName\s*\)`),
	}
	found := map[string][]string{}
	for k, re := range shapes {
		m := re.FindStringSubmatch(text)
		if m == nil {
			return Write{}, fmt.Errorf("%s: expected %s", auroraReport, re)
		}
		found[k] = m
	}
	net, _, err := sh.pathOf("NET")
	if err != nil {
		return Write{}, err
	}
	scope, _, err := sh.pathOf("SCOPE")
	if err != nil {
		return Write{}, err
	}
	file := scope.v + "-report.md"
	if scope.v == found["name"][1] {
		file = found["name"][2]
	}
	return Write{
		Path: path.Join("reports", net.v, scope.v, file),
		Env:  sortedUnique(append(append([]string{}, net.env...), scope.env...)),
		From: auroraReport,
		Note: "mission report: reports/<NETWORK>/<AURORA_REPORT_SCOPE>/<scope>-report.md (" + found["name"][2] + " when the scope is " + found["name"][1] + ")",
	}, nil
}

// namespacedReceipts: aurora.demo.ts writes each receipt under
// reports/<net>/<namespace>/[<mission label>/]receipts as well as under
// reports/<net>/<scope>/receipts; net comes from its --network argument.
func namespacedReceipts(c *checkout, sh *shellScript) (Write, error) {
	body, err := sh.funcBody("run_demo")
	if err != nil {
		return Write{}, err
	}
	nm := regexp.MustCompile(regexp.QuoteMeta(auroraDemo) + `\s+--network\s+([\w.-]+)`).FindStringSubmatch(body)
	if nm == nil {
		return Write{}, fmt.Errorf("%s: run_demo does not start %s --network <name>", sh.path, auroraDemo)
	}
	if strings.Contains(body, "AURORA_REPORT_NAMESPACE") || strings.Contains(body, "AURORA_MISSION_LABEL") {
		return Write{}, fmt.Errorf("%s: run_demo now sets the receipt namespace; re-read %s", sh.path, auroraDemo)
	}
	text, _, err := c.read(auroraDemo)
	if err != nil {
		return Write{}, err
	}
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`\bconst\s+parts\s*=\s*\[\s*'reports'\s*,\s*net\s*,\s*namespace\s*,\s*\.\.\.missionSegments\s*\]`),
		regexp.MustCompile(`\bpath\.join\(\s*baseDir\s*,\s*'receipts'\s*\)`),
		regexp.MustCompile(`process\.env\.AURORA_MISSION_LABEL`),
		regexp.MustCompile(`const\s+idx\s*=\s*process\.argv\.indexOf\('--network'\)`),
	} {
		if !re.MatchString(text) {
			return Write{}, fmt.Errorf("%s: expected %s", auroraDemo, re)
		}
	}
	ns := regexp.MustCompile(`process\.env\.AURORA_REPORT_NAMESPACE\?\.trim\(\);\s*if\s*\(!raw\)\s*return\s*'([\w.-]+)'`).FindStringSubmatch(text)
	if ns == nil {
		return Write{}, fmt.Errorf("%s: no default for AURORA_REPORT_NAMESPACE", auroraDemo)
	}
	return Write{
		Path: path.Join("reports", nm[1], ns[1], "receipts") + "/",
		Dir:  true,
		Env:  []string{"AURORA_MISSION_LABEL", "AURORA_REPORT_NAMESPACE"},
		From: auroraDemo,
		Note: "receipts under reports/<--network>/<AURORA_REPORT_NAMESPACE>/[<AURORA_MISSION_LABEL>/]receipts/; the network is the script's fixed --network argument, not NETWORK",
	}, nil
}
