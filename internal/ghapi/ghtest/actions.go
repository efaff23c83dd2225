package ghtest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Run is a workflow run as the server holds it.
type Run struct {
	ID, WorkflowID int64
	WorkflowFile   string // "ci.yml": the file name GitHub takes in place of the id
	RunNumber      int
	RunAttempt     int    // 1 when 0
	Event          string // "push", "pull_request", …
	HeadBranch     string
	HeadSHA        string
	Status         string // "completed" when ""
	Conclusion     string // "success", "failure", …; none until completed
	Owner, Repo    string
	// HeadRepo is "owner/name" of the head repository when it is not
	// Owner/Repo: a fork's pull request, listed under the fork's branch
	// name.
	HeadRepo  string
	CreatedAt time.Time // when added, if zero
}

type artifact struct {
	ID, RunID int64
	Name      string
	Zip       []byte
	// Stored, when set, is what the storage host serves instead of Zip
	// (whose size and digest the API still lists): bytes changed in
	// storage or on the way.
	Stored    []byte
	Expired   bool
	CreatedAt time.Time
}

// The run status filter's values, as documented: "Returns workflow runs
// with the check run status or conclusion that you specify."
var runStatusFilter = map[string]bool{
	"completed": true, "action_required": true, "cancelled": true, "failure": true,
	"neutral": true, "skipped": true, "stale": true, "success": true, "timed_out": true,
	"in_progress": true, "queued": true, "requested": true, "waiting": true, "pending": true,
}

// signedURLLife is how long a download redirect's URL is good for: "This
// URL expires after 1 minute."
const signedURLLife = time.Minute

// AddRun records a workflow run and returns its id (a new one when r.ID is 0).
func (s *Server) AddRun(r Run) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.ID == 0 {
		s.nextID++
		r.ID = s.nextID
	}
	if r.Status == "" {
		r.Status = "completed"
	}
	if r.RunAttempt == 0 {
		r.RunAttempt = 1
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = s.now().UTC().Truncate(time.Second)
	}
	s.runs = append(s.runs, &r)
	return r.ID
}

// AddArtifact uploads zip as run runID's artifact name and returns its id.
// An expired artifact is still listed, as on GitHub, but its download
// answers 410.
func (s *Server) AddArtifact(runID int64, name string, zip []byte, expired bool) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	s.artifacts = append(s.artifacts, &artifact{
		ID: s.nextID, RunID: runID, Name: name, Zip: append([]byte(nil), zip...),
		Expired: expired, CreatedAt: s.now().UTC().Truncate(time.Second),
	})
	return s.nextID
}

// ReplaceStored makes the storage host serve zip for artifact id from now
// on, while the API goes on listing the size and digest of what was
// uploaded: an artifact changed after its upload.
func (s *Server) ReplaceStored(id int64, zip []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.artifacts {
		if a.ID == id {
			a.Stored = append([]byte(nil), zip...)
		}
	}
}

// BlobURL is the storage host's root.
func (s *Server) BlobURL() string { return s.blob.URL }

// BlobRequests returns every request the storage host received, in arrival
// order (they are not in Requests or Count, which are the API host's).
func (s *Server) BlobRequests() []Request {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return append([]Request(nil), s.blobReqs...)
}

// Violations describes every request that brought a credential to the
// storage host: an Authorization header, or a token the API host had seen
// anywhere in the request.
func (s *Server) Violations() []string {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return append([]string(nil), s.violations...)
}

func (s *Server) findRun(owner, repo string, id int64) *Run {
	for _, r := range s.runs {
		if r.ID == id && strings.EqualFold(r.Owner, owner) && strings.EqualFold(r.Repo, repo) {
			return r
		}
	}
	return nil
}

