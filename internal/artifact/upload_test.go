package artifact_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helios-action/helios-action/internal/artifact"
	"github.com/helios-action/helios-action/internal/artifact/artifacttest"
	"github.com/helios-action/helios-action/internal/bundlefs"
	"github.com/helios-action/helios-action/internal/ledger"
)

// bundle writes a small report bundle (files of several sizes, one larger
// than a block, one empty) and its SHA256SUMS, and returns its root.
func bundle(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	r := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 300<<10)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	var text bytes.Buffer
	for i := 0; text.Len() < 200<<10; i++ {
		fmt.Fprintf(&text, "{\"step\": %d, \"status\": \"success\", \"hash\": \"%x\"}\n", i, r.Uint64())
	}
	files := map[string][]byte{
		"asi-takeoff/project-plan.json": text.Bytes(),
		"asi-takeoff/blob.bin":          random,
		"logs/plan/rehearse.log":        []byte("rehearsal ok\n"),
		"logs/prep/empty.log":           nil,
		"owner/summary.md":              []byte("# Summary\n\nAll green.\n"),
		"manifest.json":                 []byte(`{"conclusion":"success"}` + "\n"),
	}
	for name, data := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := bundlefs.OpenFolder(root)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, _, err := ledger.Digest(context.Background(), b, ledger.ScanOptions{}); err != nil {
		t.Fatal(err)
	}
	return root
}

// logs collects Logf lines.
type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// config is a Config for the fake with fast retries and small blocks, so a
// small bundle spans several blocks.
func config(t testing.TB, fake *artifacttest.Server, l *logs) artifact.Config {
	t.Helper()
	getenv := fake.Getenv(func(k string) string {
		return map[string]string{
			"GITHUB_SERVER_URL": "https://github.com",
			"GITHUB_REPOSITORY": "helios-action/demo",
			"GITHUB_RUN_ID":     "987654321",
		}[k]
	})
	cfg, err := artifact.ConfigFromEnv(getenv)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RetryDelay = time.Millisecond
	cfg.BlockSize = 16 << 10
	cfg.CallTimeout = 5 * time.Second
	cfg.StallTimeout = 5 * time.Second
	if l != nil {
		cfg.Logf = l.logf
	}
	return cfg
}

func upload(t testing.TB, cfg artifact.Config, name, root string) (*artifact.Result, error) {
	t.Helper()
	files, err := artifact.BundleFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return artifact.Upload(ctx, cfg, name, root, files)
}

