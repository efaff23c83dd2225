// Package artifacttest is a loopback fake of the GitHub Actions artifact
// service v4 for tests: the Twirp calls (CreateArtifact, FinalizeArtifact to
// upload, ListArtifacts, GetSignedArtifactURL to read) on one server and the
// Azure block blob endpoints (Put Block, Put Block List, Get Blob) on
// another, as in production. It checks what the real services check and what
// the protocol requires of a client (bearer token, backend ids, snake_case
// requests without unknown fields, equal-length base64 block ids committed in
// the order they were sent, no single-shot Put Blob, a finalize hash and size
// equal to the committed blob, a read URL asked for with the uploading job's
// ids, no Authorization header at the storage account) and records every
// request, every violation and every committed blob. Faults (a 5xx, a 429, a
// dropped connection, a request that never answers, a download cut short)
// can be queued to fire once, to exercise a client's retries.
//
// One Server is one workflow run: JobToken gives the runtime token of
// another job of it, and AddZipAs stores artifacts of other runs, which it
// never lists.
//
// It imports nothing of the client, so a test of the client against it checks
// the client against the protocol, not against itself.
package artifacttest

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
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

// The requests of an upload, then those of a download.
const (
	OpCreate    Op = "CreateArtifact"
	OpFinalize  Op = "FinalizeArtifact"
	OpBlock     Op = "PutBlock"
	OpBlockList Op = "PutBlockList"
	OpList      Op = "ListArtifacts"
	OpSignedURL Op = "GetSignedArtifactURL"
	OpGetBlob   Op = "GetBlob"
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
	// Listing, when set, edits each ListArtifacts entry (snake_case keys)
	// before it is sent, to play other implementations: act lists no
	// digest and the size of a folder.
	Listing func(entry map[string]any)
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
	// Truncate, for OpGetBlob, answers 200 with the blob's full
	// Content-Length but closes the connection after this many bytes.
	Truncate int
}

// Request is one request as the fake saw it.
type Request struct {
	Op       Op
	Method   string
	Path     string // without the query, which holds the signature
	Artifact string // the artifact name, when known
	BlockID  string
	Bytes    int    // body length (of the answer, for Get Blob)
	Status   int    // 0 when dropped or hung
	Fault    string // the injected fault, if any
}

// Artifact is an artifact the fake created.
type Artifact struct {
	ID   int64
	Name string
	// RunBackendID and JobBackendID are those of the job that created it.
	RunBackendID, JobBackendID string
	ExpiresAt                  time.Time // zero: none requested
	Committed                  bool
	Finalized                  bool
	// CreatedAt is when it was finalized.
	CreatedAt time.Time
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
	// ReadURL is the last URL GetSignedArtifactURL handed out, empty before
	// (its sig is a secret too).
	ReadURL string
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
	art     *Artifact
	sig     string
	readSig string            // of the URLs GetSignedArtifactURL hands out
	order   []string          // staged block ids, in the order first sent
	staged  map[string][]byte // id → data (memory mode)
	files   map[string]string // id → file (Dir mode)
	idLen   int
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
	tokens     map[string]jobIDs
	nextID     int64
}

// jobIDs are the backend ids a runtime token carries.
type jobIDs struct{ run, job string }

