package mask

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
)

// ErrClosed is returned by a Write after Close.
var ErrClosed = errors.New("mask: write after close")

// shrinkCap is the capacity above which the hold-back buffer is given back
// after a large Write, so one big chunk does not pin its size for the stream's life.
const shrinkCap = 64 << 10

// Writer returns a writer that masks what it is given and passes it on to w.
// A secret split across Write calls is still masked: the writer holds back
// only a tail that is the start of some secret, so it keeps at most the
// longest secret's length minus one byte, and in practice usually nothing;
// complete lines reach w as soon as they are written, which keeps console
// output live. Close writes what is held back; it does not close w. There is
// no Flush: writing out a held tail early is exactly what would let a secret
// through in two halves.
//
// The writer is safe for concurrent use, so a process's stdout and stderr can
// share it; the mask then applies to the bytes in the order the writes land.
// Secrets added to m later apply from the next Write on.
//
// A stream cannot take back bytes it has written, so for secrets holding a
// '*' the writer repeats masking (see String) only within what it writes at
// once, not across writes.
func (m *Masker) Writer(w io.Writer) io.WriteCloser {
	return &writer{m: m, w: w}
}

type writer struct {
	m  *Masker
	w  io.Writer
	mu sync.Mutex
	// buf holds bytes received but not yet written, because they may be the
	// start of a secret.
	buf []byte
	// head counts the bytes at the start of buf that belong to a secret that
	// began in bytes already written.
	head int
	// inMask says the last byte written was masked, so masking that goes on
	// at the start of buf extends that mask rather than adding another.
	inMask bool
	out    []byte // scratch for the masked output
	err    error  // sticky: the first error from w
	closed bool
}

func (x *writer) Write(p []byte) (int, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return 0, ErrClosed
	}
	if x.err != nil {
		return 0, x.err
	}
	x.buf = append(x.buf, p...)
	if err := x.emit(false); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close writes out what was held back. It does not close the underlying writer.
func (x *writer) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return x.err
	}
	x.closed = true
	if x.err != nil {
		return x.err
	}
	return x.emit(true)
}

// emit writes the part of buf that can no longer become part of a secret,
// masked, and keeps the rest. At the end of the stream (final) nothing can.
func (x *writer) emit(final bool) error {
	set := x.m.set()
	cut := len(x.buf)
	if !final {
		cut -= pendingPrefix(x.buf, set.bs)
	}
	if cut == 0 {
		return nil
	}
	// Every secret that starts before cut ends inside buf, or the tail from
	// its start would be a longer pending prefix; so the cover of buf[:cut]
	// is final.
	spans := set.cover(x.buf, x.head)
	out := render(x.out[:0], x.buf, spans, cut, x.inMask)
	if set.star && len(spans) > 0 {
		out = set.maskAll(out)
	}
	x.out = out[:0]

	head, inMask := 0, false
	for _, s := range spans {
		if s.start < cut && s.end >= cut {
			inMask = true
			head = s.end - cut
		}
	}
	if len(out) > 0 {
		if _, err := x.w.Write(out); err != nil {
			x.err = fmt.Errorf("mask: %w", err)
			return x.err
		}
	}
	x.head, x.inMask = head, inMask
	rest := len(x.buf) - cut
	if cap(x.buf) > shrinkCap && rest < shrinkCap/2 {
		x.buf = append([]byte(nil), x.buf[cut:]...)
	} else {
		x.buf = x.buf[:copy(x.buf, x.buf[cut:])]
	}
	if cap(x.out) > shrinkCap {
		x.out = nil
	}
	return nil
}

// pendingPrefix returns the length of the longest tail of b that is a proper
// prefix of a secret: the bytes that must wait for the next Write.
func pendingPrefix(b []byte, secrets [][]byte) int {
	if len(b) == 0 {
		return 0
	}
	last := b[len(b)-1]
	best := 0
	for _, s := range secrets {
		for k := min(len(s)-1, len(b)); k > best; k-- {
			// Cheap byte checks first: most tails fail on them.
			if s[k-1] != last || s[0] != b[len(b)-k] {
				continue
			}
			if bytes.HasSuffix(b, s[:k]) {
				best = k
				break
			}
		}
	}
	return best
}
