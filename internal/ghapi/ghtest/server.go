// Package ghtest is a loopback fake of the parts of the GitHub API that
// helios calls: issue comments, check runs, commit statuses, the GraphQL
// viewer, workflow runs and their artifacts. It keeps state (two runs see
// each other's comments), answers as the real service documents (status
// codes, error bodies, Link headers, the limits that give 422), records
// every request, and can be told to fail a route a number of times the way
// GitHub fails in real life.
//
// The server accepts paths with or without the GitHub Enterprise Server
// prefix /api/v3, and GraphQL at /graphql and /api/graphql, so a client
// configured either way (GITHUB_API_URL pointing at the server root, or
// BaseURL set directly) talks to it.
//
// Artifact downloads are redirected to a second loopback server, the
// storage host, which serves signed URLs as Azure Blob Storage does and
// records a violation whenever a request reaches it with an Authorization
// header or a token the API host has seen.
package ghtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// Limits enforced as GitHub enforces them (with its own words). They are
// written here again on purpose rather than taken from markup's: the fake
// is an independent oracle, so a wrong or changed limit in markup is caught
// by the fake refusing what the reporters send, not copied into it.
const (
	maxCommentChars      = 65536 // "Body is too long (maximum is 65536 characters)"
	maxCheckOutputBytes  = 65535 // "summary exceeds a maximum bytesize of 65535": bytes, not characters
	maxAnnotations       = 50    // "No more than 50 items are allowed"
	maxStatusDescription = 140   // "description is too long (maximum is 140 characters)"
	defaultPerPage       = 30
	maxPerPage           = 100
)

// DefaultLogin is the author of everything a token creates unless the
// token was registered with AddToken: the workflow token's identity.
const DefaultLogin = "github-actions[bot]"

// Request is one request the server received.
type Request struct {
	Method string
	Path   string // without the /api/v3 prefix
	Query  string
	Route  string // "POST /repos/{owner}/{repo}/check-runs", "POST /graphql", …
	Status int    // what the server answered
	Auth   bool   // an Authorization header was present
}

// Comment is an issue comment as the server holds it.
type Comment struct {
	ID        int64
	Owner     string
	Repo      string
	Issue     int
	Login     string
	Body      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Annotation is a check-run annotation as received.
type Annotation struct {
	Path      string `json:"path"`
	StartLine int    `json:"start_line"`
	EndLine   int    `json:"end_line"`
	Level     string `json:"annotation_level"`
	Title     string `json:"title"`
	Message   string `json:"message"`
}

// CheckRun is a check run as the server holds it.
type CheckRun struct {
	ID          int64
	Owner       string
	Repo        string
	Name        string
	HeadSHA     string
	DetailsURL  string
	Status      string
	Conclusion  string
	Title       string
	Summary     string
	Text        string
	Annotations []Annotation
	Updates     int // PATCH requests received
}

// Status is a commit status as received.
type Status struct {
	Owner, Repo, SHA                       string
	State, Context, Description, TargetURL string
}

// Fault is a canned failure answer. Use the constructors.
type Fault struct {
	Status int
	Header http.Header
	Body   map[string]any
}

const docsRateLimits = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api"

// ServerError is a 500 with GitHub's empty-ish error body.
func ServerError() Fault {
	return Fault{Status: 500, Body: map[string]any{"message": "Server Error"}}
}

// BadGateway is a 502, as GitHub's front end answers when a backend times out.
func BadGateway() Fault {
	return Fault{Status: 502, Body: map[string]any{"message": "Server Error"}}
}

// SecondaryRateLimit is a 403 secondary rate limit, with Retry-After in
// whole seconds when retryAfter > 0.
func SecondaryRateLimit(retryAfter time.Duration) Fault {
	h := http.Header{}
	if retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int(retryAfter/time.Second)))
	}
	return Fault{Status: 403, Header: h, Body: map[string]any{
		"message":           "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
		"documentation_url": docsRateLimits + "#about-secondary-rate-limits",
	}}
}