// New starts a fake on loopback. Close it when done.
func New(opts Options) *Server {
	s := &Server{
		opts:         opts,
		RunBackendID: opts.RunBackendID,
		JobBackendID: opts.JobBackendID,
		closing:      make(chan struct{}),
		blobs:        make(map[string]*blob),
		tokens:       make(map[string]jobIDs),
		nextID:       4100,
	}
	if s.RunBackendID == "" {
		s.RunBackendID = "ce7f54c7-61c7-4aae-887f-30da475f5f1a"
	}
	if s.JobBackendID == "" {
		s.JobBackendID = "ca395085-040a-526b-2ce8-bdc85f692774"
	}
	s.Token = s.JobToken(s.JobBackendID)
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

// JobToken is the runtime token of the job with backend id job in this
// workflow run (Token is JobBackendID's): an unsigned JWT whose scp claim
// holds the ids. The same job always gets the same token.
func (s *Server) JobToken(job string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok, ids := range s.tokens {
		if ids == (jobIDs{s.RunBackendID, job}) {
			return tok
		}
	}
	tok := makeToken(s.RunBackendID, job)
	s.tokens[tok] = jobIDs{s.RunBackendID, job}
	return tok
}

// Env is the environment a client in a workflow run would see.
func (s *Server) Env() map[string]string { return s.JobEnv(s.JobBackendID) }

// JobEnv is the environment of the job with backend id job in this run (a
// shard of a matrix, say).
func (s *Server) JobEnv(job string) map[string]string {
	return map[string]string{
		"ACTIONS_RUNTIME_TOKEN": s.JobToken(job),
		"ACTIONS_RESULTS_URL":   s.URL,
	}
}

// Getenv returns a getenv that answers Env() and falls back to base (which
// may be nil).
func (s *Server) Getenv(base func(string) string) func(string) string {
	return s.JobGetenv(s.JobBackendID, base)
}

// JobGetenv is Getenv for the job with backend id job.
func (s *Server) JobGetenv(job string, base func(string) string) func(string) string {
	env := s.JobEnv(job)
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

// Artifact returns this run's artifact of that name.
func (s *Server) Artifact(name string) (Artifact, bool) {
	for _, a := range s.Artifacts() {
		if a.Name == name && a.RunBackendID == s.RunBackendID {
			return a, true
		}
	}
	return Artifact{}, false
}

// AddZip stores zip as a finalized artifact of this run uploaded by its job
// JobBackendID, as if a client had uploaded it, and returns it. It panics if
// the run already has an artifact of that name.
func (s *Server) AddZip(name string, zip []byte) Artifact {
	return s.AddZipAs(s.RunBackendID, s.JobBackendID, name, zip)
}

// AddZipAs is AddZip for an artifact uploaded by job of run: another job of
// this run, or, with another run id, an artifact this run must not see.
func (s *Server) AddZipAs(run, job, name string, zip []byte) Artifact {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.find(run, name) != nil {
		panic(fmt.Sprintf("artifacttest: run %s already has an artifact %q", run, name))
	}
	a, b := s.newArtifact(jobIDs{run, job}, name)
	b.staged, b.files = nil, nil
	if err := s.store(a, zip); err != nil {
		panic(fmt.Sprintf("artifacttest: %v", err))
	}
	sum := sha256.Sum256(zip)
	a.Size, a.Digest = int64(len(zip)), "sha256:"+hex.EncodeToString(sum[:])
	a.Committed, a.Finalized, a.CreatedAt = true, true, time.Now().UTC()
	a.ContentType = "zip"
	return *a
}

// store keeps data as a's committed blob, in memory or in Options.Dir.
func (s *Server) store(a *Artifact, data []byte) error {
	if s.opts.Dir == "" {
		a.data = append([]byte(nil), data...)
		return nil
	}
	a.Path = filepath.Join(s.opts.Dir, fmt.Sprintf("%d-%s.zip", a.ID, a.Name))
	return os.WriteFile(a.Path, data, 0o644)
}

// Corrupt replaces the stored bytes of this run's artifact name with what
// edit makes of them, leaving the size and digest it was listed with as they
// were: storage rot, or tampering, under a client that trusts the listing.
func (s *Server) Corrupt(name string, edit func([]byte) []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.find(s.RunBackendID, name)
	if a == nil || !a.Committed {
		return fmt.Errorf("artifacttest: no stored artifact %q", name)
	}
	data, err := a.Bytes()
	if err != nil {
		return err
	}
	return s.store(a, edit(append([]byte(nil), data...)))
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
		if rw, ok := w.(*recorder); ok {
			rw.sync()
		}
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

// track enters rec among the requests as it arrives and returns w wrapped
// so that rec's state is copied there again when the answer starts (and by
// the returned func at the end): a client holding its answer finds its
// request recorded, fault and status included.
func (s *Server) track(w http.ResponseWriter, rec *Request) (*recorder, func()) {
	s.mu.Lock()
	i := len(s.requests)
	s.requests = append(s.requests, *rec)
	s.mu.Unlock()
	sync := func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.requests[i] = *rec
	}
	return &recorder{ResponseWriter: w, sync: sync}, sync
}

// recorder is a ResponseWriter that syncs a request's record before the
// first byte of the answer, and before the connection is dropped.
type recorder struct {
	http.ResponseWriter
	sync func()
}

func (r *recorder) WriteHeader(code int) {
	r.sync()
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.sync()
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	r.sync()
	hj, ok := r.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("artifacttest: the connection cannot be hijacked")
	}
	return hj.Hijack()
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

// listReq is ListArtifactsRequest: the filters are wrapper types, which
// proto3 JSON writes as bare values (a string; an int64 as a string or a
// number).
type listReq struct {
	WorkflowRunBackendID    string          `json:"workflow_run_backend_id"`
	WorkflowJobRunBackendID string          `json:"workflow_job_run_backend_id"`
	NameFilter              *string         `json:"name_filter"`
	IDFilter                json.RawMessage `json:"id_filter"`
}

type signedURLReq struct {
	WorkflowRunBackendID    string `json:"workflow_run_backend_id"`
	WorkflowJobRunBackendID string `json:"workflow_job_run_backend_id"`
	Name                    string `json:"name"`
}

// twirpOps are the methods the fake serves.
var twirpOps = map[string]Op{
	string(OpCreate): OpCreate, string(OpFinalize): OpFinalize,
	string(OpList): OpList, string(OpSignedURL): OpSignedURL,
}

func (s *Server) serveTwirp(rw http.ResponseWriter, r *http.Request) {
	rec := &Request{Op: OpOther, Method: r.Method, Path: r.URL.Path}
	w, done := s.track(rw, rec)
	defer done()
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	rec.Bytes = len(body)
	if err != nil {
		return
	}
	if method, ok := strings.CutPrefix(r.URL.Path, twirpPrefix); ok {
		if op, ok := twirpOps[method]; ok {
			rec.Op = op
		}
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
	json.NewEncoder(w).Encode(s.fieldNames(answer))
}

// fieldNames renames the keys of an answer, nested ones too, to lowerCamel
// when the options ask for it.
func (s *Server) fieldNames(v any) any {
	if !s.opts.CamelCase {
		return v
	}
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[camel(k)] = s.fieldNames(x)
		}
		return out
	case []map[string]any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = s.fieldNames(x)
		}
		return out
	}
	return v
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
	tok, bearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	who, known := s.tokens[tok]
	if !bearer || !known {
		s.violate("%s without the runtime token as bearer token", rec.Op)
		return twirpErr(http.StatusUnauthorized, "unauthenticated", "invalid token")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	decode := func(v any) (int, map[string]any, bool) {
		if err := dec.Decode(v); err != nil {
			s.violate("%s body: %v", rec.Op, err)
			st, a := twirpErr(http.StatusBadRequest, "malformed", "the json request could not be decoded: %v", err)
			return st, a, false
		}
		return 0, nil, true
	}
	switch rec.Op {
	case OpCreate:
		var req createReq
		if st, a, ok := decode(&req); !ok {
			return st, a
		}
		rec.Artifact = req.Name
		return s.create(who, req)
	case OpFinalize:
		var req finalizeReq
		if st, a, ok := decode(&req); !ok {
			return st, a
		}
		rec.Artifact = req.Name
		return s.finalize(who, req)
	case OpList:
		var req listReq
		if st, a, ok := decode(&req); !ok {
			return st, a
		}
		if req.NameFilter != nil {
			rec.Artifact = *req.NameFilter
		}
		return s.list(who, req)
	default:
		var req signedURLReq
		if st, a, ok := decode(&req); !ok {
			return st, a
		}
		rec.Artifact = req.Name
		return s.signedURL(who, req)
	}
}

// checkIDs refuses ids other than those of the caller's token.
func (s *Server) checkIDs(op Op, who jobIDs, run, job string) (int, map[string]any, bool) {
	if run != who.run || job != who.job {
		s.violate("%s with backend ids %q/%q, want those of the token's scp claim", op, run, job)
		st, a := twirpErr(http.StatusForbidden, "permission_denied", "backend ids do not match the token")
		return st, a, false
	}
	return 0, nil, true
}

// find returns the artifact of that name in run, nil when there is none.
func (s *Server) find(run, name string) *Artifact {
	for _, a := range s.artifacts {
		if a.RunBackendID == run && a.Name == name {
			return a
		}
	}
	return nil
}

func (s *Server) create(who jobIDs, req createReq) (int, map[string]any) {
	if st, a, ok := s.checkIDs(OpCreate, who, req.WorkflowRunBackendID, req.WorkflowJobRunBackendID); !ok {
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
	if s.find(who.run, req.Name) != nil {
		return twirpErr(http.StatusConflict, "already_exists", "an artifact with this name already exists on the workflow run")
	}
	a, b := s.newArtifact(who, req.Name)
	a.ExpiresAt = expires
	a.SignedURL = s.signed(a, b.sig, "racwt")
	return http.StatusOK, map[string]any{"ok": true, "signed_upload_url": a.SignedURL}
}

// newArtifact adds an artifact of the job who and the blob behind it.
func (s *Server) newArtifact(who jobIDs, name string) (*Artifact, *blob) {
	a := &Artifact{ID: s.nextID, Name: name, RunBackendID: who.run, JobBackendID: who.job}
	s.nextID++
	s.artifacts = append(s.artifacts, a)
	b := &blob{art: a, sig: randomSig(), readSig: randomSig(), staged: map[string][]byte{}, files: map[string]string{}}
	s.blobs[blobPath(a)] = b
	return a, b
}

func blobPath(a *Artifact) string {
	return fmt.Sprintf("/actions-results/%s/workflow-job-run-%s/artifacts/%d.zip", a.RunBackendID, a.JobBackendID, a.ID)
}

// signed is a SAS URL of a's blob with signature sig and permissions sp.
func (s *Server) signed(a *Artifact, sig, sp string) string {
	now := time.Now().UTC()
	return fmt.Sprintf("%s%s?sig=%s&se=%s&sp=%s&spr=https&sr=b&st=%s&sv=2023-11-03",
		s.blobSrv.URL, blobPath(a), urlEscape(sig), now.Add(6*time.Hour).Format("2006-01-02T15:04:05Z"),
		sp, now.Format("2006-01-02T15:04:05Z"))
}

func (s *Server) finalize(who jobIDs, req finalizeReq) (int, map[string]any) {
	if st, a, ok := s.checkIDs(OpFinalize, who, req.WorkflowRunBackendID, req.WorkflowJobRunBackendID); !ok {
		return st, a
	}
	a := s.find(who.run, req.Name)
	switch {
	case a == nil:
		s.violate("FinalizeArtifact of %q, which was never created", req.Name)
		return twirpErr(http.StatusNotFound, "not_found", "artifact not found")
	case a.JobBackendID != who.job:
		s.violate("FinalizeArtifact of %q by job %q; job %q created it", req.Name, who.job, a.JobBackendID)
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
	a.CreatedAt = time.Now().UTC()
	// int64 in proto3 JSON: a string.
	return http.StatusOK, map[string]any{"ok": true, "artifact_id": strconv.FormatInt(a.ID, 10)}
}

// list answers the finalized artifacts of the caller's run (every job's),
// newest first: a client that needs an order sorts.
func (s *Server) list(who jobIDs, req listReq) (int, map[string]any) {
	if st, a, ok := s.checkIDs(OpList, who, req.WorkflowRunBackendID, req.WorkflowJobRunBackendID); !ok {
		return st, a
	}
	var idFilter int64 = -1
	if len(req.IDFilter) > 0 && string(req.IDFilter) != "null" {
		n, err := strconv.ParseInt(strings.Trim(string(req.IDFilter), `"`), 10, 64)
		if err != nil {
			s.violate("ListArtifacts id_filter %s is not an int64", req.IDFilter)
			return twirpErr(http.StatusBadRequest, "malformed", "bad id_filter %s", req.IDFilter)
		}
		idFilter = n
	}
	arts := []map[string]any{}
	for i := len(s.artifacts) - 1; i >= 0; i-- {
		a := s.artifacts[i]
		if a.RunBackendID != who.run || !a.Finalized ||
			req.NameFilter != nil && *req.NameFilter != a.Name ||
			idFilter >= 0 && idFilter != a.ID {
			continue
		}
		entry := map[string]any{
			"workflow_run_backend_id":     a.RunBackendID,
			"workflow_job_run_backend_id": a.JobBackendID,
			"database_id":                 strconv.FormatInt(a.ID, 10),
			"name":                        a.Name,
			"size":                        strconv.FormatInt(a.Size, 10),
			"created_at":                  a.CreatedAt.Format(time.RFC3339Nano),
			"digest":                      a.Digest,
		}
		if s.opts.Listing != nil {
			s.opts.Listing(entry)
		}
		arts = append(arts, entry)
	}
	return http.StatusOK, map[string]any{"artifacts": arts}
}

// signedURL hands out a read URL of an artifact, found under the ids of the
// job that uploaded it: the caller's own ids find only its own artifacts.
func (s *Server) signedURL(who jobIDs, req signedURLReq) (int, map[string]any) {
	if req.WorkflowRunBackendID != who.run {
		s.violate("GetSignedArtifactURL with run id %q, want the token's %q", req.WorkflowRunBackendID, who.run)
		return twirpErr(http.StatusForbidden, "permission_denied", "backend ids do not match the token")
	}
	a := s.find(who.run, req.Name)
	switch {
	case a == nil || !a.Finalized:
		return twirpErr(http.StatusNotFound, "not_found", "artifact not found")
	case a.JobBackendID != req.WorkflowJobRunBackendID:
		s.violate("GetSignedArtifactURL of %q with job id %q; job %q uploaded it: ask with the ids ListArtifacts gives",
			req.Name, req.WorkflowJobRunBackendID, a.JobBackendID)
		return twirpErr(http.StatusNotFound, "not_found", "artifact not found")
	}
	a.ReadURL = s.signed(a, s.blobs[blobPath(a)].readSig, "r")
	return http.StatusOK, map[string]any{"signed_url": a.ReadURL}
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

func (s *Server) serveBlob(rw http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rec := &Request{Op: OpOther, Method: r.Method, Path: r.URL.Path, BlockID: q.Get("blockid")}
	w, done := s.track(rw, rec)
	defer done()
	switch q.Get("comp") {
	case "block":
		rec.Op = OpBlock
	case "blocklist":
		rec.Op = OpBlockList
	case "":
		if r.Method == http.MethodGet {
			rec.Op = OpGetBlob
		}
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
	if f != nil && f.Truncate > 0 && rec.Op == OpGetBlob {
		s.truncate(w, rec, b, f.Truncate)
		return
	}
	if f != nil && rec.Op != OpOther {
		s.inject(w, r, f, rec, false)
		return
	}
	if rec.Op == OpGetBlob {
		s.getBlob(w, r, rec, b)
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

// getBlob serves Get Blob at a URL GetSignedArtifactURL handed out.
func (s *Server) getBlob(w http.ResponseWriter, r *http.Request, rec *Request, b *blob) {
	data, ctype, st, code, msg := s.readable(r, b)
	rec.Status = st
	if st != http.StatusOK {
		writeAzureError(w, st, code, msg)
		return
	}
	w.Header().Set("Content-Type", cmp.Or(ctype, "application/zip"))
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	rec.Bytes = len(data)
	w.WriteHeader(http.StatusOK)
	w.Write(data)
}

// readable checks a Get Blob request and returns the blob's bytes and
// content type, or the status and Azure error code and message.
func (s *Server) readable(r *http.Request, b *blob) (data []byte, ctype string, st int, code, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch sig := r.URL.Query().Get("sig"); {
	case b == nil:
		s.violate("Get Blob of %s, which no GetSignedArtifactURL handed out", r.URL.Path)
		return nil, "", http.StatusNotFound, "ResourceNotFound", "The specified resource does not exist."
	case r.Header.Get("Authorization") != "":
		// The runtime token would leak to the storage account, and Azure
		// refuses a request that carries a SAS and a second credential.
		s.violate("Get Blob of %q with an Authorization header: the signed URL is the only credential", b.art.Name)
		return nil, "", http.StatusForbidden, "AuthenticationFailed", "Server failed to authenticate the request."
	case sig == "" || sig != b.readSig:
		s.violate("Get Blob of %q without the signature of a URL GetSignedArtifactURL handed out", b.art.Name)
		return nil, "", http.StatusForbidden, "AuthenticationFailed", "Signature did not match."
	case !b.art.Finalized:
		return nil, "", http.StatusNotFound, "BlobNotFound", "The specified blob does not exist."
	}
	data, err := b.art.Bytes()
	if err != nil {
		return nil, "", http.StatusInternalServerError, "InternalError", err.Error()
	}
	return data, b.art.ContentType, http.StatusOK, "", ""
}

// truncate answers a Get Blob with the blob's full length but only its
// first n bytes, then closes the connection.
func (s *Server) truncate(w http.ResponseWriter, rec *Request, b *blob, n int) {
	rec.Fault = "truncate"
	var data []byte
	if b != nil {
		s.mu.Lock()
		data, _ = b.art.Bytes()
		s.mu.Unlock()
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	rec.Status, rec.Bytes = http.StatusOK, min(n, len(data))
	w.WriteHeader(http.StatusOK)
	w.Write(data[:rec.Bytes])
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
		}
	}
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
