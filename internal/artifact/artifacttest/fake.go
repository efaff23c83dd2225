// Package artifacttest is a loopback fake of the GitHub Actions artifact
// service v4 for tests: the two Twirp calls of an upload (CreateArtifact,
// FinalizeArtifact) on one server and the Azure block blob endpoints (Put
// Block, Put Block List) on another, as in production. It checks what the
// real services check and what the protocol requires of a client (bearer
// token, backend ids, snake_case requests without unknown fields, equal-length
// base64 block ids committed in the order they were sent, no single-shot Put
// Blob, a finalize hash and size equal to the committed blob) and records
// every request, every violation and every committed blob. Faults (a 5xx, a
// 429, a dropped connection, a request that never answers) can be queued to
// fire once, to exercise a client's retries.
//
// It imports nothing of the client, so a test of the client against it checks
// the client against the protocol, not against itself.
package artifacttest

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Op names a kind of request.
type Op string

// The requests of an upload.
const (
	OpCreate    Op = "CreateArtifact"
	OpFinalize  Op = "FinalizeArtifact"
	OpBlock     Op = "PutBlock"
	OpBlockList Op = "PutBlockList"
	// OpOther is anything else (a wrong path, a Put Blob, ...).
	OpOther Op = "other"
)

const twirpPrefix = "/twirp/github.actions.results.api.v1.ArtifactService/"

// maxRetention is the service's longest retention.
const maxRetention = 90 * 24 * time.Hour

// Options configure a Server.
type Options struct {
	// Dir, when set, keeps staged blocks and committed blobs in files
	// there instead of memory (for big uploads).
	Dir string
	// CamelCase makes Twirp answers use lowerCamel field names (the JSON
	// names) instead of snake_case (the proto names); real servers have
	// used both.
	CamelCase bool
	// RunBackendID, JobBackendID default to fixed UUIDs.
	RunBackendID, JobBackendID string
}

// Fault is a failure to inject once, on the next request that matches.
type Fault struct {
	Op Op
	// Block, for OpBlock, is the 0-based position of the block to fail;
	// -1 (or any value for other ops) matches any request of Op.
	Block int
	// Status answers with this HTTP status (and a Twirp or Azure error
	// body); RetryAfter, when > 0, adds a Retry-After header in seconds.
	Status     int
	RetryAfter int
	// Code and Msg, for Twirp calls, set the error body (default
	// "unavailable", "injected fault").
	Code, Msg string
	// Drop closes the connection without an answer, after reading the body.
	Drop bool
	// Hang reads the body and then never answers (until the client gives
	// up or the server closes).
	Hang bool
}

// Request is one request as the fake saw it.
type Request struct {
	Op       Op
	Method   string
	Path     string // without the query, which holds the signature
	Artifact string // the artifact name, when known
	BlockID  string
	Bytes    int    // body length
	Status   int    // 0 when dropped or hung
	Fault    string // the injected fault, if any
}

// Artifact is an artifact the fake created.
type Artifact struct {
	ID        int64
	Name      string
	ExpiresAt time.Time // zero: none requested
	Committed bool
	Finalized bool
	// Size and Digest ("sha256:<hex>") are those of the committed blob.
	Size   int64
	Digest string
	// BlockIDs are the committed block list, in order.
	BlockIDs []string
	// ContentType is the x-ms-blob-content-type of the commit.
	ContentType string
	// SignedURL is the upload URL CreateArtifact handed out (its sig is the
	// secret a client must mask).
	SignedURL string
	// Path is the committed blob's file when Options.Dir is set.
	Path string
	data []byte
}

// Bytes returns the committed blob.
func (a Artifact) Bytes() ([]byte, error) {
	if a.Path != "" {
		return os.ReadFile(a.Path)
	}
	return a.data, nil
}

// blob is the storage behind one signed URL.
type blob struct {
	art    *Artifact
	sig    string
	order  []string          // staged block ids, in the order first sent
	staged map[string][]byte // id → data (memory mode)
	files  map[string]string // id → file (Dir mode)
	idLen  int
}