// TooManyRequests is a 429, with Retry-After when retryAfter > 0.
func TooManyRequests(retryAfter time.Duration) Fault {
	f := SecondaryRateLimit(retryAfter)
	f.Status = 429
	return f
}

// PrimaryRateLimit is a 403 with x-ratelimit-remaining 0 and the reset time.
func PrimaryRateLimit(reset time.Time) Fault {
	h := http.Header{}
	h.Set("X-RateLimit-Limit", "1000")
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Used", "1000")
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	return Fault{Status: 403, Header: h, Body: map[string]any{
		"message":           "API rate limit exceeded for installation.",
		"documentation_url": docsRateLimits + "#about-the-primary-rate-limit",
	}}
}

// NotFound is GitHub's 404, which is also its answer to a token that may
// not see the resource.
func NotFound() Fault {
	return Fault{Status: 404, Body: map[string]any{
		"message": "Not Found", "documentation_url": "https://docs.github.com/rest",
	}}
}

// NotAccessible is the 403 a workflow token gets without the permission.
func NotAccessible() Fault {
	return Fault{Status: 403, Body: map[string]any{
		"message":           "Resource not accessible by integration",
		"documentation_url": "https://docs.github.com/rest",
		"status":            "403",
	}}
}

type injected struct {
	route string // "" matches every route
	left  int
	fault Fault
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	srv  *httptest.Server
	blob *httptest.Server // the storage host of artifact downloads

	logMu      sync.Mutex // guards requests, counts, blobReqs and violations
	requests   []Request
	counts     map[string]int
	blobReqs   []Request
	violations []string

	mu        sync.Mutex
	faults    []*injected
	tokens    map[string]string
	nextID    int64
	comments  []*Comment
	checkRuns []*CheckRun
	statuses  []Status
	pulls     []Pull
	runs      []*Run
	artifacts []*artifact
	seen      map[string]bool // tokens that reached the API host
	signKey   []byte          // signs the storage URLs
	now       func() time.Time
	hook      func(route string)
}

// NewServer starts a fake on a loopback port; it is closed when the test ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		counts:  map[string]int{},
		tokens:  map[string]string{},
		seen:    map[string]bool{},
		signKey: []byte(fmt.Sprintf("ghtest-%d", time.Now().UnixNano())),
		nextID:  1000,
		now:     time.Now,
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	s.blob = httptest.NewServer(http.HandlerFunc(s.serveBlob))
	t.Cleanup(s.blob.Close)
	return s
}

// URL is the server's root, usable as GITHUB_API_URL (the client adds
// /api/v3/ as for GitHub Enterprise Server) or as a BaseURL.
func (s *Server) URL() string { return s.srv.URL }

// AddToken makes requests with token act as login; unknown tokens act as
// DefaultLogin. A request without a token gets 401.
func (s *Server) AddToken(token, login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = login
}

// OnRequest sets a hook called with the route of every request before it is
// handled and outside the server's lock, so it may block (tests use it to
// line up concurrent requests).
func (s *Server) OnRequest(hook func(route string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = hook
}

// Inject makes the next times requests to route (as in Request.Route; ""
// for any route of the API host) answer with f instead of being handled.
// RouteBlob injects into the storage host, which answers with f's status
// and headers and an Azure error body.
func (s *Server) Inject(route string, times int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &injected{route: route, left: times, fault: f})
}

// AddComment puts a comment on an issue or pull request as login and
// returns its id.
func (s *Server) AddComment(owner, repo string, issue int, login, body string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addComment(owner, repo, issue, login, body).ID
}

// Pull is an open pull request of the fake; Fork PRs' heads live in
// another repository, so the commit → pulls look-up does not find them, as
// on GitHub.
type Pull struct {
	Owner, Repo string
	Number      int
	HeadSHA     string
	Fork        bool
}

// AddPull opens a pull request.
func (s *Server) AddPull(p Pull) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pulls = append(s.pulls, p)
}

