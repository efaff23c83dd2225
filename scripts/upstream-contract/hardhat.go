package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Hardhat's `hardhat run` contract is not in the checkout (it lives in
// node_modules, which `npm ci` would fill), so it is written here by hand
// from Hardhat's source at the version upstream's lock file pins, and the
// program refuses to run when the lock pins another one: the table would then
// describe a Hardhat the drill does not get.

const (
	hardhatVersion = "2.26.3"
	hardhatTag     = "hardhat@2.26.3"
	hardhatCommit  = "16d60504e1ee6af3b3c7df7ab1ba7f6a0f2483f9"
	hardhatRepo    = "NomicFoundation/hardhat"
	hardhatSrc     = "packages/hardhat-core/src/"
)

type Hardhat struct {
	Version          string       `json:"version"`
	VersionFrom      string       `json:"versionFrom"`
	Requested        string       `json:"requested"`
	Cited            []Citation   `json:"cited"`
	GlobalParams     []HHParam    `json:"globalParams"`
	GlobalParamsNote string       `json:"globalParamsNote"`
	Run              HHRun        `json:"run"`
	Errors           []HHError    `json:"errors"`
	ErrorOutput      HHErrorPrint `json:"errorOutput"`
	Unverified       []string     `json:"unverified"`
}

type Citation struct {
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
	Commit     string `json:"commit"`
	Path       string `json:"path"`
	For        string `json:"for"`
}

type HHParam struct {
	Name  string `json:"name"`
	Value bool   `json:"value"`
	Env   string `json:"env,omitempty"`
}

type HHPositional struct {
	Name     string `json:"name"`
	Required bool   `json:"required"`
}

type HHRun struct {
	Params     []HHParam      `json:"params"`
	Positional []HHPositional `json:"positional"`
	ScriptArgs string         `json:"scriptArgs"`
	ScriptEnv  string         `json:"scriptEnv"`
	ExitCode   string         `json:"exitCode"`
}

type HHError struct {
	Code     string `json:"code"`
	ID       string `json:"id"`
	Template string `json:"template"` // verbatim from errors-list.ts
	When     string `json:"when"`
	Stderr   string `json:"stderr"` // first stderr line, %s for the argument
}

type HHErrorPrint struct {
	ExitCode int    `json:"exitCode"`
	Stderr   string `json:"stderr"`
	How      string `json:"how"`
	Colour   string `json:"colour"`
	Then     string `json:"then"`
}

func cite(path, what string) Citation {
	return Citation{Repository: hardhatRepo, Tag: hardhatTag, Commit: hardhatCommit, Path: path, For: what}
}

