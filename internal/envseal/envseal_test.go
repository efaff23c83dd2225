//go:build linux

package envseal_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/envseal"
)

const childVar = "ENVSEAL_TEST_CHILD"

// TestMain seals only in the child this test starts (before the exec it
// has childVar, after it the descriptor variable).
func TestMain(m *testing.M) {
	if os.Getenv(childVar) != "" || os.Getenv("HELIOS_SEALED_ENV_FD") != "" {
		envseal.Reexec()
	}
	os.Exit(m.Run())
}

// TestChild reports, in the re-executed child, what /proc shows and what the
// program sees.
func TestChild(t *testing.T) {
	if os.Getenv(childVar) == "" {
		t.Skip("runs as the child of TestSecretsLeaveEnviron")
	}
	environ, err := os.ReadFile("/proc/self/environ")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("pid=%d\n", os.Getpid())
	fmt.Printf("environ=%s\n", bytes.ReplaceAll(environ, []byte{0}, []byte{' '}))
	fmt.Printf("getenv=%s\n", os.Getenv("INPUT_GITHUB-TOKEN"))
	fmt.Printf("odd=%s\n", os.Getenv("ODD"))
	_, fdVisible := os.LookupEnv("HELIOS_SEALED_ENV_FD")
	fmt.Printf("fdvar=%v\n", fdVisible)
}

func TestSecretsLeaveEnviron(t *testing.T) {
	const secret = "ghs_sealed0123456789"
	cmd := exec.Command(os.Args[0], "-test.run=^TestChild$", "-test.v")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), childVar + "=1", "INPUT_GITHUB-TOKEN=" + secret, "ODD=a=b\nc"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			if _, seen := got[k]; !seen {
				got[k] = v
			}
		}
	}
	if got["pid"] != strconv.Itoa(cmd.Process.Pid) {
		t.Errorf("pid %s, want %d: the exec is in place", got["pid"], cmd.Process.Pid)
	}
	if strings.Contains(got["environ"], secret) || strings.Contains(got["environ"], childVar) {
		t.Errorf("/proc/self/environ still shows %q", got["environ"])
	}
	if !strings.Contains(got["environ"], "PATH=") {
		t.Errorf("/proc/self/environ lost PATH: %q", got["environ"])
	}
	if got["getenv"] != secret || got["odd"] != "a=b" || got["fdvar"] != "false" {
		t.Errorf("the program sees %v, want the token, ODD's value and no descriptor variable", got)
	}
}
