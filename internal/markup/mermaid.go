package markup

import (
	"fmt"
	"strconv"
	"strings"
)

// Mermaid's sizes.
const (
	// MaxMermaidChars bounds a diagram's source: Mermaid's default
	// maxTextSize is 50,000, beyond which it draws nothing.
	MaxMermaidChars = 45000
	// LabelChars bounds a label: longer ones make nodes and bars too wide
	// to read.
	LabelChars = 60
)

// MermaidLabel makes untrusted text safe as Mermaid text: a quoted label
// of a flowchart (p0["…"]) and the unquoted name of a gantt task or section
// alike. After Line, with spaces at either end trimmed and cut to max
// characters when max > 0:
//
//   - Quotes, brackets, HTML, the entity syntax itself, and what ends or
//     comments out a gantt name (':', '#', ';', '%') become Mermaid entity
//     codes (#quot;, #58;, …), which Mermaid turns back into the characters
//     when it draws.
//   - A label that starts with a gantt keyword ("title", "section",
//     "click", …, in any case) has its first letter as an entity code, or
//     the gantt line would be read as that directive. In a flowchart label
//     this is not needed and draws the same.
//   - '@' gets a word joiner, as in Text.
//   - Empty text shows as "(unnamed)".
func MermaidLabel(s string, max int) string {
	s = strings.TrimSpace(Line(strings.TrimSpace(s), max))
	directive := startsWithKeyword(s)
	var b strings.Builder
	for i, r := range s {
		if i == 0 && directive {
			b.WriteString("#" + strconv.Itoa(int(r)) + ";")
			continue
		}
		switch r {
		case '"':
			b.WriteString("#quot;")
		case '<':
			b.WriteString("#lt;")
		case '>':
			b.WriteString("#gt;")
		case '&':
			b.WriteString("#amp;")
		case '@':
			b.WriteString("@" + wordJoiner)
		case '#', ';', '`', '[', ']', '(', ')', '{', '}', '|', ':', '%', '\\':
			b.WriteString("#" + strconv.Itoa(int(r)) + ";")
		default:
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "(unnamed)"
	}
	return b.String()
}

// ganttKeywords start a directive when a gantt line begins with them.
var ganttKeywords = []string{
	"title", "section", "dateformat", "axisformat", "tickinterval", "excludes",
	"includes", "todaymarker", "weekday", "weekend", "inclusiveenddates", "topaxis",
	"acctitle", "accdescr", "displaymode", "click",
}

func startsWithKeyword(s string) bool {
	lower := strings.ToLower(s)
	for _, k := range ganttKeywords {
		if strings.HasPrefix(lower, k) {
			return true
		}
	}
	return false
}

// Phase is one node of a phase graph.
type Phase struct {
	Name  string
	Needs []string
	// Status, when set, is shown under the name and colours the node.
	Status string
}

// Statuses that have a colour; any other non-empty status is drawn as
// "unknown".
var statusClasses = []string{"success", "failure", "cancelled", "skipped", "unknown"}

// palette colours nodes by status, in GitHub's Primer colours, so the
// graph reads like the checks on a pull request. Skipped nodes are dashed
// to tell them from unknown ones without colour.
var palette = map[string]string{
	"success":   "fill:#dafbe1,stroke:#1a7f37,color:#1f2328",
	"failure":   "fill:#ffebe9,stroke:#cf222e,color:#1f2328",
	"cancelled": "fill:#fff8c5,stroke:#9a6700,color:#1f2328",
	"skipped":   "fill:#f6f8fa,stroke:#8c959f,color:#57606a,stroke-dasharray:4 3",
	"unknown":   "fill:#f6f8fa,stroke:#57606a,color:#1f2328",
}

// Flowchart renders phases, in the order given, as a Mermaid flowchart
// (without the fence) with an edge from each needed phase to the phase that
// needs it. Nodes are p0, p1, …; a label is the phase's name, cut to
// LabelChars, and its status when it has one, all through MermaidLabel, so
// any name is safe in the diagram. When any phase has a status, nodes are
// coloured by it. Callers that may draw very many phases check the result
// against MaxMermaidChars.
func Flowchart(phases []Phase) string {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	id := make(map[string]string, len(phases))
	for i, p := range phases {
		id[p.Name] = "p" + strconv.Itoa(i)
	}
	for i, p := range phases {
		label := MermaidLabel(p.Name, LabelChars)
		if p.Status != "" {
			label += "<br/>" + MermaidLabel(p.Status, 20)
		}
		fmt.Fprintf(&b, "  p%d[\"%s\"]\n", i, label)
	}
	for i, p := range phases {
		for _, n := range p.Needs {
			if from, ok := id[n]; ok {
				fmt.Fprintf(&b, "  %s --> p%d\n", from, i)
			}
		}
	}
	byClass := map[string][]string{}
	for i, p := range phases {
		if p.Status == "" {
			continue
		}
		class := p.Status
		if _, ok := palette[class]; !ok {
			class = "unknown"
		}
		byClass[class] = append(byClass[class], "p"+strconv.Itoa(i))
	}
	if len(byClass) == 0 {
		return b.String()
	}
	for _, c := range statusClasses {
		if ids := byClass[c]; len(ids) > 0 {
			fmt.Fprintf(&b, "  class %s %s\n", strings.Join(ids, ","), c)
		}
	}
	for _, c := range statusClasses {
		fmt.Fprintf(&b, "  classDef %s %s\n", c, palette[c])
	}
	return b.String()
}
