package artifact

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// twirpService is the results service's artifact API, spoken as Twirp over
// JSON: POST {origin}/twirp/<service>/<Method>.
const twirpService = "github.actions.results.api.v1.ArtifactService"

// maxResponse bounds what we read of a Twirp answer; real ones are tiny. A
// ListArtifacts answer grows with the run (about 300 bytes an artifact, up to
// 500 artifacts a job), so it gets maxListResponse.
const (
	maxResponse     = 1 << 20
	maxListResponse = 32 << 20
)

// TwirpError is a non-2xx answer of the artifact service.
type TwirpError struct {
	Method string
	Status int
	// Code and Msg are the Twirp error's fields ("already_exists", ...),
	// empty when the body was not a Twirp error.
	Code string
	Msg  string
	// Attempt is the 1-based try that got this answer.
	Attempt int
}

func (e *TwirpError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d %s", e.Method, e.Status, http.StatusText(e.Status))
	if e.Code != "" {
		fmt.Fprintf(&b, " (%s)", e.Code)
	}
	if e.Msg != "" {
		fmt.Fprintf(&b, ": %s", e.Msg)
	}
	return b.String()
}

// twirpClient makes the two calls of an upload, with the toolkit's retries.
type twirpClient struct {
	s      *settings
	origin string
}

// call posts req to method and returns the answer's fields by name. It tries
// up to MaxAttempts times on network errors and on 500/502/503/504/429.
func (c *twirpClient) call(ctx context.Context, method string, req any) (fields, error) {
	return c.callLimit(ctx, method, req, maxResponse)
}

// callLimit is call reading at most limit bytes of the answer.
func (c *twirpClient) callLimit(ctx context.Context, method string, req any, limit int64) (fields, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	url := c.origin + "/twirp/" + twirpService + "/" + method
	p := c.s.retries()
	for attempt := 1; ; attempt++ {
		f, asked, err := c.try(ctx, method, url, body, attempt, limit)
		if err == nil {
			return f, nil
		}
		if asked < 0 {
			return nil, err
		}
		wait, ok := p.Wait(ctx, nil, attempt, asked)
		if !ok {
			if attempt > 1 {
				return nil, fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
			}
			return nil, err
		}
		c.s.logf("artifact: %s attempt %d of %d failed: %v; retrying in %s",
			method, attempt, p.Attempts, err, wait.Round(time.Millisecond))
		if err := p.Pause(ctx, wait); err != nil {
			return nil, fmt.Errorf("%s: %w", method, err)
		}
	}
}

// try makes one attempt. wait < 0 means the error is final; otherwise it is
// the least wait the server asked for (Retry-After), possibly 0.
func (c *twirpClient) try(ctx context.Context, method, url string, body []byte, attempt int, limit int64) (fields, time.Duration, error) {
	actx, cancel := context.WithTimeout(ctx, c.s.callTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, -1, fmt.Errorf("%s: %w", method, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.s.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.s.userAgent)
	resp, err := c.s.client.Do(req)
	if err != nil {
		if networkError(ctx, err) {
			return nil, 0, fmt.Errorf("%s: %w", method, err)
		}
		return nil, -1, fmt.Errorf("%s: %w", method, context.Cause(ctx))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		if networkError(ctx, err) {
			return nil, 0, fmt.Errorf("%s: read answer: %w", method, err)
		}
		return nil, -1, fmt.Errorf("%s: %w", method, context.Cause(ctx))
	}
	if int64(len(data)) > limit {
		// Decoding the cut answer would only say "unexpected end of JSON".
		return nil, -1, fmt.Errorf("%s: %d answer of more than %d bytes", method, resp.StatusCode, limit)
	}
	if resp.StatusCode/100 == 2 {
		f, err := decodeFields(data)
		if err != nil {
			return nil, -1, fmt.Errorf("%s: %d answer: %w", method, resp.StatusCode, err)
		}
		return f, 0, nil
	}
	te := &TwirpError{Method: method, Status: resp.StatusCode, Attempt: attempt}
	var tw struct {
		Code string `json:"code"`
		Msg  string `json:"msg"`
	}
	if json.Unmarshal(data, &tw) == nil {
		te.Code, te.Msg = tw.Code, tw.Msg
	}
	if strings.Contains(te.Msg, "insufficient usage") {
		// The toolkit's UsageError: retrying cannot help until the
		// service recalculates usage, hours later.
		return nil, -1, fmt.Errorf("%w: %w", ErrStorageQuota, te)
	}
	if !retryableStatus(resp.StatusCode) || resp.StatusCode == http.StatusRequestTimeout {
		return nil, -1, te
	}
	return nil, retryAfter(resp.Header), te
}

// fields is a decoded Twirp JSON answer. Servers write field names in
// snake_case (proto names) or lowerCamel (JSON names); get accepts either.
type fields map[string]json.RawMessage

func decodeFields(data []byte) (fields, error) {
	var f fields
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("answer is not a JSON object: %w", err)
	}
	if f == nil {
		return nil, errors.New("answer is not a JSON object")
	}
	return f, nil
}

