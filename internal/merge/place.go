package merge

import (
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/helios-action/helios-action/internal/bundlefs"
	"github.com/helios-action/helios-action/internal/bundlezip"
	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/mission"
)

// Place verifies each source against its own ledger and writes its files
// into dst, the merge job's report root (emptied: it may hold an empty
// logs/ folder): a file shards/<id>/… of a shard the source ran goes to
// shards/<id>/…, every other file of it (its SHA256SUMS and manifest.json
// among them) to jobs/<spec>/…. m is the sharded mission the merge runs.
//
// prefix is the shard artifacts' common name without the "-<spec>" the
// shard jobs add (the action's artifact-name); it names the artifact a
// missing shard should have had. When it is "", it is read from the
// sources' names when they agree.
//
// A source is used only when its whole bundle verifies and its manifest
// says it is the shard job its name says, of this very mission; otherwise
// it is recorded as tampered and nothing of it stays in dst. Every shard
// of the mission must be covered by exactly one source; one covered by no
// source is recorded as missing (per missing K-of-N part when every
// source is a part of one split, else per shard). A source covering a
// shard an earlier one (in spec order) covers is not used, and is a
// problem but not a Shard entry: the mission does not expect it. A
// source named for no shard of the mission is a note. Any Problem fails
// the merge.
//
// What Place writes and returns does not depend on the order of sources.
// Its error is for Place's own failures: dst cannot be written, or ctx is
// done; a bad source is a Problem.
func Place(ctx context.Context, dst *bundlefs.Dir, m *mission.Mission, prefix string, sources []Source, lim bundlezip.Limits) (*Placed, error) {
	if m.Sharding == nil {
		return nil, errors.New("merge: the mission has no shards")
	}
	srcs := slices.Clone(sources)
	slices.SortFunc(srcs, func(a, b Source) int {
		return cmp.Or(strings.Compare(a.Spec, b.Spec), strings.Compare(a.Artifact, b.Artifact), strings.Compare(a.Zip, b.Zip))
	})
	out := &Placed{Phases: map[string]manifest.Phase{}}
	var problems []problem
	var cands []candidate
	for _, src := range srcs {
		shards, err := m.ShardsFor(src.Spec)
		if err != nil {
			out.Notes = append(out.Notes, fmt.Sprintf("artifact %s: not used: %v", src.Artifact, err))
			continue
		}
		ids := make([]string, len(shards))
		for i, s := range shards {
			ids[i] = s.ID
		}
		cands = append(cands, candidate{src, ids})
	}
	if prefix == "" {
		prefix = commonPrefix(cands)
	}

	covered := map[string]candidate{} // shard id → the source that covers it
	for i, c := range cands {
		if ctx.Err() != nil {
			// A signal: what is placed stays, the rest is recorded as
			// not placed, and the engine seals a cancelled run.
			for _, c := range cands[i:] {
				out.Shards = append(out.Shards, notPlaced(c))
				for _, id := range c.ids {
					covered[id] = c
				}
			}
			break
		}
		if prev, id, ok := overlap(covered, c); ok {
			problems = append(problems, problem{c.Spec, fmt.Sprintf("shard %s (artifact %s): not used: it covers %s, which shard %s (artifact %s) covers too",
				c.Spec, c.Artifact, id, prev.Spec, prev.Artifact)})
			continue
		}
		for _, id := range c.ids {
			covered[id] = c
		}
		s, phases, err := place(ctx, dst, m, c, lim)
		if err != nil && ctx.Err() != nil {
			// place removed what it wrote of c; the loop records the
			// rest on its next turn.
			out.Shards = append(out.Shards, notPlaced(c))
			continue
		}
		if err != nil {
			return nil, err
		}
		out.Shards = append(out.Shards, *s)
		if s.Problem != "" {
			problems = append(problems, problem{s.Spec, s.Problem})
		}
		for _, p := range phases {
			out.Phases[p.Name] = p
		}
	}

	for _, s := range missing(m, cands, covered) {
		name := prefix + "-" + s.Spec
		if prefix == "" {
			name = "…-" + s.Spec
		}
		s.Problem = fmt.Sprintf("shard %s: no artifact %s", s.Spec, name)
		out.Shards = append(out.Shards, s)
		problems = append(problems, problem{s.Spec, s.Problem})
	}

	slices.SortStableFunc(out.Shards, func(a, b manifest.Shard) int {
		return cmp.Or(strings.Compare(a.Spec, b.Spec), strings.Compare(a.Artifact, b.Artifact))
	})
	slices.SortStableFunc(problems, func(a, b problem) int { return strings.Compare(a.spec, b.spec) })
	for _, p := range problems {
		out.Problems = append(out.Problems, p.text)
	}
	return out, nil
}

