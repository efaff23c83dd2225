package engine

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/helios-action/helios-action/internal/mission"
	"github.com/helios-action/helios-action/internal/regular"
)

// maxGitConfig bounds the read of the workspace's .git/config.
const maxGitConfig = 1 << 20

// warnPersistedCredentials says so when actions/checkout left the workflow
// token in .git/config (its default, persist-credentials: true) and the
// mission has `run:` steps: those run the pull request's code as the
// workspace owner, who can read that file, and no isolation of helios's
// own can keep the token from them. helios itself needs no git
// credentials.
func (r *run) warnPersistedCredentials(ctx context.Context, repo string) {
	if !hasRunSteps(r.m) || !persistedCredentials(ctx, repo) {
		return
	}
	msg := "helios: .git/config holds the checkout's token (an http extraheader, actions/checkout's persist-credentials): every run: step of the mission can read it. Give actions/checkout `persist-credentials: false`; helios needs no git credentials"
	if r.opts.Mode == GitHub {
		msg = "::warning title=helios::" + msg
	}
	fmt.Fprintln(r.opts.Console, msg)
}

func hasRunSteps(m *mission.Mission) bool {
	for _, p := range m.Phases {
		for _, s := range p.Steps {
			if s.Kind == mission.Run {
				return true
			}
		}
	}
	return false
}

// persistedCredentials reports whether the workspace's .git/config sets an
// http extraheader with an Authorization value. A .git that is a file (a
// worktree, a submodule) or a config that cannot be read says no.
func persistedCredentials(ctx context.Context, ws string) bool {
	b, err := regular.ReadFile(ctx, filepath.Join(ws, ".git", "config"), maxGitConfig, "git config")
	if err != nil {
		return false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		l := strings.ToLower(sc.Text())
		if strings.Contains(l, "extraheader") && strings.Contains(l, "authorization:") {
			return true
		}
	}
	return false
}
