package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
// machine. It reports the median wall time of each, of the 50 steps'
// phase in each, and the overhead of snapshots in percent. scripts/bench-snapshot.sh
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
	// One run of each first, not counted: the first run pays for a cold
	// workspace. Then pairs, in alternating order, and medians: a step is
	// mostly a shell's start, whose jitter on a busy machine is larger
	// than what snapshots add to it.
	once(false)
	once(true)
	var with, without, withWork, withoutWork []time.Duration
	i := 0
	for b.Loop() {
		for _, noProducts := range []bool{i%2 == 1, i%2 == 0} {
			t, w := once(noProducts)
			if noProducts {
				without, withoutWork = append(without, t), append(withoutWork, w)
			} else {
				with, withWork = append(with, t), append(withWork, w)
			}
		}
		i++
	}
	median := func(ds []time.Duration) float64 {
		slices.Sort(ds)
		m := ds[len(ds)/2]
		if len(ds)%2 == 0 {
			m = (ds[len(ds)/2-1] + m) / 2
		}
		return float64(m.Microseconds()) / 1000
	}
	mw, mwo, sw, swo := median(with), median(without), median(withWork), median(withoutWork)
	b.ReportMetric(mw, "with-ms")
	b.ReportMetric(mwo, "without-ms")
	b.ReportMetric(100*(mw/mwo-1), "overhead-%")
	b.ReportMetric(sw, "steps-with-ms")
	b.ReportMetric(swo, "steps-without-ms")
	b.ReportMetric(100*(sw/swo-1), "steps-overhead-%")
}
