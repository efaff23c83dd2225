package kit

import "github.com/helios-action/helios-action/internal/markup"

// GraphPhase is one node of a phase graph, as kit.json lists it.
type GraphPhase struct {
	Name  string   `json:"name"`
	Needs []string `json:"needs"`
	// Status, when set, colours the node (success, failure, cancelled, skipped).
	Status string `json:"status,omitempty"`
}

// flowchart draws phases with markup's phase flowchart, the one the job
// summary and index.html draw.
func flowchart(phases []GraphPhase) string {
	nodes := make([]markup.Phase, len(phases))
	for i, p := range phases {
		nodes[i] = markup.Phase(p)
	}
	return markup.Flowchart(nodes)
}