// raw returns the value under the snake_case name or its lowerCamel form.
func (f fields) raw(snake string) (json.RawMessage, bool) {
	if v, ok := f[snake]; ok {
		return v, true
	}
	v, ok := f[lowerCamel(snake)]
	return v, ok
}

func lowerCamel(snake string) string {
	var b strings.Builder
	up := false
	for _, r := range snake {
		switch {
		case r == '_':
			up = true
		case up:
			b.WriteString(strings.ToUpper(string(r)))
			up = false
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// bool reads a bool field; absent means false (proto3 omits defaults).
func (f fields) bool(name string) (bool, error) {
	v, ok := f.raw(name)
	if !ok || string(v) == "null" {
		return false, nil
	}
	var b bool
	if err := json.Unmarshal(v, &b); err != nil {
		return false, fmt.Errorf("field %s: %w", name, err)
	}
	return b, nil
}

// string reads a string field; absent means "".
func (f fields) string(name string) (string, error) {
	v, ok := f.raw(name)
	if !ok || string(v) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", fmt.Errorf("field %s: %w", name, err)
	}
	return s, nil
}

// int64 reads an int64 field, which proto3 JSON writes as a string but
// accepts as a number; absent means 0.
func (f fields) int64(name string) (int64, error) {
	v, ok := f.raw(name)
	if !ok || string(v) == "null" {
		return 0, nil
	}
	s := strings.Trim(string(v), `"`)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("field %s: %q is not an int64", name, s)
	}
	return n, nil
}

// createArtifactRequest is CreateArtifactRequest with only the v4 fields:
// some servers refuse unknown fields.
type createArtifactRequest struct {
	WorkflowRunBackendID    string `json:"workflow_run_backend_id"`
	WorkflowJobRunBackendID string `json:"workflow_job_run_backend_id"`
	Name                    string `json:"name"`
	// ExpiresAt is a google.protobuf.Timestamp in its JSON form (RFC 3339,
	// UTC); omitted, the repository's default retention applies.
	ExpiresAt string `json:"expires_at,omitempty"`
	Version   int    `json:"version"`
}

// finalizeArtifactRequest is FinalizeArtifactRequest. Size is an int64, so
// a string in JSON; Hash is a StringValue wrapper, so a bare string.
type finalizeArtifactRequest struct {
	WorkflowRunBackendID    string `json:"workflow_run_backend_id"`
	WorkflowJobRunBackendID string `json:"workflow_job_run_backend_id"`
	Name                    string `json:"name"`
	Size                    string `json:"size"`
	Hash                    string `json:"hash"`
}

// createArtifact asks for an upload URL for a new artifact.
func (c *twirpClient) createArtifact(ctx context.Context, ids backendIDs, name string, expires time.Time) (string, error) {
	req := createArtifactRequest{
		WorkflowRunBackendID:    ids.run,
		WorkflowJobRunBackendID: ids.job,
		Name:                    name,
		Version:                 4,
	}
	if !expires.IsZero() {
		req.ExpiresAt = expires.UTC().Format(time.RFC3339)
	}
	f, err := c.call(ctx, "CreateArtifact", req)
	if err != nil {
		var te *TwirpError
		if errors.As(err, &te) && (te.Status == http.StatusConflict || te.Code == "already_exists") {
			msg := fmt.Sprintf("artifact %q already exists in this workflow run: every upload needs its own artifact-name (matrix jobs: put the matrix values in it)", name)
			if te.Attempt > 1 {
				msg += "; an earlier attempt that timed out may have created it"
			}
			return "", fmt.Errorf("%w: %s [%v]", ErrArtifactExists, msg, te)
		}
		return "", err
	}
	ok, err := f.bool("ok")
	if err != nil {
		return "", fmt.Errorf("CreateArtifact: %w", err)
	}
	url, err := f.string("signed_upload_url")
	if err != nil {
		return "", fmt.Errorf("CreateArtifact: %w", err)
	}
	if !ok || url == "" {
		return "", errors.New("CreateArtifact: the service answered without ok and an upload URL")
	}
	return url, nil
}

// finalizeArtifact tells the service the blob is complete; it answers the
// artifact's id.
func (c *twirpClient) finalizeArtifact(ctx context.Context, ids backendIDs, name string, size int64, hash string) (int64, error) {
	f, err := c.call(ctx, "FinalizeArtifact", finalizeArtifactRequest{
		WorkflowRunBackendID:    ids.run,
		WorkflowJobRunBackendID: ids.job,
		Name:                    name,
		Size:                    strconv.FormatInt(size, 10),
		Hash:                    hash,
	})
	if err != nil {
		return 0, err
	}
	ok, err := f.bool("ok")
	if err != nil {
		return 0, fmt.Errorf("FinalizeArtifact: %w", err)
	}
	id, err := f.int64("artifact_id")
	if err != nil {
		return 0, fmt.Errorf("FinalizeArtifact: %w", err)
	}
	if !ok || id <= 0 {
		return 0, errors.New("FinalizeArtifact: the service answered without ok and an artifact id")
	}
	return id, nil
}