// Server is the fake. Create it with New or Start.
type Server struct {
	// URL is the value for ACTIONS_RESULTS_URL. It has a path, as the
	// runner's does, which a client must drop.
	URL string
	// Token is the value for ACTIONS_RUNTIME_TOKEN: an unsigned JWT whose
	// scp claim holds the backend ids.
	Token                      string
	RunBackendID, JobBackendID string

	opts    Options
	results *httptest.Server
	blobSrv *httptest.Server
	closing chan struct{}
	once    sync.Once

	mu         sync.Mutex
	faults     []Fault
	requests   []Request
	violations []string
	artifacts  []*Artifact
	blobs      map[string]*blob // by path
	nextID     int64
}

// New starts a fake on loopback. Close it when done.
func New(opts Options) *Server {
	s := &Server{
		opts:         opts,
		RunBackendID: opts.RunBackendID,
		JobBackendID: opts.JobBackendID,
		closing:      make(chan struct{}),
		blobs:        make(map[string]*blob),
		nextID:       4100,
	}
	if s.RunBackendID == "" {
		s.RunBackendID = "ce7f54c7-61c7-4aae-887f-30da475f5f1a"
	}
	if s.JobBackendID == "" {
		s.JobBackendID = "ca395085-040a-526b-2ce8-bdc85f692774"
	}
	s.Token = makeToken(s.RunBackendID, s.JobBackendID)
	s.results = httptest.NewServer(http.HandlerFunc(s.serveTwirp))
	s.blobSrv = httptest.NewServer(http.HandlerFunc(s.serveBlob))
	s.URL = s.results.URL + "/results/receiver/"
	return s
}

// Start is New with the server closed at the end of the test.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := New(opts)
	tb.Cleanup(s.Close)
	return s
}

// Close stops both servers, releasing hung requests first.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closing)
		s.results.CloseClientConnections()
		s.blobSrv.CloseClientConnections()
		s.results.Close()
		s.blobSrv.Close()
	})
}

// Env is the environment a client in a workflow run would see.
func (s *Server) Env() map[string]string {
	return map[string]string{
		"ACTIONS_RUNTIME_TOKEN": s.Token,
		"ACTIONS_RESULTS_URL":   s.URL,
	}
}

// Getenv returns a getenv that answers Env() and falls back to base (which
// may be nil).
func (s *Server) Getenv(base func(string) string) func(string) string {
	env := s.Env()
	return func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		if base != nil {
			return base(k)
		}
		return ""
	}
}

// Fail queues a fault; each fires once, in the order queued.
func (s *Server) Fail(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// Requests returns what the fake has seen so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Violations returns the protocol violations seen so far, one line each.
// A correct client leaves it empty.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// Artifacts returns every artifact created, in order.
func (s *Server) Artifacts() []Artifact {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Artifact, len(s.artifacts))
	for i, a := range s.artifacts {
		out[i] = *a
		out[i].BlockIDs = append([]string(nil), a.BlockIDs...)
	}
	return out
}

// Artifact returns the artifact of that name.
func (s *Server) Artifact(name string) (Artifact, bool) {
	for _, a := range s.Artifacts() {
		if a.Name == name {
			return a, true
		}
	}
	return Artifact{}, false
}

func (s *Server) violate(format string, args ...any) {
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
}

// fault takes the first queued fault for op (and block position).
func (s *Server) fault(op Op, block int) *Fault {
	for i, f := range s.faults {
		if f.Op == op && (op != OpBlock || f.Block < 0 || f.Block == block) {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			return &f
		}
	}
	return nil
}

// inject answers a request with the fault f instead of handling it.
func (s *Server) inject(w http.ResponseWriter, r *http.Request, f *Fault, rec *Request, twirp bool) {
	switch {
	case f.Drop:
		rec.Fault = "drop"
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
			}
		}
	case f.Hang:
		rec.Fault = "hang"
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
	default:
		rec.Fault = strconv.Itoa(f.Status)
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
		}
		rec.Status = f.Status
		if twirp {
			code, msg := cmp.Or(f.Code, "unavailable"), cmp.Or(f.Msg, "injected fault")
			writeTwirpError(w, f.Status, code, msg)
		} else {
			writeAzureError(w, f.Status, "ServerBusy", "injected fault")
		}
	}
}

func (s *Server) record(rec *Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, *rec)
}

// ---- Twirp ----

