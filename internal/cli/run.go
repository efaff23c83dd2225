package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/mission"
	"github.com/helios-action/helios-action/internal/site"
)

// DefaultMissionFile is looked for in the workspace when --mission is not given.
const DefaultMissionFile = "helios.yml"

// loadMission reads the mission the user named, else ./helios.yml, else the
// built-in upstream drill. A relative file is in the workspace ws (-C, or
// the current folder); an absolute one is used as it is, wherever it is
// (the action confines its input to the workspace first: see
// action.missionProblem).
func (c *Command) loadMission(ws, file string) (*mission.Mission, error) {
	if file == "" {
		if _, err := os.Stat(filepath.Join(ws, DefaultMissionFile)); err == nil {
			file = DefaultMissionFile
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	if file == "" {
		return c.Builtins.Parse(mission.DefaultFile, mission.DefaultSource())
	}
	path := file
	if !filepath.IsAbs(path) {
		path = filepath.Join(ws, path)
	}
	m, err := c.Builtins.Load(path)
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return nil, usageErrorf("mission %s: %v", file, pe.Err)
	}
	return m, err
}

// runFlags are the flags of `helios run`.
type runFlags struct {
	workspace, mission, reportRoot, network, rpcURL, shard string
	jobs                                                   int
}

func (f *runFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&f.workspace, "C", "", "run in `DIR` instead of the current folder: the workspace")
	fs.StringVar(&f.mission, "mission", "", "mission `FILE`, absolute or relative to the workspace (default ./helios.yml, else the built-in drill)")
	fs.StringVar(&f.reportRoot, "report-root", "", "report `DIR`, relative to the workspace (default: the mission's report-root)")
	fs.StringVar(&f.network, "network", "", "network `NAME`, passed to steps as HELIOS_NETWORK (default: the mission's)")
	fs.StringVar(&f.rpcURL, "rpc-url", getenv("HELIOS_RPC_URL"), "JSON-RPC endpoint `URL`, passed to steps as HELIOS_RPC_URL and masked (default $HELIOS_RPC_URL)")
	fs.IntVar(&f.jobs, "jobs", 0, "run at most `N` phases side by side (default: the number of CPUs)")
	fs.StringVar(&f.shard, "shard", "", "run only what shard job `SPEC` runs (a shard id, or K-of-N), as one leg of a matrix does")
}

func (c *Command) run(ctx context.Context, args []string) error {
	var f runFlags
	fset := newFlags("run")
	f.register(fset, c.Getenv)
	pos, err := parse(fset, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("run: unexpected argument %q (the mission file goes after --mission)", pos[0])
	}
	if f.jobs < 0 {
		return usageErrorf("run: --jobs must be positive, got %d", f.jobs)
	}
	ws, err := c.workspace(f.workspace)
	if err != nil {
		return err
	}
	m, err := c.loadMission(ws, f.mission)
	if err != nil {
		return err
	}
	mode := engine.Plain
	switch {
	case c.Getenv("GITHUB_ACTIONS") == "true":
		mode = engine.GitHub
	case c.IsTerminal:
		mode = engine.Terminal
	}
	res, err := engine.Run(ctx, m, engine.Options{
		Workspace:    ws,
		ReportRoot:   f.reportRoot,
		Network:      f.network,
		RPCURL:       f.rpcURL,
		Jobs:         f.jobs,
		Shard:        f.shard,
		Environ:      c.Environ(),
		Console:      c.Stdout,
		Mode:         mode,
		Version:      c.Version,
		Builtins:     c.Builtins,
		BeforeLedger: IndexPage,
		Reserved:     site.Written(),
	})
	if err != nil {
		return err
	}
	mf := res.Manifest
	what := ""
	if mf.Shard != nil {
		what = fmt.Sprintf("shard %s (%s) · ", mf.Shard.Spec, strings.Join(mf.Shard.IDs, ", "))
	}
	fmt.Fprintf(c.Stdout, "helios: %s%s · %d files · ledger digest sha256:%s · content digest sha256:%s\n", what, mf.Conclusion, res.Files, res.DigestHex(), res.ContentDigestHex())
	if mf.Reason != "" {
		fmt.Fprintf(c.Stdout, "helios: %s\n", mf.Reason)
	}
	fmt.Fprintf(c.Stdout, "helios: report %s (verify: sha256sum -c SHA256SUMS in that folder)\n", res.ReportRel)
	if mf.Conclusion != manifest.Success {
		return errFailed
	}
	return nil
}

func (c *Command) plan(args []string) error {
	var file, dir, shard string
	fset := newFlags("plan")
	fset.StringVar(&dir, "C", "", "plan in `DIR` instead of the current folder: the workspace")
	fset.StringVar(&file, "mission", "", "mission `FILE`, absolute or relative to the workspace (default ./helios.yml, else the built-in drill)")
	fset.StringVar(&shard, "shard", "", "print only what shard `SPEC` runs: a shard id, or K-of-N for the K-th of N even parts of the shards in file order")
	pos, err := parse(fset, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("plan: unexpected argument %q", pos[0])
	}
	ws, err := c.workspace(dir)
	if err != nil {
		return err
	}
	m, err := c.loadMission(ws, file)
	if err != nil {
		return err
	}
	// An empty --shard is no shard, as an empty action input is an unset
	// one: a workflow may pass an unset matrix value.
	var plan string
	if shard == "" {
		plan = engine.Plan(m)
	} else if plan, err = engine.PlanShard(m, shard); err != nil {
		return usageErrorf("plan: --shard: %v", err)
	}
	_, err = fmt.Fprint(c.Stdout, plan)
	return err
}

// IndexPage writes the browsable index.html (and its Mermaid assets) into
// a bundle just before its manifest and ledger.
func IndexPage(ctx context.Context, res *engine.Result, files []ledger.Entry) ([]string, error) {
	if err := site.Write(res.Bundle, res.Manifest, files, site.Options{}); err != nil {
		return nil, err
	}
	return site.Written(), nil
}
