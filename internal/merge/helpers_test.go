package merge_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/helios-action/helios-action/internal/artifact"
	"github.com/helios-action/helios-action/internal/artifact/artifacttest"
	"github.com/helios-action/helios-action/internal/bundlefs"
	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/merge"
	"github.com/helios-action/helios-action/internal/mission"
)

// prefix is the artifact-name the test shard jobs upload under.
const prefix = "helios-x"

// missionSrc has three shards, eu-energy, us-energy and apac-energy, each
// running plan, after an unsharded prep.
const missionSrc = `version: 1
shards:
  matrix:
    region: [eu, us, apac]
    sector: [energy]
  phases: [plan]
phases:
  prep:
    steps: [{run: make prep}]
  plan:
    needs: prep
    steps: [{run: make plan}]
  digest:
    needs: plan
    steps: [{run: make digest}]
`

func parseMission(t *testing.T, src string) *mission.Mission {
	t.Helper()
	m, err := mission.Parse("mission.yml", []byte(src), mission.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// shardJob is the bundle a shard job of m leaves, built in memory: its
// files (SHA256SUMS and manifest.json aside) and its manifest, laid out as
// the engine lays a shard bundle out.
type shardJob struct {
	spec  string
	files map[string]string
	man   manifest.Manifest
}

func newShardJob(t *testing.T, m *mission.Mission, spec string) *shardJob {
	t.Helper()
	shards, err := m.ShardsFor(spec)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	j := &shardJob{
		spec: spec,
		files: map[string]string{
			"prep/out.json":           `{"prep":"` + spec + `"}`,
			"logs/prep/make-prep.log": "prep for " + spec + "\n",
			"index.html":              "<html>" + spec + "</html>",
		},
		man: manifest.Manifest{
			Schema:     manifest.SchemaURL,
			Tool:       manifest.Tool{Name: "helios", Version: "test"},
			Mission:    manifest.Mission{Name: "mission", File: "mission.yml", SHA256: m.Digest, ReportRoot: "reports"},
			StartedAt:  start,
			FinishedAt: start.Add(3 * time.Second),
			DurationMs: 3000,
			Conclusion: manifest.Success,
			Volatile:   manifest.DefaultVolatile,
			// Not the digest of anything here: Place copies it, and
			// each job's differs so that a mix-up shows.
			ContentDigest: hexOf("content " + spec),
			Shard:         &manifest.ShardJob{Spec: spec, Job: "shard", Runner: "runner-" + spec},
			Phases:        []manifest.Phase{{Name: "prep", Needs: []string{}, Status: manifest.Success, Steps: []manifest.Step{}}},
			Files:         []manifest.File{},
		},
	}
	for _, s := range shards {
		j.man.Shard.IDs = append(j.man.Shard.IDs, s.ID)
		j.files["shards/"+s.ID+"/plan/owner/a.json"] = `{"shard":"` + s.ID + `"}`
		j.files["shards/"+s.ID+"/logs/plan/make-plan.log"] = "plan for " + s.ID + "\n"
		j.man.Phases = append(j.man.Phases, manifest.Phase{
			Name: "plan [" + s.ID + "]", Shard: s.ID, Needs: []string{"prep"},
			Status: manifest.Success, DurationMs: 1000, Steps: []manifest.Step{},
		})
	}
	return j
}

func hexOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// bundle is the shard job's bundle as a finished run leaves it: every
// file, manifest.json included, and SHA256SUMS over them.
func (j *shardJob) bundle(t *testing.T) map[string]string {
	t.Helper()
	raw, err := j.man.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{manifest.FileName: string(raw)}
	for k, v := range j.files {
		files[k] = v
	}
	files[ledger.FileName] = sums(t, files)
	return files
}

// sums is the SHA256SUMS of files.
func sums(t *testing.T, files map[string]string) string {
	t.Helper()
	var es []ledger.Entry
	for name, content := range files {
		es = append(es, ledger.Entry{Name: name, Sum: sha256.Sum256([]byte(content))})
	}
	ledger.Sort(es)
	var b bytes.Buffer
	if err := ledger.Encode(&b, es); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// ent is one zip entry.
type ent struct {
	name, data string
	mode       fs.FileMode // 0: a regular file
}

// entries are a bundle's files as zip entries, in name order.
func entries(files map[string]string) []ent {
	var out []ent
	for name, data := range files {
		out = append(out, ent{name: name, data: data})
	}
	slices.SortFunc(out, func(a, b ent) int { return strings.Compare(a.name, b.name) })
	return out
}

// writeZip zips ents with archive/zip, and returns the zip's path.
func writeZip(t *testing.T, ents []ent) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range ents {
		fh := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		fh.SetMode(mode)
		w, err := zw.CreateHeader(fh)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "artifact.zip")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// uploadZip writes files into a folder and zips them with helios' own
// artifact writer, through the loopback fake of the artifact service, as
// a shard job uploads its bundle; it returns the zip's path.
func uploadZip(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	var names []string
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	slices.Sort(names)
	fake := artifacttest.Start(t, artifacttest.Options{})
	cfg, err := artifact.ConfigFromEnv(fake.Getenv(func(string) string { return "" }))
	if err != nil {
		t.Fatal(err)
	}
	cfg.RetryDelay = time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := artifact.Upload(ctx, cfg, "bundle", root, names); err != nil {
		t.Fatal(err)
	}
	a, ok := fake.Artifact("bundle")
	if !ok {
		t.Fatal("the fake holds no artifact")
	}
	data, err := a.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "artifact.zip")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// source is j's bundle zipped (with archive/zip, after edit changes its
// entries, when edit is not nil), named as the action names it.
func (j *shardJob) source(t *testing.T, edit func([]ent) []ent) merge.Source {
	t.Helper()
	ents := entries(j.bundle(t))
	if edit != nil {
		ents = edit(ents)
	}
	return merge.Source{Spec: j.spec, Artifact: prefix + "-" + j.spec, Zip: writeZip(t, ents)}
}

// newRoot is an emptied report root, as the engine hands it to Place.
func newRoot(t *testing.T) *bundlefs.Dir {
	t.Helper()
	d, err := bundlefs.Open(t.TempDir(), "reports")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.MkdirAll("logs"); err != nil {
		t.Fatal(err)
	}
	return d
}

// tree lists the regular files under dir by '/'-separated name, and fails
// the test on anything that is neither a file nor a folder.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			t.Errorf("%s is %v, not a regular file", p, d.Type())
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		m[filepath.ToSlash(rel)] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// placed is where Place should put the files of j's bundle.
func placed(t *testing.T, j *shardJob) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, data := range j.bundle(t) {
		if strings.HasPrefix(name, "shards/") {
			out[name] = data
		} else {
			out["jobs/"+j.spec+"/"+name] = data
		}
	}
	return out
}
