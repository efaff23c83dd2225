package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/helios-action/helios-action/internal/mission"
)

// Plan renders the resolved plan of a mission: phases in the order they
// start, each step's command or action, then the closing files. It is what
// `helios plan` prints and what reviewers compare when a mission changes.
// A sharded mission's plan lists its shards, then the part each shard
// runs and the part the merge runs after them.
func Plan(m *mission.Mission) string {
	var b strings.Builder
	writeHeader(&b, m)
	if m.Sharding == nil {
		writePhases(&b, m, m.Order(), 1, nil)
		b.WriteString(ledgerLine)
		return b.String()
	}
	all := m.Shards()
	fmt.Fprintf(&b, "shards: %d, from %s\n", len(all), axesLine(m.Sharding.Axes))
	writeShards(&b, all)
	fmt.Fprintf(&b, "sharded phases: %s (each shard's instance writes into %s/<id>/)\n", strings.Join(m.Sharding.Phases, ", "), mission.ShardsDir)
	b.WriteString("helios run without --shard runs it all in one job, each phase once and the sharded ones once per shard;\n")
	b.WriteString("a shard job runs the first part (helios plan --shard ID or K-of-N shows one), the merge job the second\n")
	b.WriteString("\neach shard job runs:")
	shardPart := m.ShardPlan()
	writePhases(&b, m, shardPart, 1, nil)
	b.WriteString("\nthe merge job runs, after every shard:")
	again := make(map[string]bool, len(shardPart))
	for _, p := range shardPart {
		again[p.Name] = true
	}
	writePhases(&b, m, m.MergePlan(), len(shardPart)+1, again)
	b.WriteString(ledgerLine)
	return b.String()
}

// PlanShard renders what the shard job `--shard spec` runs: its shards,
// each with its environment and folder, the phases it runs, and what the
// merge runs after it. spec is a shard id or K-of-N (see
// mission.Mission.ShardsFor).
func PlanShard(m *mission.Mission, spec string) (string, error) {
	shards, err := m.ShardsFor(spec)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	writeHeader(&b, m)
	fmt.Fprintf(&b, "shard %s: %d of the %d shards\n", spec, len(shards), len(m.Shards()))
	writeShards(&b, shards)
	fmt.Fprintf(&b, "sharded phases: %s (once for each shard above, into its folder)\n", strings.Join(m.Sharding.Phases, ", "))
	writePhases(&b, m, m.ShardPlan(), 1, nil)
	b.WriteString(ledgerLine)
	var merge []string
	for _, p := range m.MergePlan() {
		merge = append(merge, p.Name)
	}
	if len(merge) > 0 {
		fmt.Fprintf(&b, "after every shard, the merge runs: %s\n", strings.Join(merge, ", "))
	}
	return b.String(), nil
}

const ledgerLine = "\nthen: manifest.json, then SHA256SUMS over every file (the ledger)\n"

// writeHeader writes what the plan says before its phases.
func writeHeader(b *strings.Builder, m *mission.Mission) {
	fmt.Fprintf(b, "mission: %s\nfile: %s\nreport root: %s\nnetwork: %s\n", m.Name, m.File, m.ReportRoot, m.Network)
	if m.RPC == mission.RPCOptional {
		// Only the non-default is shown, so plans of missions that do not
		// say rpc read as they always have.
		b.WriteString("rpc: optional (without an RPC endpoint the chain steps are skipped, not failed)\n")
	}
	if defaultShell(m) {
		// Decided when each step starts, from the PATH it gets.
		fmt.Fprintf(b, "shell: %s, or %s where bash is not on PATH (unless a step says shell:)\n", mission.DefaultShell, mission.FallbackShell)
	}
	if len(m.PassEnv) > 0 {
		var names []string
		for _, p := range m.PassEnv {
			n := p.Name
			if p.Public {
				n += " (public)"
			}
			names = append(names, n)
		}
		fmt.Fprintf(b, "pass-env: %s\n", strings.Join(names, ", "))
	}
}