// notPlaced is a source a cancelled merge did not get to.
func notPlaced(c candidate) manifest.Shard {
	return manifest.Shard{ShardJob: manifest.ShardJob{Spec: c.Spec, IDs: c.ids}, Artifact: c.Artifact, Conclusion: manifest.Cancelled,
		Problem: fmt.Sprintf("shard %s (artifact %s): not placed: the merge was cancelled", c.Spec, c.Artifact)}
}

// candidate is a source whose spec names shards of the mission.
type candidate struct {
	Source
	ids []string // the shards its spec names, in mission order
}

type problem struct{ spec, text string }

// commonPrefix is the artifact name the sources share before "-<spec>",
// or "" when they share none.
func commonPrefix(cands []candidate) string {
	prefix := ""
	for _, c := range cands {
		p, ok := strings.CutSuffix(c.Artifact, "-"+c.Spec)
		if !ok || p == "" || prefix != "" && p != prefix {
			return ""
		}
		prefix = p
	}
	return prefix
}

// overlap finds a shard of c that an earlier source covers.
func overlap(covered map[string]candidate, c candidate) (candidate, string, bool) {
	for _, id := range c.ids {
		if prev, ok := covered[id]; ok {
			return prev, id, true
		}
	}
	return candidate{}, "", false
}

// missing lists the shard jobs that no source stands for: one per K-of-N
// part when every source is a part of one N-way split, else one per
// shard no source covers.
func missing(m *mission.Mission, cands []candidate, covered map[string]candidate) []manifest.Shard {
	var out []manifest.Shard
	if n := splitOf(cands); n > 0 {
		have := map[string]bool{}
		for _, c := range cands {
			have[c.Spec] = true
		}
		for k := 1; k <= n; k++ {
			spec := strconv.Itoa(k) + "-of-" + strconv.Itoa(n)
			if have[spec] {
				continue
			}
			shards, err := m.ShardsFor(spec)
			if err != nil { // n was checked when a source named it
				continue
			}
			out = append(out, missingShard(spec, shards))
		}
		return out
	}
	for _, s := range m.Shards() {
		if _, ok := covered[s.ID]; !ok {
			out = append(out, missingShard(s.ID, []mission.Shard{s}))
		}
	}
	return out
}

// splitOf is N when every source is a K-of-N part of one N, else 0.
func splitOf(cands []candidate) int {
	n := 0
	for _, c := range cands {
		_, ns, ok := strings.Cut(c.Spec, "-of-")
		v, err := strconv.Atoi(ns)
		if !ok || err != nil || n != 0 && v != n {
			return 0
		}
		n = v
	}
	return n
}

func missingShard(spec string, shards []mission.Shard) manifest.Shard {
	ids := make([]string, len(shards))
	for i, s := range shards {
		ids[i] = s.ID
	}
	return manifest.Shard{ShardJob: manifest.ShardJob{Spec: spec, IDs: ids}, Conclusion: manifest.Missing}
}

