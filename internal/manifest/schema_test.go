package manifest

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestSchemaShards: the manifests of a shard job and of a merge, as
// Marshal writes them, match schema/manifest.schema.json, whose
// additionalProperties: false also catches a field the schema lacks.
func TestSchemaShards(t *testing.T) {
	sch, err := jsonschema.NewCompiler().Compile(filepath.Join("..", "..", "schema", "manifest.schema.json"))
	if err != nil {
		t.Fatalf("compile manifest schema: %v", err)
	}
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	sum := strings.Repeat("ab", 32)
	base := func() *Manifest {
		return &Manifest{
			Schema:     SchemaURL,
			Tool:       Tool{Name: "helios", Version: "test"},
			Mission:    Mission{Name: "m", File: "mission.yml", SHA256: sum, ReportRoot: "reports"},
			StartedAt:  start,
			FinishedAt: start.Add(time.Second),
			DurationMs: 1000,
			Conclusion: Failure,
			Volatile:   DefaultVolatile,
			Phases: []Phase{
				{Name: "prep", Needs: []string{}, Status: Success, Steps: []Step{}},
				{Name: "plan [eu-energy]", Shard: "eu-energy", Needs: []string{"prep"}, Status: Success, Steps: []Step{}},
			},
			Files: []File{},
		}
	}
	shardJob := base()
	shardJob.Shard = &ShardJob{Spec: "1-of-2", IDs: []string{"eu-energy", "us-energy"}, Job: "shard", Runner: "GitHub Actions 2"}
	merged := base()
	merged.Shards = []Shard{
		{
			ShardJob: ShardJob{Spec: "1-of-3", IDs: []string{"eu-energy"}, Job: "shard", Runner: "r"},
			Artifact: "helios-x-1-of-3", Folder: "jobs/1-of-3", Digest: sum, ContentDigest: sum,
			Conclusion: Failure, Problem: "shard 1-of-3: failure: plan [eu-energy]: exit 1",
			StartedAt: start, FinishedAt: start.Add(time.Second), DurationMs: 1000, Files: 12,
		},
		{ShardJob: ShardJob{Spec: "2-of-3", IDs: []string{"us-energy"}}, Artifact: "helios-x-2-of-3", Conclusion: Tampered, Problem: "shard 2-of-3 (artifact helios-x-2-of-3): a.json does not match its SHA256SUMS"},
		{ShardJob: ShardJob{Spec: "3-of-3", IDs: []string{"apac-energy"}}, Conclusion: Missing, Problem: "shard 3-of-3: no artifact helios-x-3-of-3"},
	}
	badConclusion := base()
	badConclusion.Shards = []Shard{{ShardJob: ShardJob{Spec: "eu", IDs: []string{"eu"}}, Conclusion: "lost"}}
	badID := base()
	badID.Shard = &ShardJob{Spec: "eu/energy", IDs: []string{"eu/energy"}}
	products := base()
	products.Phases[0].Steps = []Step{{ID: "a", Name: "a", Kind: "collect", Status: Success, Products: []Product{
		{Path: "a.md", SHA256: sum, Size: 3, Change: Created, From: "src/a.md"},
		{Path: "b.md", SHA256: sum, Size: 3, Change: Changed, Ambiguous: []string{"plan [eu-energy] / write"}},
		{Path: "c.md", Change: Removed},
	}}}
	badChange := base()
	badChange.Phases[0].Steps = []Step{{ID: "a", Name: "a", Kind: "run", Status: Success, Products: []Product{{Path: "a.md", Change: "moved"}}}}
	for _, tt := range []struct {
		name string
		m    *Manifest
		ok   bool
	}{
		{"shard job", shardJob, true},
		{"merge", merged, true},
		{"unknown shard conclusion", badConclusion, false},
		{"shard id with a slash", badID, false},
		{"products", products, true},
		{"unknown product change", badChange, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.m.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			err = sch.Validate(doc)
			if (err == nil) != tt.ok {
				t.Errorf("Validate = %v, want ok %v\n%s", err, tt.ok, b)
			}
		})
	}
}
