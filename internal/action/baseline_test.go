package action

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sethvargo/go-githubactions"
)

func TestBaselineInput(t *testing.T) {
	for _, tc := range []struct{ value, want string }{
		{"", ""},
		{"auto", ""},
		{"none", ""},
		{"baseline", ""},
		{"baseline/SHA256SUMS", ""},
		{"a/../baseline", ""},
		{"/etc", `must be a path inside the workspace (a bundle folder or its SHA256SUMS), got the absolute path "/etc"`},
		{"../elsewhere", `"../elsewhere" climbs out of it with ".."`},
		{"a/../../b", `"a/../../b" climbs out of it with ".."`},
		{"..", `".." climbs out of it`},
	} {
		t.Run(tc.value, func(t *testing.T) {
			a := githubactions.New(githubactions.WithGetenv(func(k string) string {
				if k == "INPUT_BASELINE" {
					return tc.value
				}
				return ""
			}))
			in, err := readInputs(a)
			if tc.want == "" {
				want := tc.value
				if want == "" {
					want = "auto" // the default
				}
				if err != nil || in.Baseline != want {
					t.Fatalf("baseline %q: %v", tc.value, err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), `input "baseline": `) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

func TestBaselinePath(t *testing.T) {
	ws := t.TempDir()
	outside := t.TempDir()
	for _, d := range []string{"baseline", "reports/helios/sub", "real"} {
		if err := os.MkdirAll(filepath.Join(ws, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, target := range map[string]string{
		"out":      outside,
		"inlink":   filepath.Join(ws, "real"),
		"rootlink": filepath.Join(ws, "reports", "helios"),
		"uplink":   "..",
		"sumsfile": filepath.Join(outside, "SHA256SUMS"),
	} {
		if err := os.Symlink(target, filepath.Join(ws, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(outside, "SHA256SUMS"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(ws, "reports", "helios")
	for _, tc := range []struct{ baseline, want string }{
		{"baseline", filepath.Join(ws, "baseline")},
		{"inlink", filepath.Join(ws, "real")},
		{"out", "out leads outside the workspace through a link"},
		{"uplink", "uplink leads outside the workspace through a link"},
		{"sumsfile", "sumsfile leads outside the workspace through a link"},
		{"reports/helios", "is this run's report root or inside it"},
		{"reports/helios/sub", "is this run's report root or inside it"},
		{"rootlink", "is this run's report root or inside it"},
		{"missing", "no such file or directory"},
	} {
		t.Run(tc.baseline, func(t *testing.T) {
			got, err := baselinePath(ws, root, tc.baseline)
			if filepath.IsAbs(tc.want) {
				real, _ := filepath.EvalSymlinks(tc.want)
				if err != nil || got != real {
					t.Fatalf("got %q, %v; want %q", got, err, real)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %q, %v; want an error saying %q", got, err, tc.want)
			}
		})
	}
}
