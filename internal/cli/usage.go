package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/helios-action/helios-action/internal/attest"
)

// verbDoc is what `helios VERB --help` says about a verb besides its flags.
type verbDoc struct {
	// synopsis follows "Usage: helios " and names the positional arguments.
	synopsis string
	// about says what the verb does, in a paragraph or two.
	about string
}

// missionLookup says where run and plan find their mission.
const missionLookup = `Without --mission, helios uses ./helios.yml when it exists, else the built-in
Helios Omniversal Symphony drill. A relative --mission is in the workspace
(-C DIR, default the current folder); an absolute one is read where it is.`

// verbs documents every verb Main knows, for `helios VERB --help` and
// `helios help VERB`. TestEveryVerbHasHelp keeps it in step with Main.
var verbs = map[string]verbDoc{
	"run": {
		synopsis: "run [flags]",
		about: `Run a mission in the workspace and write its report bundle: each step's
receipt and log, manifest.json, and the SHA256SUMS ledger over every file.
A mission with "shards" runs whole, each sharded phase once per shard into
shards/<id>/; with --shard, only what that leg of a matrix runs (see
"helios plan --shard"), and the action's merge job joins the legs.

` + missionLookup,
	},
	"plan": {
		synopsis: "plan [flags]",
		about: `Print the resolved plan of a mission without running it: the phases in the
order they start, each step's command, collect or built-in, and the shell
its commands run with. For a mission with "shards", it lists the shards,
the part each shard runs and the part the merge runs after them; with
--shard, only what that shard runs.

` + missionLookup,
	},
	"digest": {
		synopsis: "digest DIR",
		about:    "Write DIR/SHA256SUMS over every file in DIR and print the ledger digest.",
	},
	"verify": {
		synopsis: "verify [--statement FILE] DIR",
		about: `Re-hash the bundle DIR against its SHA256SUMS, or with --statement against
the subjects of an in-toto Statement (and its SHA256SUMS against the
predicate's ledger digest). Exits 0 when every file matches, 1 when a file
is missing, extra or changed, or the ledger or Statement cannot be read.`,
	},
	"attest": {
		synopsis: "attest DIR [-o FILE]",
		about: `Write the in-toto Statement of the bundle DIR: its files as SHA256SUMS lists
them are the subjects, the predicate (type ` + attest.PredicateType + `)
is the run its manifest.json records, with the GitHub Actions workflow run
from GITHUB_* when there is one. Sign it with any in-toto signer (such as
cosign attest-blob); "helios verify --statement" checks a bundle against
it. The bundle must verify first.`,
	},
	"diff": {
		synopsis: "diff OLD NEW [flags]",
		about: `Compare two bundles, each a folder or its SHA256SUMS file: the files added,
removed and changed, volatile files apart, and for a changed JSON file the
keys whose values moved.`,
	},
	"action": {
		synopsis: "action",
		about: `The GitHub Action's entrypoint. It takes no arguments: it reads the action's
inputs from INPUT_* (see action.yml) and GitHub's environment.`,
	},
	"version": {
		synopsis: "version",
		about:    "Print helios's version.",
	},
	"help": {
		synopsis: "help [COMMAND]",
		about:    "Print how to use helios, or one of its commands.",
	},
}

// helpRequest is returned by parse when the arguments ask for a verb's
// usage (-h, -help or --help): Main prints it to stdout and exits 0.
type helpRequest struct {
	verb string
	fs   *flag.FlagSet
}

func (h *helpRequest) Error() string { return h.verb + ": help requested" }

// newFlags is the FlagSet of a verb. Its errors and usage are printed by
// Main, never by package flag.
func newFlags(verb string) *flag.FlagSet {
	fs := flag.NewFlagSet(verb, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// writeUsage prints a verb's usage: synopsis, what it does, and its flags.
// Flags are listed without their defaults: --rpc-url's comes from
// HELIOS_RPC_URL, which may hold a key; each flag's text says its default.
func writeUsage(w io.Writer, verb string, fs *flag.FlagSet) error {
	doc := verbs[verb]
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: helios %s\n\n%s\n", doc.synopsis, doc.about)
	if fs != nil {
		type row struct{ left, usage string }
		var rows []row
		width := 0
		fs.VisitAll(func(f *flag.Flag) {
			name, usage := flag.UnquoteUsage(f)
			left := dashed(f.Name)
			if name != "" {
				left += " " + name
			}
			width = max(width, len(left))
			rows = append(rows, row{left, usage})
		})
		if len(rows) > 0 {
			b.WriteString("\nFlags:\n")
			for _, r := range rows {
				fmt.Fprintf(&b, "  %-*s  %s\n", width, r.left, r.usage)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// help is `helios help [COMMAND]`: the general usage, or what
// `helios COMMAND --help` prints.
func (c *Command) help(ctx context.Context, args []string) error {
	fs := newFlags("help")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		_, err := io.WriteString(c.Stdout, usage)
		return err
	case len(pos) > 1:
		return usageErrorf("help takes one command, got %d arguments", len(pos))
	}
	if _, ok := verbs[pos[0]]; !ok {
		return usageErrorf("help: unknown command %q", pos[0])
	}
	// Every verb parses its flags before it does anything else, so asking
	// it for its help runs nothing.
	return c.dispatch(ctx, pos[0], []string{"--help"})
}

// Package flag's messages, which name every flag with one dash whatever
// the user typed.
var (
	undefinedFlagRE = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	needsValueRE    = regexp.MustCompile(`^flag needs an argument: -+(.*)$`)
	badValueRE      = regexp.MustCompile(`^invalid (boolean )?value (".*") for (?:flag )?-+([^:]*): (.*)$`)
)

// flagProblem rewords package flag's errors the way helios writes its
// flags: "-C" but "--jobs".
func flagProblem(err error) string {
	msg := err.Error()
	if m := undefinedFlagRE.FindStringSubmatch(msg); m != nil {
		return "unknown flag " + dashed(m[1])
	}
	if m := needsValueRE.FindStringSubmatch(msg); m != nil {
		return dashed(m[1]) + " needs a value"
	}
	if m := badValueRE.FindStringSubmatch(msg); m != nil {
		why := m[4]
		switch {
		case m[1] != "":
			why = "want true or false"
		case why == "parse error":
			why = "not a number"
		case why == "value out of range":
			why = "out of range"
		}
		return fmt.Sprintf("%s: invalid value %s: %s", dashed(m[3]), m[2], why)
	}
	return msg
}

// dashed writes a flag name as the usage does: one dash for a letter,
// two for a word.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}
