package report

import (
	"fmt"
	"strings"

	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/markup"
)

// shardsBudgetSummary bounds the shards table of the job summary: a
// matrix has at most 256 jobs, whose rows fit.
const shardsBudgetSummary = 64 << 10

// maxShardIDs bounds the shard ids a K-of-N job's row names.
const maxShardIDs = 4

// shards is the table of a merged bundle's shard jobs (Manifest.Shards),
// and a line that names those that did not succeed: a missing, tampered
// or failed shard is what fails a merge. failedOnly (the comment and the
// check run) keeps the rows of those only. It is "" for a bundle that is
// not a merge.
func (in *Input) shards(m measure, budget int, heading string, failedOnly bool) string {
	if in.Manifest == nil || len(in.Manifest.Shards) == 0 {
		return ""
	}
	all := in.Manifest.Shards
	var bad []string
	rows := make([]string, 0, len(all))
	for _, s := range all {
		ok := s.Conclusion == manifest.Success
		if !ok {
			bad = append(bad, mdCode(s.Spec, nameChars))
		}
		if failedOnly && ok {
			continue
		}
		rows = append(rows, shardRow(s))
	}
	var verdict string
	switch {
	case len(bad) == 0:
		verdict = fmt.Sprintf("\nAll %s succeeded.\n", markup.Plural(len(all), "shard job"))
	default:
		verdict = fmt.Sprintf("\n**%d of %s did not succeed:** %s.\n", len(bad), markup.Plural(len(all), "shard job"), strings.Join(bad[:min(len(bad), 20)], ", "))
		if len(bad) > 20 {
			verdict = strings.TrimSuffix(verdict, ".\n") + ", …\n"
		}
	}
	title := fmt.Sprintf("\n%s Shards\n", heading)
	if len(rows) == 0 {
		return title + verdict
	}
	head := title + "\n| Shard job | Conclusion | Files | Duration | Ledger digest | Problem |\n| --- | --- | --- | --- | --- | --- |\n"
	return cutRows(m, budget, head, rows, verdict, func(shown, total int) string {
		return fmt.Sprintf("\n…%d more shard jobs not shown; every one is in %s (`shards`).\n", total-shown, in.where())
	})
}

// shardRow is one shard job's row: a K-of-N job names the shards it ran.
func shardRow(s manifest.Shard) string {
	name := mdCode(s.Spec, nameChars)
	if len(s.IDs) > 1 || (len(s.IDs) == 1 && s.IDs[0] != s.Spec) {
		ids := make([]string, 0, maxShardIDs+1)
		for i, id := range s.IDs {
			if i == maxShardIDs {
				ids = append(ids, "…")
				break
			}
			ids = append(ids, mdText(id, nameChars))
		}
		name += ": " + strings.Join(ids, ", ")
	}
	files, dur := "—", "—"
	if s.Conclusion != manifest.Missing {
		files = fmt.Sprint(s.Files)
	}
	if !s.StartedAt.IsZero() {
		dur = markup.DurationMs(s.DurationMs)
	}
	problem := ""
	if s.Problem != "" {
		problem = mdText(s.Problem, valueChars)
	}
	return fmt.Sprintf("| %s | %s | %s | %s | %s | %s |\n", name, status(s.Conclusion), files, dur, sum(s.Digest), problem)
}