func (s *Server) listPulls(w http.ResponseWriter, args []string, sha string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, p := range s.pulls {
		if p.Owner != args[0] || p.Repo != args[1] || (sha != "" && (p.Fork || !strings.EqualFold(p.HeadSHA, sha))) {
			continue
		}
		out = append(out, map[string]any{
			"number": p.Number, "state": "open",
			"head": map[string]any{"sha": p.HeadSHA},
		})
	}
	writeJSON(w, 200, out)
}

// Requests returns every request so far, in arrival order.
func (s *Server) Requests() []Request {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count returns how many requests a route received ("" for all, GraphQL
// included).
func (s *Server) Count(route string) int {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	if route == "" {
		return len(s.requests)
	}
	return s.counts[route]
}

// Counts returns the number of requests per route.
func (s *Server) Counts() map[string]int {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	out := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// Reset forgets the request logs and counters (not the state, and not the
// violations: a token that reached the storage host is never forgotten).
func (s *Server) Reset() {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	s.requests = nil
	s.counts = map[string]int{}
	s.blobReqs = nil
}

// Comments returns the comments on an issue, oldest first.
func (s *Server) Comments(owner, repo string, issue int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Comment
	for _, c := range s.comments {
		if c.Owner == owner && c.Repo == repo && c.Issue == issue {
			out = append(out, *c)
		}
	}
	return out
}

// CheckRuns returns every check run, in creation order.
func (s *Server) CheckRuns() []CheckRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]CheckRun, 0, len(s.checkRuns))
	for _, c := range s.checkRuns {
		cc := *c
		cc.Annotations = append([]Annotation(nil), c.Annotations...)
		out = append(out, cc)
	}
	return out
}

// Statuses returns every commit status, in arrival order.
func (s *Server) Statuses() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Status(nil), s.statuses...)
}

