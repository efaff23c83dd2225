package report

import (
	"fmt"
	"strings"

	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/markup"
)

// Annotation is one check-run annotation. ghapi.Annotation has the same
// fields, so ghapi.Annotation(a) converts one.
type Annotation struct {
	Path      string // relative to the repository root
	StartLine int
	EndLine   int
	Level     string // "notice", "warning" or "failure"
	Title     string
	Message   string
}

// Annotations returns one annotation per failed step (a warning when the
// step may fail), per step a cancellation stopped and, as a notice, per
// step that skipped itself with a reason, placed on the step in
// the mission file when its line is known, else on the step's log. Check
// messages are plain text (GitHub does not render Markdown in them), so
// they are only made one-line-per-fact and cut.
func Annotations(in Input) []Annotation {
	var out []Annotation
	for _, p := range in.phases() {
		for _, s := range p.Steps {
			if s.Status != manifest.Failure && s.Status != manifest.Cancelled && s.SkipReason == "" {
				continue
			}
			name := s.Name
			if name == "" {
				name = s.ID
			}
			a := Annotation{Level: "failure", StartLine: 1}
			verb := "failed"
			switch {
			case s.SkipReason != "":
				a.Level, verb = "notice", "was skipped"
			case s.Status == manifest.Cancelled:
				a.Level, verb = "warning", "was cancelled"
			case s.ContinueOnError:
				a.Level, verb = "warning", "failed (continue-on-error)"
			}
			a.Title = markup.Line(fmt.Sprintf("Step %q of phase %q %s", name, p.Name, verb), 255)
			if line := in.StepLines[p.Name+"/"+s.ID]; line > 0 && in.MissionFile != "" {
				a.Path, a.StartLine = in.MissionFile, line
			} else if s.Log != "" {
				a.Path = s.Log
				if root := in.reportRoot(); root != "" {
					a.Path = root + "/" + s.Log
				}
			} else {
				a.Path = in.MissionFile
			}
			if a.Path == "" {
				a.Path = "helios.yml"
			}
			a.EndLine = a.StartLine
			var msg []string
			if s.Error != "" {
				msg = append(msg, markup.Line(s.Error, maxAnnotationMsg))
			}
			if s.SkipReason != "" {
				msg = append(msg, markup.Line(s.SkipReason, maxAnnotationMsg))
			}
			if s.ExitCode != nil {
				msg = append(msg, fmt.Sprintf("exit code %d", *s.ExitCode))
			}
			if s.Log != "" {
				msg = append(msg, "log: "+markup.Line(s.Log, 300))
			}
			if len(msg) == 0 {
				msg = append(msg, a.Title)
			}
			a.Message = strings.Join(msg, "\n")
			out = append(out, a)
		}
	}
	return out
}

func (in *Input) reportRoot() string {
	if in.Manifest == nil {
		return ""
	}
	return strings.TrimSuffix(in.Manifest.Mission.ReportRoot, "/")
}
