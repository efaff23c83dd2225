package engine

import (
	"context"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/helios-action/helios-action/internal/mission"
)

// githubSecretish are GITHUB_* variables a step must never see: tokens, and
// the runner's file commands (a step writing GITHUB_OUTPUT would forge the
// action's own outputs).
var githubWithheld = map[string]bool{
	"GITHUB_TOKEN":        true,
	"GITHUB_OUTPUT":       true,
	"GITHUB_ENV":          true,
	"GITHUB_PATH":         true,
	"GITHUB_STATE":        true,
	"GITHUB_STEP_SUMMARY": true,
}

// passThrough are non-GITHUB_* variables of the action's environment that
// steps get as they are.
var passThrough = []string{"PATH", "HOME", "CI", "RUNNER_OS", "RUNNER_ARCH", "RUNNER_TEMP", "RUNNER_DEBUG"}

// secretEnv are variables of the action's environment whose values are
// masked wherever the engine writes, whether or not a step gets them.
var secretEnv = []string{"GITHUB_TOKEN", "INPUT_GITHUB-TOKEN", "INPUT_GITHUB_TOKEN", "ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "HELIOS_RPC_URL", "INPUT_RPC-URL"}

// environ is an ordered set of KEY=VALUE pairs where later sets win.
type environ map[string]string

func parseEnviron(kv []string) environ {
	e := environ{}
	for _, s := range kv {
		if k, v, ok := strings.Cut(s, "="); ok && k != "" {
			e[k] = v
		}
	}
	return e
}

func (e environ) list() []string {
	out := make([]string, 0, len(e))
	for k, v := range e {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// baseEnv builds the curated environment every step starts from: never the
// action's whole environment, since that carries the GitHub token, the
// runtime tokens and every INPUT_*.
func (r *run) baseEnv() environ {
	host := r.hostEnv
	e := environ{}
	for _, k := range passThrough {
		if v, ok := host[k]; ok {
			e[k] = v
		}
	}
	if _, ok := e["PATH"]; !ok {
		e["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	}
	if home, ok := r.stepHome(); ok {
		e["HOME"] = home
	}
	for k, v := range host {
		if strings.HasPrefix(k, "GITHUB_") && !githubWithheld[k] && !strings.Contains(k, "TOKEN") {
			e[k] = v
		}
	}
	e["TZ"] = "UTC"
	e["LC_ALL"] = "C"
	if r.sourceDateEpoch > 0 {
		e["SOURCE_DATE_EPOCH"] = strconv.FormatInt(r.sourceDateEpoch, 10)
	}
	for _, v := range r.m.Env {
		e[v.Name] = v.Value
	}
	for _, p := range r.m.PassEnv {
		if v, ok := host[p.Name]; ok {
			e[p.Name] = v
		}
	}
	r.setReserved(e)
	return e
}

// setReserved sets the HELIOS_* variables last, so no mission or step env
// can point a step at another report root or network.
func (r *run) setReserved(e environ) {
	e["HELIOS_REPORT_ROOT"] = r.reportRoot
	e["HELIOS_NETWORK"] = r.network
	delete(e, "HELIOS_RPC_URL")
	if r.opts.RPCURL != "" {
		e["HELIOS_RPC_URL"] = r.opts.RPCURL
	}
}

// stepEnv adds a step's own env to the base. A sharded phase's instance
// gets its shard's variables, and its folder as the report root, after
// everything else, so no env can point it elsewhere.
func (r *run) stepEnv(s *mission.Step, shard *mission.Shard) []string {
	e := environ{}
	for k, v := range r.base {
		e[k] = v
	}
	for _, v := range s.Env {
		e[v.Name] = v.Value
	}
	r.setReserved(e)
	if shard != nil {
		for _, v := range shard.Env() {
			e[v.Name] = v.Value
		}
		e["HELIOS_REPORT_ROOT"] = filepath.Join(r.reportRoot, filepath.FromSlash(shard.Root()))
	}
	return e.list()
}

// secrets lists the values to mask: the RPC URL, the tokens of the action's
// environment, and every passed variable the mission does not call public.
func (r *run) secrets() []string {
	var out []string
	if r.opts.RPCURL != "" {
		out = append(out, r.opts.RPCURL)
	}
	for _, k := range secretEnv {
		if v := r.hostEnv[k]; v != "" {
			out = append(out, v)
		}
	}
	for _, p := range r.m.PassEnv {
		if v := r.hostEnv[p.Name]; v != "" && !p.Public {
			out = append(out, v)
		}
	}
	return out
}

// gitInfo reads the commit and its time. Inside a container the workspace
// belongs to another user, so git needs safe.directory for it; without git
// the commit falls back to GITHUB_SHA and the time to none.
func gitInfo(ctx context.Context, workspace string, host environ) (commit string, epoch int64) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "-c", "safe.directory="+workspace, "-C", workspace, "log", "-1", "--format=%H %ct")
	cmd.Env = []string{"PATH=" + host["PATH"], "HOME=" + host["HOME"], "LC_ALL=C", "GIT_CONFIG_NOSYSTEM=1"}
	out, err := cmd.Output()
	if err == nil {
		if h, t, ok := strings.Cut(strings.TrimSpace(string(out)), " "); ok {
			if n, err := strconv.ParseInt(t, 10, 64); err == nil {
				return h, n
			}
		}
	}
	return host["GITHUB_SHA"], 0
}
