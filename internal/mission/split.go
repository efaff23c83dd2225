package mission

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// This file divides a sharded mission between its shards and the merge.
// It is kept apart from the parser because the engine, the command line
// and the action call it, and none of them needs the parser to read it.
// Every function here is pure: the same mission gives the same answer.

// Shards returns every shard of the mission, one per combination of the
// matrix's values, the first axis varying slowest: for region [eu, us] and
// sector [energy, health], eu-energy, eu-health, us-energy, us-health. It
// is nil for a mission without "shards".
func (m *Mission) Shards() []Shard {
	if m.Sharding == nil {
		return nil
	}
	return combinations(m.Sharding.Axes)
}

// maxListed bounds how many shard ids an error lists.
const maxListed = 12

// ShardsFor returns the shards that spec names: one shard by its id, or
// "K-of-N", the K-th of N parts of Shards taken in order, whose sizes
// differ by at most one (the first parts hold the extra shards). 1 ≤ K ≤ N,
// and N is at most the number of shards, so that no part is empty.
func (m *Mission) ShardsFor(spec string) ([]Shard, error) {
	all := m.Shards()
	if len(all) == 0 {
		return nil, fmt.Errorf("the mission has no \"shards\", so there is no shard %s", quote(spec))
	}
	if spec == "" {
		return nil, errors.New("no shard given: give a shard id or K-of-N")
	}
	if sm := splitRE.FindStringSubmatch(spec); sm != nil {
		k, errK := strconv.Atoi(sm[1])
		n, errN := strconv.Atoi(sm[2])
		switch {
		case errK != nil || errN != nil || k < 1 || k > n:
			return nil, fmt.Errorf("shard %s: K-of-N needs 1 ≤ K ≤ N", quote(spec))
		case strconv.Itoa(k)+"-of-"+strconv.Itoa(n) != spec:
			// One leg, one spelling: the merge tells legs apart, and finds
			// the missing ones, by spec.
			return nil, fmt.Errorf("shard %s: write K-of-N without leading zeros, as %d-of-%d", quote(spec), k, n)
		case n > len(all):
			return nil, fmt.Errorf("shard %s: the mission has %d shards, so N is at most %d", quote(spec), len(all), len(all))
		}
		size, extra := len(all)/n, len(all)%n
		start := (k-1)*size + min(k-1, extra)
		if k <= extra {
			size++
		}
		return all[start : start+size], nil
	}
	ids := make([]string, len(all))
	for i, s := range all {
		if s.ID == spec {
			return []Shard{s}, nil
		}
		ids[i] = s.ID
	}
	hint := ""
	if s := suggest(spec, ids); s != "" {
		hint = fmt.Sprintf(" (did you mean %s?)", quote(s))
	}
	listed := ids
	if len(ids) > maxListed {
		listed = append(ids[:maxListed:maxListed], fmt.Sprintf("… (%d in all)", len(ids)))
	}
	return nil, fmt.Errorf("unknown shard %s%s; the shards are %s, or give K-of-N with N at most %d",
		quote(spec), hint, strings.Join(listed, ", "), len(all))
}

// InstanceName names a sharded phase's instance for one shard, as runs
// and manifests do: "plan [eu-energy]".
func InstanceName(phase, shard string) string { return phase + " [" + shard + "]" }

// Sharded reports whether the phase called name is sharded.
func (m *Mission) Sharded(name string) bool {
	return m.Sharding != nil && contains(m.Sharding.Phases, name)
}

// ShardPlan returns the phases a shard runs, in plan order: the sharded
// phases, once for each of its shards, and the phases they need, directly
// or through others, once. Parse makes sure that none of the latter needs
// a sharded phase (see checkShardNeeds), so a shard never waits for
// another. It is nil for a mission without "shards".
func (m *Mission) ShardPlan() []*Phase {
	if m.Sharding == nil {
		return nil
	}
	in := make(map[string]bool)
	var visit func(name string)
	visit = func(name string) {
		ph := m.Phase(name)
		if ph == nil || in[name] {
			return
		}
		in[name] = true
		for _, need := range ph.Needs {
			visit(need)
		}
	}
	for _, name := range m.Sharding.Phases {
		visit(name)
	}
	return m.ordered(in)
}

// MergePlan returns the phases that run once every shard has finished, in
// plan order: every phase that is not sharded, those the shards run too
// (prep, say) included. A merge phase thus finds what the phases it needs
// wrote at the same place as in a run of the whole mission in one job, and
// the merged bundle holds every file of that run at the same path; its
// needs on sharded phases are met by the shards. For a mission without
// "shards" it is every phase.
func (m *Mission) MergePlan() []*Phase {
	if m.Sharding == nil {
		return m.Order()
	}
	in := make(map[string]bool)
	for _, ph := range m.Phases {
		if !m.Sharded(ph.Name) {
			in[ph.Name] = true
		}
	}
	return m.ordered(in)
}

// ordered returns the phases named in set, in plan order.
func (m *Mission) ordered(set map[string]bool) []*Phase {
	var out []*Phase
	for _, ph := range m.Order() {
		if set[ph.Name] {
			out = append(out, ph)
		}
	}
	return out
}
