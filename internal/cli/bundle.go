package cli

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/helios-action/helios-action/internal/bundlefs"
	"github.com/helios-action/helios-action/internal/diff"
	"github.com/helios-action/helios-action/internal/exitcode"
	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/regular"
)

// unreadableLedger reports whether err says a ledger is malformed, too
// large or not a regular file.
func unreadableLedger(err error) bool {
	var pe *ledger.ParseError
	var nr *regular.NotRegularError
	var tl *regular.TooLargeError
	return errors.As(err, &pe) || errors.As(err, &nr) || errors.As(err, &tl)
}

func (c *Command) dirArg(name string, args []string) (string, error) {
	return dirArgFlags(newFlags(name), args)
}

// dirArgFlags parses a verb's flags and its one folder argument.
func dirArgFlags(fset *flag.FlagSet, args []string) (string, error) {
	name := fset.Name()
	pos, err := parse(fset, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", usageErrorf("%s takes one folder, got %d arguments", name, len(pos))
	}
	fi, err := os.Stat(pos[0])
	if err != nil {
		return "", usageErrorf("%s: %v", name, err)
	}
	if !fi.IsDir() {
		return "", usageErrorf("%s: %s is not a folder", name, pos[0])
	}
	return pos[0], nil
}

func (c *Command) digest(ctx context.Context, args []string) error {
	dir, err := c.dirArg("digest", args)
	if err != nil {
		return err
	}
	b, err := bundlefs.OpenFolder(dir)
	if err != nil {
		var re *bundlefs.RefusedError
		if errors.As(err, &re) {
			return usageErrorf("digest: %v", err)
		}
		return err
	}
	defer b.Close()
	sum, res, err := ledger.Digest(ctx, b, ledger.ScanOptions{})
	if err != nil {
		return err
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(c.Stderr, "helios: warning: %s is not a regular file (a link?); the ledger leaves it out\n", s)
	}
	fmt.Fprintf(c.Stderr, "helios: %d files → %s\n", len(res.Entries), filepath.Join(dir, ledger.FileName))
	fmt.Fprintln(c.Stdout, hex.EncodeToString(sum[:]))
	return nil
}

// verifyLedger re-hashes the bundle dir against its SHA256SUMS for the
// command cmd. No ledger is a usage error; a ledger that cannot be read
// (malformed, duplicate names, names outside the bundle, a FIFO, too large)
// is a bundle that does not verify, said on stdout, not a failure of the
// tool.
func (c *Command) verifyLedger(ctx context.Context, cmd, dir string) (*ledger.VerifyReport, error) {
	if _, err := os.Lstat(filepath.Join(dir, ledger.FileName)); errors.Is(err, fs.ErrNotExist) {
		return nil, usageErrorf("%s: %s has no %s", cmd, dir, ledger.FileName)
	}
	rep, err := ledger.Verify(ctx, dir, ledger.ScanOptions{})
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		fmt.Fprintf(c.Stdout, "helios: %s does not verify: %v\n", dir, err)
		return nil, errFailed
	}
	return rep, nil
}

func (c *Command) verify(ctx context.Context, args []string) error {
	var statement string
	fset := newFlags("verify")
	fset.StringVar(&statement, "statement", "", "check DIR against the subjects of the in-toto Statement in `FILE` (from helios attest) instead of its SHA256SUMS")
	dir, err := dirArgFlags(fset, args)
	if err != nil {
		return err
	}
	if statement != "" {
		return c.verifyStatement(ctx, statement, dir)
	}
	rep, err := c.verifyLedger(ctx, "verify", dir)
	if err != nil {
		return err
	}
	printReport(c, rep)
	if !rep.Clean() {
		fmt.Fprintf(c.Stdout, "helios: %s does not verify: %d missing, %d extra, %d changed, %d ok\n", dir, len(rep.Missing), len(rep.Extra), len(rep.Changed), rep.OK)
		return errFailed
	}
	content, claimed, warn, err := contentDigest(dir)
	if err != nil {
		fmt.Fprintf(c.Stdout, "helios: %s does not verify: %v\n", dir, err)
		return errFailed
	}
	if warn != "" {
		fmt.Fprintf(c.Stdout, "warning: %s\n", warn)
	}
	if claimed != "" && claimed != content {
		// The files are what the ledger says; the manifest is older than
		// the ledger (helios digest rewrote it after an edit, say).
		fmt.Fprintf(c.Stdout, "warning: manifest.json's contentDigest is %s, but SHA256SUMS gives %s: the ledger was rewritten after the run\n", claimed, content)
	}
	fmt.Fprintf(c.Stdout, "helios: %s verifies: %d files ok · content digest sha256:%s\n", dir, rep.OK, content)
	return nil
}