func notFound(w http.ResponseWriter) {
	writeJSON(w, 404, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
}

func (s *Server) runJSON(r *Run) map[string]any {
	api := fmt.Sprintf("%s/api/v3/repos/%s/%s/actions/runs/%d", s.srv.URL, r.Owner, r.Repo, r.ID)
	head := r.HeadRepo
	if head == "" {
		head = r.Owner + "/" + r.Repo
	}
	out := map[string]any{
		"id":             r.ID,
		"node_id":        fmt.Sprintf("WFR_%d", r.ID),
		"name":           strings.TrimSuffix(strings.TrimSuffix(r.WorkflowFile, ".yml"), ".yaml"),
		"path":           ".github/workflows/" + r.WorkflowFile,
		"workflow_id":    r.WorkflowID,
		"run_number":     r.RunNumber,
		"run_attempt":    r.RunAttempt,
		"event":          r.Event,
		"head_branch":    r.HeadBranch,
		"head_sha":       r.HeadSHA,
		"status":         r.Status,
		"conclusion":     nil,
		"url":            api,
		"html_url":       fmt.Sprintf("%s/%s/%s/actions/runs/%d", s.srv.URL, r.Owner, r.Repo, r.ID),
		"artifacts_url":  api + "/artifacts",
		"created_at":     r.CreatedAt.Format(time.RFC3339),
		"updated_at":     r.CreatedAt.Format(time.RFC3339),
		"run_started_at": r.CreatedAt.Format(time.RFC3339),
		"pull_requests":  []any{},
		"repository":     map[string]any{"full_name": r.Owner + "/" + r.Repo, "name": r.Repo},
		"head_repository": map[string]any{
			"full_name": head, "name": head[strings.LastIndex(head, "/")+1:],
		},
	}
	if r.Status == "completed" {
		out["conclusion"] = r.Conclusion
	}
	return out
}

func (s *Server) getRun(w http.ResponseWriter, args []string) {
	id, _ := strconv.ParseInt(args[2], 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.findRun(args[0], args[1], id)
	if r == nil {
		notFound(w)
		return
	}
	writeJSON(w, 200, s.runJSON(r))
}

// listWorkflowRuns: the workflow by id or file name, the filters branch,
// event, head_sha and status (a status or a conclusion), newest first.
func (s *Server) listWorkflowRuns(w http.ResponseWriter, r *http.Request, args []string) {
	owner, repo, workflow := args[0], args[1], args[2]
	if f, err := url.PathUnescape(workflow); err == nil {
		workflow = f
	}
	q := r.URL.Query()
	status := q.Get("status")
	if status != "" && !runStatusFilter[status] {
		// Stricter than GitHub may be, so that a misspelt filter in a
		// client shows here rather than as an empty list.
		validation(w, "WorkflowRun", "status", "status is not included in the list")
		return
	}
	byID, idErr := strconv.ParseInt(workflow, 10, 64)
	page, perPage := paging(r)

	s.mu.Lock()
	known := false
	var all []*Run
	for _, run := range s.runs {
		if !strings.EqualFold(run.Owner, owner) || !strings.EqualFold(run.Repo, repo) {
			continue
		}
		if (idErr == nil && run.WorkflowID != byID) || (idErr != nil && run.WorkflowFile != workflow) {
			continue
		}
		known = true
		if b := q.Get("branch"); b != "" && run.HeadBranch != b {
			continue
		}
		if e := q.Get("event"); e != "" && run.Event != e {
			continue
		}
		if h := q.Get("head_sha"); h != "" && !strings.EqualFold(run.HeadSHA, h) {
			continue
		}
		if status != "" && run.Status != status && (run.Status != "completed" || run.Conclusion != status) {
			continue
		}
		all = append(all, run)
	}
	if !known {
		s.mu.Unlock()
		notFound(w) // no such workflow
		return
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].ID > all[j].ID })
	from, to := pageBounds(page, perPage, len(all))
	items := make([]map[string]any, 0, to-from)
	for _, run := range all[from:to] {
		items = append(items, s.runJSON(run))
	}
	s.mu.Unlock()
	setLinks(w, r, page, perPage, len(all))
	writeJSON(w, 200, map[string]any{"total_count": len(all), "workflow_runs": items})
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func (s *Server) artifactJSON(a *artifact, run *Run) map[string]any {
	api := fmt.Sprintf("%s/api/v3/repos/%s/%s/actions/artifacts/%d", s.srv.URL, run.Owner, run.Repo, a.ID)
	return map[string]any{
		"id":                   a.ID,
		"node_id":              fmt.Sprintf("MDg6QXJ0aWZhY3Q%d", a.ID),
		"name":                 a.Name,
		"size_in_bytes":        len(a.Zip),
		"url":                  api,
		"archive_download_url": api + "/zip",
		"expired":              a.Expired,
		"digest":               digest(a.Zip),
		"created_at":           a.CreatedAt.Format(time.RFC3339),
		"updated_at":           a.CreatedAt.Format(time.RFC3339),
		"expires_at":           a.CreatedAt.Add(90 * 24 * time.Hour).Format(time.RFC3339),
		"workflow_run": map[string]any{
			"id": run.ID, "head_branch": run.HeadBranch, "head_sha": run.HeadSHA,
		},
	}
}

func (s *Server) listRunArtifacts(w http.ResponseWriter, r *http.Request, args []string) {
	id, _ := strconv.ParseInt(args[2], 10, 64)
	name := r.URL.Query().Get("name")
	page, perPage := paging(r)
	s.mu.Lock()
	run := s.findRun(args[0], args[1], id)
	if run == nil {
		s.mu.Unlock()
		notFound(w)
		return
	}
	var all []*artifact
	for _, a := range s.artifacts {
		if a.RunID == id && (name == "" || a.Name == name) {
			all = append(all, a)
		}
	}
	from, to := pageBounds(page, perPage, len(all))
	items := make([]map[string]any, 0, to-from)
	for _, a := range all[from:to] {
		items = append(items, s.artifactJSON(a, run))
	}
	s.mu.Unlock()
	setLinks(w, r, page, perPage, len(all))
	writeJSON(w, 200, map[string]any{"total_count": len(all), "artifacts": items})
}

// blobPath is where an artifact's zip lives on the storage host.
func blobPath(a *artifact) string {
	return fmt.Sprintf("/actions-results/run-%d/artifact-%d.zip", a.RunID, a.ID)
}

// sign is the signature of a storage URL: an HMAC of its path, expiry and
// permission under the server's key.
func (s *Server) sign(path, se, sp string) string {
	m := hmac.New(sha256.New, s.signKey)
	fmt.Fprintf(m, "%s\n%s\n%s", path, se, sp)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// downloadArtifact answers as GitHub documents: 302 with the signed URL in
// Location, or 410 Gone for an expired artifact.
func (s *Server) downloadArtifact(w http.ResponseWriter, args []string) {
	id, _ := strconv.ParseInt(args[2], 10, 64)
	s.mu.Lock()
	var a *artifact
	for _, x := range s.artifacts {
		if x.ID == id && s.findRun(args[0], args[1], x.RunID) != nil {
			a = x
		}
	}
	now := s.now().UTC()
	s.mu.Unlock()
	switch {
	case a == nil:
		notFound(w)
		return
	case a.Expired:
		writeJSON(w, 410, map[string]any{
			"message":           "Artifact has expired",
			"documentation_url": "https://docs.github.com/rest/actions/artifacts#download-an-artifact",
			"status":            "410",
		})
		return
	}
	path := blobPath(a)
	se := now.Add(signedURLLife).Format(time.RFC3339)
	q := url.Values{
		"sv": {"2025-01-05"}, "sr": {"b"}, "sp": {"r"},
		"st": {now.Format(time.RFC3339)}, "se": {se},
		"rscd": {fmt.Sprintf("attachment; filename=%q", a.Name+".zip")},
	}
	q.Set("sig", s.sign(path, se, "r"))
	w.Header().Set("Location", s.blob.URL+path+"?"+q.Encode())
	w.WriteHeader(http.StatusFound)
}

// azureError answers as Azure Storage does: the error code in a header and
// an XML body.
func azureError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("X-Ms-Error-Code", code)
	w.WriteHeader(status)
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>%s</Code><Message>%s\nRequestId:00000000-0000-0000-0000-000000000000\nTime:%s</Message></Error>",
		code, msg, time.Now().UTC().Format("2006-01-02T15:04:05.0000000Z"))
}