// axesLine shows the matrix: region (eu, us) × sector (energy, health).
func axesLine(axes []mission.Axis) string {
	parts := make([]string, len(axes))
	for i, a := range axes {
		vals := make([]string, len(a.Values))
		for j, v := range a.Values {
			vals[j] = shown(v)
		}
		parts[i] = fmt.Sprintf("%s (%s)", a.Name, strings.Join(vals, ", "))
	}
	return strings.Join(parts, " × ")
}

// writeShards lists shards, one a line: the id, the environment its
// sharded phases get, and the folder they write into.
func writeShards(b *strings.Builder, shards []mission.Shard) {
	width := 0
	for _, s := range shards {
		width = max(width, len(s.ID))
	}
	for _, s := range shards {
		env := s.Env()
		vars := make([]string, len(env))
		for i, e := range env {
			vars[i] = e.Name + "=" + shown(e.Value)
		}
		fmt.Fprintf(b, "  %-*s  %s → %s/\n", width, s.ID, strings.Join(vars, " "), s.Root())
	}
}

// shown writes a value from the mission as it can be read back: as it is
// when it is one plain word, else quoted, so that spaces and line breaks
// show.
func shown(v string) string {
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-/", r)) {
			return strconv.Quote(v)
		}
	}
	if v == "" {
		return `""`
	}
	return v
}

// writePhases writes phases numbered from first, each with its steps.
// Sharded phases are marked; so are those in again, which a shard has
// run already and the merge runs once more.
func writePhases(b *strings.Builder, m *mission.Mission, phases []*mission.Phase, first int, again map[string]bool) {
	for k, p := range phases {
		i := first + k
		fmt.Fprintf(b, "\n%d. phase %s", i, p.Name)
		if len(p.Needs) > 0 {
			fmt.Fprintf(b, " (needs %s)", strings.Join(p.Needs, ", "))
		}
		if p.Timeout > 0 {
			fmt.Fprintf(b, " timeout %s", p.Timeout)
		}
		if p.ContinueOnError {
			b.WriteString(" continue-on-error")
		}
		if m.Sharded(p.Name) {
			b.WriteString(" · sharded")
		}
		if again[p.Name] {
			b.WriteString(" · again: the shard jobs ran it too; the merged bundle holds its files as one job would")
		}
		b.WriteString("\n")
		for j, s := range p.Steps {
			fmt.Fprintf(b, "   %d.%d %s [%s]\n", i, j+1, s.Name, s.ID)
			switch s.Kind {
			case mission.Run:
				dir := ""
				if s.WorkingDirectory != "" {
					dir = " (in " + s.WorkingDirectory + ")"
				}
				fmt.Fprintf(b, "        $ %s%s\n", oneLine(s.Run), dir)
				if s.Shell != "" {
					fmt.Fprintf(b, "        shell: %s\n", s.ShellCommand())
				}
			case mission.Collect:
				opt := ""
				if s.Collect.Optional {
					opt = " (optional)"
				}
				fmt.Fprintf(b, "        collect %s → %s%s\n", strings.Join(s.Collect.From, " "), collectTo(s), opt)
			case mission.Uses:
				fmt.Fprintf(b, "        uses %s\n", s.Uses)
			}
		}
	}
}

// defaultShell says whether a run step of m has no shell of its own.
func defaultShell(m *mission.Mission) bool {
	for _, p := range m.Phases {
		for _, s := range p.Steps {
			if s.Kind == mission.Run && s.Shell == "" {
				return true
			}
		}
	}
	return false
}

// oneLine shows a multi-line script on one line, its line breaks marked.
// It also keeps text from files and errors from starting a console line of
// its own, where the runner would read it as a workflow command.
func oneLine(s string) string {
	s = strings.TrimRight(s, "\r\n")
	return strings.NewReplacer("\r\n", " ⏎ ", "\n", " ⏎ ", "\r", " ⏎ ").Replace(s)
}
