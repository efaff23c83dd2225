// Command benchupload drives scripts/bench-upload.sh: it generates a report
// bundle, runs the loopback fake of the artifact service in a process of its
// own, and uploads a bundle to it with the real client, so the script can
// measure the client's wall time and peak RSS alone.
//
//	benchupload gen [-size BYTES] [-seed N] DIR     write a bundle and its SHA256SUMS
//	benchupload fake -dir DIR -env FILE -report FILE
//	                                                serve until SIGTERM; write the env
//	                                                to FILE, the outcome to -report
//	benchupload upload -name NAME [-level N] ROOT   upload ROOT with ACTIONS_* from the env
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/helios-action/helios-action/internal/artifact"
	"github.com/helios-action/helios-action/internal/artifact/artifacttest"
	"github.com/helios-action/helios-action/internal/bundlefs"
	"github.com/helios-action/helios-action/internal/ledger"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "fake":
		err = fake(os.Args[2:])
	case "upload":
		err = upload(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchupload:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: benchupload gen|fake|upload ... (see the package comment)")
	os.Exit(2)
}

// ---- gen ----

var words = strings.Fields(`mission phase step receipt ledger digest governance kit plan owner
thermostat token address block hash signer network hardhat rehearsal quorum proposal vote
treasury stake validator epoch reward slash oracle bridge relay checkpoint manifest artefact
collect volatile summary symphony omniversal takeoff global command center update identity`)

// gen writes a bundle of about size bytes: half JSON and Markdown text, half
// random bytes, in files of mixed sizes under a few folders, then SHA256SUMS.
func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	size := fs.Int64("size", 256<<20, "total bytes")
	seed := fs.Uint64("seed", 1, "random seed")
	fs.Parse(args)
	if fs.NArg() != 1 {
		return fmt.Errorf("gen: want one DIR")
	}
	root := fs.Arg(0)
	r := rand.New(rand.NewPCG(*seed, 42))
	folders := []string{"asi-takeoff", "asi-global", "owner", "logs/plan", "logs/kits", "logs/governance"}
	n := 0
	write := func(ext string, data []byte) error {
		dir := filepath.Join(root, folders[r.IntN(len(folders))])
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		n++
		return os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%05d%s", n, ext)), data, 0o644)
	}
	// Mixed sizes: mostly small files, some medium, a few large.
	pick := func() int64 {
		switch p := r.IntN(100); {
		case p < 60:
			return 1<<10 + r.Int64N(16<<10)
		case p < 90:
			return 64<<10 + r.Int64N(1<<20)
		default:
			return 2<<20 + r.Int64N(10<<20)
		}
	}
	for half, kind := range []string{"text", "random"} {
		var done int64
		target := *size / 2
		if half == 1 {
			target = *size - *size/2
		}
		for done < target {
			k := min(pick(), target-done)
			var data []byte
			ext := ".bin"
			if kind == "text" {
				if r.IntN(2) == 0 {
					data, ext = jsonText(r, int(k)), ".json"
				} else {
					data, ext = markdownText(r, int(k)), ".md"
				}
			} else {
				data = make([]byte, k)
				for i := 0; i+8 <= len(data); i += 8 {
					v := r.Uint64()
					for j := range 8 {
						data[i+j] = byte(v >> (8 * j))
					}
				}
			}
			if err := write(ext, data); err != nil {
				return err
			}
			done += k
		}
	}
	b, err := bundlefs.OpenFolder(root)
	if err != nil {
		return err
	}
	defer b.Close()
	digest, res, err := ledger.Digest(context.Background(), b, ledger.ScanOptions{})
	if err != nil {
		return err
	}
	fmt.Printf("%d files, ledger digest sha256:%x\n", len(res.Entries), digest)
	return nil
}

func word(r *rand.Rand) string { return words[r.IntN(len(words))] }

// jsonText is receipt-like JSON: keys, words, numbers and hex hashes, which
// compress about as well as real receipts.
func jsonText(r *rand.Rand, n int) []byte {
	var b strings.Builder
	b.WriteString("[\n")
	for b.Len() < n {
		fmt.Fprintf(&b, "  {\"step\": \"%s-%s\", \"block\": %d, \"tx\": \"0x%016x%016x\", \"from\": \"0x%016x%08x\", \"status\": \"%s\", \"gas\": %d, \"note\": \"%s %s %s\"},\n",
			word(r), word(r), 1000000+r.IntN(9000000), r.Uint64(), r.Uint64(), r.Uint64(), r.Uint32(),
			[]string{"success", "success", "success", "reverted"}[r.IntN(4)], 21000+r.IntN(500000), word(r), word(r), word(r))
	}
	return []byte(b.String()[:n])
}

// markdownText is report-like Markdown: headings, prose and tables.
func markdownText(r *rand.Rand, n int) []byte {
	var b strings.Builder
	for b.Len() < n {
		fmt.Fprintf(&b, "## %s %s\n\n", strings.ToUpper(word(r)[:1])+word(r)[1:], word(r))
		for range 3 + r.IntN(4) {
			b.WriteString(word(r))
			for range 8 + r.IntN(12) {
				b.WriteString(" " + word(r))
			}
			b.WriteString(".\n")
		}
		b.WriteString("\n| step | status | duration |\n|---|---|---|\n")
		for range 2 + r.IntN(6) {
			fmt.Fprintf(&b, "| %s-%s | %s | %d.%03ds |\n", word(r), word(r), []string{"success", "failure", "skipped"}[r.IntN(3)], r.IntN(90), r.IntN(1000))
		}
		b.WriteString("\n")
	}
	return []byte(b.String()[:n])
}

// ---- fake ----

func fake(args []string) error {
	fs := flag.NewFlagSet("fake", flag.ExitOnError)
	dir := fs.String("dir", "", "where committed blobs go")
	envFile := fs.String("env", "", "file to write ACTIONS_* to")
	report := fs.String("report", "", "file to write the outcome to on exit")
	fs.Parse(args)
	if *dir == "" || *envFile == "" || *report == "" {
		return fmt.Errorf("fake: -dir, -env and -report are required")
	}
	srv := artifacttest.New(artifacttest.Options{Dir: *dir})
	defer srv.Close()
	var b strings.Builder
	env := srv.Env()
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, env[k])
	}
	// Written whole then renamed, so the script never reads half a file.
	if err := os.WriteFile(*envFile+".tmp", []byte(b.String()), 0o600); err != nil {
		return err
	}
	if err := os.Rename(*envFile+".tmp", *envFile); err != nil {
		return err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	type art struct {
		Name      string `json:"name"`
		Size      int64  `json:"size"`
		Digest    string `json:"digest"`
		Finalized bool   `json:"finalized"`
		Blocks    int    `json:"blocks"`
		Path      string `json:"path"`
	}
	out := struct {
		Artifacts  []art    `json:"artifacts"`
		Violations []string `json:"violations"`
		Requests   int      `json:"requests"`
	}{Violations: srv.Violations(), Requests: len(srv.Requests())}
	for _, a := range srv.Artifacts() {
		out.Artifacts = append(out.Artifacts, art{a.Name, a.Size, a.Digest, a.Finalized, len(a.BlockIDs), a.Path})
	}
	data, _ := json.MarshalIndent(out, "", "  ")
	return os.WriteFile(*report, data, 0o644)
}

// ---- upload ----

func upload(args []string) error {
	fs := flag.NewFlagSet("upload", flag.ExitOnError)
	name := fs.String("name", "bench", "artifact name")
	level := fs.Int("level", -1, "compression level")
	fs.Parse(args)
	if fs.NArg() != 1 {
		return fmt.Errorf("upload: want one ROOT")
	}
	root := fs.Arg(0)
	cfg, err := artifact.ConfigFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	cfg.CompressionLevel = *level
	logs := bufio.NewWriter(os.Stderr)
	defer logs.Flush()
	cfg.Logf = func(f string, a ...any) { fmt.Fprintf(logs, f+"\n", a...) }
	files, err := artifact.BundleFiles(root)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	start := time.Now()
	res, err := artifact.Upload(ctx, cfg, *name, root, files)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"name": res.Name, "id": res.ID, "size": res.Size, "digest": res.Digest,
		"files": res.Files, "seconds": time.Since(start).Seconds(),
	})
}