// Routes, matched against the path without the /api/v3 prefix.
var routes = []struct {
	method, name string
	re           *regexp.Regexp
}{
	{"GET", "GET /repos/{owner}/{repo}/issues/{number}/comments", regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/issues/(\d+)/comments$`)},
	{"POST", "POST /repos/{owner}/{repo}/issues/{number}/comments", regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/issues/(\d+)/comments$`)},
	{"PATCH", "PATCH /repos/{owner}/{repo}/issues/comments/{id}", regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/issues/comments/(\d+)$`)},
	{"DELETE", "DELETE /repos/{owner}/{repo}/issues/comments/{id}", regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/issues/comments/(\d+)$`)},
	{"POST", "POST /repos/{owner}/{repo}/check-runs", regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/check-runs$`)},
	{"PATCH", "PATCH /repos/{owner}/{repo}/check-runs/{id}", regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/check-runs/(\d+)$`)},
	{"POST", "POST /repos/{owner}/{repo}/statuses/{sha}", regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/statuses/([0-9a-fA-F]+)$`)},
	{"POST", "POST /graphql", regexp.MustCompile(`^/(?:api/)?graphql$`)},
	{"GET", "GET /repos/{owner}/{repo}/commits/{sha}/pulls", regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/commits/([0-9a-fA-F]+)/pulls$`)},
	{"GET", "GET /repos/{owner}/{repo}/pulls", regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/pulls$`)},
	{"GET", "GET /repos/{owner}/{repo}/actions/runs/{id}", regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/actions/runs/(\d+)$`)},
	{"GET", "GET /repos/{owner}/{repo}/actions/workflows/{workflow}/runs", regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/actions/workflows/([^/]+)/runs$`)},
	{"GET", "GET /repos/{owner}/{repo}/actions/runs/{id}/artifacts", regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/actions/runs/(\d+)/artifacts$`)},
	{"GET", "GET /repos/{owner}/{repo}/actions/artifacts/{id}/zip", regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/actions/artifacts/(\d+)/zip$`)},
}

// Route names, for Inject and Count.
const (
	RouteListComments  = "GET /repos/{owner}/{repo}/issues/{number}/comments"
	RouteCreateComment = "POST /repos/{owner}/{repo}/issues/{number}/comments"
	RouteUpdateComment = "PATCH /repos/{owner}/{repo}/issues/comments/{id}"
	RouteDeleteComment = "DELETE /repos/{owner}/{repo}/issues/comments/{id}"
	RouteCreateCheck   = "POST /repos/{owner}/{repo}/check-runs"
	RouteUpdateCheck   = "PATCH /repos/{owner}/{repo}/check-runs/{id}"
	RouteCreateStatus  = "POST /repos/{owner}/{repo}/statuses/{sha}"
	RouteGraphQL       = "POST /graphql"
	RouteCommitPulls   = "GET /repos/{owner}/{repo}/commits/{sha}/pulls"
	RouteListPulls     = "GET /repos/{owner}/{repo}/pulls"

	RouteGetRun           = "GET /repos/{owner}/{repo}/actions/runs/{id}"
	RouteWorkflowRuns     = "GET /repos/{owner}/{repo}/actions/workflows/{workflow}/runs"
	RouteRunArtifacts     = "GET /repos/{owner}/{repo}/actions/runs/{id}/artifacts"
	RouteDownloadArtifact = "GET /repos/{owner}/{repo}/actions/artifacts/{id}/zip"
	// RouteBlob is every request to the storage host; see BlobRequests.
	RouteBlob = "GET {storage}"
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/api/v3")
	route, args := "", []string(nil)
	for _, rt := range routes {
		if rt.method != r.Method {
			continue
		}
		if m := rt.re.FindStringSubmatch(path); m != nil {
			route, args = rt.name, m[1:]
			break
		}
	}
	if route == "" {
		route = r.Method + " " + path
	}

	s.mu.Lock()
	hook := s.hook
	if tok := tokenOf(r); tok != "" {
		s.seen[tok] = true // faulted requests too: the storage host must never see it
	}
	s.mu.Unlock()
	if hook != nil {
		hook(route)
	}

	// Counted before the answer goes out: a client that has its answer
	// may look at the counts at once.
	s.logMu.Lock()
	s.counts[route]++
	i := len(s.requests)
	s.requests = append(s.requests, Request{
		Method: r.Method, Path: path, Query: r.URL.RawQuery, Route: route,
		Auth: r.Header.Get("Authorization") != "",
	})
	s.logMu.Unlock()
	// Handlers may answer while holding s.mu, so the log has its own lock.
	rec := &recorder{ResponseWriter: w, status: 200, onStatus: func(code int) {
		s.logMu.Lock()
		if i < len(s.requests) { // a Reset meanwhile drops the record
			s.requests[i].Status = code
		}
		s.logMu.Unlock()
	}}
	s.handle(rec, r, route, path, args)
}

// tokenOf is the token of r's Authorization header, or "".
func tokenOf(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	for _, p := range []string{"Bearer ", "bearer ", "token "} {
		if strings.HasPrefix(auth, p) {
			return strings.TrimPrefix(auth, p)
		}
	}
	return ""
}

type recorder struct {
	http.ResponseWriter
	status   int
	onStatus func(int) // records the status before the answer leaves
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.onStatus(code)
	r.ResponseWriter.WriteHeader(code)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-GitHub-Media-Type", "github.v3; format=json")
	w.WriteHeader(status)
	if v != nil {
		json.NewEncoder(w).Encode(v)
	}
}

func validation(w http.ResponseWriter, resource, field, msg string) {
	writeJSON(w, 422, map[string]any{
		"message": "Validation Failed",
		"errors": []map[string]any{{
			"resource": resource, "code": "custom", "field": field, "message": msg,
		}},
		"documentation_url": "https://docs.github.com/rest",
	})
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request, route, path string, args []string) {
	s.mu.Lock()
	for _, f := range s.faults {
		if f.left > 0 && (f.route == "" || f.route == route) {
			f.left--
			fault := f.fault
			s.mu.Unlock()
			for k, vs := range fault.Header {
				w.Header()[k] = vs
			}
			writeJSON(w, fault.Status, fault.Body)
			return
		}
	}
	s.mu.Unlock()

	token := tokenOf(r)
	if token == "" {
		writeJSON(w, 401, map[string]any{"message": "Requires authentication", "documentation_url": "https://docs.github.com/rest"})
		return
	}
	s.mu.Lock()
	login, ok := s.tokens[token]
	s.mu.Unlock()
	if !ok {
		login = DefaultLogin
	}

	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		writeJSON(w, 400, map[string]any{"message": "Problems reading the body"})
		return
	}

	switch route {
	case RouteListComments:
		s.listComments(w, r, args)
	case RouteCreateComment:
		s.createComment(w, args, login, body)
	case RouteUpdateComment:
		s.updateComment(w, args, body)
	case RouteDeleteComment:
		s.deleteComment(w, args)
	case RouteCreateCheck:
		s.createCheckRun(w, args, body)
	case RouteUpdateCheck:
		s.updateCheckRun(w, args, body)
	case RouteCreateStatus:
		s.createStatus(w, args, body)
	case RouteGraphQL:
		s.graphql(w, login, body)
	case RouteCommitPulls:
		s.listPulls(w, args[:2], args[2])
	case RouteListPulls:
		s.listPulls(w, args, "")
	case RouteGetRun:
		s.getRun(w, args)
	case RouteWorkflowRuns:
		s.listWorkflowRuns(w, r, args)
	case RouteRunArtifacts:
		s.listRunArtifacts(w, r, args)
	case RouteDownloadArtifact:
		s.downloadArtifact(w, args)
	default:
		writeJSON(w, 404, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
	}
}

func (s *Server) addComment(owner, repo string, issue int, login, body string) *Comment {
	s.nextID++
	now := s.now().UTC().Truncate(time.Second)
	c := &Comment{ID: s.nextID, Owner: owner, Repo: repo, Issue: issue, Login: login, Body: body, CreatedAt: now, UpdatedAt: now}
	s.comments = append(s.comments, c)
	return c
}

func (s *Server) commentJSON(c *Comment) map[string]any {
	typ := "User"
	if strings.HasSuffix(c.Login, "[bot]") {
		typ = "Bot"
	}
	return map[string]any{
		"id":                 c.ID,
		"node_id":            fmt.Sprintf("IC_%d", c.ID),
		"url":                fmt.Sprintf("%s/api/v3/repos/%s/%s/issues/comments/%d", s.srv.URL, c.Owner, c.Repo, c.ID),
		"html_url":           fmt.Sprintf("%s/%s/%s/pull/%d#issuecomment-%d", s.srv.URL, c.Owner, c.Repo, c.Issue, c.ID),
		"issue_url":          fmt.Sprintf("%s/api/v3/repos/%s/%s/issues/%d", s.srv.URL, c.Owner, c.Repo, c.Issue),
		"body":               c.Body,
		"user":               map[string]any{"login": c.Login, "id": len(c.Login), "type": typ},
		"created_at":         c.CreatedAt.Format(time.RFC3339),
		"updated_at":         c.UpdatedAt.Format(time.RFC3339),
		"author_association": "NONE",
	}
}

func (s *Server) listComments(w http.ResponseWriter, r *http.Request, args []string) {
	owner, repo := args[0], args[1]
	issue, _ := strconv.Atoi(args[2])
	page, perPage := paging(r)

	s.mu.Lock()
	var all []*Comment
	for _, c := range s.comments {
		if c.Owner == owner && c.Repo == repo && c.Issue == issue {
			all = append(all, c)
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	from, to := pageBounds(page, perPage, len(all))
	items := make([]map[string]any, 0, to-from)
	for _, c := range all[from:to] {
		items = append(items, s.commentJSON(c))
	}
	s.mu.Unlock()

	setLinks(w, r, page, perPage, len(all))
	writeJSON(w, 200, items)
}

// paging reads per_page (default 30, at most 100) and page (from 1).
func paging(r *http.Request) (page, perPage int) {
	q := r.URL.Query()
	perPage = defaultPerPage
	if v, err := strconv.Atoi(q.Get("per_page")); err == nil && v > 0 {
		perPage = min(v, maxPerPage)
	}
	page = 1
	if v, err := strconv.Atoi(q.Get("page")); err == nil && v > 0 {
		page = v
	}
	return page, perPage
}

// pageBounds is the slice [from, to) of n items that page shows.
func pageBounds(page, perPage, n int) (from, to int) {
	from = min((page-1)*perPage, n)
	return from, min(from+perPage, n)
}

// setLinks sets the Link header as GitHub sends it: next and last while
// there are more pages, first and prev after the first.
func setLinks(w http.ResponseWriter, r *http.Request, page, perPage, n int) {
	last := max(1, (n+perPage-1)/perPage)
	link := func(p int, rel string) string {
		u := *r.URL
		u.Scheme, u.Host = "http", r.Host
		v := u.Query()
		v.Set("per_page", strconv.Itoa(perPage))
		v.Set("page", strconv.Itoa(p))
		u.RawQuery = v.Encode()
		return fmt.Sprintf(`<%s>; rel="%s"`, u.String(), rel)
	}
	var links []string
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"), link(page-1, "prev"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
}

func tooLong(s string, n int) bool { return utf8.RuneCountInString(s) > n }

func (s *Server) createComment(w http.ResponseWriter, args []string, login string, body []byte) {
	var in struct {
		Body *string `json:"body"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Body == nil {
		validation(w, "IssueComment", "body", "body wasn't supplied.")
		return
	}
	if tooLong(*in.Body, maxCommentChars) {
		validation(w, "IssueComment", "body", "Body is too long (maximum is 65536 characters)")
		return
	}
	issue, _ := strconv.Atoi(args[2])
	s.mu.Lock()
	c := s.addComment(args[0], args[1], issue, login, *in.Body)
	out := s.commentJSON(c)
	s.mu.Unlock()
	writeJSON(w, 201, out)
}

