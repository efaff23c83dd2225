package ghapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helios-action/helios-action/internal/ghapi"
	"github.com/helios-action/helios-action/internal/ghapi/ghtest"
)

const (
	ciWorkflow    = int64(7)
	otherWorkflow = int64(8)
)

// addRuns gives the fake a history of ci.yml and one other workflow.
func addRuns(srv *ghtest.Server) {
	run := func(id, wf int64, file, branch, event, conclusion string) ghtest.Run {
		return ghtest.Run{
			ID: id, WorkflowID: wf, WorkflowFile: file, RunNumber: int(id - 100),
			Event: event, HeadBranch: branch, HeadSHA: fmt.Sprintf("%040d", id),
			Conclusion: conclusion, Owner: owner, Repo: repo,
		}
	}
	srv.AddRun(run(101, ciWorkflow, "ci.yml", "main", "push", "success"))
	srv.AddRun(run(102, ciWorkflow, "ci.yml", "main", "push", "failure"))
	srv.AddRun(run(103, ciWorkflow, "ci.yml", "feature", "pull_request", "success"))
	srv.AddRun(run(104, otherWorkflow, "other.yml", "main", "push", "success"))
	inProgress := run(105, ciWorkflow, "ci.yml", "main", "push", "")
	inProgress.Status = "in_progress"
	srv.AddRun(inProgress)
	srv.AddRun(run(106, ciWorkflow, "ci.yml", "main", "push", "success"))
	// A fork's pull request from its own main: listed under branch main.
	fork := run(107, ciWorkflow, "ci.yml", "main", "pull_request", "success")
	fork.HeadRepo = "mallory/drill"
	srv.AddRun(fork)
}

func ids(runs []ghapi.Run) []int64 {
	out := []int64{}
	for _, r := range runs {
		out = append(out, r.ID)
	}
	return out
}

func TestSuccessfulRuns(t *testing.T) {
	for _, tc := range []struct {
		name, workflow, branch string
		n                      int
		want                   []int64
		perPage                string
	}{
		{"by file name, newest first", "ci.yml", "main", 10, []int64{106, 101}, "10"},
		{"by id", "7", "main", 10, []int64{106, 101}, "10"},
		{"another branch", "ci.yml", "feature", 10, []int64{103}, "10"},
		{"another workflow", "other.yml", "main", 10, []int64{104}, "10"},
		{"n bounds the page; the fork's run on it is left out", "ci.yml", "main", 2, []int64{106}, "2"},
		{"n past GitHub's page", "ci.yml", "main", 500, []int64{106, 101}, "100"},
		{"no run on the branch", "ci.yml", "gone", 10, []int64{}, "10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := ghtest.NewServer(t)
			addRuns(srv)
			c := newClient(t, srv, newClock())
			runs, err := c.SuccessfulRuns(context.Background(), owner, repo, tc.workflow, tc.branch, tc.n)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(ids(runs)) != fmt.Sprint(tc.want) {
				t.Errorf("runs %v, want %v", ids(runs), tc.want)
			}
			for _, r := range runs {
				if r.Conclusion != "success" || r.HeadBranch != tc.branch || r.HTMLURL == "" || r.CreatedAt.IsZero() || r.RunAttempt != 1 {
					t.Errorf("run %+v", r)
				}
			}
			reqs := srv.Requests()
			if len(reqs) != 1 || reqs[0].Route != ghtest.RouteWorkflowRuns {
				t.Fatalf("requests %+v, want one list", reqs)
			}
			if want := "/repos/" + owner + "/" + repo + "/actions/workflows/" + tc.workflow + "/runs"; reqs[0].Path != want {
				t.Errorf("path %s, want %s", reqs[0].Path, want)
			}
			q, _ := url.ParseQuery(reqs[0].Query)
			if q.Get("status") != "success" || q.Get("branch") != tc.branch || q.Get("per_page") != tc.perPage {
				t.Errorf("query %s", reqs[0].Query)
			}
		})
	}
}

