package artifact

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Errors of Download callers tell apart with errors.Is.
var (
	// ErrTooLarge: the artifact is bigger than the caller's bound.
	ErrTooLarge = errors.New("artifact larger than the download limit")
	// ErrMismatch: the bytes downloaded are not those the service lists
	// (size or digest): storage corruption or tampering.
	ErrMismatch = errors.New("downloaded artifact differs from what the service lists")
	// ErrDownloadStalled: the blob sent no byte for Config.StallTimeout.
	ErrDownloadStalled = errors.New("artifact download stalled")
)

// getSignedArtifactURLRequest is GetSignedArtifactURLRequest.
type getSignedArtifactURLRequest struct {
	WorkflowRunBackendID    string `json:"workflow_run_backend_id"`
	WorkflowJobRunBackendID string `json:"workflow_job_run_backend_id"`
	Name                    string `json:"name"`
}

// signedArtifactURL asks for a read URL of the artifact name uploaded by the
// job of ids.
func (c *twirpClient) signedArtifactURL(ctx context.Context, ids backendIDs, name string) (string, error) {
	f, err := c.call(ctx, "GetSignedArtifactURL", getSignedArtifactURLRequest{
		WorkflowRunBackendID:    ids.run,
		WorkflowJobRunBackendID: ids.job,
		Name:                    name,
	})
	if err != nil {
		var te *TwirpError
		if errors.As(err, &te) && (te.Status == http.StatusNotFound || te.Code == "not_found") {
			return "", fmt.Errorf("%w [%v]", ErrArtifactNotFound, te)
		}
		return "", err
	}
	signed, err := f.string("signed_url")
	if err != nil {
		return "", fmt.Errorf("GetSignedArtifactURL: %w", err)
	}
	if signed == "" {
		return "", errors.New("GetSignedArtifactURL: the service answered without a signed URL")
	}
	return signed, nil
}

// Download writes the zip of this run's artifact name to w and returns how
// many bytes it wrote. As download-artifact: ListArtifacts finds the
// artifact (the newest of the name) and the job that uploaded it,
// GetSignedArtifactURL with that job's ids gives a read URL, and a GET of it,
// with no Authorization header (the URL's signature is the credential, and is
// masked through cfg.Mask), brings the bytes.
//
// At most maxBytes are written; a bigger artifact fails with ErrTooLarge.
// Failed requests are retried as uploads are, the blob GET only while
// nothing has been written. When the service lists a digest, the bytes are
// checked against it and the listed size (ErrMismatch). On any error, what
// was written to w is to be thrown away.
func Download(ctx context.Context, cfg Config, name string, w io.Writer, maxBytes int64) (int64, error) {
	if maxBytes <= 0 {
		return 0, fmt.Errorf("download artifact %q: a limit of %d bytes", name, maxBytes)
	}
	s, err := cfg.settings()
	if err != nil {
		return 0, err
	}
	if err := ValidateName(name); err != nil {
		return 0, err
	}
	ids, err := parseBackendIDs(cfg.Token)
	if err != nil {
		return 0, err
	}
	tc := &twirpClient{s: s, origin: s.origin}
	arts, err := tc.listArtifacts(ctx, ids, name)
	if err != nil {
		return 0, fmt.Errorf("download artifact %q: %w", name, err)
	}
	if len(arts) == 0 {
		return 0, fmt.Errorf("download artifact %q: %w", name, ErrArtifactNotFound)
	}
	a := arts[0]
	// A listing with a digest (GitHub's) has the zip's true size; act's
	// lists the size of the folder it keeps the zip in, and no digest.
	trusted := a.Digest != ""
	if trusted && a.Size > maxBytes {
		return 0, fmt.Errorf("download artifact %q: %w: it has %s, the limit is %s", name, ErrTooLarge, formatBytes(a.Size), formatBytes(maxBytes))
	}
	signed, err := tc.signedArtifactURL(ctx, a.owner(ids), name)
	if err != nil {
		return 0, fmt.Errorf("download artifact %q: %w", name, err)
	}
	u, err := url.Parse(signed)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return 0, fmt.Errorf("download artifact %q: GetSignedArtifactURL: the signed URL is not an http(s) URL", name)
	}
	sig := u.Query().Get("sig")
	if sig != "" && cfg.Mask != nil {
		cfg.Mask(sig)
	}
	size := "size not listed"
	if trusted {
		size = formatBytes(a.Size)
	}
	s.logf("artifact: downloading %q (id %d, %s) from %s", name, a.ID, size, redactURL(signed))
	start := time.Now()
	n, sum, err := fetchBlob(ctx, s, signed, sig, w, maxBytes)
	if err != nil {
		return n, fmt.Errorf("download artifact %q: %w", name, err)
	}
	digest := "sha256:" + hex.EncodeToString(sum[:])
	switch {
	case trusted && n != a.Size:
		return n, fmt.Errorf("download artifact %q: %w: got %d bytes, the service lists %d", name, ErrMismatch, n, a.Size)
	case a.Digest != "" && digest != a.Digest:
		return n, fmt.Errorf("download artifact %q: %w: got %s, the service lists %s", name, ErrMismatch, digest, a.Digest)
	}
	s.logf("artifact: downloaded %q (id %d): %s in %s, %s", name, a.ID, formatBytes(n),
		time.Since(start).Round(time.Millisecond), digest)
	return n, nil
}