type createReq struct {
	WorkflowRunBackendID    string `json:"workflow_run_backend_id"`
	WorkflowJobRunBackendID string `json:"workflow_job_run_backend_id"`
	Name                    string `json:"name"`
	ExpiresAt               string `json:"expires_at"`
	Version                 int    `json:"version"`
	MimeType                string `json:"mime_type"`
}

type finalizeReq struct {
	WorkflowRunBackendID    string `json:"workflow_run_backend_id"`
	WorkflowJobRunBackendID string `json:"workflow_job_run_backend_id"`
	Name                    string `json:"name"`
	Size                    string `json:"size"`
	Hash                    string `json:"hash"`
}

func (s *Server) serveTwirp(w http.ResponseWriter, r *http.Request) {
	rec := &Request{Op: OpOther, Method: r.Method, Path: r.URL.Path}
	defer s.record(rec)
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	rec.Bytes = len(body)
	if err != nil {
		return
	}
	method, ok := strings.CutPrefix(r.URL.Path, twirpPrefix)
	if ok && (method == string(OpCreate) || method == string(OpFinalize)) {
		rec.Op = Op(method)
	}
	s.mu.Lock()
	f := s.fault(rec.Op, -1)
	s.mu.Unlock()
	if f != nil && rec.Op != OpOther {
		s.inject(w, r, f, rec, true)
		return
	}
	status, answer := s.twirp(r, rec, body)
	rec.Status = status
	if status != http.StatusOK {
		writeTwirpError(w, status, answer["code"].(string), answer["msg"].(string))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	out := make(map[string]any, len(answer))
	for k, v := range answer {
		if s.opts.CamelCase {
			k = camel(k)
		}
		out[k] = v
	}
	json.NewEncoder(w).Encode(out)
}

func twirpErr(status int, code, format string, args ...any) (int, map[string]any) {
	return status, map[string]any{"code": code, "msg": fmt.Sprintf(format, args...)}
}

// twirp handles one call under the lock and returns the status and answer.
func (s *Server) twirp(r *http.Request, rec *Request, body []byte) (int, map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec.Op == OpOther {
		s.violate("request to %s %s: not a method of the artifact service", r.Method, r.URL.Path)
		return twirpErr(http.StatusNotFound, "bad_route", "no handler for path %q", r.URL.Path)
	}
	if r.Method != http.MethodPost {
		s.violate("%s with method %s", rec.Op, r.Method)
		return twirpErr(http.StatusBadRequest, "bad_route", "unsupported method %q", r.Method)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		s.violate("%s with Content-Type %q", rec.Op, ct)
		return twirpErr(http.StatusBadRequest, "bad_route", "unexpected Content-Type: %q", ct)
	}
	if r.Header.Get("Authorization") != "Bearer "+s.Token {
		s.violate("%s without the runtime token as bearer token", rec.Op)
		return twirpErr(http.StatusUnauthorized, "unauthenticated", "invalid token")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	switch rec.Op {
	case OpCreate:
		var req createReq
		if err := dec.Decode(&req); err != nil {
			s.violate("CreateArtifact body: %v", err)
			return twirpErr(http.StatusBadRequest, "malformed", "the json request could not be decoded: %v", err)
		}
		rec.Artifact = req.Name
		return s.create(req)
	default:
		var req finalizeReq
		if err := dec.Decode(&req); err != nil {
			s.violate("FinalizeArtifact body: %v", err)
			return twirpErr(http.StatusBadRequest, "malformed", "the json request could not be decoded: %v", err)
		}
		rec.Artifact = req.Name
		return s.finalize(req)
	}
}

func (s *Server) checkIDs(op Op, run, job string) (int, map[string]any, bool) {
	if run != s.RunBackendID || job != s.JobBackendID {
		s.violate("%s with backend ids %q/%q, want those of the token's scp claim", op, run, job)
		st, a := twirpErr(http.StatusForbidden, "permission_denied", "backend ids do not match the token")
		return st, a, false
	}
	return 0, nil, true
}

func (s *Server) create(req createReq) (int, map[string]any) {
	if st, a, ok := s.checkIDs(OpCreate, req.WorkflowRunBackendID, req.WorkflowJobRunBackendID); !ok {
		return st, a
	}
	if req.Version != 4 {
		s.violate("CreateArtifact with version %d, want 4", req.Version)
		return twirpErr(http.StatusBadRequest, "invalid_argument", "unsupported version %d", req.Version)
	}
	if req.Name == "" || strings.ContainsAny(req.Name, "\":<>|*?\r\n\\/") {
		s.violate("CreateArtifact with invalid name %q", req.Name)
		return twirpErr(http.StatusBadRequest, "invalid_argument", "invalid artifact name %q", req.Name)
	}
	var expires time.Time
	if req.ExpiresAt != "" {
		t, err := time.Parse(time.RFC3339Nano, req.ExpiresAt)
		now := time.Now()
		switch {
		case err != nil:
			s.violate("CreateArtifact expires_at %q is not an RFC 3339 timestamp", req.ExpiresAt)
			return twirpErr(http.StatusBadRequest, "malformed", "bad expires_at %q", req.ExpiresAt)
		case !t.After(now) || t.After(now.Add(maxRetention+24*time.Hour)):
			s.violate("CreateArtifact expires_at %s is outside 1 to 90 days from now", req.ExpiresAt)
			return twirpErr(http.StatusBadRequest, "invalid_argument", "expires_at out of range")
		}
		expires = t
	}
	for _, a := range s.artifacts {
		if a.Name == req.Name {
			return twirpErr(http.StatusConflict, "already_exists", "an artifact with this name already exists on the workflow run")
		}
	}
	a := &Artifact{ID: s.nextID, Name: req.Name, ExpiresAt: expires}
	s.nextID++
	s.artifacts = append(s.artifacts, a)
	p := fmt.Sprintf("/actions-results/%s/workflow-job-run-%s/artifacts/%d.zip", s.RunBackendID, s.JobBackendID, a.ID)
	b := &blob{art: a, sig: randomSig(), staged: map[string][]byte{}, files: map[string]string{}}
	s.blobs[p] = b
	signed := fmt.Sprintf("%s%s?sig=%s&se=%s&sp=racwt&spr=https&sr=b&st=%s&sv=2023-11-03",
		s.blobSrv.URL, p, urlEscape(b.sig), time.Now().Add(6*time.Hour).UTC().Format("2006-01-02T15:04:05Z"),
		time.Now().UTC().Format("2006-01-02T15:04:05Z"))
	a.SignedURL = signed
	return http.StatusOK, map[string]any{"ok": true, "signed_upload_url": signed}
}

func (s *Server) finalize(req finalizeReq) (int, map[string]any) {
	if st, a, ok := s.checkIDs(OpFinalize, req.WorkflowRunBackendID, req.WorkflowJobRunBackendID); !ok {
		return st, a
	}
	var a *Artifact
	for _, x := range s.artifacts {
		if x.Name == req.Name {
			a = x
		}
	}
	switch {
	case a == nil:
		s.violate("FinalizeArtifact of %q, which was never created", req.Name)
		return twirpErr(http.StatusNotFound, "not_found", "artifact not found")
	case a.Finalized:
		return twirpErr(http.StatusConflict, "already_exists", "artifact already finalized")
	case !a.Committed:
		s.violate("FinalizeArtifact of %q before its blob was committed", req.Name)
		return twirpErr(http.StatusBadRequest, "failed_precondition", "the artifact's blob was not uploaded")
	}
	if req.Size != strconv.FormatInt(a.Size, 10) {
		s.violate("FinalizeArtifact of %q with size %q; the committed blob has %d bytes", req.Name, req.Size, a.Size)
		return twirpErr(http.StatusBadRequest, "invalid_argument", "size mismatch")
	}
	if req.Hash != a.Digest {
		s.violate("FinalizeArtifact of %q with hash %q; the committed blob's is %s", req.Name, req.Hash, a.Digest)
		return twirpErr(http.StatusBadRequest, "invalid_argument", "hash mismatch")
	}
	a.Finalized = true
	// int64 in proto3 JSON: a string.
	return http.StatusOK, map[string]any{"ok": true, "artifact_id": strconv.FormatInt(a.ID, 10)}
}

func writeTwirpError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"code": code, "msg": msg})
}

