//go:build linux

package envseal

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Reexec is called first thing in main. In the re-executed process it
// restores the environment from the memory file; otherwise, when the
// environment holds anything beyond the shown variables, it executes helios
// again with only those and does not return. If that cannot be done, helios
// goes on with its environment as it is and says so on stderr.
func Reexec() {
	if v, ok := os.LookupEnv(fdVar); ok {
		if err := restore(v); err != nil {
			fmt.Fprintf(os.Stderr, "helios: read the sealed environment: %v\n", err)
			os.Exit(3)
		}
		return
	}
	env := os.Environ()
	show, hidden := split(env)
	if !hidden {
		return
	}
	if err := reexec(env, show); err != nil {
		fmt.Fprintf(os.Stderr, "helios: the environment stays visible in /proc: %v\n", err)
	}
}

func reexec(env, show []string) error {
	b, err := encode(env)
	if err != nil {
		return err
	}
	// Not close-on-exec: the descriptor must survive the exec below.
	fd, err := unix.MemfdCreate("helios-env", 0)
	if err != nil {
		return fmt.Errorf("memfd: %w", err)
	}
	f := os.NewFile(uintptr(fd), "helios-env")
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("memfd: %w", err)
	}
	// os.NewFile may have made it non-blocking and close-on-exec; undo the
	// latter.
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
		f.Close()
		return fmt.Errorf("memfd: %w", err)
	}
	newEnv := append(show, fdVar+"="+strconv.Itoa(fd))
	err = syscall.Exec("/proc/self/exe", os.Args, newEnv)
	f.Close()
	return fmt.Errorf("exec: %w", err)
}

// restore reads the environment back, makes it the Go environment and closes
// the memory file.
func restore(v string) error {
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return fmt.Errorf("bad %s %q", fdVar, v)
	}
	f := os.NewFile(uintptr(fd), "helios-env")
	defer f.Close()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	b, err := io.ReadAll(io.LimitReader(f, maxEnv))
	if err != nil {
		return err
	}
	env, err := decode(b)
	if err != nil {
		return err
	}
	os.Clearenv()
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k != "" {
			if err := os.Setenv(k, val); err != nil {
				return fmt.Errorf("set %s: %w", k, err)
			}
		}
	}
	return nil
}