// hardhatRun checks the lock file's Hardhat version and returns the table.
func hardhatRun(dir string) (*Hardhat, error) {
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		return nil, fmt.Errorf("package-lock.json: %w", err)
	}
	got := lock.Packages["node_modules/hardhat"].Version
	if got != hardhatVersion {
		return nil, fmt.Errorf("package-lock.json pins hardhat %q; the hardhatRun table was checked against %s: re-read Hardhat's source and update hardhat.go", got, hardhatVersion)
	}
	var pkg struct {
		Dev  map[string]string `json:"devDependencies"`
		Deps map[string]string `json:"dependencies"`
	}
	if b, err = os.ReadFile(filepath.Join(dir, "package.json")); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		return nil, fmt.Errorf("package.json: %w", err)
	}
	requested := pkg.Dev["hardhat"]
	if requested == "" {
		requested = pkg.Deps["hardhat"]
	}
	core := hardhatSrc + "internal/core/"
	return &Hardhat{
		Version:     hardhatVersion,
		VersionFrom: `package-lock.json packages["node_modules/hardhat"].version (what npm ci installs)`,
		Requested:   requested,
		Cited: []Citation{
			cite(hardhatSrc+"internal/core/params/hardhat-params.ts", "global params"),
			cite(hardhatSrc+"internal/core/params/env-variables.ts", "HARDHAT_* env equivalents and the env given to the script"),
			cite(hardhatSrc+"internal/cli/ArgumentsParser.ts", "parsing order, --name to param name, unknown and extra arguments"),
			cite(hardhatSrc+"builtin-tasks/run.ts", "run task params; the script gets no arguments"),
			cite(hardhatSrc+"internal/util/scripts-runner.ts", "the script is forked with no script arguments and HARDHAT_* env"),
			cite(core+"errors-list.ts", "error numbers and message templates (prefix HH)"),
			cite(core+"errors.ts", "HardhatError message is \"HHnnn: <template filled>\""),
			cite(hardhatSrc+"internal/cli/cli.ts", "how errors are printed and the exit code"),
			cite(hardhatSrc+"internal/util/ci-detection.ts", "when stack traces are printed by default"),
			{Repository: "alexeyraspopov/picocolors", Tag: "v1.1.1", Commit: "7249f8c5d4825550f70bc1ea98652639933d3bbd", Path: "picocolors.js", For: "when the error is coloured (picocolors 1.1.1 is the version upstream's lock pins)"},
		},
		GlobalParams: []HHParam{
			{Name: "--config", Value: true, Env: "HARDHAT_CONFIG"},
			{Name: "--emoji", Env: "HARDHAT_EMOJI"},
			{Name: "--flamegraph", Env: "HARDHAT_FLAMEGRAPH"},
			{Name: "--help", Env: "HARDHAT_HELP"},
			{Name: "--max-memory", Value: true, Env: "HARDHAT_MAX_MEMORY"},
			{Name: "--network", Value: true, Env: "HARDHAT_NETWORK"},
			{Name: "--show-stack-traces", Env: "HARDHAT_SHOW_STACK_TRACES"},
			{Name: "--tsconfig", Value: true, Env: "HARDHAT_TSCONFIG"},
			{Name: "--typecheck", Env: "HARDHAT_TYPECHECK"},
			{Name: "--verbose", Env: "HARDHAT_VERBOSE"},
			{Name: "--version", Env: "HARDHAT_VERSION"},
		},
		GlobalParamsNote: "Global params are recognised anywhere on the command line, before or after `run` " +
			"(parseHardhatArguments parses them in both branches); each may appear once. " +
			"A param's CLI name is its camelCase name split at capitals, lower-cased and joined with '-'.",
		Run: HHRun{
			Params:     []HHParam{{Name: "--no-compile"}},
			Positional: []HHPositional{{Name: "script", Required: true}},
			ScriptArgs: "none: the run task calls runScriptWithHardhat(hardhatArguments, script) with no scriptArgs, " +
				"so the script's process.argv.slice(2) is always [] and its own flags cannot be reached through `hardhat run`",
			ScriptEnv: "the parent's env plus HARDHAT_<PARAM>=<value> for every global param with a defined value " +
				"(getEnvVariablesMap), e.g. HARDHAT_NETWORK=<name> from --network",
			ExitCode: "the forked script's exit status (run sets process.exitCode to it; the CLI then exits with process.exitCode)",
		},
		Errors: []HHError{
			{Code: "HH304", ID: "ARGUMENTS.UNRECOGNIZED_COMMAND_LINE_ARG", Template: "Unrecognised command line argument %argument%.\nNote that task arguments must come after the task name.",
				When: "an argument starting with -- that is not a global param, before the task name (raised before the config loads)", Stderr: "Error HH304: Unrecognised command line argument %s."},
			{Code: "HH305", ID: "ARGUMENTS.UNRECOGNIZED_PARAM_NAME", Template: "Unrecognized param %param%",
				When: "after the task name, an argument starting with -- that is neither a global param nor a run param, including a bare `--` (raised after the config and its plugins load)", Stderr: "Error HH305: Unrecognized param %s"},
			{Code: "HH306", ID: "ARGUMENTS.MISSING_TASK_ARGUMENT", Template: "The '%param%' parameter of task '%task%' expects a value, but none was passed.",
				When: "a value param (e.g. --network) is the last argument; after `run` the task named is 'run' (before it, 'help')", Stderr: "Error HH306: The '%s' parameter of task 'run' expects a value, but none was passed."},
			{Code: "HH307", ID: "ARGUMENTS.MISSING_POSITIONAL_ARG", Template: "Missing positional argument %param%",
				When: "`run` without a script path", Stderr: "Error HH307: Missing positional argument script"},
			{Code: "HH308", ID: "ARGUMENTS.UNRECOGNIZED_POSITIONAL_ARG", Template: "Unrecognized positional argument %argument%",
				When: "a second argument not starting with -- after `run` (the first is the script)", Stderr: "Error HH308: Unrecognized positional argument %s"},
			{Code: "HH309", ID: "ARGUMENTS.REPEATED_PARAM", Template: "Repeated parameter %param%",
				When: "a param given twice", Stderr: "Error HH309: Repeated parameter %s"},
			{Code: "HH310", ID: "ARGUMENTS.PARAM_NAME_INVALID_CASING", Template: "Invalid param %param%. Command line params must be lowercase.",
				When: "an argument starting with -- that has capitals", Stderr: "Error HH310: Invalid param %s. Command line params must be lowercase."},
			{Code: "HH601", ID: "BUILTIN_TASKS.RUN_FILE_NOT_FOUND", Template: "Script %script% doesn't exist.",
				When: "the script path does not exist", Stderr: "Error HH601: Script %s doesn't exist."},
		},
		ErrorOutput: HHErrorPrint{
			ExitCode: 1,
			Stderr:   "Error HHnnn: <message>",
			How:      "cli.ts prints console.error(\"Error\", error.message), and a HardhatError's message is \"HHnnn: <template filled>\"; errors[].stderr gives the first line",
			Colour: "\"Error\" and \"HHnnn:\" are wrapped in red/bold ANSI escapes when picocolors enables colour: " +
				"NO_COLOR unset and no --no-color, and one of FORCE_COLOR, --color, win32, a TTY stdout with TERM != dumb, or CI set (GitHub Actions sets CI)",
			Then: "a blank line on stdout; then, with --show-stack-traces or on a CI server (ci-info, GITHUB_ACTIONS set, or Linux with neither DISPLAY nor WAYLAND_DISPLAY set), " +
				"the error with its stack on stderr; otherwise \"For more info go to https://hardhat.org/HHnnn or run Hardhat with --show-stack-traces\"",
		},
		Unverified: []string{
			"Read from source at the cited tag, not by running Hardhat: no node_modules here.",
			"Whether a plugin required by upstream's hardhat.config.js (@nomicfoundation/hardhat-toolbox, hardhat-gas-reporter, solidity-coverage, hardhat-contract-sizer) overrides the run task or adds params to it: not checked.",
			"The exact ANSI bytes around \"Error\" and the code; a test should strip ANSI escapes or set NO_COLOR.",
			"ArgumentsParser.ts, hardhat-params.ts, run.ts, scripts-runner.ts and errors.ts are identical at hardhat@2.26.1 and hardhat@2.29.0; errors-list.ts and cli.ts differ at 2.29.0 only in hardhat.org links (v2.hardhat.org). Other 2.x versions: not compared.",
		},
	}, nil
}
