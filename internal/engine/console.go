package engine

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/helios-action/helios-action/internal/markup"
)

// Mode says how the console is drawn.
type Mode int

const (
	// Plain writes each phase's output as one block under a header, for logs
	// and pipes.
	Plain Mode = iota
	// GitHub is Plain with each phase in a ::group::, and workflow commands
	// in step output switched off so that a log line cannot set outputs or
	// masks of the action.
	GitHub
	// Terminal streams every phase's lines with a prefix and keeps a live
	// status line per running phase at the bottom.
	Terminal
)

// maxHeldOutput bounds what a phase that is not on screen yet keeps in
// memory; the log file keeps everything.
const maxHeldOutput = 4 << 20

// console serialises the output of phases that run side by side. In Plain
// and GitHub mode one phase is live (the earliest started that has not
// finished printing); the others are held and printed, whole, when their
// turn comes, so groups never interleave.
type console struct {
	mu      sync.Mutex
	w       io.Writer
	mode    Mode
	queue   []*phaseOut
	running []*phaseOut // Terminal mode: for the status line
	token   string
	stop    chan struct{}
	stopped sync.WaitGroup
	now     func() time.Time
}

func newConsole(w io.Writer, mode Mode, now func() time.Time) *console {
	c := &console{w: w, mode: mode, now: now, stop: make(chan struct{})}
	var b [12]byte
	_, _ = rand.Read(b[:])
	c.token = "helios-" + hex.EncodeToString(b[:])
	if mode == Terminal {
		c.stopped.Add(1)
		go c.tick()
	}
	return c
}

func (c *console) close() {
	close(c.stop)
	c.stopped.Wait()
	if c.mode == Terminal {
		c.mu.Lock()
		fmt.Fprint(c.w, "\r\033[K")
		c.mu.Unlock()
	}
}

func (c *console) tick() {
	defer c.stopped.Done()
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			c.mu.Lock()
			c.drawStatus()
			c.mu.Unlock()
		}
	}
}

// printf writes a line outside any phase (start and end of the run).
func (c *console) printf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mode == Terminal {
		fmt.Fprint(c.w, "\r\033[K")
	}
	fmt.Fprintf(c.w, format, args...)
	if c.mode == Terminal {
		c.drawStatus()
	}
}

type phaseOut struct {
	c       *console
	name    string
	started time.Time
	held    bytes.Buffer
	dropped int64
	shown   bool // header printed, output goes straight to the console
	done    bool
	footer  string
	partial []byte // Terminal mode: an unfinished line
	lastNL  bool
}

func (c *console) begin(name string) *phaseOut {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := &phaseOut{c: c, name: name, started: c.now(), lastNL: true}
	if c.mode == Terminal {
		c.running = append(c.running, p)
		fmt.Fprintf(c.w, "\r\033[K▶ %s\n", name)
		c.drawStatus()
		return p
	}
	c.queue = append(c.queue, p)
	if len(c.queue) == 1 {
		c.show(p)
	}
	return p
}

func (p *phaseOut) Write(b []byte) (int, error) {
	c := p.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mode == Terminal {
		p.writeLines(b)
		c.drawStatus()
		return len(b), nil
	}
	if p.shown {
		p.put(b)
		return len(b), nil
	}
	room := maxHeldOutput - p.held.Len()
	if room >= len(b) {
		p.held.Write(b)
	} else {
		if room > 0 {
			p.held.Write(b[:room])
		}
		p.dropped += int64(len(b) - max(room, 0))
	}
	return len(b), nil
}

func (p *phaseOut) put(b []byte) {
	if len(b) == 0 {
		return
	}
	p.c.w.Write(b)
	p.lastNL = b[len(b)-1] == '\n'
}

func (p *phaseOut) writeLines(b []byte) {
	p.partial = append(p.partial, b...)
	for {
		i := bytes.IndexByte(p.partial, '\n')
		if i < 0 {
			break
		}
		fmt.Fprintf(p.c.w, "\r\033[K%s │ %s\n", p.name, p.partial[:i])
		p.partial = p.partial[i+1:]
	}
}

// show prints a phase's header and what it held, then lets it stream.
func (c *console) show(p *phaseOut) {
	switch c.mode {
	case GitHub:
		fmt.Fprintf(c.w, "::group::Phase %s\n::stop-commands::%s\n", p.name, c.token)
	default:
		fmt.Fprintf(c.w, "── phase %s\n", p.name)
	}
	p.shown = true
	p.put(p.held.Bytes())
	p.held = bytes.Buffer{}
	if p.dropped > 0 {
		if !p.lastNL {
			p.put([]byte("\n"))
		}
		p.put(fmt.Appendf(nil, "… %d bytes of output not shown here; the step logs hold all of it\n", p.dropped))
	}
}

// end marks a phase finished and prints it (or lets the next one through).
func (p *phaseOut) end(summary string) {
	c := p.c
	c.mu.Lock()
	defer c.mu.Unlock()
	p.done = true
	p.footer = summary
	if c.mode == Terminal {
		if len(p.partial) > 0 {
			fmt.Fprintf(c.w, "\r\033[K%s │ %s\n", p.name, p.partial)
			p.partial = nil
		}
		for i, q := range c.running {
			if q == p {
				c.running = append(c.running[:i], c.running[i+1:]...)
				break
			}
		}
		fmt.Fprintf(c.w, "\r\033[K%s\n", summary)
		c.drawStatus()
		return
	}
	for len(c.queue) > 0 && c.queue[0].done {
		q := c.queue[0]
		if !q.shown {
			c.show(q)
		}
		if !q.lastNL {
			q.put([]byte("\n"))
		}
		if c.mode == GitHub {
			fmt.Fprintf(c.w, "::%s::\n::endgroup::\n", c.token)
		}
		fmt.Fprintf(c.w, "%s\n", q.footer)
		c.queue = c.queue[1:]
		if len(c.queue) > 0 {
			c.show(c.queue[0])
		}
	}
}

// drawStatus redraws the live line: each running phase with its time.
func (c *console) drawStatus() {
	if c.mode != Terminal || len(c.running) == 0 {
		return
	}
	var sb strings.Builder
	sb.WriteString("\r\033[K")
	for i, p := range c.running {
		if i > 0 {
			sb.WriteString("  ")
		}
		fmt.Fprintf(&sb, "⏳ %s %s", p.name, markup.Duration(c.now().Sub(p.started)))
	}
	fmt.Fprint(c.w, sb.String())
}