// checkStored unzips what the fake committed and checks it against the
// bundle: the same files in ledger order, SHA256SUMS included, verifying
// with ledger.Verify and with coreutils' `sha256sum -c` where present.
func checkStored(t *testing.T, fake *artifacttest.Server, name, root string) {
	t.Helper()
	a, ok := fake.Artifact(name)
	if !ok || !a.Finalized {
		t.Fatalf("artifact %q not finalized: %+v", name, a)
	}
	data, err := a.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("stored blob is not a zip: %v", err)
	}
	want, err := artifact.BundleFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	var got []string
	for _, zf := range zr.File {
		got = append(got, zf.Name)
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(out, filepath.FromSlash(zf.Name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(f, rc); err != nil {
			t.Fatalf("%s: %v", zf.Name, err)
		}
		f.Close()
		rc.Close()
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("zip entries:\n%s\nwant (ledger order, then SHA256SUMS):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	rep, err := ledger.Verify(context.Background(), out, ledger.ScanOptions{})
	if err != nil || !rep.Clean() {
		t.Fatalf("unzipped artifact does not verify: %+v %v", rep, err)
	}
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Log("sha256sum not found: coreutils check skipped")
		return
	}
	cmd := exec.Command("sha256sum", "-c", "--quiet", ledger.FileName)
	cmd.Dir = out
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c in the unzipped artifact: %v\n%s", err, b)
	}
}

func TestUpload(t *testing.T) {
	for _, tc := range []struct {
		name  string
		camel bool
		level int
	}{
		{"snake_case answers", false, -1},
		{"lowerCamel answers", true, -1},
		{"stored", false, 0},
		{"best", false, 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := artifacttest.Start(t, artifacttest.Options{CamelCase: tc.camel})
			root := bundle(t)
			var l logs
			var masked []string
			cfg := config(t, fake, &l)
			cfg.CompressionLevel = tc.level
			cfg.Mask = func(s string) { masked = append(masked, s) }
			res, err := upload(t, cfg, "helios-report", root)
			if err != nil {
				t.Fatalf("Upload: %v\nlog:\n%s", err, &l)
			}
			if v := fake.Violations(); len(v) > 0 {
				t.Fatalf("protocol violations:\n%s", strings.Join(v, "\n"))
			}
			a, _ := fake.Artifact("helios-report")
			if res.ID != a.ID || res.Size != a.Size || res.Digest != a.Digest || res.Name != "helios-report" {
				t.Errorf("result %+v; the service has id %d, size %d, %s", res, a.ID, a.Size, a.Digest)
			}
			wantURL := fmt.Sprintf("https://github.com/helios-action/demo/actions/runs/987654321/artifacts/%d", a.ID)
			if res.URL != wantURL {
				t.Errorf("URL %q, want %q", res.URL, wantURL)
			}
			if len(a.BlockIDs) < 11 {
				t.Errorf("%d blocks of 16 KiB for a %d-byte zip", len(a.BlockIDs), a.Size)
			}
			if a.ContentType != "zip" {
				t.Errorf("blob content type %q, want the toolkit's %q", a.ContentType, "zip")
			}
			if !a.ExpiresAt.IsZero() {
				t.Errorf("expires_at sent without retention-days: %v", a.ExpiresAt)
			}
			sig := signature(t, a.SignedURL)
			if len(masked) != 1 || masked[0] != sig {
				t.Errorf("Mask got %q, want the signature only", masked)
			}
			if strings.Contains(l.String(), sig) || strings.Contains(l.String(), url.QueryEscape(sig)) || strings.Contains(l.String(), cfg.Token) {
				t.Errorf("the log holds a secret:\n%s", &l)
			}
			checkStored(t, fake, "helios-report", root)
		})
	}
}

func signature(t *testing.T, signed string) string {
	t.Helper()
	u, err := url.Parse(signed)
	if err != nil {
		t.Fatal(err)
	}
	sig := u.Query().Get("sig")
	if sig == "" {
		t.Fatal("signed URL without sig")
	}
	return sig
}

// Every request of an upload, in order: one CreateArtifact, the blocks, the
// block list, one FinalizeArtifact.
func TestUploadRequestSequence(t *testing.T) {
	fake := artifacttest.Start(t, artifacttest.Options{})
	root := bundle(t)
	if _, err := upload(t, config(t, fake, nil), "seq", root); err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, r := range fake.Requests() {
		op := string(r.Op)
		if len(ops) > 0 && ops[len(ops)-1] == op+"…" {
			continue
		}
		if r.Op == artifacttest.OpBlock {
			op += "…"
		}
		ops = append(ops, op)
	}
	want := "CreateArtifact PutBlock… PutBlockList FinalizeArtifact"
	if got := strings.Join(ops, " "); got != want {
		t.Errorf("requests: %s, want %s", got, want)
	}
}