// Azure's words for the statuses a fault may inject into the storage host.
var azureCodes = map[int][2]string{
	500: {"InternalError", "The server encountered an internal error. Please retry the request."},
	503: {"ServerBusy", "The server is currently unable to receive requests. Please retry your request."},
}

// leaked names the credential a storage request carries, or "".
func (s *Server) leaked(r *http.Request) string {
	if r.Header.Get("Authorization") != "" {
		return "an Authorization header"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok := range s.seen {
		if strings.Contains(r.URL.String(), tok) {
			return "a token in the URL"
		}
		for k, vs := range r.Header {
			for _, v := range vs {
				if strings.Contains(v, tok) {
					return "a token in the " + k + " header"
				}
			}
		}
	}
	return ""
}

// serveBlob is the storage host: a signed GET gets the bytes. A request
// that also carries an Authorization header gets Azure's documented answer
// to authentication it cannot use, 400 InvalidAuthenticationInfo ("Authentication
// information is not given in the correct format. Check the value of
// Authorization header."), and is recorded as a violation.
func (s *Server) serveBlob(w http.ResponseWriter, r *http.Request) {
	leak := s.leaked(r)
	s.logMu.Lock()
	i := len(s.blobReqs)
	s.blobReqs = append(s.blobReqs, Request{
		Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Route: RouteBlob,
		Auth: r.Header.Get("Authorization") != "",
	})
	if leak != "" {
		s.violations = append(s.violations, fmt.Sprintf("%s %s reached the storage host with %s", r.Method, r.URL.Path, leak))
	}
	s.logMu.Unlock()
	rec := &recorder{ResponseWriter: w, status: 200, onStatus: func(code int) {
		s.logMu.Lock()
		if i < len(s.blobReqs) {
			s.blobReqs[i].Status = code
		}
		s.logMu.Unlock()
	}}

	s.mu.Lock()
	for _, f := range s.faults {
		if f.left > 0 && f.route == RouteBlob {
			f.left--
			fault := f.fault
			s.mu.Unlock()
			for k, vs := range fault.Header {
				rec.Header()[k] = vs
			}
			words, ok := azureCodes[fault.Status]
			if !ok {
				words = [2]string{strings.ReplaceAll(http.StatusText(fault.Status), " ", ""), http.StatusText(fault.Status)}
			}
			azureError(rec, fault.Status, words[0], words[1])
			return
		}
	}
	s.mu.Unlock()

	if r.Header.Get("Authorization") != "" {
		azureError(rec, 400, "InvalidAuthenticationInfo",
			"Authentication information is not given in the correct format. Check the value of Authorization header.")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		azureError(rec, 405, "UnsupportedHttpVerb", "The resource doesn't support specified Http Verb.")
		return
	}
	q := r.URL.Query()
	se, sp, sig := q.Get("se"), q.Get("sp"), q.Get("sig")
	exp, err := time.Parse(time.RFC3339, se)
	if sig == "" || err != nil || !hmac.Equal([]byte(sig), []byte(s.sign(r.URL.Path, se, sp))) || !strings.Contains(sp, "r") {
		azureError(rec, 403, "AuthenticationFailed",
			"Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.")
		return
	}
	s.mu.Lock()
	now := s.now()
	var (
		zip   []byte
		name  string
		found bool
	)
	for _, a := range s.artifacts {
		if blobPath(a) == r.URL.Path {
			zip, name, found = a.Zip, a.Name, true
			if a.Stored != nil {
				zip = a.Stored
			}
		}
	}
	s.mu.Unlock()
	if now.After(exp) {
		azureError(rec, 403, "AuthenticationFailed",
			"Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.")
		return
	}
	if !found {
		azureError(rec, 404, "BlobNotFound", "The specified blob does not exist.")
		return
	}
	rec.Header().Set("Content-Type", "zip")
	rec.Header().Set("Content-Length", strconv.Itoa(len(zip)))
	rec.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+".zip"))
	rec.Header().Set("X-Ms-Blob-Type", "BlockBlob")
	rec.WriteHeader(200)
	if r.Method == http.MethodGet {
		rec.Write(zip)
	}
}
