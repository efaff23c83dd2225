package artifact

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Azure block blob limits and the toolkit's chunking.
const (
	defaultBlockSize = 8 << 20 // the toolkit's upload chunk: 8 MiB
	// maxBlocks: "a block blob can include up to 50,000 blocks".
	maxBlocks = 50000
	// azureVersion is the storage REST version we speak; any version since
	// 2009 has Put Block and Put Block List.
	azureVersion = "2023-11-03"
	// blobContentType is what the toolkit sets on the committed blob.
	blobContentType = "zip"
	// blockBuffers is how many full blocks may be with the uploader (one on
	// the wire) while the next one fills. One is the least that keeps
	// compression and the network both busy; each more costs a block of
	// memory and only helps a link whose speed swings block to block.
	blockBuffers = 1
)

// blockID is the i-th block's id: base64 of a fixed-width string, so every
// id of the blob has the same length, as Azure requires. 18 bytes encode
// to 24 characters without padding.
func blockID(i int) string {
	return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "helios-%011d", i))
}

// ErrStalled is the error of an upload that made no progress within
// Config.StallTimeout.
var ErrStalled = errors.New("artifact upload stalled")

// blobWriter is an io.Writer that streams what it is given to the signed
// URL as blocks of blockSize bytes, uploaded one at a time in order on a
// goroutine of its own while the next block fills, and hashes exactly the
// bytes it sends.
type blobWriter struct {
	s    *settings
	base *url.URL // the signed URL
	ctx  context.Context

	cur   []byte      // the block being filled
	free  chan []byte // empty block buffers
	queue chan []byte // full blocks, in order, for the uploader
	done  chan struct{}

	mu  sync.Mutex
	err error // the uploader's first error

	// Owned by the uploader goroutine until done is closed.
	ids  []string
	sum  hash.Hash
	size int64
}

func newBlobWriter(ctx context.Context, s *settings, signed string) (*blobWriter, error) {
	u, err := url.Parse(signed)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("CreateArtifact: the signed upload URL is not an http(s) URL")
	}
	b := &blobWriter{
		s:    s,
		base: u,
		ctx:  ctx,
		// One more than blockBuffers: the last partial block comes back
		// to free without the writer taking one out.
		free:  make(chan []byte, blockBuffers+1),
		queue: make(chan []byte, blockBuffers),
		done:  make(chan struct{}),
		sum:   sha256.New(),
	}
	for range blockBuffers {
		b.free <- make([]byte, 0, s.blockSize)
	}
	b.cur = make([]byte, 0, s.blockSize)
	go b.upload()
	return b, nil
}

func (b *blobWriter) failed() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

func (b *blobWriter) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil {
		b.err = err
	}
}