// One fault at each step; the upload must retry past it, leave the service
// a clean, verifiable artifact and say what it retried.
func TestUploadRetries(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault artifacttest.Fault
	}{
		{"create 503", artifacttest.Fault{Op: artifacttest.OpCreate, Status: 503}},
		{"create 429", artifacttest.Fault{Op: artifacttest.OpCreate, Status: 429}},
		{"create connection drop", artifacttest.Fault{Op: artifacttest.OpCreate, Drop: true}},
		{"first block 500", artifacttest.Fault{Op: artifacttest.OpBlock, Block: 0, Status: 500}},
		{"third block 503", artifacttest.Fault{Op: artifacttest.OpBlock, Block: 2, Status: 503}},
		{"second block connection drop", artifacttest.Fault{Op: artifacttest.OpBlock, Block: 1, Drop: true}},
		{"block 429", artifacttest.Fault{Op: artifacttest.OpBlock, Block: 3, Status: 429}},
		{"block list 502", artifacttest.Fault{Op: artifacttest.OpBlockList, Status: 502}},
		{"block list connection drop", artifacttest.Fault{Op: artifacttest.OpBlockList, Drop: true}},
		{"finalize 504", artifacttest.Fault{Op: artifacttest.OpFinalize, Status: 504}},
		{"finalize connection drop", artifacttest.Fault{Op: artifacttest.OpFinalize, Drop: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := artifacttest.Start(t, artifacttest.Options{})
			fake.Fail(tc.fault)
			root := bundle(t)
			var l logs
			if _, err := upload(t, config(t, fake, &l), "retried", root); err != nil {
				t.Fatalf("Upload: %v\nlog:\n%s", err, &l)
			}
			if v := fake.Violations(); len(v) > 0 {
				t.Fatalf("protocol violations:\n%s", strings.Join(v, "\n"))
			}
			faults := 0
			for _, r := range fake.Requests() {
				if r.Fault != "" {
					faults++
				}
			}
			if faults != 1 {
				t.Errorf("%d faults fired, want 1", faults)
			}
			if !strings.Contains(l.String(), "retrying") {
				t.Errorf("no retry in the log:\n%s", &l)
			}
			checkStored(t, fake, "retried", root)
		})
	}
}

// A block is retried alone: the blocks before it are not sent again.
func TestUploadRetriesOnlyTheFailedBlock(t *testing.T) {
	fake := artifacttest.Start(t, artifacttest.Options{})
	fake.Fail(artifacttest.Fault{Op: artifacttest.OpBlock, Block: 2, Status: 503})
	fake.Fail(artifacttest.Fault{Op: artifacttest.OpBlock, Block: 2, Drop: true})
	root := bundle(t)
	if _, err := upload(t, config(t, fake, nil), "blocks", root); err != nil {
		t.Fatal(err)
	}
	sent := map[string]int{}
	for _, r := range fake.Requests() {
		if r.Op == artifacttest.OpBlock {
			sent[r.BlockID]++
		}
	}
	a, _ := fake.Artifact("blocks")
	for i, id := range a.BlockIDs {
		want := 1
		if i == 2 {
			want = 3
		}
		if sent[id] != want {
			t.Errorf("block %d sent %d times, want %d", i, sent[id], want)
		}
	}
}

func TestUploadGivesUp(t *testing.T) {
	for _, tc := range []struct {
		name      string
		faults    []artifacttest.Fault
		wantTries int
		want      string
	}{
		{"create 503 five times", repeat(artifacttest.Fault{Op: artifacttest.OpCreate, Status: 503}, 5), 5, "gave up after 5 attempts"},
		{"create 400 is final", []artifacttest.Fault{{Op: artifacttest.OpCreate, Status: 400, Code: "invalid_argument", Msg: "no"}}, 1, "400 Bad Request (invalid_argument): no"},
		{"create 401 is final", []artifacttest.Fault{{Op: artifacttest.OpCreate, Status: 401, Code: "unauthenticated", Msg: "token expired"}}, 1, "token expired"},
		{"quota is final", []artifacttest.Fault{{Op: artifacttest.OpCreate, Status: 429, Code: "resource_exhausted", Msg: "insufficient usage to create artifact"}}, 1, "quota"},
		{"block 503 five times", repeat(artifacttest.Fault{Op: artifacttest.OpBlock, Block: 1, Status: 503}, 5), 5, "upload block 1: 503 Service Unavailable (ServerBusy)"},
		{"block 403 is final", []artifacttest.Fault{{Op: artifacttest.OpBlock, Block: 0, Status: 403}}, 1, "upload block 0: 403"},
		{"finalize 500 five times", repeat(artifacttest.Fault{Op: artifacttest.OpFinalize, Status: 500}, 5), 5, "gave up after 5 attempts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := artifacttest.Start(t, artifacttest.Options{})
			for _, f := range tc.faults {
				fake.Fail(f)
			}
			root := bundle(t)
			_, err := upload(t, config(t, fake, nil), "doomed", root)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
			if tc.want == "quota" && !errors.Is(err, artifact.ErrStorageQuota) {
				t.Errorf("err = %v, want ErrStorageQuota", err)
			}
			op := tc.faults[0].Op
			tries := 0
			for _, r := range fake.Requests() {
				if r.Op == op && r.Fault != "" {
					tries++
				}
			}
			if tries != tc.wantTries {
				t.Errorf("%d tries of %s, want %d", tries, op, tc.wantTries)
			}
			if strings.Contains(err.Error(), "sig=") {
				t.Errorf("the error holds the signed URL: %v", err)
			}
		})
	}
}

func repeat(f artifacttest.Fault, n int) []artifacttest.Fault {
	out := make([]artifacttest.Fault, n)
	for i := range out {
		out[i] = f
	}
	return out
}

// A blob request that never answers fails the upload within the stall bound,
// with an error that says so.
func TestUploadStalls(t *testing.T) {
	for _, op := range []artifacttest.Op{artifacttest.OpBlock, artifacttest.OpBlockList} {
		t.Run(string(op), func(t *testing.T) {
			fake := artifacttest.Start(t, artifacttest.Options{})
			fake.Fail(artifacttest.Fault{Op: op, Block: 1, Hang: true})
			root := bundle(t)
			cfg := config(t, fake, nil)
			cfg.StallTimeout = 200 * time.Millisecond
			start := time.Now()
			_, err := upload(t, cfg, "stalled", root)
			if !errors.Is(err, artifact.ErrStalled) || !strings.Contains(err.Error(), "no progress for 200ms") {
				t.Fatalf("err = %v, want ErrStalled naming the bound", err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %s to notice a stall of 200ms", d)
			}
		})
	}
}

func TestUploadDuplicateName(t *testing.T) {
	fake := artifacttest.Start(t, artifacttest.Options{})
	root := bundle(t)
	cfg := config(t, fake, nil)
	if _, err := upload(t, cfg, "helios-linux", root); err != nil {
		t.Fatal(err)
	}
	_, err := upload(t, cfg, "helios-linux", root)
	if !errors.Is(err, artifact.ErrArtifactExists) {
		t.Fatalf("err = %v, want ErrArtifactExists", err)
	}
	for _, want := range []string{`"helios-linux"`, "already exists", "artifact-name"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if n := len(fake.Artifacts()); n != 1 {
		t.Errorf("%d artifacts, want 1", n)
	}
}

// What can be checked locally is checked before any request.
func TestUploadRefusesBeforeAnyCall(t *testing.T) {
	root := bundle(t)
	if err := os.WriteFile(filepath.Join(root, "bad:name.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("manifest.json", filepath.Join(root, "link.json")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, artifact string
		files          []string
		edit           func(*artifact.Config)
		want           error
		wantText       string
	}{
		{"name with a slash", "a/b", []string{"manifest.json"}, nil, artifact.ErrInvalidName, "forward slash"},
		{"path with a colon", "ok", []string{"manifest.json", "bad:name.txt"}, nil, artifact.ErrInvalidPath, "colon"},
		{"path escaping the root", "ok", []string{"../etc/passwd"}, nil, artifact.ErrInvalidPath, `".."`},
		{"missing file", "ok", []string{"nope.json"}, nil, nil, "nope.json"},
		{"symlink", "ok", []string{"link.json"}, nil, nil, "not a regular file"},
		{"a file twice", "ok", []string{"manifest.json", "manifest.json"}, nil, artifact.ErrInvalidPath, "twice"},
		{"no files", "ok", nil, nil, nil, "no files"},
		{"retention 91", "ok", []string{"manifest.json"}, func(c *artifact.Config) { c.RetentionDays = 91 }, nil, "retention days 91"},
		{"level 10", "ok", []string{"manifest.json"}, func(c *artifact.Config) { c.CompressionLevel = 10 }, nil, "compression level 10"},
		{"no token", "ok", []string{"manifest.json"}, func(c *artifact.Config) { c.Token = "" }, artifact.ErrNotInActions, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := artifacttest.Start(t, artifacttest.Options{})
			cfg := config(t, fake, nil)
			if tc.edit != nil {
				tc.edit(&cfg)
			}
			_, err := artifact.Upload(context.Background(), cfg, tc.artifact, root, tc.files)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.Contains(err.Error(), tc.wantText) {
				t.Fatalf("err = %v, want %v saying %q", err, tc.want, tc.wantText)
			}
			if n := len(fake.Requests()); n != 0 {
				t.Errorf("%d requests sent before refusing", n)
			}
		})
	}
}

func TestUploadRetention(t *testing.T) {
	for _, tc := range []struct {
		name          string
		days, max     int
		wantDays      int
		wantCapLogged bool
	}{
		{"default", 0, 0, 0, false},
		{"asked", 7, 0, 7, false},
		{"under the cap", 7, 30, 7, false},
		{"capped by GITHUB_RETENTION_DAYS", 60, 30, 30, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := artifacttest.Start(t, artifacttest.Options{})
			var l logs
			cfg := config(t, fake, &l)
			// A fixed clock, but today's: the fake refuses expiries outside
			// the next 90 days of its own clock.
			now := time.Now().UTC().Truncate(time.Second)
			cfg.Now = func() time.Time { return now }
			cfg.RetentionDays, cfg.MaxRetentionDays = tc.days, tc.max
			res, err := upload(t, cfg, "kept", bundle(t))
			if err != nil {
				t.Fatal(err)
			}
			a, _ := fake.Artifact("kept")
			var want time.Time
			if tc.wantDays > 0 {
				want = now.AddDate(0, 0, tc.wantDays)
			}
			if !a.ExpiresAt.Equal(want) || !res.Expires.Equal(want) {
				t.Errorf("expires %v (result %v), want %v", a.ExpiresAt, res.Expires, want)
			}
			if got := strings.Contains(l.String(), "using 30"); got != tc.wantCapLogged {
				t.Errorf("cap logged: %v, want %v\n%s", got, tc.wantCapLogged, &l)
			}
		})
	}
}

// Cancelling the context stops the upload promptly with the cause.
func TestUploadCancelled(t *testing.T) {
	fake := artifacttest.Start(t, artifacttest.Options{})
	fake.Fail(artifacttest.Fault{Op: artifacttest.OpBlock, Block: 1, Hang: true})
	root := bundle(t)
	cfg := config(t, fake, nil)
	cfg.StallTimeout = time.Minute
	files, _ := artifact.BundleFiles(root)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, err := artifact.Upload(ctx, cfg, "cancelled", root, files)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s to stop", d)
	}
	if a, _ := fake.Artifact("cancelled"); a.Finalized {
		t.Error("a cancelled upload was finalized")
	}
}

