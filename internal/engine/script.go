package engine

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/helios-action/helios-action/internal/mission"
)

// scripts is where run: steps' scripts are written, as GitHub Actions
// writes a `run:` to a file and passes its path to the shell as {0}. The
// folder is helios's own, under the system's temp folder, never the
// workspace or the bundle, which steps can change: the steps' user may
// enter it to open its script by name (mode 0711), but not list it or add,
// rename or remove anything in it, so what a shell reads is what the
// mission says, whatever other phases' steps do meanwhile. Files are
// created and removed through the folder's descriptor (os.Root), never
// through a path a link could redirect. That holds against steps that run
// as another user (Step isolation); steps that run as helios's own user
// can do anything helios can, so nothing here separates them.
type scripts struct {
	dir  string
	root *os.Root
}

// openScripts creates the folder; shared says whether the steps' user is
// another one than helios's, who must be able to enter it.
func openScripts(shared bool) (*scripts, error) {
	dir, err := os.MkdirTemp("", "helios-scripts-")
	if err != nil {
		return nil, fmt.Errorf("scripts folder: %w", err)
	}
	// Steps start elsewhere: a relative TMPDIR would not lead them here.
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if shared {
		if err := os.Chmod(dir, 0o711); err != nil {
			os.Remove(dir)
			return nil, fmt.Errorf("scripts folder: %w", err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		os.Remove(dir)
		return nil, fmt.Errorf("scripts folder: %w", err)
	}
	return &scripts{dir: dir, root: root}, nil
}

// write puts script in a new file, readable by every user that may enter
// the folder and writable by none, and returns the file's name in the
// folder. ext is the file's extension, for interpreters that insist on one.
func (sc *scripts) write(script, ext string) (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	name := "step-" + hex.EncodeToString(b[:]) + ext
	f, err := sc.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o400)
	if err != nil {
		return "", err
	}
	_, err = f.WriteString(script)
	if err == nil {
		// Whatever the umask: the step's user reads it.
		err = f.Chmod(0o444)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		sc.root.Remove(name)
		return "", err
	}
	return name, nil
}

// path is the absolute path a step opens the script called name by.
func (sc *scripts) path(name string) string { return filepath.Join(sc.dir, name) }

func (sc *scripts) remove(name string) { sc.root.Remove(name) }

// close removes the folder and what a step that could not be cleaned up
// after left in it.
func (sc *scripts) close() {
	if sc == nil {
		return
	}
	sc.root.Close()
	os.RemoveAll(sc.dir)
}

// scriptExt is the extension of a script file for the shell command cmd,
// by its command's name: ".sh" for bash and sh, ".py" for python, as
// GitHub Actions names them; pwsh refuses a script without ".ps1".
func scriptExt(cmd string) string {
	words := mission.ShellWords(cmd)
	if len(words) == 0 {
		return ""
	}
	switch name := path.Base(words[0]); {
	case name == "bash" || name == "sh":
		return ".sh"
	case name == "python" || strings.HasPrefix(name, "python3"):
		return ".py"
	case name == "pwsh":
		return ".ps1"
	}
	return ""
}

// shellCommand is the command a run step's script runs with ({0} for the
// script file): its own shell, else bash -e {0} where bash is on the PATH
// the step gets, else sh -e {0}, as GitHub Actions decides it. It is
// decided when the step starts, so an earlier step may install bash.
func (r *run) shellCommand(s *mission.Step) string {
	if s.Kind != mission.Run {
		return ""
	}
	if c := s.ShellCommand(); c != "" {
		return c
	}
	if onPath("bash", r.stepPath(s)) {
		return mission.DefaultShell
	}
	return mission.FallbackShell
}

// stepPath is the PATH a step gets: its own env's, else the base one.
func (r *run) stepPath(s *mission.Step) string {
	p := r.base["PATH"]
	for _, v := range s.Env {
		if v.Name == "PATH" {
			p = v.Value
		}
	}
	return p
}

// onPath says whether an executable file called name is in one of the
// folders of pathList. Relative folders do not count: the supervisor's
// exec.LookPath refuses what it finds through them.
func onPath(name, pathList string) bool {
	for _, dir := range filepath.SplitList(pathList) {
		if !filepath.IsAbs(dir) {
			continue
		}
		fi, err := os.Stat(filepath.Join(dir, name))
		if err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return true
		}
	}
	return false
}

// scriptArgv is cmd's words with {0} replaced by the script's path.
func scriptArgv(cmd, script string) []string {
	words := mission.ShellWords(cmd)
	for i, w := range words {
		words[i] = strings.ReplaceAll(w, mission.ScriptArg, script)
	}
	return words
}
