package engine

import (
	"fmt"
	"strings"

	"github.com/helios-action/helios-action/internal/mission"
)

// Plan renders the resolved plan of a mission: phases in the order they
// start, each step's command or action, then the closing files. It is what
// `helios plan` prints and what reviewers compare when a mission changes.
func Plan(m *mission.Mission) string {
	var b strings.Builder
	fmt.Fprintf(&b, "mission: %s\nfile: %s\nreport root: %s\nnetwork: %s\n", m.Name, m.File, m.ReportRoot, m.Network)
	if m.RPC == mission.RPCOptional {
		// Only the non-default is shown, so plans of missions that do not
		// say rpc read as they always have.
		b.WriteString("rpc: optional (without an RPC endpoint the chain steps are skipped, not failed)\n")
	}
	if defaultShell(m) {
		// Decided when each step starts, from the PATH it gets.
		fmt.Fprintf(&b, "shell: %s, or %s where bash is not on PATH (unless a step says shell:)\n", mission.DefaultShell, mission.FallbackShell)
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
		fmt.Fprintf(&b, "pass-env: %s\n", strings.Join(names, ", "))
	}
	for i, p := range m.Order() {
		fmt.Fprintf(&b, "\n%d. phase %s", i+1, p.Name)
		if len(p.Needs) > 0 {
			fmt.Fprintf(&b, " (needs %s)", strings.Join(p.Needs, ", "))
		}
		if p.Timeout > 0 {
			fmt.Fprintf(&b, " timeout %s", p.Timeout)
		}
		if p.ContinueOnError {
			b.WriteString(" continue-on-error")
		}
		b.WriteString("\n")
		for j, s := range p.Steps {
			fmt.Fprintf(&b, "   %d.%d %s [%s]\n", i+1, j+1, s.Name, s.ID)
			switch s.Kind {
			case mission.Run:
				dir := ""
				if s.WorkingDirectory != "" {
					dir = " (in " + s.WorkingDirectory + ")"
				}
				fmt.Fprintf(&b, "        $ %s%s\n", oneLine(s.Run), dir)
				if s.Shell != "" {
					fmt.Fprintf(&b, "        shell: %s\n", s.ShellCommand())
				}
			case mission.Collect:
				opt := ""
				if s.Collect.Optional {
					opt = " (optional)"
				}
				fmt.Fprintf(&b, "        collect %s → %s%s\n", strings.Join(s.Collect.From, " "), collectTo(s), opt)
			case mission.Uses:
				fmt.Fprintf(&b, "        uses %s\n", s.Uses)
			}
		}
	}
	b.WriteString("\nthen: manifest.json, then SHA256SUMS over every file (the ledger)\n")
	return b.String()
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
