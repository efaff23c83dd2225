package action

import (
	"strings"
	"testing"
)

// TestMissionInput: the mission input may be absolute only inside the
// workspace; relative paths are the workspace's, as they always were.
func TestMissionInput(t *testing.T) {
	const ws = "/github/workspace"
	for _, tc := range []struct{ name, value, want string }{
		{"default", "", ""},
		{"relative", "ci/helios.yml", ""},
		{"relative, unclean", "ci/../helios.yml", ""},
		{"relative climbing out", "../secrets/helios.yml", `got "../secrets/helios.yml"`},
		{"absolute inside", "/github/workspace/ci/helios.yml", ""},
		{"absolute inside, unclean", "/github/workspace/ci/../helios.yml", ""},
		{"absolute outside", "/etc/helios.yml", `got "/etc/helios.yml"`},
		{"absolute climbing out", "/github/workspace/../secrets/helios.yml", `got "/github/workspace/../secrets/helios.yml"`},
		{"the workspace's sibling", "/github/workspace2/helios.yml", `got "/github/workspace2/helios.yml"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := missionProblem(ws, ws, tc.value)
			if tc.want == "" {
				if got != "" {
					t.Fatalf("refused: %s", got)
				}
				return
			}
			if !strings.HasPrefix(got, "must be a mission file in the workspace /github/workspace") || !strings.Contains(got, tc.want) {
				t.Fatalf("problem %q, want it to say %q", got, tc.want)
			}
		})
	}
}