// contentDigest recomputes a verified bundle's content digest from its
// ledger and its manifest's volatile globs, and returns the one its
// manifest records ("" for none, or no manifest), and a warning when the
// manifest could not be read.
func contentDigest(dir string) (content, claimed, warn string, err error) {
	entries, err := ledger.ReadFile(filepath.Join(dir, ledger.FileName))
	if err != nil {
		return "", "", "", err
	}
	mf, err := manifest.Read(filepath.Join(dir, manifest.FileName))
	if err != nil {
		// The files verified: a manifest that cannot be read (or a folder
		// hashed with sha256sum, without one) leaves the default globs.
		if !errors.Is(err, fs.ErrNotExist) {
			warn = fmt.Sprintf("%v; the content digest leaves out the default volatile files only", err)
		}
		return ledger.ContentDigestOf(entries, manifest.VolatileOf(nil)), "", warn, nil
	}
	return ledger.ContentDigestOf(entries, manifest.VolatileOf(mf)), mf.ContentDigest, "", nil
}

func (c *Command) diff(ctx context.Context, args []string) error {
	var format string
	var failOnDrift bool
	var maxFiles int
	fset := newFlags("diff")
	fset.StringVar(&format, "format", "text", "output `FORMAT`: text, markdown or json (default text)")
	fset.BoolVar(&failOnDrift, "fail-on-drift", false, "exit 1 when a file other than the volatile ones was added, removed or changed")
	fset.IntVar(&maxFiles, "max-files", 1000, "list at most `N` files per kind of change; -1 lists all (default 1000)")
	pos, err := parse(fset, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageErrorf("diff takes two bundles (folders or SHA256SUMS files), got %d arguments", len(pos))
	}
	if maxFiles == 0 || maxFiles < -1 {
		return usageErrorf("diff: --max-files must be a positive number or -1 (all), got %d", maxFiles)
	}
	for _, p := range pos {
		fi, err := os.Stat(p)
		if err != nil {
			return usageErrorf("diff: %v", err)
		}
		if fi.IsDir() {
			if _, err := os.Lstat(filepath.Join(p, ledger.FileName)); err != nil {
				return usageErrorf("diff: %s is not a bundle: it has no %s", p, ledger.FileName)
			}
		}
	}
	res, err := diff.CompareContext(ctx, pos[0], pos[1], diff.Options{MaxFiles: maxFiles})
	if err != nil {
		if ctx.Err() == nil && unreadableLedger(err) {
			// The bundles are at fault, not the tool: exit 1 like a
			// bundle that does not verify.
			return &exitError{code: exitcode.Failure, err: err}
		}
		return err
	}
	switch format {
	case "text":
		err = res.WriteText(c.Stdout)
	case "markdown", "md":
		err = res.WriteMarkdown(c.Stdout)
	case "json":
		err = res.WriteJSON(c.Stdout)
	default:
		return usageErrorf("diff: --format must be text, markdown or json, got %q", format)
	}
	if err != nil {
		return err
	}
	if failOnDrift && res.Drift() {
		return errFailed
	}
	return nil
}