func TestSuccessfulRunsUnknownWorkflow(t *testing.T) {
	srv := ghtest.NewServer(t)
	addRuns(srv)
	c := newClient(t, srv, newClock())
	_, err := c.SuccessfulRuns(context.Background(), owner, repo, "nope.yml", "main", 5)
	var pe *ghapi.PermissionError
	if !errors.As(err, &pe) || pe.Status != http.StatusNotFound || pe.Permission != ghapi.PermActionsRead {
		t.Errorf("err = %v, want a 404 naming %s", err, ghapi.PermActionsRead)
	}
}

func TestGetRun(t *testing.T) {
	srv := ghtest.NewServer(t)
	addRuns(srv)
	c := newClient(t, srv, newClock())
	r, err := c.GetRun(context.Background(), owner, repo, 103)
	if err != nil {
		t.Fatal(err)
	}
	want := ghapi.Run{
		ID: 103, WorkflowID: ciWorkflow, RunNumber: 3, RunAttempt: 1, Event: "pull_request",
		HeadBranch: "feature", HeadSHA: fmt.Sprintf("%040d", 103), Status: "completed", Conclusion: "success",
		HTMLURL: srv.URL() + "/" + owner + "/" + repo + "/actions/runs/103", CreatedAt: r.CreatedAt,
	}
	if *r != want || r.CreatedAt.IsZero() {
		t.Errorf("run\n%+v, want\n%+v", *r, want)
	}
	if n := srv.Count(ghtest.RouteGetRun); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}

	_, err = c.GetRun(context.Background(), owner, repo, 999)
	var pe *ghapi.PermissionError
	if !errors.As(err, &pe) || pe.Status != http.StatusNotFound || pe.Permission != ghapi.PermActionsRead {
		t.Errorf("unknown run: err = %v, want a 404 naming %s", err, ghapi.PermActionsRead)
	}
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func TestRunArtifacts(t *testing.T) {
	srv := ghtest.NewServer(t)
	addRuns(srv)
	bundle, other := []byte("PK bundle"), []byte("PK other artifact")
	bundleID := srv.AddArtifact(106, "helios-build", bundle, false)
	otherID := srv.AddArtifact(106, "coverage", other, true)
	srv.AddArtifact(101, "helios-build", []byte("PK older"), false)
	c := newClient(t, srv, newClock())
	for _, tc := range []struct {
		name, filter string
		want         []ghapi.Artifact
	}{
		{"by name", "helios-build", []ghapi.Artifact{{ID: bundleID, Name: "helios-build", Size: int64(len(bundle)), Digest: sum(bundle), RunID: 106}}},
		{"all", "", []ghapi.Artifact{
			{ID: bundleID, Name: "helios-build", Size: int64(len(bundle)), Digest: sum(bundle), RunID: 106},
			{ID: otherID, Name: "coverage", Size: int64(len(other)), Expired: true, Digest: sum(other), RunID: 106},
		}},
		{"no such name", "helios-test", []ghapi.Artifact{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.Reset()
			got, err := c.RunArtifacts(context.Background(), owner, repo, 106, tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("artifacts\n%+v, want\n%+v", got, tc.want)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 || reqs[0].Route != ghtest.RouteRunArtifacts {
				t.Fatalf("requests %+v, want one list", reqs)
			}
			if q, _ := url.ParseQuery(reqs[0].Query); q.Get("name") != tc.filter {
				t.Errorf("query %s, want name=%s", reqs[0].Query, tc.filter)
			}
		})
	}
}

// TestRunArtifactsForbidden: a token without actions: read (a fork's pull
// request) is refused the list; the caller learns which permission.
func TestRunArtifactsForbidden(t *testing.T) {
	srv := ghtest.NewServer(t)
	addRuns(srv)
	srv.AddArtifact(106, "helios-build", []byte("PK"), false)
	srv.Inject(ghtest.RouteRunArtifacts, 1, ghtest.NotAccessible())
	c := newClient(t, srv, newClock())
	_, err := c.RunArtifacts(context.Background(), owner, repo, 106, "helios-build")
	var pe *ghapi.PermissionError
	if !errors.As(err, &pe) || pe.Status != http.StatusForbidden || pe.Permission != ghapi.PermActionsRead {
		t.Fatalf("err = %v, want a 403 naming %s", err, ghapi.PermActionsRead)
	}
	if !strings.Contains(err.Error(), "actions: read") {
		t.Errorf("message %q does not name the permission", err)
	}
	if n := srv.Count(ghtest.RouteRunArtifacts); n != 1 {
		t.Errorf("%d requests, want 1 (a refusal is not retried)", n)
	}
}

func redirectTo(loc string) ghtest.Fault {
	return ghtest.Fault{Status: http.StatusFound, Header: http.Header{"Location": {loc}}}
}

func TestDownloadArtifact(t *testing.T) {
	zip := bytes.Repeat([]byte("PK\x03\x04 helios bundle "), 100)
	type want struct {
		n      int64 // bytes written
		err    error // errors.Is; nil: success
		perm   int   // the status of a *PermissionError
		blobs  int   // requests to the storage host
		sleeps []time.Duration
	}
	for _, tc := range []struct {
		name     string
		expired  bool
		maxBytes int64
		setup    func(srv *ghtest.Server)
		want     want
	}{
		{name: "the redirect followed without the token", maxBytes: 1 << 20,
			want: want{n: int64(len(zip)), blobs: 1}},
		{name: "exactly the limit", maxBytes: int64(len(zip)),
			want: want{n: int64(len(zip)), blobs: 1}},
		{name: "past the limit: refused by its length, nothing written", maxBytes: int64(len(zip)) - 1,
			want: want{err: ghapi.ErrArtifactTooLarge, blobs: 1}},
		{name: "expired", expired: true, maxBytes: 1 << 20,
			want: want{err: ghapi.ErrArtifactExpired}},
		{name: "refused", maxBytes: 1 << 20,
			setup: func(srv *ghtest.Server) { srv.Inject(ghtest.RouteDownloadArtifact, 1, ghtest.NotAccessible()) },
			want:  want{perm: http.StatusForbidden}},
		{name: "storage 5xx retried, then served", maxBytes: 1 << 20,
			setup: func(srv *ghtest.Server) { srv.Inject(ghtest.RouteBlob, 2, ghtest.ServerError()) },
			want:  want{n: int64(len(zip)), blobs: 3, sleeps: []time.Duration{time.Second, 2 * time.Second}}},
		{name: "storage down: four tries", maxBytes: 1 << 20,
			setup: func(srv *ghtest.Server) { srv.Inject(ghtest.RouteBlob, 10, ghtest.ServerError()) },
			want:  want{err: errAny, blobs: 4, sleeps: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}}},
		{name: "a file: Location refused", maxBytes: 1 << 20,
			setup: func(srv *ghtest.Server) {
				srv.Inject(ghtest.RouteDownloadArtifact, 1, redirectTo("file:///etc/passwd"))
			},
			want: want{err: errAny}},
		{name: "an ftp: Location refused", maxBytes: 1 << 20,
			setup: func(srv *ghtest.Server) {
				srv.Inject(ghtest.RouteDownloadArtifact, 1, redirectTo("ftp://"+strings.TrimPrefix(srv.BlobURL(), "http://")+"/x.zip"))
			},
			want: want{err: errAny}},
		{name: "a Location with user credentials refused", maxBytes: 1 << 20,
			setup: func(srv *ghtest.Server) {
				srv.Inject(ghtest.RouteDownloadArtifact, 1, redirectTo(strings.Replace(srv.BlobURL(), "http://", "http://u:p@", 1)+"/x.zip"))
			},
			want: want{err: errAny}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := ghtest.NewServer(t)
			addRuns(srv)
			id := srv.AddArtifact(106, "helios-build", zip, tc.expired)
			if tc.setup != nil {
				tc.setup(srv)
			}
			clk := newClock()
			c := newClient(t, srv, clk)
			var buf bytes.Buffer
			n, err := c.DownloadArtifact(context.Background(), owner, repo, id, &buf, tc.maxBytes)
			var pe *ghapi.PermissionError
			switch {
			case tc.want.perm != 0:
				if !errors.As(err, &pe) || pe.Status != tc.want.perm || pe.Permission != ghapi.PermActionsRead {
					t.Errorf("err = %v, want a %d naming %s", err, tc.want.perm, ghapi.PermActionsRead)
				}
			case tc.want.err == errAny:
				if err == nil {
					t.Error("no error")
				}
			case tc.want.err != nil:
				if !errors.Is(err, tc.want.err) {
					t.Errorf("err = %v, want %v", err, tc.want.err)
				}
			case err != nil:
				t.Fatal(err)
			default:
				if !bytes.Equal(buf.Bytes(), zip) {
					t.Errorf("got %d bytes, not the artifact", buf.Len())
				}
			}
			if n != tc.want.n || int64(buf.Len()) != n {
				t.Errorf("n = %d with %d bytes written, want %d", n, buf.Len(), tc.want.n)
			}
			if err != nil && strings.Contains(err.Error(), "sig=") {
				t.Errorf("the error shows the signed URL: %v", err)
			}
			blobs := srv.BlobRequests()
			if len(blobs) != tc.want.blobs {
				t.Errorf("%d storage requests, want %d", len(blobs), tc.want.blobs)
			}
			for _, b := range blobs {
				if b.Auth {
					t.Errorf("storage request %s carried an Authorization header", b.Path)
				}
				if q, _ := url.ParseQuery(b.Query); q.Get("sig") == "" || q.Get("se") == "" {
					t.Errorf("storage request without the signed query: %s", b.Query)
				}
			}
			if v := srv.Violations(); len(v) > 0 {
				t.Errorf("violations: %q", v)
			}
			for _, r := range srv.Requests() {
				if !r.Auth {
					t.Errorf("API request %s without the token", r.Route)
				}
			}
			if fmt.Sprint(clk.Sleeps()) != fmt.Sprint(tc.want.sleeps) {
				t.Errorf("waits %v, want %v", clk.Sleeps(), tc.want.sleeps)
			}
		})
	}
}

