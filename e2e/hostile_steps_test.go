package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/helios-action/helios-action/internal/manifest"
)

// token is a value no other process on the machine holds.
func token(t *testing.T, prefix string) string {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b[:])
}

// processesWith lists the pids whose command line holds s.
func processesWith(s string) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && strings.Contains(string(b), s) {
			out = append(out, pid)
		}
	}
	return out
}

// Issue 17 item 5, replayed through the real binary: a step whose setsid
// loop keeps appending to the report root after the step ended. The loop is
// ended before sealing and reported, the sealed bundle still verifies a
// second later, and nothing of it is left running.
func TestHostileStepSetsidEscape(t *testing.T) {
	ws := t.TempDir()
	mark := token(t, "helios-escape-")
	t.Cleanup(func() {
		for _, p := range processesWith(mark) {
			syscall.Kill(p, syscall.SIGKILL)
		}
	})
	writeFile(t, filepath.Join(ws, "helios.yml"), `version: 1
name: escape
report-root: out
phases:
  a:
    steps:
      - name: escape
        run: |
          setsid sh -c 'while :; do date >>"$0/x"; sleep .05; done' "$HELIOS_REPORT_ROOT" `+mark+` &
          while [ ! -s "$HELIOS_REPORT_ROOT/x" ]; do sleep .01; done
`)
	res := run(t, ws, nil, "run")
	if !strings.Contains(res.stdout, `ended 1 leftover process of step "escape"`) {
		t.Errorf("exit %d; stdout does not report the leftover:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	root := filepath.Join(ws, "out")
	if m := readManifest(t, root); m.Conclusion != manifest.Success {
		t.Errorf("conclusion %s (%s), want success: the leftover was ended, not the step's failure", m.Conclusion, m.Reason)
	}
	if ps := processesWith(mark); len(ps) > 0 {
		t.Errorf("processes %v of the step outlived helios", ps)
	}
	time.Sleep(time.Second)
	sha256sumCheck(t, root)
}

// Issue 17 item 4, replayed through the real binary: a step reads every
// /proc/*/environ it can. With the workspace owned by another user the step
// runs as that user and cannot read helios's; with a root-owned one it runs
// as root, and helios's environ (re-executed without secrets) holds no token.
func TestHostileStepReadsEnvironments(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("steps change user only when helios is root")
	}
	cases := []struct {
		name  string
		owner int
		want  string
	}{
		{"workspace owned by 65534", 65534, "65534\nhelios environ refused\ntoken in 0 environments\n"},
		// Whether root may read it depends on CAP_SYS_PTRACE; either way
		// no token is there.
		{"workspace owned by root", 0, "0\nhelios environ *\ntoken in 0 environments\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ws := t.TempDir()
			if err := os.Chmod(filepath.Dir(ws), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(ws, c.owner, c.owner); err != nil {
				t.Fatal(err)
			}
			secret := token(t, "ghs_")
			writeFile(t, filepath.Join(ws, "helios.yml"), `version: 1
name: environ
report-root: out
phases:
  a:
    steps:
      - run: |
          helios=$(cut -d' ' -f4 /proc/$PPID/stat)
          out="$HELIOS_REPORT_ROOT/seen"
          id -u >"$out"
          if cat /proc/$helios/environ >/dev/null 2>&1; then echo "helios environ readable"; else echo "helios environ refused"; fi >>"$out"
          n=0
          for f in /proc/[0-9]*/environ; do
            if tr '\0' '\n' <"$f" 2>/dev/null | grep -qF "`+secret+`"; then n=$((n+1)); fi
          done
          echo "token in $n environments" >>"$out"
`)
			res := run(t, ws, []string{"INPUT_GITHUB-TOKEN=" + secret, "GITHUB_TOKEN=" + secret, "ACTIONS_RUNTIME_TOKEN=" + secret}, "run")
			if res.code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
			}
			got := readFile(t, filepath.Join(ws, "out", "seen"))
			if ok, _ := filepath.Match(c.want, got); !ok {
				t.Errorf("the step saw:\n%s\nwant:\n%s", got, c.want)
			}
			sha256sumCheck(t, filepath.Join(ws, "out"))
		})
	}
}

// chownTree gives a workspace and everything in it to uid:gid.
func chownTree(t *testing.T, dir string, uid, gid int) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The README's example as it runs on GitHub's runners, where the workspace
// belongs to the runner's user: steps run as that user, and what helios
// writes into the bundle in between (collected files, built-in steps'
// outputs) stays writable for the steps that come after.
func TestExampleMissionAsWorkspaceOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("steps change user only when helios is root")
	}
	ws := workspace(t, "example")
	if err := os.Chmod(filepath.Dir(ws), 0o755); err != nil {
		t.Fatal(err)
	}
	chownTree(t, ws, 1001, 1001)
	res := run(t, ws, rpcEnv(startChain(t, "")), "run")
	if res.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	root := filepath.Join(ws, exampleRoot)
	sha256sumCheck(t, root)
	fi, err := os.Stat(filepath.Join(root, "owner", "parameter-matrix.md"))
	if err != nil {
		t.Fatal(err)
	}
	if uid := fi.Sys().(*syscall.Stat_t).Uid; uid != 1001 {
		t.Errorf("a step's output is owned by %d, want the workspace owner 1001", uid)
	}
}