// fetchBlob GETs the signed URL into w, at most max bytes, and returns the
// count and SHA-256 of what it wrote. It retries on network errors, stalls
// and retryable statuses only while nothing has been written: bytes in w
// cannot be taken back.
func fetchBlob(ctx context.Context, s *settings, signed, sig string, w io.Writer, max int64) (int64, [32]byte, error) {
	var sum [32]byte
	p := s.retries()
	for attempt := 1; ; attempt++ {
		h := sha256.New()
		n, asked, err := getOnce(ctx, s, signed, io.MultiWriter(w, h), max)
		if err == nil {
			h.Sum(sum[:0])
			return n, sum, nil
		}
		err = scrub(fmt.Errorf("GET blob: %w", err), sig)
		if n > 0 {
			return n, sum, fmt.Errorf("%w (after %d bytes; not retried, as they were already written)", err, n)
		}
		if asked < 0 {
			return 0, sum, err
		}
		wait, ok := p.Wait(ctx, nil, attempt, asked)
		if !ok {
			if attempt > 1 {
				return 0, sum, fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
			}
			return 0, sum, err
		}
		s.logf("artifact: %v (attempt %d of %d); retrying in %s", err, attempt, p.Attempts, wait.Round(time.Millisecond))
		if err := p.Pause(ctx, wait); err != nil {
			return 0, sum, fmt.Errorf("GET blob: %w", err)
		}
	}
}

// getOnce makes one GET and copies the body to w. A watchdog cancels it when
// no byte has come for StallTimeout. It returns the bytes written and, on
// error, the least wait the server asked for (wait < 0: final).
func getOnce(ctx context.Context, s *settings, signed string, w io.Writer, max int64) (int64, time.Duration, error) {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stall := s.stallTimeout
	stalled := fmt.Errorf("%w: no byte for %s", ErrDownloadStalled, stall)
	watchdog := time.AfterFunc(stall, func() { cancel(stalled) })
	defer watchdog.Stop()
	touch := func() { watchdog.Reset(stall) }

	req, err := http.NewRequestWithContext(actx, http.MethodGet, signed, nil)
	if err != nil {
		return 0, -1, redact(err)
	}
	// No Authorization header: the signature is the credential, and the
	// runtime token has no business at the storage account.
	req.Header.Set("x-ms-version", azureVersion)
	req.Header.Set("User-Agent", s.userAgent)
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, classifyGet(ctx, actx, stalled, err), transferError(actx, stalled, err)
	}
	defer resp.Body.Close()
	touch()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		serr := fmt.Errorf("%d %s%s", resp.StatusCode, http.StatusText(resp.StatusCode), azureCode(data))
		if !retryableStatus(resp.StatusCode) {
			return 0, -1, serr
		}
		return 0, retryAfter(resp.Header), serr
	}
	if resp.ContentLength > max {
		return 0, -1, fmt.Errorf("%w: the blob has %s, the limit is %s", ErrTooLarge, formatBytes(resp.ContentLength), formatBytes(max))
	}
	body := &progressReader{r: resp.Body, touch: touch}
	buf := make([]byte, 256<<10)
	var n int64
	for {
		k, rerr := body.Read(buf)
		if k > 0 {
			if n+int64(k) > max {
				return n, -1, fmt.Errorf("%w: more than %s", ErrTooLarge, formatBytes(max))
			}
			if _, werr := w.Write(buf[:k]); werr != nil {
				return n, -1, fmt.Errorf("write: %w", werr)
			}
			n += int64(k)
		}
		if rerr == io.EOF {
			return n, 0, nil
		}
		if rerr != nil {
			return n, classifyGet(ctx, actx, stalled, rerr), transferError(actx, stalled, rerr)
		}
	}
}

// classifyGet says whether a transport error is worth another try: a stall
// or a network error is, the caller's context ending is not.
func classifyGet(ctx, actx context.Context, stalled, err error) time.Duration {
	if errors.Is(context.Cause(actx), stalled) || networkError(ctx, err) {
		return 0
	}
	return -1
}

// transferError names a stall as such and keeps the signed URL out of
// net/http's messages.
func transferError(actx context.Context, stalled, err error) error {
	if errors.Is(context.Cause(actx), stalled) {
		return stalled
	}
	return redact(err)
}

// scrub replaces the signature, raw or escaped, in err's message: redact
// drops URLs from net/http's errors, this catches any other path one takes.
func scrub(err error, sig string) error {
	if sig == "" || err == nil {
		return err
	}
	msg := err.Error()
	clean := msg
	for _, form := range []string{sig, url.QueryEscape(sig), url.PathEscape(sig)} {
		clean = strings.ReplaceAll(clean, form, "***")
	}
	if clean == msg {
		return err
	}
	return &scrubbed{msg: clean, err: err}
}

type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }
