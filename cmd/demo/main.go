// Command demo is the first thing to run in a fresh clone: it starts the
// dev chain in-process on loopback, runs the example mission
// (testdata/example) through every phase against it over HTTP JSON-RPC with
// the real engine and built-ins, writes the bundle and prints where the
// Markdown reports are.
//
//	go run ./cmd/demo                      # the example, on a chain that agrees with it
//	go run ./cmd/demo --state drill.json   # the same on a drilled chain (see internal/devchain)
package main

import (
	"context"
	"flag"
	"fmt"
	"github.com/helios-action/helios-action/internal/site"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"golang.org/x/term"

	"github.com/helios-action/helios-action/internal/builtin"
	"github.com/helios-action/helios-action/internal/cli"
	"github.com/helios-action/helios-action/internal/devchain"
	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/supervise"
)

func main() {
	supervise.Main() // a step supervisor when started as one; first, before anything else
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, term.IsTerminal(int(os.Stdout.Fd())))
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, tty bool) int {
	fset := flag.NewFlagSet("demo", flag.ContinueOnError)
	fset.SetOutput(stderr)
	dir := fset.String("C", "testdata/example", "the workspace holding helios.yml and config/")
	statePath := fset.String("state", "", "drill state file for the dev chain (JSON)")
	if err := fset.Parse(args); err != nil {
		return 2
	}
	ws, err := filepath.Abs(*dir)
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return 2
	}
	var st devchain.State
	if *statePath != "" {
		if st, err = devchain.ReadState(*statePath); err != nil {
			fmt.Fprintln(stderr, "demo:", err)
			return 2
		}
	}
	reg := builtin.Registry()
	m, err := reg.Load(filepath.Join(ws, "helios.yml"))
	if err != nil {
		fmt.Fprintf(stderr, "demo: %v\n(run it from the repository root, or give -C)\n", err)
		return 2
	}
	chain, err := devchain.Start(devchain.Options{Addr: "127.0.0.1:0", State: st})
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return 3
	}
	defer chain.Close()
	fmt.Fprintf(stdout, "demo: dev chain (chain id %d) serving %s\n", chain.ChainID, chain.URL)

	mode := engine.Plain
	if tty {
		mode = engine.Terminal
	}
	res, err := engine.Run(ctx, m, engine.Options{
		Workspace: ws,
		RPCURL:    chain.URL,
		Environ:   os.Environ(),
		Console:   stdout,
		Mode:      mode,
		Version:   cli.Version("demo"),
		Builtins:  reg,
		// The same bundle as `helios run`: with its browsable index.html.
		BeforeLedger: cli.IndexPage,
		Reserved:     site.Written(),
	})
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return 3
	}
	mf := res.Manifest
	fmt.Fprintf(stdout, "demo: %s · %d files · ledger digest sha256:%s\n", mf.Conclusion, res.Files, res.DigestHex())
	if mf.Reason != "" {
		fmt.Fprintf(stdout, "demo: %s\n", mf.Reason)
	}
	rel, _ := filepath.Rel(mustGetwd(), res.ReportRoot)
	fmt.Fprintf(stdout, "demo: bundle %s (verify: sha256sum -c SHA256SUMS in that folder)\n", rel)
	fmt.Fprintf(stdout, "demo: open %s in a browser\n", filepath.Join(rel, "index.html"))
	fmt.Fprintln(stdout, "demo: Markdown reports:")
	for _, md := range markdown(res.ReportRoot) {
		fmt.Fprintf(stdout, "  %s\n", filepath.Join(rel, md))
	}
	if mf.Conclusion != manifest.Success {
		return 1
	}
	return 0
}

// markdown lists the bundle's .md files, logs apart.
func markdown(root string) []string {
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		r, _ := filepath.Rel(root, p)
		if d.IsDir() && (r == "logs" || strings.HasSuffix(r, string(filepath.Separator)+"logs")) {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") {
			out = append(out, r)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func mustGetwd() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	return wd
}
