//go:build unix

// Command benchshards drives scripts/bench-shards.sh: it writes a sharded
// mission of any size, runs the loopback fake of the artifact service in a
// process of its own (one workflow run, a runtime token per job), and runs
// the action binary as a child, measuring its wall time and peak RSS alone.
//
//	benchshards mission -shards N -files F [-sleep D] DIR
//	                     write DIR/helios.yml: N shards of a sharded phase
//	                     writing F files each (then waiting D), then two
//	                     merge phases
//	benchshards fake -dir DIR -env DIR -jobs a,b,... -report FILE [-load DIR] [-save DIR] [-max D]
//	                     serve until SIGTERM (or for D); write each job's ACTIONS_* to
//	                     ENV/<job>.env, then ENV/ready; on exit the outcome
//	                     to -report and each artifact to SAVE/<job>/<name>.zip;
//	                     -load stores LOAD/<job>/<name>.zip as uploaded by job
//	benchshards run -o FILE [-timeout D] -- CMD ARG...
//	                     run CMD in a process group of its own; write
//	                     wall_ms, rss_kib and exit to FILE (shell syntax)
//
// It builds on unix only: process groups and rusage are what it measures with.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/helios-action/helios-action/internal/artifact/artifacttest"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "mission":
		err = mission(os.Args[2:])
	case "fake":
		err = fake(os.Args[2:])
	case "run":
		var code int
		code, err = run(os.Args[2:])
		if err == nil {
			os.Exit(code)
		}
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchshards:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: benchshards mission|fake|run ... (see the package comment)")
	os.Exit(2)
}

// ---- mission ----

// missionYAML is the benchmark's mission. plan is the sharded phase: each
// instance writes its files with one awk process, so the shard's cost is
// mostly what helios does per file (hash, ledger, zip, upload), not the
// step, unless PART_SLEEP stands for a rehearsal's real work. kits and digest need plan, so the merge runs them, over every
// shard's files: the same commands a real digest runs.
const missionYAML = `# Written by benchshards mission for scripts/bench-shards.sh.
version: 1
name: Helios shard benchmark
report-root: reports/bench
env:
  PART_FILES: "%d"
  PART_SLEEP: "%s"
shards:
  matrix:
    part: [%s]
  phases: [plan]
phases:
  plan:
    steps:
      - name: Write the part's files
        run: |
          mkdir -p "$HELIOS_REPORT_ROOT/files"
          awk -v n="$PART_FILES" -v part="$HELIOS_MATRIX_PART" -v dir="$HELIOS_REPORT_ROOT/files" 'BEGIN {
            for (i = 1; i <= n; i++) {
              f = sprintf("%%s/%%05d.json", dir, i)
              printf "{\"part\":\"%%s\",\"file\":%%d,\"note\":\"rehearsal receipt %%s/%%d\"}\n", part, i, part, i > f
              close(f)
            }
          }'
          # A rehearsal's wait on a chain or a slow service, when asked for.
          if [ "$PART_SLEEP" != 0 ]; then sleep "$PART_SLEEP"; fi
  kits:
    needs: plan
    steps:
      - name: Summary over every shard
        run: |
          cd "$HELIOS_REPORT_ROOT"
          mkdir -p kits
          for d in shards/*/; do
            printf '%%s %%s\n' "$(basename "$d")" "$(find "$d" -name '*.json' -type f | wc -l)"
          done > kits/summary.txt
          wc -l < kits/summary.txt
  digest:
    needs: kits
    steps:
      - name: Mission digest
        run: |
          cd "$HELIOS_REPORT_ROOT"
          find shards -name '*.json' -type f | LC_ALL=C sort | xargs sha256sum > digest.txt
          wc -l < digest.txt
`

func mission(args []string) error {
	fs := flag.NewFlagSet("mission", flag.ExitOnError)
	shards := fs.Int("shards", 8, "shards (values of the one axis)")
	files := fs.Int("files", 1000, "files each shard writes")
	sleep := fs.Duration("sleep", 0, "how long each shard's plan waits after writing (a rehearsal's wait on a chain)")
	fs.Parse(args)
	if fs.NArg() != 1 {
		return fmt.Errorf("mission: want one DIR")
	}
	// The matrix's own limit (docs/shards.md), and ids of one width so
	// that they sort as numbers.
	if *shards < 1 || *shards > 256 || *files < 1 || *sleep < 0 {
		return fmt.Errorf("mission: want 1..256 shards, at least one file and no negative sleep")
	}
	parts := make([]string, *shards)
	for i := range parts {
		parts[i] = fmt.Sprintf("p%03d", i+1)
	}
	dir := fs.Arg(0)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	text := fmt.Sprintf(missionYAML, *files, strconv.FormatFloat(sleep.Seconds(), 'f', -1, 64), strings.Join(parts, ", "))
	return os.WriteFile(filepath.Join(dir, "helios.yml"), []byte(text), 0o644)
}

// ---- fake ----

