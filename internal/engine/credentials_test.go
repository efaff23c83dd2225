package engine_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/engine"
)

// actions/checkout leaves the workflow token in .git/config unless told
// not to; every run: step can read it there, so helios says so.
func TestWarnsOfPersistedCheckoutCredentials(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	const header = "AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46Z2hzX3NlY3JldA=="
	for _, tc := range []struct {
		name, header, mission string
		mode                  engine.Mode
		want                  string
	}{
		{"checkout's header, run steps, GitHub", header, "phases:\n  a:\n    steps:\n      - run: echo ok\n", engine.GitHub, "::warning title=helios::helios: .git/config holds the checkout's token"},
		{"checkout's header, run steps, terminal", header, "phases:\n  a:\n    steps:\n      - run: echo ok\n", engine.Plain, "helios: .git/config holds the checkout's token"},
		{"persist-credentials: false", "", "phases:\n  a:\n    steps:\n      - run: echo ok\n", engine.GitHub, ""},
		{"no run steps", header, "phases:\n  a:\n    steps:\n      - collect: {from: [notes.txt], optional: true}\n", engine.GitHub, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := t.TempDir()
			git := [][]string{{"init", "-q"}}
			if tc.header != "" {
				git = append(git, []string{"config", "http.https://github.com/.extraheader", tc.header})
			}
			for _, args := range git {
				if out, err := exec.Command("git", append([]string{"-C", ws}, args...)...).CombinedOutput(); err != nil {
					t.Fatalf("git %v: %v\n%s", args, err, out)
				}
			}
			reg := engine.NewRegistry(&probe{})
			m, err := reg.Parse("helios.yml", []byte("version: 1\nname: creds\n"+tc.mission))
			if err != nil {
				t.Fatal(err)
			}
			var con bytes.Buffer
			if _, err := engine.Run(context.Background(), m, engine.Options{Workspace: ws, Builtins: reg, Environ: os.Environ(), Console: &con, Mode: tc.mode}); err != nil {
				t.Fatal(err)
			}
			got := strings.Contains(con.String(), ".git/config holds the checkout's token")
			switch {
			case tc.want == "" && got:
				t.Errorf("warned without reason:\n%s", con.String())
			case tc.want != "" && !strings.Contains(con.String(), tc.want):
				t.Errorf("console lacks %q:\n%s", tc.want, con.String())
			case tc.want != "" && strings.Contains(con.String(), "eC1hY2Nlc3MtdG9rZW46Z2hzX3NlY3JldA"):
				t.Errorf("the warning shows the header's value:\n%s", con.String())
			}
		})
	}
}
