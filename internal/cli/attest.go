package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/helios-action/helios-action/internal/attest"
	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/markup"
)

// attest writes the in-toto Statement of a bundle that verifies.
func (c *Command) attest(ctx context.Context, args []string) error {
	var out string
	fset := newFlags("attest")
	fset.StringVar(&out, "o", "", "write the Statement to `FILE` instead of stdout (not inside DIR: it would be a file the Statement does not list)")
	dir, err := dirArgFlags(fset, args)
	if err != nil {
		return err
	}
	if out != "" && inside(dir, out) {
		return usageErrorf("attest: -o %s is inside the bundle %s: the Statement would be a file it does not list", out, dir)
	}
	// A Statement vouches for the ledger's digests: signing one for files
	// that no longer match them would vouch for files nobody has.
	rep, err := c.verifyLedger(ctx, "attest", dir)
	if err != nil {
		return err
	}
	if !rep.Clean() {
		printReport(c, rep)
		fmt.Fprintf(c.Stdout, "helios: %s does not verify (%d missing, %d extra, %d changed): no Statement written\n", dir, len(rep.Missing), len(rep.Extra), len(rep.Changed))
		return errFailed
	}
	b, err := attest.Load(ctx, dir)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		fmt.Fprintf(c.Stdout, "helios: cannot attest %s: %v\n", dir, err)
		return errFailed
	}
	st, err := b.Statement(attest.RunFromEnv(c.Getenv))
	if err != nil {
		fmt.Fprintf(c.Stdout, "helios: cannot attest %s: %v\n", dir, err)
		return errFailed
	}
	data, err := st.Marshal()
	if err != nil {
		return err
	}
	if out == "" {
		_, err = c.Stdout.Write(data)
		return err
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return fmt.Errorf("attest: %w", err)
	}
	fmt.Fprintf(c.Stderr, "helios: %d subjects, predicate %s → %s\n", len(st.Subject), attest.PredicateType, out)
	return nil
}

// verifyStatement checks the bundle in dir against a Statement's subjects.
func (c *Command) verifyStatement(ctx context.Context, path, dir string) error {
	st, err := attest.ReadStatement(ctx, path)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		fmt.Fprintf(c.Stdout, "helios: %s does not verify: %v\n", dir, err)
		return errFailed
	}
	rep, err := st.Verify(ctx, dir)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		fmt.Fprintf(c.Stdout, "helios: %s does not verify against %s: %v\n", dir, path, err)
		return errFailed
	}
	printReport(c, rep)
	if !rep.Clean() {
		fmt.Fprintf(c.Stdout, "helios: %s does not verify against %s: %d missing, %d extra, %d changed, %d ok\n", dir, path, len(rep.Missing), len(rep.Extra), len(rep.Changed), rep.OK)
		return errFailed
	}
	fmt.Fprintf(c.Stdout, "helios: %s verifies against %s: %d files ok\n", dir, path, rep.OK)
	if p := st.Predicate; p != nil {
		fmt.Fprintf(c.Stdout, "mission %q (%s, sha256:%s), %s", p.Mission.Name, markup.Quoted(p.Mission.File), markup.Quoted(p.Mission.SHA256), markup.Quoted(p.Conclusion))
		if p.Commit != "" {
			fmt.Fprintf(c.Stdout, ", commit %s", markup.Quoted(p.Commit))
		}
		if r := p.Run; r != nil {
			fmt.Fprintf(c.Stdout, ", run %s", markup.Quoted(r.ServerURL+"/"+r.Repository+"/actions/runs/"+r.ID))
		}
		fmt.Fprintln(c.Stdout)
	}
	return nil
}

// printReport lists the files that do not match, as verify does.
func printReport(c *Command, rep *ledger.VerifyReport) {
	for _, n := range rep.Missing {
		fmt.Fprintf(c.Stdout, "missing  %s\n", markup.Quoted(n))
	}
	for _, n := range rep.Extra {
		fmt.Fprintf(c.Stdout, "extra    %s\n", markup.Quoted(n))
	}
	for _, n := range rep.Changed {
		fmt.Fprintf(c.Stdout, "changed  %s\n", markup.Quoted(n))
	}
}

// inside reports whether path out is dir or a file in it: a Statement
// written there would be a file the Statement does not list.
func inside(dir, out string) bool {
	d, err1 := filepath.Abs(dir)
	o, err2 := filepath.Abs(out)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(d, o)
	return err == nil && filepath.IsLocal(rel)
}