// Write copies p into blocks, handing each full block to the uploader. It
// blocks while blockBuffers blocks wait, which is the backpressure that keeps
// memory flat when the network is slower than compression.
func (b *blobWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if err := b.failed(); err != nil {
			return n, err
		}
		k := copy(b.cur[len(b.cur):cap(b.cur)], p)
		b.cur = b.cur[:len(b.cur)+k]
		p = p[k:]
		n += k
		if len(b.cur) == cap(b.cur) {
			if err := b.flush(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// flush queues the current block and takes a free buffer for the next.
func (b *blobWriter) flush() error {
	select {
	case b.queue <- b.cur:
	case <-b.ctx.Done():
		return context.Cause(b.ctx)
	}
	select {
	case b.cur = <-b.free:
		return nil
	case <-b.ctx.Done():
		return context.Cause(b.ctx)
	}
}

// upload runs on its own goroutine: it sends the queued blocks in order.
// After an error it keeps draining the queue so Write never deadlocks.
func (b *blobWriter) upload() {
	defer close(b.done)
	for blk := range b.queue {
		if b.failed() == nil {
			if err := b.putBlock(blk); err != nil {
				b.fail(err)
			}
		}
		b.free <- blk[:0]
	}
}

func (b *blobWriter) putBlock(blk []byte) error {
	i := len(b.ids)
	if i >= maxBlocks {
		return fmt.Errorf("the artifact needs more than %d blocks of %d bytes: Azure refuses blobs of more blocks", maxBlocks, b.s.blockSize)
	}
	id := blockID(i)
	b.sum.Write(blk)
	u := b.with("comp=block&blockid=" + url.QueryEscape(id))
	if err := b.put(fmt.Sprintf("block %d", i), u, blk, nil); err != nil {
		return err
	}
	b.ids = append(b.ids, id)
	b.size += int64(len(blk))
	return nil
}

// close sends the last partial block, waits for the uploader and commits the
// block list. It returns the size and SHA-256 of exactly the committed bytes.
func (b *blobWriter) close() (int64, [32]byte, error) {
	var sum [32]byte
	if len(b.cur) > 0 && b.failed() == nil {
		select {
		case b.queue <- b.cur:
		case <-b.ctx.Done():
			b.fail(context.Cause(b.ctx))
		}
	}
	close(b.queue)
	<-b.done
	if err := b.failed(); err != nil {
		return 0, sum, err
	}
	var body bytes.Buffer
	body.WriteString(`<?xml version="1.0" encoding="utf-8"?><BlockList>`)
	for _, id := range b.ids {
		// Ids are base64: nothing in them needs XML escaping.
		body.WriteString("<Latest>" + id + "</Latest>")
	}
	body.WriteString("</BlockList>")
	hdr := http.Header{
		"Content-Type":           {"application/xml; charset=utf-8"},
		"X-Ms-Blob-Content-Type": {blobContentType},
	}
	if err := b.put("block list", b.with("comp=blocklist"), body.Bytes(), hdr); err != nil {
		return 0, sum, err
	}
	b.sum.Sum(sum[:0])
	return b.size, sum, nil
}

// abort stops the uploader after an error elsewhere; queued blocks are
// dropped (the service discards uncommitted blocks).
func (b *blobWriter) abort(err error) {
	b.fail(err)
	close(b.queue)
	<-b.done
}

// with returns the signed URL with extra query parameters appended, keeping
// the signature's own parameters byte for byte.
func (b *blobWriter) with(extra string) string {
	u := *b.base
	if u.RawQuery == "" {
		u.RawQuery = extra
	} else {
		u.RawQuery += "&" + extra
	}
	return u.String()
}

// put PUTs body to u, retrying on network errors and retryable statuses; a
// stall is final. what names the request in errors and logs.
func (b *blobWriter) put(what, u string, body []byte, hdr http.Header) error {
	p := b.s.retries()
	for attempt := 1; ; attempt++ {
		asked, err := b.putOnce(u, body, hdr)
		if err == nil {
			return nil
		}
		err = fmt.Errorf("upload %s: %w", what, err)
		if asked < 0 {
			return err
		}
		wait, ok := p.Wait(b.ctx, nil, attempt, asked)
		if !ok {
			if attempt > 1 {
				return fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
			}
			return err
		}
		b.s.logf("artifact: %v (attempt %d of %d); retrying in %s", err, attempt, p.Attempts, wait.Round(time.Millisecond))
		if err := p.Pause(b.ctx, wait); err != nil {
			return fmt.Errorf("upload %s: %w", what, err)
		}
	}
}

// putOnce makes one request. A watchdog cancels it when no byte of the body
// has been taken and no answer has come for StallTimeout: a slow link that
// moves is fine, a dead one fails within the bound. wait < 0: final error.
func (b *blobWriter) putOnce(u string, body []byte, hdr http.Header) (time.Duration, error) {
	ctx, cancel := context.WithCancelCause(b.ctx)
	defer cancel(nil)
	stall := b.s.stallTimeout
	stalled := fmt.Errorf("%w: no progress for %s", ErrStalled, stall)
	watchdog := time.AfterFunc(stall, func() { cancel(stalled) })
	defer watchdog.Stop()
	touch := func() { watchdog.Reset(stall) }

	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u, &progressReader{r: bytes.NewReader(body), touch: touch})
	if err != nil {
		return -1, redact(err)
	}
	req.ContentLength = int64(len(body))
	req.GetBody = func() (io.ReadCloser, error) {
		return io.NopCloser(&progressReader{r: bytes.NewReader(body), touch: touch}), nil
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("x-ms-version", azureVersion)
	req.Header.Set("User-Agent", b.s.userAgent)
	resp, err := b.s.client.Do(req)
	if err != nil {
		return b.classify(ctx, stalled, err)
	}
	defer resp.Body.Close()
	touch()
	// Azure answers errors with a small XML body whose code says why.
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return b.classify(ctx, stalled, err)
	}
	if resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK {
		return 0, nil
	}
	serr := fmt.Errorf("%d %s%s", resp.StatusCode, http.StatusText(resp.StatusCode), azureCode(data))
	if !retryableStatus(resp.StatusCode) {
		return -1, serr
	}
	return retryAfter(resp.Header), serr
}

// classify turns a transport error into a retry decision, naming a stall.
func (b *blobWriter) classify(ctx context.Context, stalled, err error) (time.Duration, error) {
	if errors.Is(context.Cause(ctx), ErrStalled) {
		return -1, stalled
	}
	if networkError(b.ctx, err) {
		return 0, redact(err)
	}
	return -1, context.Cause(b.ctx)
}

// azureCode extracts <Code>…</Code> from an Azure error body.
func azureCode(data []byte) string {
	s := string(data)
	i := strings.Index(s, "<Code>")
	j := strings.Index(s, "</Code>")
	if i < 0 || j < i {
		return ""
	}
	return " (" + s[i+len("<Code>"):j] + ")"
}

// redact drops the URL from a transport error: net/http puts the whole URL,
// signature included, in its messages.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %s: %w", ue.Op, redactURL(ue.URL), ue.Err)
	}
	return err
}

// redactURL keeps the scheme, host and path of a URL: enough to say where,
// nothing of the signature.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(signed URL)"
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}

// progressReader calls touch each time the transport takes bytes of a body.
type progressReader struct {
	r     io.Reader
	touch func()
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.touch()
	}
	return n, err
}