// The same files with a fixed ModTime give the same zip, so the digest is
// reproducible.
func TestUploadReproducibleDigest(t *testing.T) {
	fake := artifacttest.Start(t, artifacttest.Options{})
	root := bundle(t)
	cfg := config(t, fake, nil)
	cfg.ModTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	a, err := upload(t, cfg, "one", root)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Workers = 1
	cfg.BlockSize = 100 << 10
	b, err := upload(t, cfg, "two", root)
	if err != nil {
		t.Fatal(err)
	}
	if a.Digest != b.Digest || a.Size != b.Size {
		t.Errorf("digests differ: %s (%d) vs %s (%d)", a.Digest, a.Size, b.Digest, b.Size)
	}
	stored, _ := fake.Artifact("two")
	data, _ := stored.Bytes()
	sum := sha256.Sum256(data)
	if b.Digest != "sha256:"+hex.EncodeToString(sum[:]) {
		t.Errorf("digest %s is not the SHA-256 of the committed blob", b.Digest)
	}
}

func TestConfigFromEnv(t *testing.T) {
	fake := artifacttest.Start(t, artifacttest.Options{})
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, tc := range []struct {
		name   string
		getenv func(string) string
		want   error
		text   string
		check  func(*testing.T, artifact.Config)
	}{
		{"outside Actions", env(), artifact.ErrNotInActions, "", nil},
		{"no results URL", env("ACTIONS_RUNTIME_TOKEN", fake.Token), artifact.ErrNoResultsService, "", nil},
		{"results URL not http", env("ACTIONS_RUNTIME_TOKEN", fake.Token, "ACTIONS_RESULTS_URL", "ftp://x/"), nil, "not an http(s) URL", nil},
		{"token without the scope", env("ACTIONS_RUNTIME_TOKEN", "a.e30.c", "ACTIONS_RESULTS_URL", fake.URL), nil, "Actions.Results", nil},
		{"bad upload timeout", fake.Getenv(env("ACTIONS_UPLOAD_TIMEOUT_MS", "soon")), nil, "ACTIONS_UPLOAD_TIMEOUT_MS", nil},
		{"in Actions", fake.Getenv(env("GITHUB_RETENTION_DAYS", "30", "ACTIONS_UPLOAD_TIMEOUT_MS", "1500")), nil, "", func(t *testing.T, c artifact.Config) {
			if c.MaxRetentionDays != 30 || c.StallTimeout != 1500*time.Millisecond || c.CompressionLevel != -1 {
				t.Errorf("config %+v", c)
			}
		}},
		{"unreadable retention cap is no cap", fake.Getenv(env("GITHUB_RETENTION_DAYS", "x")), nil, "", func(t *testing.T, c artifact.Config) {
			if c.MaxRetentionDays != 0 {
				t.Errorf("MaxRetentionDays %d", c.MaxRetentionDays)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := artifact.ConfigFromEnv(tc.getenv)
			switch {
			case tc.want != nil || tc.text != "":
				if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.Contains(err.Error(), tc.text) {
					t.Fatalf("err = %v, want %v saying %q", err, tc.want, tc.text)
				}
				if strings.Contains(err.Error(), fake.Token) {
					t.Errorf("the error holds the token")
				}
			case err != nil:
				t.Fatal(err)
			default:
				tc.check(t, cfg)
			}
		})
	}
}

func TestArtifactURL(t *testing.T) {
	got := artifact.ArtifactURL("https://github.com/", "o/r", "42", 7)
	if want := "https://github.com/o/r/actions/runs/42/artifacts/7"; got != want {
		t.Errorf("ArtifactURL = %q, want %q", got, want)
	}
}

// The client must not follow a signed URL to a server that is not the one
// CreateArtifact named; a transport error there must not leak the URL.
func TestUploadTransportErrorHidesSignature(t *testing.T) {
	fake := artifacttest.Start(t, artifacttest.Options{})
	root := bundle(t)
	cfg := config(t, fake, nil)
	cfg.MaxAttempts = 2
	// Every blob request fails at the transport.
	cfg.HTTPClient = &http.Client{Transport: blobBreaker{}}
	_, err := upload(t, cfg, "broken", root)
	if err == nil {
		t.Fatal("upload succeeded through a broken transport")
	}
	a, _ := fake.Artifact("broken")
	if strings.Contains(err.Error(), signature(t, a.SignedURL)) || strings.Contains(err.Error(), "sig=") {
		t.Errorf("error leaks the signature: %v", err)
	}
}

// blobBreaker passes Twirp calls and breaks blob requests.
type blobBreaker struct{}

func (blobBreaker) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasPrefix(r.URL.Path, "/twirp/") {
		return http.DefaultTransport.RoundTrip(r)
	}
	return nil, errors.New("connection reset by peer")
}
