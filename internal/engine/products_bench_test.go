package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/manifest"
)

// BenchmarkProducts is issue 15's cost of per-step products: a mission of
// 50 steps, each writing 10 files, over a report root a first phase fills
// with 100,000 files (collected from the workspace), run with snapshots
// and without (Options.NoProducts), alternately so that both see the same
// machine. It reports the wall time of each, of the 50 steps' phase in
// each, and the overhead of snapshots in percent. scripts/bench-snapshot.sh
// runs it; it is not part of CI.
func BenchmarkProducts(b *testing.B) {
	const files, perDir, steps, perStep = 100000, 1000, 50, 10
	ws := b.TempDir()
	line := []byte("a small file of a report, as missions write thousands of them\n")
	for i := range files {
		p := filepath.Join(ws, "fill", fmt.Sprintf("d%03d", i/perDir), fmt.Sprintf("f%05d.txt", i))
		if i%perDir == 0 {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				b.Fatal(err)
			}
		}
		if err := os.WriteFile(p, line, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	var src strings.Builder
	src.WriteString("version: 1\nname: bench\nreport-root: out\nphases:\n  fill:\n    steps:\n      - collect: {from: [fill]}\n  work:\n    needs: fill\n    steps:\n")
	for s := range steps {
		fmt.Fprintf(&src, "      - name: step %d\n        run: mkdir -p \"$HELIOS_REPORT_ROOT/work\" && for i in 0 1 2 3 4 5 6 7 8 9; do echo %d-$i > \"$HELIOS_REPORT_ROOT/work/s%02d-$i.txt\"; done\n", s, s, s)
	}
	reg := engine.NewRegistry()
	m, err := reg.Parse("helios.yml", []byte(src.String()))
	if err != nil {
		b.Fatal(err)
	}
	once := func(noProducts bool) (total, work time.Duration) {
		start := time.Now()
		res, err := engine.Run(context.Background(), m, engine.Options{Workspace: ws, Builtins: reg, NoProducts: noProducts,
			Environ: []string{"PATH=" + os.Getenv("PATH"), "HOME=/root"}})
		total = time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		mf := res.Manifest
		if mf.Conclusion != manifest.Success {
			b.Fatalf("run %s: %s", mf.Conclusion, mf.Reason)
		}
		ws := mf.Phases[1]
		if got := len(ws.Steps[steps-1].Products); got != perStep && !noProducts {
			b.Fatalf("last step has %d products, want %d", got, perStep)
		}
		return total, ws.FinishedAt.Sub(ws.StartedAt)
	}
	var with, without, withWork, withoutWork time.Duration
	for b.Loop() {
		t, w := once(false)
		with, withWork = with+t, withWork+w
		t, w = once(true)
		without, withoutWork = without+t, withoutWork+w
	}
	n := float64(b.N)
	ms := func(d time.Duration) float64 { return float64(d.Milliseconds()) / n }
	b.ReportMetric(ms(with), "with-ms")
	b.ReportMetric(ms(without), "without-ms")
	b.ReportMetric(100*(float64(with)/float64(without)-1), "overhead-%")
	b.ReportMetric(ms(withWork), "steps-with-ms")
	b.ReportMetric(ms(withoutWork), "steps-without-ms")
	b.ReportMetric(100*(float64(withWork)/float64(withoutWork)-1), "steps-overhead-%")
}