func (s *Server) findComment(owner, repo string, id int64) (int, *Comment) {
	for i, c := range s.comments {
		if c.ID == id && c.Owner == owner && c.Repo == repo {
			return i, c
		}
	}
	return -1, nil
}

func (s *Server) updateComment(w http.ResponseWriter, args []string, body []byte) {
	var in struct {
		Body *string `json:"body"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Body == nil {
		validation(w, "IssueComment", "body", "body wasn't supplied.")
		return
	}
	if tooLong(*in.Body, maxCommentChars) {
		validation(w, "IssueComment", "body", "Body is too long (maximum is 65536 characters)")
		return
	}
	id, _ := strconv.ParseInt(args[2], 10, 64)
	s.mu.Lock()
	_, c := s.findComment(args[0], args[1], id)
	if c == nil {
		s.mu.Unlock()
		writeJSON(w, 404, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
		return
	}
	c.Body = *in.Body
	c.UpdatedAt = s.now().UTC().Truncate(time.Second)
	out := s.commentJSON(c)
	s.mu.Unlock()
	writeJSON(w, 200, out)
}

func (s *Server) deleteComment(w http.ResponseWriter, args []string) {
	id, _ := strconv.ParseInt(args[2], 10, 64)
	s.mu.Lock()
	i, c := s.findComment(args[0], args[1], id)
	if c != nil {
		s.comments = append(s.comments[:i], s.comments[i+1:]...)
	}
	s.mu.Unlock()
	if c == nil {
		writeJSON(w, 404, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
		return
	}
	w.WriteHeader(204)
}

type checkOutput struct {
	Title       *string      `json:"title"`
	Summary     *string      `json:"summary"`
	Text        *string      `json:"text"`
	Annotations []Annotation `json:"annotations"`
}

type checkRequest struct {
	Name       *string      `json:"name"`
	HeadSHA    string       `json:"head_sha"`
	DetailsURL *string      `json:"details_url"`
	Status     *string      `json:"status"`
	Conclusion *string      `json:"conclusion"`
	Output     *checkOutput `json:"output"`
}

var (
	checkStatuses    = map[string]bool{"queued": true, "in_progress": true, "completed": true}
	checkConclusions = map[string]bool{"success": true, "failure": true, "neutral": true, "cancelled": true, "skipped": true, "timed_out": true, "action_required": true}
	annotationLevels = map[string]bool{"notice": true, "warning": true, "failure": true}
	statusStates     = map[string]bool{"error": true, "failure": true, "pending": true, "success": true}
)

// checkInvalid validates a create or update body as GitHub does, returning
// the 422 message or "".
func checkInvalid(in *checkRequest) string {
	if in.Status != nil && !checkStatuses[*in.Status] {
		return "status is not included in the list"
	}
	if in.Conclusion != nil && !checkConclusions[*in.Conclusion] {
		return "conclusion is not included in the list"
	}
	if in.Status != nil && *in.Status == "completed" && in.Conclusion == nil {
		return "conclusion can't be blank when status is completed"
	}
	if o := in.Output; o != nil {
		if o.Title == nil || o.Summary == nil {
			return "output title and summary are required"
		}
		if len(*o.Summary) > maxCheckOutputBytes {
			return "Invalid request.\n\nOnly 65535 characters are allowed; summary exceeds a maximum bytesize of 65535."
		}
		if o.Text != nil && len(*o.Text) > maxCheckOutputBytes {
			return "Invalid request.\n\nOnly 65535 characters are allowed; text exceeds a maximum bytesize of 65535."
		}
		if len(o.Annotations) > maxAnnotations {
			return fmt.Sprintf("Invalid request.\n\nNo more than 50 items are allowed; %d were supplied.", len(o.Annotations))
		}
		for _, a := range o.Annotations {
			if a.Path == "" || a.StartLine < 1 || a.EndLine < a.StartLine || !annotationLevels[a.Level] || a.Message == "" {
				return "Invalid request.\n\nAn annotation needs path, start_line, end_line >= start_line, annotation_level (notice, warning, failure) and message."
			}
		}
	}
	return ""
}

func (s *Server) checkRunJSON(c *CheckRun) map[string]any {
	out := map[string]any{
		"id":          c.ID,
		"node_id":     fmt.Sprintf("CR_%d", c.ID),
		"name":        c.Name,
		"head_sha":    c.HeadSHA,
		"status":      c.Status,
		"details_url": c.DetailsURL,
		"html_url":    fmt.Sprintf("%s/%s/%s/runs/%d", s.srv.URL, c.Owner, c.Repo, c.ID),
		"url":         fmt.Sprintf("%s/api/v3/repos/%s/%s/check-runs/%d", s.srv.URL, c.Owner, c.Repo, c.ID),
		"output": map[string]any{
			"title": c.Title, "summary": c.Summary, "text": c.Text,
			"annotations_count": len(c.Annotations),
		},
	}
	if c.Conclusion != "" {
		out["conclusion"] = c.Conclusion
	} else {
		out["conclusion"] = nil
	}
	return out
}

func applyCheck(c *CheckRun, in *checkRequest) {
	if in.Name != nil {
		c.Name = *in.Name
	}
	if in.DetailsURL != nil {
		c.DetailsURL = *in.DetailsURL
	}
	if in.Status != nil {
		c.Status = *in.Status
	}
	if in.Conclusion != nil {
		c.Conclusion = *in.Conclusion
		c.Status = "completed"
	}
	if o := in.Output; o != nil {
		c.Title, c.Summary = *o.Title, *o.Summary
		if o.Text != nil {
			c.Text = *o.Text
		}
		// Annotations are appended by every update, as GitHub documents.
		c.Annotations = append(c.Annotations, o.Annotations...)
	}
}

func (s *Server) createCheckRun(w http.ResponseWriter, args []string, body []byte) {
	var in checkRequest
	if err := json.Unmarshal(body, &in); err != nil {
		writeJSON(w, 400, map[string]any{"message": "Problems parsing JSON"})
		return
	}
	if in.Name == nil || *in.Name == "" || in.HeadSHA == "" {
		validation(w, "CheckRun", "name", "name and head_sha are required")
		return
	}
	if msg := checkInvalid(&in); msg != "" {
		writeJSON(w, 422, map[string]any{"message": msg, "documentation_url": "https://docs.github.com/rest/checks/runs#create-a-check-run"})
		return
	}
	s.mu.Lock()
	s.nextID++
	c := &CheckRun{ID: s.nextID, Owner: args[0], Repo: args[1], HeadSHA: in.HeadSHA, Status: "queued"}
	applyCheck(c, &in)
	s.checkRuns = append(s.checkRuns, c)
	out := s.checkRunJSON(c)
	s.mu.Unlock()
	writeJSON(w, 201, out)
}

func (s *Server) updateCheckRun(w http.ResponseWriter, args []string, body []byte) {
	var in checkRequest
	if err := json.Unmarshal(body, &in); err != nil {
		writeJSON(w, 400, map[string]any{"message": "Problems parsing JSON"})
		return
	}
	if msg := checkInvalid(&in); msg != "" {
		writeJSON(w, 422, map[string]any{"message": msg, "documentation_url": "https://docs.github.com/rest/checks/runs#update-a-check-run"})
		return
	}
	if in.Name != nil && *in.Name == "" {
		// go-github always sends name on update; an empty one would
		// rename the check run, which no client of ours may do.
		validation(w, "CheckRun", "name", "name can't be blank")
		return
	}
	id, _ := strconv.ParseInt(args[2], 10, 64)
	s.mu.Lock()
	var c *CheckRun
	for _, cr := range s.checkRuns {
		if cr.ID == id && cr.Owner == args[0] && cr.Repo == args[1] {
			c = cr
		}
	}
	if c == nil {
		s.mu.Unlock()
		writeJSON(w, 404, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
		return
	}
	c.Updates++
	applyCheck(c, &in)
	out := s.checkRunJSON(c)
	s.mu.Unlock()
	writeJSON(w, 200, out)
}

func (s *Server) createStatus(w http.ResponseWriter, args []string, body []byte) {
	var in struct {
		State       string `json:"state"`
		TargetURL   string `json:"target_url"`
		Description string `json:"description"`
		Context     string `json:"context"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		writeJSON(w, 400, map[string]any{"message": "Problems parsing JSON"})
		return
	}
	if !statusStates[in.State] {
		validation(w, "Status", "state", "state is not included in the list")
		return
	}
	if tooLong(in.Description, maxStatusDescription) {
		validation(w, "Status", "description", "description is too long (maximum is 140 characters)")
		return
	}
	if in.Context == "" {
		in.Context = "default"
	}
	st := Status{Owner: args[0], Repo: args[1], SHA: args[2], State: in.State, Context: in.Context, Description: in.Description, TargetURL: in.TargetURL}
	s.mu.Lock()
	s.nextID++
	id := s.nextID
	s.statuses = append(s.statuses, st)
	s.mu.Unlock()
	writeJSON(w, 201, map[string]any{
		"id": id, "state": st.State, "context": st.Context, "description": st.Description,
		"target_url": st.TargetURL,
		"url":        fmt.Sprintf("%s/api/v3/repos/%s/%s/statuses/%s", s.srv.URL, st.Owner, st.Repo, st.SHA),
	})
}

// graphql answers the one query helios sends, { viewer { login } }, and
// reports anything else as GraphQL does: 200 with an errors list. For an
// installation token GitHub answers "<app>[bot]", the login REST shows.
func (s *Server) graphql(w http.ResponseWriter, login string, body []byte) {
	var in struct {
		Query string `json:"query"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		writeJSON(w, 400, map[string]any{"message": "Problems parsing JSON"})
		return
	}
	compact := strings.Join(strings.Fields(in.Query), "")
	if !strings.Contains(compact, "viewer{login}") {
		writeJSON(w, 200, map[string]any{"errors": []map[string]any{{"message": "this fake answers only { viewer { login } }"}}})
		return
	}
	writeJSON(w, 200, map[string]any{"data": map[string]any{"viewer": map[string]any{"login": login}}})
}
