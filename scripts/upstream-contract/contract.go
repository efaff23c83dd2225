package main

// The JSON contract. Field order here is the order in the file; slices are
// sorted where their order carries no meaning, so a re-run on the same
// checkout gives the same bytes.

type Contract struct {
	Repository  string    `json:"repository"`
	Commit      string    `json:"commit"`
	GeneratedBy string    `json:"generatedBy"`
	Notes       []string  `json:"notes"`
	Scripts     []*Script `json:"scripts"`
	// HardhatScripts are files the drill runs with `npx hardhat run FILE`,
	// keyed by that path.
	HardhatScripts map[string]*Script `json:"hardhatScripts"`
	HardhatRun     *Hardhat           `json:"hardhatRun"`
}

// Script is one CLI the drill calls: an npm script (Name set) or a file run
// through `hardhat run` (Name empty, keyed by Source).
type Script struct {
	Name         string `json:"name,omitempty"`
	Command      string `json:"command,omitempty"` // the package.json value
	Runner       string `json:"runner"`            // node, ts-node, bash, hardhat run
	Source       string `json:"source"`
	SourceSha256 string `json:"sourceSha256"`
	// ArgsParsedBy says who sees arguments appended to the command:
	// "script" (its own parser, below), "none" (the source never reads its
	// argv, so anything is accepted and ignored) or "hardhat run" (Hardhat's
	// parser, see hardhatRun; the script itself always gets an empty argv).
	ArgsParsedBy string     `json:"argsParsedBy"`
	Parser       *Parser    `json:"parser"`
	Flags        []Flag     `json:"flags"`
	FlagPrefixes []Prefix   `json:"flagPrefixes"`
	UnknownFlag  Unknown    `json:"unknownFlag"`
	Env          []string   `json:"env"`
	EnvDynamic   []EnvRead  `json:"envDynamic,omitempty"`
	EnvAliases   []EnvAlias `json:"envAliases,omitempty"`
	EnvDefaults  []EnvDef   `json:"envDefaults,omitempty"`
	EnvOptions   []EnvOpt   `json:"envOptions,omitempty"`
	Writes       []Write    `json:"writes"`
	OtherPaths   []Write    `json:"otherPaths,omitempty"`
	// OutputStamped: the stamps of the files the script writes where a flag
	// (--out, --bundle, --output-name) or its env equivalent says; set only
	// for the scripts that have such outputs.
	OutputStamped     *[]Stamp `json:"outputStamped,omitempty"`
	OutputStampedNote string   `json:"outputStampedNote,omitempty"`
	Invokes           []Child  `json:"invokes,omitempty"`
	InvokedBy         []string `json:"invokedBy,omitempty"`
	Notes             []string `json:"notes,omitempty"`
}

// Parser locates the argument loop that was read.
type Parser struct {
	Kind     string `json:"kind"`               // switch or if-chain
	Function string `json:"function,omitempty"` // empty when the loop is not in a named function
	Line     int    `json:"line"`
}

type Flag struct {
	Name string `json:"name"`
	// Value: the flag consumes the next argument as its value.
	Value bool `json:"value"`
	Line  int  `json:"line"`
	// SameAs lists the other spellings handled by the same case or branch.
	SameAs []string `json:"sameAs,omitempty"`
	// Sets lists the option fields the case assigns (options.<field> = …).
	Sets []string `json:"sets,omitempty"`
}

// Prefix is a --name=value form matched with startsWith.
type Prefix struct {
	Prefix string `json:"prefix"`
	Line   int    `json:"line"`
}

// Unknown is what happens to an argument the parser does not list.
type Unknown struct {
	// Action: reject (throws; the process exits), warn (prints and goes on)
	// or ignore.
	Action string `json:"action"`
	// Scope: which unlisted arguments the action applies to: "any" or
	// "dash-prefixed" (arguments not starting with '-' are then ignored).
	Scope   string `json:"scope,omitempty"`
	Message string `json:"message"` // %s stands for the argument; "" when ignored
	Line    int    `json:"line,omitempty"`
	// Stderr is the first stderr line the user sees, %s for the argument.
	Stderr string `json:"stderr,omitempty"`
	// StackTraceFollows: the handler prints the Error's stack, so lines
	// "    at …" follow Stderr.
	StackTraceFollows bool   `json:"stackTraceFollows,omitempty"`
	ExitCode          *int   `json:"exitCode,omitempty"`
	HandlerLine       int    `json:"handlerLine,omitempty"`
	Note              string `json:"note,omitempty"`
}

type EnvRead struct {
	Expr string `json:"expr"`
	Line int    `json:"line"`
}

// EnvAlias: Name is read first, then each of Aliases in order while the
// ones before are unset (?? ) or empty (||).
type EnvAlias struct {
	Name    string   `json:"name"`
	Aliases []string `json:"aliases"`
	Line    int      `json:"line"`
}

// EnvDef is a shell ${NAME:-default} (or ${NAME:+…}) read.
type EnvDef struct {
	Name    string `json:"name"`
	Default string `json:"default"`
	Line    int    `json:"line"`
}

// EnvOpt is an env var that sets an option field.
type EnvOpt struct {
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"`
	Sets    string   `json:"sets"`
	Default string   `json:"default,omitempty"`
	Line    int      `json:"line"`
}

// Write is a fixed path (relative to the checkout unless absolute) that the
// command writes with no flags given. Env and Flags list what moves it.
type Write struct {
	Path  string   `json:"path"`
	Dir   bool     `json:"dir,omitempty"`
	Env   []string `json:"env,omitempty"`
	Flags []string `json:"flags,omitempty"`
	From  string   `json:"from,omitempty"` // the source that writes it, when not Source
	Line  int      `json:"line,omitempty"`
	Note  string   `json:"note,omitempty"`
	// Stamped lists what makes the file differ between identical runs (see
	// stamps.go); [] when nothing does. Set on writes, never on otherPaths.
	Stamped     *[]Stamp `json:"stamped,omitempty"`
	StampedNote string   `json:"stampedNote,omitempty"`
	// Varies: variation that comes from chain state (transaction hashes,
	// block times of a fresh chain) rather than a clock call.
	Varies string `json:"varies,omitempty"`
}

// Child is a program the script starts, with that program's own env reads.
type Child struct {
	Source       string   `json:"source"`
	SourceSha256 string   `json:"sourceSha256"`
	Env          []string `json:"env"`
}
