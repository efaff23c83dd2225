// Package e2e drives the real helios binary: it is built once, then run on
// missions in temporary workspaces, and its bundles are checked with the
// system's own sha256sum.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	// The binary under test is built from these; importing them makes
	// go test's cache see a change to them, which a subprocess build alone
	// does not.
	_ "github.com/helios-action/helios-action/internal/builtin"
	_ "github.com/helios-action/helios-action/internal/cli"
	"github.com/helios-action/helios-action/internal/manifest"
)

// helios is the path of the binary under test.
var helios string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "helios-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	helios = filepath.Join(dir, "helios")
	build := exec.Command("go", "build", "-o", helios, "../cmd/action")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build helios:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is one run of the binary.
type result struct {
	stdout, stderr string
	code           int
}

// baseEnv is the environment every run gets; tests add to it. It is not the
// test process's own, so a CI machine's GITHUB_* cannot leak in.
func baseEnv() []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
}

// run runs helios in dir with args and the extra environment, bounded.
func run(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	res, _ := runLimited(t, 5*time.Minute, dir, env, args...)
	return res
}

// runLimited runs helios like run, fails the test when it takes longer
// than limit (a hang), and reports how long it took.
func runLimited(t *testing.T, limit time.Duration, dir string, env []string, args ...string) (result, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, helios, args...)
	cmd.Dir = dir
	cmd.Env = append(baseEnv(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("helios %v hung (killed after %v)", args, limit)
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("helios %v: %v", args, err)
	}
	return result{out.String(), errb.String(), code}, took
}

// copyTree copies a fixture tree (files keep their exec bit).
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, fi.Mode().Perm())
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
}

// workspace copies a testdata tree into a fresh temp dir.
func workspace(t *testing.T, fixture string) string {
	t.Helper()
	dir := t.TempDir()
	copyTree(t, filepath.Join("..", "testdata", fixture), dir)
	return dir
}

// sha256sumCheck verifies a bundle with coreutils, the verifier users run.
func sha256sumCheck(t *testing.T, dir string) {
	t.Helper()
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Skip("sha256sum (coreutils) is not installed")
	}
	cmd := exec.Command("sha256sum", "-c", "--strict", "--quiet", "SHA256SUMS")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c in %s: %v\n%s", dir, err, out)
	}
}

func readManifest(t *testing.T, dir string) *manifest.Manifest {
	t.Helper()
	m, err := manifest.Read(filepath.Join(dir, manifest.FileName))
	if err != nil {
		t.Fatalf("read manifest: %v", err)
	}
	return m
}

// ledgerNames lists the names in a SHA256SUMS file.
func ledgerLines(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func stepByID(m *manifest.Manifest, phase, id string) *manifest.Step {
	for i := range m.Phases {
		if m.Phases[i].Name != phase {
			continue
		}
		for j := range m.Phases[i].Steps {
			if m.Phases[i].Steps[j].ID == id {
				return &m.Phases[i].Steps[j]
			}
		}
	}
	return nil
}

func phaseStatus(m *manifest.Manifest) map[string]string {
	out := map[string]string{}
	for _, p := range m.Phases {
		out[p.Name] = p.Status
	}
	return out
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