// place verifies one source and writes its files, or records why it is
// not used and leaves nothing of it in dst.
func place(ctx context.Context, dst *bundlefs.Dir, m *mission.Mission, c candidate, lim bundlezip.Limits) (*manifest.Shard, []manifest.Phase, error) {
	s := &manifest.Shard{
		ShardJob: manifest.ShardJob{Spec: c.Spec, IDs: c.ids},
		Artifact: c.Artifact,
	}
	refuse := func(why string) (*manifest.Shard, []manifest.Phase, error) {
		s.Conclusion = manifest.Tampered
		s.Problem = fmt.Sprintf("shard %s (artifact %s): %s", c.Spec, c.Artifact, why)
		return s, nil, nil
	}
	b, err := bundlezip.Open(c.Zip, lim)
	if err != nil {
		if u := errors.Unwrap(err); u != nil {
			err = u // the zip's path is the merge's download, not news
		}
		return refuse(err.Error())
	}
	defer b.Close()
	raw, err := b.ReadFile(ctx, manifest.FileName, MaxShardManifest)
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	if err != nil {
		return refuse(err.Error())
	}
	var man manifest.Manifest
	if err := json.Unmarshal(raw, &man); err != nil {
		return refuse(fmt.Sprintf("its %s does not parse: %v", manifest.FileName, err))
	}
	if why := checkRecord(&man, m, c); why != "" {
		return refuse(why)
	}
	phases, why := instances(&man, m, c)
	if why != "" {
		return refuse(why)
	}
	ids := map[string]bool{}
	for _, id := range c.ids {
		ids[id] = true
	}

	undo := func() error {
		for _, p := range folders(c) {
			if err := dst.RemoveAll(p); err != nil {
				return fmt.Errorf("merge: remove what shard %s placed: %w", c.Spec, err)
			}
		}
		return nil
	}
	cr := dst.Creator()
	defer cr.Close()
	rep, err := b.Stream(ctx, func(name string) (io.WriteCloser, error) {
		// Checked here, as each file comes, rather than over the ledger
		// first: Stream opens nothing when the zip holds unsafe names,
		// and those are reported as such.
		p, why := target(c.Spec, ids, name)
		if why != "" {
			return nil, &layoutError{why}
		}
		f, err := cr.Create(p, 0o644)
		if err != nil {
			return nil, &createError{name, err}
		}
		return f, nil
	})
	var ce *createError
	var le *layoutError
	switch {
	case ctx.Err() != nil:
		undo()
		return nil, nil, ctx.Err()
	case errors.As(err, &le):
		if uerr := undo(); uerr != nil {
			return nil, nil, uerr
		}
		return refuse(le.why)
	case errors.As(err, &ce) && ce.clash():
		// Only this source's own files are in its folders, so a path
		// that is a file and a folder at once is two of its names.
		if uerr := undo(); uerr != nil {
			return nil, nil, uerr
		}
		return refuse(fmt.Sprintf("%s clashes with another of its files: one path is both a file and a folder", ce.name))
	case errors.Is(err, bundlezip.ErrLimit):
		if uerr := undo(); uerr != nil {
			return nil, nil, uerr
		}
		return refuse(err.Error())
	case err != nil:
		undo()
		return nil, nil, fmt.Errorf("merge: place shard %s: %w", c.Spec, err)
	case !rep.Clean():
		if uerr := undo(); uerr != nil {
			return nil, nil, uerr
		}
		return refuse(firstProblem(rep))
	}

	digest := b.Digest()
	s.Job, s.Runner = man.Shard.Job, man.Shard.Runner
	s.Folder = JobsDir + "/" + c.Spec
	s.Digest = hex.EncodeToString(digest[:])
	s.ContentDigest = man.ContentDigest
	s.StartedAt, s.FinishedAt, s.DurationMs = man.StartedAt, man.FinishedAt, man.DurationMs
	s.Files = len(b.Ledger())
	s.Conclusion = man.Conclusion
	switch {
	case s.Conclusion == "":
		s.Conclusion = manifest.Failure
		s.Problem = fmt.Sprintf("shard %s: %s: its %s records no conclusion", c.Spec, s.Conclusion, manifest.FileName)
	case s.Conclusion != manifest.Success && man.Reason != "":
		s.Problem = fmt.Sprintf("shard %s: %s: %s", c.Spec, s.Conclusion, cut(man.Reason, maxReason))
	case s.Conclusion != manifest.Success:
		s.Problem = fmt.Sprintf("shard %s: %s", c.Spec, s.Conclusion)
	}
	return s, phases, nil
}

