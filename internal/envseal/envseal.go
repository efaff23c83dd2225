// Package envseal keeps helios's secrets out of its /proc/<pid>/environ.
// A process's environ file shows the environment it was executed with, for
// as long as it lives, to anyone the kernel lets read it; the action starts
// with the GitHub token, ACTIONS_RUNTIME_TOKEN, every INPUT_* and the
// workflow's secrets there. Reexec executes helios again, in place (same
// pid), with an environment that holds only a few well-known, non-secret
// variables, and hands the whole environment over in an anonymous memory
// file it reads and closes first thing; the Go environment (os.Getenv,
// os.Environ) then holds everything as before, the environ file does not.
//
// It is defence in depth: steps run as another user where they can (see
// internal/engine/stepuser.go), and then cannot read helios's environ at all.
package envseal

import (
	"encoding/json"
	"strings"
)

// fdVar names the descriptor of the memory file in the re-executed
// process's environment.
const fdVar = "HELIOS_SEALED_ENV_FD"

// maxEnv bounds what the re-executed process reads back.
const maxEnv = 64 << 20

// shown are the variables the environ file may keep: the Go runtime reads
// its settings from there before main, and the rest name the machine, not
// a secret.
var shown = map[string]bool{
	"PATH": true, "HOME": true, "HOSTNAME": true, "TERM": true, "TZ": true, "LANG": true,
	"GODEBUG": true, "GOGC": true, "GOMAXPROCS": true, "GOMEMLIMIT": true, "GOTRACEBACK": true,
	"CI": true, "GITHUB_ACTIONS": true, "RUNNER_OS": true, "RUNNER_ARCH": true,
}

// split parts env into what the environ file may show and whether anything
// else is there.
func split(env []string) (show []string, hidden bool) {
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if shown[k] || strings.HasPrefix(k, "LC_") {
			show = append(show, kv)
		} else {
			hidden = true
		}
	}
	return show, hidden
}

func encode(env []string) ([]byte, error) { return json.Marshal(env) }

func decode(b []byte) ([]string, error) {
	var env []string
	err := json.Unmarshal(b, &env)
	return env, err
}
