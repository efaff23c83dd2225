package artifact

import (
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"time"

	"golang.org/x/sync/errgroup"
)

// chunkSize is the unit of parallel compression. An entry larger than a
// chunk is deflated as several pieces, each ended with a sync flush (an empty
// stored block, so the next piece starts on a byte boundary) and primed with
// the previous piece's last 32 KiB, the deflate window: the pieces
// concatenate into one valid deflate stream, as pigz does. Small enough that
// a few chunks in flight stay cheap, large enough that the 5-byte flush and
// the per-piece compressor setup do not show.
const chunkSize = 1 << 20

// window is deflate's back-reference distance: the dictionary a piece needs.
const window = 32 << 10

// source is one file to put in the archive.
type source struct {
	name string // path under the root, and in the archive
	size int64
	mod  time.Time
}

// chunk is a piece of one entry on its way through the pipeline.
type chunk struct {
	src         int
	first, last bool
	store       bool
	raw         []byte       // the file's bytes
	dict        []byte       // the previous piece's tail, for continuation pieces
	out         bytes.Buffer // the deflated piece
	done        chan struct{}
	err         error
}

// zipTo writes the zip of srcs (read from root) to w. Files are read in
// order by one goroutine, their chunks deflated by s.workers goroutines, and
// written in order by another; at most inflight chunks exist at any time, so
// memory does not depend on the size of the bundle.
func zipTo(ctx context.Context, s *settings, root *os.Root, srcs []source, w io.Writer, force64 bool) error {
	inflight := 2*s.workers + 2
	pool := make(chan *chunk, inflight)
	for range inflight {
		pool <- &chunk{}
	}
	ordered := make(chan *chunk, inflight)
	work := make(chan *chunk, inflight)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		// Closed only on success: after an error the others stop on
		// the cancelled context, so the writer never mistakes a
		// truncated stream for the end.
		if err := readChunks(gctx, s, root, srcs, pool, ordered, work); err != nil {
			return err
		}
		close(work)
		close(ordered)
		return nil
	})
	for range s.workers {
		g.Go(func() error { return deflateChunks(gctx, s.level, work) })
	}
	g.Go(func() error {
		zw := newZipWriter(w)
		zw.force64 = force64
		return writeChunks(gctx, srcs, ordered, pool, zw)
	})
	return g.Wait()
}

// readChunks reads every file in order, cut into chunks.
func readChunks(ctx context.Context, s *settings, root *os.Root, srcs []source, pool, ordered, work chan *chunk) error {
	tail := make([]byte, 0, window)
	for i, src := range srcs {
		if err := readFile(ctx, s, root, i, src, &tail, pool, ordered, work); err != nil {
			return err
		}
	}
	return nil
}

func readFile(ctx context.Context, s *settings, root *os.Root, i int, src source, tail *[]byte, pool, ordered, work chan *chunk) error {
	f, err := root.Open(src.name)
	if err != nil {
		return fmt.Errorf("read %s: %w", src.name, err)
	}
	defer f.Close()
	store := s.level == 0 || src.size == 0
	var total int64
	for first := true; ; first = false {
		var c *chunk
		select {
		case c = <-pool:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		c.src, c.first, c.last, c.store, c.err = i, first, false, store, nil
		c.dict = c.dict[:0]
		c.out.Reset()
		c.done = make(chan struct{})
		if !first {
			c.dict = append(c.dict, *tail...)
		}
		if c.raw == nil {
			c.raw = make([]byte, chunkSize)
			// Deflate never grows a piece by more than a few bytes
			// per 64 KiB; sized once, the buffer never doubles.
			c.out.Grow(chunkSize + chunkSize/16)
		}
		want := min(src.size-total, chunkSize)
		n, err := io.ReadFull(f, c.raw[:want])
		c.raw = c.raw[:n]
		total += int64(n)
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return fmt.Errorf("read %s: the file shrank to %d of %d bytes while being zipped", src.name, total, src.size)
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", src.name, err)
		}
		c.last = total == src.size
		if c.last {
			// The archive must hold what was stat'ed, no more.
			var one [1]byte
			if k, _ := f.Read(one[:]); k > 0 {
				return fmt.Errorf("read %s: the file grew past %d bytes while being zipped", src.name, src.size)
			}
		}
		if !store {
			*tail = append((*tail)[:0], c.raw[max(0, n-window):]...)
		}
		select {
		case ordered <- c:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		if store {
			close(c.done)
		} else {
			select {
			case work <- c:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}
		if c.last {
			return nil
		}
	}
}

// deflateChunks compresses chunks until work closes. A first piece reuses the
// worker's compressor; a continuation piece needs one primed with its
// dictionary, which the flate package can only make afresh.
func deflateChunks(ctx context.Context, level int, work chan *chunk) error {
	var reuse *flate.Writer
	for {
		var c *chunk
		select {
		case c = <-work:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		if c == nil {
			return nil
		}
		var fw *flate.Writer
		var err error
		switch {
		case c.first && reuse != nil:
			fw = reuse
			fw.Reset(&c.out)
		case c.first:
			reuse, err = flate.NewWriter(&c.out, level)
			fw = reuse
		default:
			fw, err = flate.NewWriterDict(&c.out, level, c.dict)
		}
		if err == nil {
			_, err = fw.Write(c.raw)
		}
		if err == nil {
			if c.last {
				err = fw.Close()
			} else {
				err = fw.Flush()
			}
		}
		c.err = err
		close(c.done)
	}
}

// writeChunks writes the chunks in order as zip entries.
func writeChunks(ctx context.Context, srcs []source, ordered, pool chan *chunk, zw *zipWriter) error {
	var crc uint32
	var usize uint64
	for {
		var c *chunk
		select {
		case c = <-ordered:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		if c == nil {
			break
		}
		select {
		case <-c.done:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		if c.err != nil {
			return fmt.Errorf("deflate %s: %w", srcs[c.src].name, c.err)
		}
		src := srcs[c.src]
		if c.first {
			method := uint16(methodDeflate)
			if c.store {
				method = methodStore
			}
			if err := zw.begin(src.name, method, src.mod, src.size); err != nil {
				return err
			}
			crc, usize = 0, 0
		}
		crc = crc32.Update(crc, crc32.IEEETable, c.raw)
		usize += uint64(len(c.raw))
		data := c.out.Bytes()
		if c.store {
			data = c.raw
		}
		if err := zw.data(data); err != nil {
			return err
		}
		if c.last {
			if err := zw.end(crc, usize); err != nil {
				return err
			}
		}
		pool <- c
	}
	if len(zw.dir) != len(srcs) {
		return errors.New("zip: not every file was written")
	}
	return zw.close()
}
