package kit

import (
	"fmt"
	"strings"
)

// GraphPhase is one node of a phase graph.
type GraphPhase struct {
	Name  string   `json:"name"`
	Needs []string `json:"needs"`
	// Status, when set, colours the node (success, failure, cancelled, skipped).
	Status string `json:"status,omitempty"`
}

// statusStyles colour nodes by conclusion, in GitHub's palette.
var statusStyles = []struct{ status, style string }{
	{"success", "fill:#dafbe1,stroke:#1a7f37,color:#1f2328"},
	{"failure", "fill:#ffebe9,stroke:#cf222e,color:#1f2328"},
	{"cancelled", "fill:#fff8c5,stroke:#9a6700,color:#1f2328"},
	{"skipped", "fill:#f6f8fa,stroke:#8c959f,color:#57606a"},
}

// Flowchart renders phases, in the order given, as a Mermaid flowchart with
// an edge from each needed phase to the phase that needs it. Nodes get ids
// p1, p2, … and the names are labels with Mermaid's entity codes for the
// characters that would end a label or read as markup, so any phase name is
// safe in the diagram.
func Flowchart(phases []GraphPhase) string {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	ids := make(map[string]string, len(phases))
	for i, p := range phases {
		id := fmt.Sprintf("p%d", i+1)
		ids[p.Name] = id
		fmt.Fprintf(&b, "  %s[\"%s\"]\n", id, mermaidLabel(p.Name))
	}
	for _, p := range phases {
		for _, n := range p.Needs {
			if from, ok := ids[n]; ok {
				fmt.Fprintf(&b, "  %s --> %s\n", from, ids[p.Name])
			}
		}
	}
	for _, st := range statusStyles {
		var members []string
		for _, p := range phases {
			if p.Status == st.status {
				members = append(members, ids[p.Name])
			}
		}
		if len(members) > 0 {
			fmt.Fprintf(&b, "  classDef %s %s\n  class %s %s\n", st.status, st.style, strings.Join(members, ","), st.status)
		}
	}
	return b.String()
}

// mermaidLabel escapes a label for a quoted Mermaid node: quotes, markup
// characters, '#' (entity syntax itself), '`' (Markdown strings and code
// fences) and line breaks become "#<code>;" entities.
func mermaidLabel(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '"', '<', '>', '&', '#', '`', '\n', '\r', '\\':
			fmt.Fprintf(&b, "#%d;", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