// errAny stands for "some error" where no sentinel names it.
var errAny = errors.New("any error")

// TestDownloadUnsizedBody: a storage host that sends no Content-Length
// is cut at the limit by reading, and exactly the limit passes.
func TestDownloadUnsizedBody(t *testing.T) {
	body := bytes.Repeat([]byte("z"), 10_000)
	var mu sync.Mutex
	var auth []string
	stream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		for i := 0; i < len(body); i += 1000 {
			w.Write(body[i : i+1000])
			w.(http.Flusher).Flush() // chunked: no length ahead
		}
	}))
	t.Cleanup(stream.Close)
	for _, tc := range []struct {
		max  int64
		err  error
		want int64
	}{
		{int64(len(body)), nil, int64(len(body))},
		{int64(len(body)) - 1, ghapi.ErrArtifactTooLarge, int64(len(body)) - 1},
	} {
		t.Run(fmt.Sprint(tc.max), func(t *testing.T) {
			srv := ghtest.NewServer(t)
			addRuns(srv)
			id := srv.AddArtifact(106, "helios-build", body, false)
			srv.Inject(ghtest.RouteDownloadArtifact, 1, redirectTo(stream.URL+"/blob.zip?sig=c2VjcmV0&se=x"))
			c := newClient(t, srv, newClock())
			var buf bytes.Buffer
			n, err := c.DownloadArtifact(context.Background(), owner, repo, id, &buf, tc.max)
			if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
				t.Errorf("err = %v, want %v", err, tc.err)
			}
			if n != tc.want || int64(buf.Len()) != n {
				t.Errorf("n = %d, %d bytes written; want %d", n, buf.Len(), tc.want)
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	for _, a := range auth {
		if a != "" {
			t.Errorf("the storage host got Authorization %q", a)
		}
	}
}

// TestDownloadRedactsSignature: neither the debug lines nor the error of a
// failed download show the signed URL's query, a credential.
func TestDownloadRedactsSignature(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(srv *ghtest.Server)
		ok    bool
	}{
		{"served", func(*ghtest.Server) {}, true},
		{"storage unreachable", func(srv *ghtest.Server) {
			// A port nothing listens on: the dial fails at once.
			dead := httptest.NewServer(http.NotFoundHandler())
			dead.Close()
			srv.Inject(ghtest.RouteDownloadArtifact, 1, redirectTo(dead.URL+"/blob.zip?se=2030-01-01&sig=SECRETSIG"))
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := ghtest.NewServer(t)
			addRuns(srv)
			id := srv.AddArtifact(106, "helios-build", []byte("PK zip"), false)
			tc.setup(srv)
			var mu sync.Mutex
			var lines []string
			c := newClient(t, srv, newClock(), ghapi.WithDebug(func(s string) {
				mu.Lock()
				defer mu.Unlock()
				lines = append(lines, s)
			}))
			_, err := c.DownloadArtifact(context.Background(), owner, repo, id, &bytes.Buffer{}, 1<<20)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			text := strings.Join(lines, "\n")
			if err != nil {
				text += "\n" + err.Error()
			}
			for _, secret := range []string{"sig=", "SECRETSIG", "se="} {
				if strings.Contains(text, secret) {
					t.Errorf("%q shown:\n%s", secret, text)
				}
			}
			if !strings.Contains(text, "artifact storage: GET 127.0.0.1:") {
				t.Errorf("no storage line:\n%s", text)
			}
		})
	}
}

// TestDownloadContext: the caller's deadline bounds the whole download,
// retries included.
func TestDownloadContext(t *testing.T) {
	srv := ghtest.NewServer(t)
	addRuns(srv)
	id := srv.AddArtifact(106, "helios-build", []byte("PK zip"), false)
	srv.Inject(ghtest.RouteBlob, 10, ghtest.ServerError())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk := newClock()
	// The first wait between retries ends the caller's patience.
	c, err := ghapi.New(token, srv.URL(), ghapi.WithClock(clk.Now, func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.DownloadArtifact(ctx, owner, repo, id, &bytes.Buffer{}, 1<<20)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want the cancellation", err)
	}
	if n := len(srv.BlobRequests()); n != 1 {
		t.Errorf("%d storage requests, want 1", n)
	}
}

// TestDownloadServedByAPIHost: a 200 instead of the redirect (a server
// that keeps artifacts itself) is the zip, under the same limit.
func TestDownloadServedByAPIHost(t *testing.T) {
	for _, tc := range []struct {
		max  int64
		want string
		err  error
	}{
		{1 << 20, "{\"zip\":\"bytes\"}\n", nil},
		{4, "", ghapi.ErrArtifactTooLarge},
	} {
		srv := ghtest.NewServer(t)
		addRuns(srv)
		id := srv.AddArtifact(106, "helios-build", []byte("PK"), false)
		srv.Inject(ghtest.RouteDownloadArtifact, 1, ghtest.Fault{Status: 200, Body: map[string]any{"zip": "bytes"}})
		c := newClient(t, srv, newClock())
		var buf bytes.Buffer
		n, err := c.DownloadArtifact(context.Background(), owner, repo, id, &buf, tc.max)
		if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
			t.Errorf("limit %d: err = %v, want %v", tc.max, err, tc.err)
		}
		if buf.String() != tc.want || n != int64(len(tc.want)) {
			t.Errorf("limit %d: n = %d, %q written; want %q", tc.max, n, buf.String(), tc.want)
		}
		if len(srv.BlobRequests()) != 0 {
			t.Errorf("limit %d: the storage host was asked", tc.max)
		}
	}
}