// camel turns a proto field name into its JSON name.
func camel(snake string) string {
	parts := strings.Split(snake, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// ---- Azure block blob ----

func (s *Server) serveBlob(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rec := &Request{Op: OpOther, Method: r.Method, Path: r.URL.Path, BlockID: q.Get("blockid")}
	defer s.record(rec)
	switch q.Get("comp") {
	case "block":
		rec.Op = OpBlock
	case "blocklist":
		rec.Op = OpBlockList
	}
	body, err := io.ReadAll(r.Body)
	rec.Bytes = len(body)
	if err != nil {
		return
	}
	s.mu.Lock()
	b := s.blobs[r.URL.Path]
	if b != nil {
		rec.Artifact = b.art.Name
	}
	pos := -1
	if b != nil && rec.Op == OpBlock {
		pos = len(b.order)
		for i, id := range b.order {
			if id == rec.BlockID {
				pos = i
			}
		}
	}
	f := s.fault(rec.Op, pos)
	s.mu.Unlock()
	if f != nil && rec.Op != OpOther {
		s.inject(w, r, f, rec, false)
		return
	}
	st, code, msg := s.blob(r, rec, b, body)
	rec.Status = st
	if st != http.StatusCreated {
		writeAzureError(w, st, code, msg)
		return
	}
	w.WriteHeader(st)
}

// blob handles one blob request and returns the status and, on error, the
// Azure error code and message.
func (s *Server) blob(r *http.Request, rec *Request, b *blob, body []byte) (int, string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := r.URL.Query()
	switch {
	case b == nil:
		s.violate("blob request to %s, which no CreateArtifact handed out", r.URL.Path)
		return http.StatusNotFound, "ResourceNotFound", "The specified resource does not exist."
	case q.Get("sig") != b.sig:
		s.violate("blob request to %s without the signed URL's signature", r.URL.Path)
		return http.StatusForbidden, "AuthenticationFailed", "Signature did not match."
	case r.Method != http.MethodPut:
		s.violate("blob request with method %s", r.Method)
		return http.StatusMethodNotAllowed, "UnsupportedHttpVerb", "The resource doesn't support the specified HTTP verb."
	case b.art.Committed:
		s.violate("blob request to %s after its block list was committed", r.URL.Path)
		return http.StatusConflict, "BlobImmutable", "already committed"
	case rec.Op == OpOther:
		s.violate("Put Blob (a PUT without comp=block or comp=blocklist) to %s: uploads must go as blocks", r.URL.Path)
		return http.StatusBadRequest, "UnsupportedOperation", "single-shot Put Blob is not accepted by this fake"
	case r.ContentLength != int64(len(body)):
		s.violate("%s without an exact Content-Length", rec.Op)
		return http.StatusLengthRequired, "MissingContentLengthHeader", "Content-Length required"
	}
	if rec.Op == OpBlock {
		return s.putBlock(b, rec.BlockID, body)
	}
	return s.putBlockList(b, r.Header.Get("X-Ms-Blob-Content-Type"), body)
}

func (s *Server) putBlock(b *blob, id string, body []byte) (int, string, string) {
	raw, err := base64.StdEncoding.DecodeString(id)
	switch {
	case id == "" || err != nil:
		s.violate("Put Block with block id %q: not base64", id)
		return http.StatusBadRequest, "InvalidQueryParameterValue", "blockid is not valid base64"
	case len(raw) > 64:
		s.violate("Put Block with a block id of %d bytes (at most 64)", len(raw))
		return http.StatusBadRequest, "InvalidQueryParameterValue", "blockid too long"
	case b.idLen != 0 && len(id) != b.idLen:
		s.violate("Put Block with block id %q of length %d; earlier ids have length %d", id, len(id), b.idLen)
		return http.StatusBadRequest, "InvalidBlobOrBlock", "The specified blob or block content is invalid."
	case len(body) == 0:
		s.violate("Put Block with an empty body")
		return http.StatusBadRequest, "InvalidBlobOrBlock", "empty block"
	case len(body) > 4000<<20:
		s.violate("Put Block of %d bytes (at most 4000 MiB)", len(body))
		return http.StatusRequestEntityTooLarge, "RequestBodyTooLarge", "block too large"
	}
	b.idLen = len(id)
	if _, ok := b.staged[id]; !ok {
		if _, ok := b.files[id]; !ok {
			b.order = append(b.order, id)
		}
	}
	if s.opts.Dir == "" {
		b.staged[id] = append([]byte(nil), body...)
		return http.StatusCreated, "", ""
	}
	dir := filepath.Join(s.opts.Dir, fmt.Sprintf("blocks-%d", b.art.ID))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return http.StatusInternalServerError, "InternalError", err.Error()
	}
	p := filepath.Join(dir, hex.EncodeToString(raw))
	if err := os.WriteFile(p, body, 0o644); err != nil {
		return http.StatusInternalServerError, "InternalError", err.Error()
	}
	b.files[id] = p
	return http.StatusCreated, "", ""
}

func (s *Server) putBlockList(b *blob, contentType string, body []byte) (int, string, string) {
	var list struct {
		XMLName     xml.Name `xml:"BlockList"`
		Latest      []string `xml:"Latest"`
		Committed   []string `xml:"Committed"`
		Uncommitted []string `xml:"Uncommitted"`
	}
	if err := xml.Unmarshal(body, &list); err != nil {
		s.violate("Put Block List body is not a BlockList: %v", err)
		return http.StatusBadRequest, "InvalidXmlDocument", err.Error()
	}
	if len(list.Committed)+len(list.Uncommitted) > 0 || len(list.Latest) == 0 {
		s.violate("Put Block List should name the staged blocks as <Latest>, got %d Latest, %d Committed, %d Uncommitted",
			len(list.Latest), len(list.Committed), len(list.Uncommitted))
		return http.StatusBadRequest, "InvalidBlockList", "The specified block list is invalid."
	}
	for _, id := range list.Latest {
		if _, ok := b.staged[id]; !ok && b.files[id] == "" {
			s.violate("Put Block List names block %q, which was never staged", id)
			return http.StatusBadRequest, "InvalidBlockList", "The specified block list is invalid."
		}
	}
	if strings.Join(list.Latest, ",") != strings.Join(b.order, ",") {
		s.violate("Put Block List order %v differs from the order the blocks were sent %v", list.Latest, b.order)
		return http.StatusBadRequest, "InvalidBlockList", "blocks out of order"
	}
	h := sha256.New()
	var out io.Writer = h
	var f *os.File
	var buf bytes.Buffer
	if s.opts.Dir != "" {
		var err error
		b.art.Path = filepath.Join(s.opts.Dir, fmt.Sprintf("%d-%s.zip", b.art.ID, b.art.Name))
		if f, err = os.Create(b.art.Path); err != nil {
			return http.StatusInternalServerError, "InternalError", err.Error()
		}
		defer f.Close()
		out = io.MultiWriter(h, f)
	} else {
		out = io.MultiWriter(h, &buf)
	}
	var size int64
	for _, id := range list.Latest {
		data := b.staged[id]
		if p := b.files[id]; p != "" {
			var err error
			if data, err = os.ReadFile(p); err != nil {
				return http.StatusInternalServerError, "InternalError", err.Error()
			}
			os.Remove(p)
		}
		out.Write(data)
		size += int64(len(data))
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return http.StatusInternalServerError, "InternalError", err.Error()
		}
		os.Remove(filepath.Join(s.opts.Dir, fmt.Sprintf("blocks-%d", b.art.ID)))
	} else {
		b.art.data = buf.Bytes()
	}
	b.staged, b.files = nil, nil
	b.art.Committed = true
	b.art.Size = size
	b.art.Digest = "sha256:" + hex.EncodeToString(h.Sum(nil))
	b.art.BlockIDs = list.Latest
	b.art.ContentType = contentType
	return http.StatusCreated, "", ""
}

func writeAzureError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-ms-error-code", code)
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, msg)
}

// ---- helpers ----

// makeToken builds an unsigned JWT like the runner's, with the ids in scp.
func makeToken(run, job string) string {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"typ":"JWT","alg":"RS256","x5t":"fake"}`))
	claims, _ := json.Marshal(map[string]any{
		"scp": "Actions.ExampleScope Actions.Results:" + run + ":" + job,
		"iss": "vstoken.actions.githubusercontent.com",
		"exp": time.Now().Add(6 * time.Hour).Unix(),
	})
	return header + "." + enc.EncodeToString(claims) + "." + enc.EncodeToString([]byte("fake-signature"))
}

// randomSig is a signature with the characters real ones have ('+', '/',
// '='), so a client must escape and mask it properly.
func randomSig() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

func urlEscape(s string) string {
	r := strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D")
	return r.Replace(s)
}