// MaxShardManifest bounds a shard bundle's manifest.json: its phase
// records are kept in the merged manifest, which its own readers bound at
// manifest.MaxFileSize, and a mission's manifest is kilobytes.
const MaxShardManifest = 16 << 20

// maxReason bounds the part of a shard's reason the merge repeats.
const maxReason = 500

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// instances returns the records of c's sharded phases' instances from its
// manifest: exactly one per sharded phase and shard of c, named for both,
// or why the manifest is not the record of the shards c ran. The merge's
// verdict rests on them, so a leg that leaves one out or records another
// shard's is refused, not believed.
func instances(man *manifest.Manifest, m *mission.Mission, c candidate) ([]manifest.Phase, string) {
	want := map[string]string{} // instance name → its shard
	for _, id := range c.ids {
		for _, ph := range m.Sharding.Phases {
			want[mission.InstanceName(ph, id)] = id
		}
	}
	// An ambiguous product names steps of the same job that ran beside
	// its own: steps that started, of the phases the job's plan has (its
	// shards' instances, and the unsharded phases), not of any record a
	// leg adds.
	planned := map[string]bool{}
	for name := range want {
		planned[name] = true
	}
	for _, ph := range m.Phases {
		if !slices.Contains(m.Sharding.Phases, ph.Name) {
			planned[ph.Name] = true
		}
	}
	stepNames := map[string]bool{}
	for _, p := range man.Phases {
		if !planned[p.Name] {
			continue
		}
		for _, st := range p.Steps {
			if st.Status != manifest.Skipped {
				stepNames[p.Name+" / "+st.Name] = true
			}
		}
	}
	got := map[string]manifest.Phase{}
	for _, p := range man.Phases {
		if p.Shard == "" {
			continue
		}
		id, ok := want[p.Name]
		switch {
		case !ok || id != p.Shard:
			return nil, fmt.Sprintf("its %s records phase %s for shard %s, which is not an instance of its own shards", manifest.FileName, strconv.Quote(p.Name), strconv.Quote(p.Shard))
		case got[p.Name].Name != "":
			return nil, fmt.Sprintf("its %s records phase %s twice", manifest.FileName, strconv.Quote(p.Name))
		}
		if why := foreignProduct(p, id, stepNames); why != "" {
			return nil, why
		}
		got[p.Name] = p
	}
	var out []manifest.Phase
	for _, id := range c.ids {
		for _, ph := range m.Sharding.Phases {
			p, ok := got[mission.InstanceName(ph, id)]
			if !ok {
				return nil, fmt.Sprintf("its %s has no record of phase %s", manifest.FileName, strconv.Quote(mission.InstanceName(ph, id)))
			}
			out = append(out, p)
		}
	}
	return out, ""
}

// foreignProduct says why an instance record's products are not files of
// its own shard's folder, or name as ambiguous a step that is not one of
// the job's own (steps), or returns "". They are copied into the merged
// manifest, whose "made by" and signed predicate would otherwise name, on
// a leg's word, files of other shards or outside the bundle, or steps that
// never ran.
func foreignProduct(p manifest.Phase, id string, steps map[string]bool) string {
	folder := mission.ShardsDir + "/" + id + "/"
	for _, st := range p.Steps {
		for _, pr := range st.Products {
			if !strings.HasPrefix(pr.Path, folder) || !filepath.IsLocal(filepath.FromSlash(pr.Path)) || path.Clean(pr.Path) != pr.Path {
				return fmt.Sprintf("its %s says step %s of phase %s made %s, which is not a file of %s",
					manifest.FileName, strconv.Quote(st.Name), strconv.Quote(p.Name), strconv.Quote(pr.Path), folder)
			}
			for _, other := range pr.Ambiguous {
				if !steps[other] {
					return fmt.Sprintf("its %s says step %s of phase %s ran beside %s, which is no step of the job",
						manifest.FileName, strconv.Quote(st.Name), strconv.Quote(p.Name), strconv.Quote(other))
				}
			}
		}
	}
	return ""
}

// checkRecord says why a source's manifest is not the record of the shard
// job its artifact's name says, of mission m, or returns "".
func checkRecord(man *manifest.Manifest, m *mission.Mission, c candidate) string {
	switch {
	case man.Shard == nil:
		return fmt.Sprintf("its %s records no shard job", manifest.FileName)
	case man.Shard.Spec != c.Spec:
		return fmt.Sprintf("its %s is the record of shard %s", manifest.FileName, strconv.Quote(man.Shard.Spec))
	case !slices.Equal(man.Shard.IDs, c.ids):
		return fmt.Sprintf("its %s says it ran %s, but %s is %s", manifest.FileName,
			list(man.Shard.IDs), c.Spec, list(c.ids))
	case man.Mission.SHA256 != m.Digest:
		return fmt.Sprintf("from another mission (mission sha256 %s, this merge's %s)", short(man.Mission.SHA256), short(m.Digest))
	}
	return ""
}

func list(ids []string) string {
	if len(ids) == 0 {
		return "no shard"
	}
	return strings.Join(ids, ", ")
}

func short(digest string) string {
	if len(digest) > 12 {
		return digest[:12] + "…"
	}
	if digest == "" {
		return "none"
	}
	return digest
}

// target is where a file of c's bundle goes in the merged root, or why it
// cannot go anywhere: a shard job owns shards/<id>/ of its own shards
// only.
func target(spec string, ids map[string]bool, name string) (string, string) {
	rest, ok := strings.CutPrefix(name, mission.ShardsDir+"/")
	if !ok {
		return JobsDir + "/" + spec + "/" + name, ""
	}
	id, sub, _ := strings.Cut(rest, "/")
	switch {
	case !ids[id]:
		return "", fmt.Sprintf("%s writes into %s/%s/, the folder of a shard it did not run", name, mission.ShardsDir, id)
	case sub == "":
		return "", fmt.Sprintf("%s is a file where its shard's folder should be", name)
	}
	return name, ""
}

// folders are the folders of the merged root that c writes into.
func folders(c candidate) []string {
	out := []string{JobsDir + "/" + c.Spec}
	for _, id := range c.ids {
		out = append(out, mission.ShardsDir+"/"+id)
	}
	return out
}

// firstProblem says what is wrong with the first file a report names,
// and how many more there are.
func firstProblem(r *bundlezip.Report) string {
	n := len(r.Unsafe) + len(r.Missing) + len(r.Extra) + len(r.Mismatched)
	var why string
	switch {
	case len(r.Unsafe) > 0:
		why = r.Unsafe[0].Name + " " + r.Unsafe[0].Why
	case len(r.Missing) > 0:
		why = fmt.Sprintf("its %s lists %s, which is not in the zip", ledger.FileName, r.Missing[0])
	case len(r.Extra) > 0:
		why = fmt.Sprintf("it holds %s, which its %s does not list", r.Extra[0], ledger.FileName)
	default:
		why = fmt.Sprintf("%s does not match its %s", r.Mismatched[0], ledger.FileName)
	}
	if n > 1 {
		why += fmt.Sprintf(" (and %d more)", n-1)
	}
	return why
}

// layoutError is a file of a source that has no place in the merged
// root.
type layoutError struct{ why string }

func (e *layoutError) Error() string { return e.why }

// createError is a file of a source that dst would not create.
type createError struct {
	name string
	err  error
}

func (e *createError) Error() string { return e.err.Error() }
func (e *createError) Unwrap() error { return e.err }

// clash reports whether the file could not be created because its path,
// or a folder on it, is already a file or a folder of the other kind.
func (e *createError) clash() bool {
	var le *bundlefs.LinkError
	return errors.As(e.err, &le) || errors.Is(e.err, syscall.EISDIR) || errors.Is(e.err, syscall.ENOTDIR)
}
