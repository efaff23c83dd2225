package interrupt

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/helios-action/helios-action/internal/exitcode"
)

// exitRecorder stands in for os.Exit: it records the code and unblocks
// the stuck main, as the real exit would end it.
type exitRecorder struct {
	once sync.Once
	code chan int
}

func newExitRecorder() *exitRecorder { return &exitRecorder{code: make(chan int, 1)} }

func (e *exitRecorder) exit(code int) { e.once.Do(func() { e.code <- code }) }

func TestGrace(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want time.Duration
	}{
		{[]string{"helios", "verify", "x"}, CommandGrace},
		{[]string{"helios", "diff", "a", "b"}, CommandGrace},
		{[]string{"helios", "digest", "x"}, CommandGrace},
		{[]string{"helios", "plan"}, CommandGrace},
		{[]string{"helios"}, CommandGrace},
		{[]string{"helios", "run"}, RunGrace},
		{[]string{"helios", "action"}, RunGrace},
	} {
		if got := Grace(tc.args); got != tc.want {
			t.Errorf("Grace(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
	// The action reports for 6 s after a cancel; the backstop must not cut that short.
	if RunGrace <= 6*time.Second || RunGrace >= 10*time.Second {
		t.Errorf("RunGrace = %v, want between the 6 s reporting budget and the runner's 10 s kill", RunGrace)
	}
}

func TestRun(t *testing.T) {
	const grace = 200 * time.Millisecond
	for _, tc := range []struct {
		name string
		// signals sent, with the pause before each
		signals  []time.Duration
		honours  bool // main returns when its context is cancelled
		wantExit bool
		wantCode int
		wantMsg  string
	}{
		{"no signal", nil, true, false, 7, ""},
		{"main honours the signal", []time.Duration{0}, true, false, 7, ""},
		{"main stuck: backstop after grace", []time.Duration{0}, false, true, exitcode.Interrupted, "still busy 200ms after terminated: ending now"},
		{"main stuck: second signal ends at once", []time.Duration{0, 20 * time.Millisecond}, false, true, exitcode.Interrupted, "terminated again: ending now"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sigs := make(chan os.Signal, 2)
			rec := newExitRecorder()
			var stderr bytes.Buffer
			lastSent := make(chan time.Time, 1)
			go func() {
				for i, d := range tc.signals {
					time.Sleep(d)
					sigs <- syscall.SIGTERM
					if i == len(tc.signals)-1 {
						lastSent <- time.Now()
					}
				}
			}()
			result := make(chan int, 1)
			release := make(chan struct{})
			defer close(release)
			go func() {
				result <- Run(sigs, grace, rec.exit, &stderr, func(ctx context.Context) int {
					if len(tc.signals) == 0 {
						return 7
					}
					if tc.honours {
						<-ctx.Done()
						return 7
					}
					<-release // stuck where the context cannot reach
					return 0
				})
			}()
			select {
			case code := <-rec.code:
				if !tc.wantExit {
					t.Fatalf("exit(%d) called; want Run to return", code)
				}
				if code != tc.wantCode {
					t.Fatalf("exit code %d, want %d", code, tc.wantCode)
				}
				if since := time.Since(<-lastSent); len(tc.signals) > 1 && since > grace {
					t.Errorf("second signal took %v to end the process, want at once", since)
				}
			case code := <-result:
				if tc.wantExit {
					t.Fatalf("Run returned %d; want exit", code)
				}
				if code != tc.wantCode {
					t.Fatalf("Run returned %d, want %d", code, tc.wantCode)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("neither returned nor exited")
			}
			if !strings.Contains(stderr.String(), tc.wantMsg) {
				t.Errorf("stderr = %q, want %q", stderr.String(), tc.wantMsg)
			}
		})
	}
}