func fake(args []string) error {
	fs := flag.NewFlagSet("fake", flag.ExitOnError)
	dir := fs.String("dir", "", "where committed blobs go")
	envDir := fs.String("env", "", "folder to write each job's ACTIONS_* to")
	jobs := fs.String("jobs", "", "comma-separated job backend ids")
	report := fs.String("report", "", "file to write the outcome to on exit")
	load := fs.String("load", "", "folder of <job>/<name>.zip to store first")
	save := fs.String("save", "", "folder to write each artifact to on exit, as <job>/<name>.zip")
	maxLife := fs.Duration("max", 30*time.Minute, "exit after this even without a signal")
	fs.Parse(args)
	if *dir == "" || *envDir == "" || *jobs == "" || *report == "" {
		return fmt.Errorf("fake: -dir, -env, -jobs and -report are required")
	}
	srv := artifacttest.New(artifacttest.Options{Dir: *dir})
	defer srv.Close()
	if *load != "" {
		if err := loadZips(srv, *load); err != nil {
			return err
		}
	}
	for _, job := range strings.Split(*jobs, ",") {
		var b strings.Builder
		env := srv.JobEnv(job)
		keys := make([]string, 0, len(env))
		for k := range env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "%s=%s\n", k, env[k])
		}
		if err := os.WriteFile(filepath.Join(*envDir, job+".env"), []byte(b.String()), 0o600); err != nil {
			return err
		}
	}
	// Written last, so the script never reads an env file half written.
	if err := os.WriteFile(filepath.Join(*envDir, "ready"), nil, 0o600); err != nil {
		return err
	}
	// Bounded, so a script killed before it could stop the fake leaves
	// no server behind for long.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-sig:
	case <-time.After(*maxLife):
		fmt.Fprintf(os.Stderr, "benchshards: fake: no signal after %s, exiting\n", *maxLife)
	}

	type art struct {
		Name      string `json:"name"`
		Job       string `json:"job"`
		Size      int64  `json:"size"`
		Digest    string `json:"digest"`
		Finalized bool   `json:"finalized"`
	}
	out := struct {
		Artifacts  []art    `json:"artifacts"`
		Violations []string `json:"violations"`
		Requests   int      `json:"requests"`
	}{Violations: srv.Violations(), Requests: len(srv.Requests())}
	for _, a := range srv.Artifacts() {
		out.Artifacts = append(out.Artifacts, art{a.Name, a.JobBackendID, a.Size, a.Digest, a.Finalized})
		if *save == "" || !a.Finalized {
			continue
		}
		data, err := a.Bytes()
		if err != nil {
			return err
		}
		to := filepath.Join(*save, a.JobBackendID, a.Name+".zip")
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(to, data, 0o644); err != nil {
			return err
		}
	}
	data, _ := json.MarshalIndent(out, "", "  ")
	return os.WriteFile(*report, data, 0o644)
}

// loadZips stores every <job>/<name>.zip under dir as an artifact of this
// run uploaded by job, so a merge can be timed again on the same shards
// without running the legs again.
func loadZips(srv *artifacttest.Server, dir string) error {
	zips, err := filepath.Glob(filepath.Join(dir, "*", "*.zip"))
	if err != nil {
		return err
	}
	if len(zips) == 0 {
		return fmt.Errorf("fake: no <job>/<name>.zip in %s", dir)
	}
	for _, z := range zips {
		data, err := os.ReadFile(z)
		if err != nil {
			return err
		}
		job := filepath.Base(filepath.Dir(z))
		srv.AddZipAs(srv.RunBackendID, job, strings.TrimSuffix(filepath.Base(z), ".zip"), data)
	}
	return nil
}

// ---- run ----

// run runs the command after "--" and writes what it measured. The exit
// code is the child's, so the script can tell a failed run from a failed
// measurement (which exits 1 with a message, and writes no FILE).
func run(args []string) (int, error) {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	out := fs.String("o", "", "file to write wall_ms, rss_kib and exit to")
	timeout := fs.Duration("timeout", 10*time.Minute, "kill the child's process group after this")
	fs.Parse(args)
	if *out == "" || fs.NArg() == 0 {
		return 0, fmt.Errorf("run: want -o FILE -- CMD ARG...")
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	// The child is in a group of its own, out of reach of the terminal's
	// ^C: pass an interrupt on as the end of the group.
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	cmd := exec.CommandContext(ctx, fs.Arg(0), fs.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, os.Stdout, os.Stderr
	// Its own group, so a timeout also ends the steps it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return 0, fmt.Errorf("run: %s did not end within %s", fs.Arg(0), *timeout)
	case ctx.Err() != nil:
		return 0, fmt.Errorf("run: %s interrupted", fs.Arg(0))
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		return 0, fmt.Errorf("run: %w", err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "wall_ms=%d\nrss_kib=%d\nexit=%d\n", wall.Milliseconds(), maxRSS(cmd.ProcessState), code)
	return code, os.WriteFile(*out, b.Bytes(), 0o644)
}

// maxRSS is the child's peak resident set in KiB: wait4's rusage, the
// largest of the child and the steps it waited for, as GNU time reports it.
func maxRSS(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return -1
	}
	if runtime.GOOS == "darwin" { // bytes there, KiB on Linux
		return int64(ru.Maxrss) / 1024
	}
	return int64(ru.Maxrss)
}
