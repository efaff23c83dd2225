package ghapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-github/v66/github"

	"github.com/helios-action/helios-action/internal/ghapi"
	"github.com/helios-action/helios-action/internal/ghapi/ghtest"
	"github.com/helios-action/helios-action/internal/report"
)

const (
	owner  = "octo"
	repo   = "drill"
	token  = "ghs_testtoken0123456789"
	marker = "<!-- helios:mission=Helios%20example key=build -->"
	sha    = "0123456789abcdef0123456789abcdef01234567"
)

// fakeClock makes retries instant and records the waits asked for.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.t = c.t.Add(d)
	return ctx.Err()
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

func newClient(t *testing.T, srv *ghtest.Server, clk *fakeClock, opts ...ghapi.Option) *ghapi.Client {
	t.Helper()
	opts = append([]ghapi.Option{ghapi.WithClock(clk.Now, clk.Sleep)}, opts...)
	c, err := ghapi.New(token, srv.URL(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func body(n int) string { return fmt.Sprintf("%s\nrun %d\n", marker, n) }

// ours returns the comments of pr that carry the marker and were written by
// the workflow token's identity.
func ours(srv *ghtest.Server, pr int) []ghtest.Comment {
	var out []ghtest.Comment
	for _, c := range srv.Comments(owner, repo, pr) {
		if strings.Contains(c.Body, marker) && c.Login == ghtest.DefaultLogin {
			out = append(out, c)
		}
	}
	return out
}

func TestUpsertSequential(t *testing.T) {
	for _, mode := range []string{ghapi.ModeUpdate, ghapi.ModeRecreate} {
		t.Run(mode, func(t *testing.T) {
			srv := ghtest.NewServer(t)
			c := newClient(t, srv, newClock())
			ctx := context.Background()
			id1, url1, err := c.UpsertComment(ctx, owner, repo, 7, marker, body(1), mode)
			if err != nil {
				t.Fatal(err)
			}
			id2, _, err := c.UpsertComment(ctx, owner, repo, 7, marker, body(2), mode)
			if err != nil {
				t.Fatal(err)
			}
			got := ours(srv, 7)
			if len(got) != 1 {
				t.Fatalf("%d comments after two runs, want 1", len(got))
			}
			if got[0].Body != body(2) {
				t.Errorf("body = %q, want the second run's", got[0].Body)
			}
			if mode == ghapi.ModeUpdate && id1 != id2 {
				t.Errorf("update mode changed the comment id: %d → %d", id1, id2)
			}
			if mode == ghapi.ModeRecreate && id1 == id2 {
				t.Errorf("recreate mode kept comment %d", id1)
			}
			if !strings.Contains(url1, fmt.Sprintf("#issuecomment-%d", id1)) {
				t.Errorf("url %q does not point at comment %d", url1, id1)
			}
		})
	}
}

func TestUpsertConcurrent(t *testing.T) {
	for _, tc := range []struct {
		name string
		runs int
		// lineUp holds the first listings until every run has listed, so
		// that all of them find no comment and create one.
		lineUp bool
	}{
		{"two runs racing", 2, true},
		{"three runs racing", 3, true},
		{"four runs unsynchronised", 4, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := ghtest.NewServer(t)
			if tc.lineUp {
				var mu sync.Mutex
				listed := 0
				all := make(chan struct{})
				srv.OnRequest(func(route string) {
					if route == ghtest.RouteCreateComment {
						// A run released from the line-up may create before a
						// slower one has been answered; hold creates until
						// every first listing has its answer (bounded).
						for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
							answered := 0
							for _, r := range srv.Requests() {
								if r.Route == ghtest.RouteListComments && r.Status != 0 {
									answered++
								}
							}
							if answered >= tc.runs {
								return
							}
						}
						return
					}
					if route != ghtest.RouteListComments {
						return
					}
					mu.Lock()
					listed++
					n := listed
					mu.Unlock()
					if n == tc.runs {
						close(all)
					}
					if n <= tc.runs {
						select {
						case <-all:
						case <-time.After(10 * time.Second):
						}
					}
				})
			}
			var wg sync.WaitGroup
			errs := make([]error, tc.runs)
			for i := range tc.runs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := newClient(t, srv, newClock())
					_, _, errs[i] = c.UpsertComment(context.Background(), owner, repo, 9, marker, body(i), ghapi.ModeUpdate)
				}()
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if got := ours(srv, 9); len(got) != 1 {
				t.Fatalf("%d comments after %d concurrent runs, want 1", len(got), tc.runs)
			}
			if tc.lineUp && srv.Count(ghtest.RouteCreateComment) != tc.runs {
				t.Errorf("%d creates; the race did not happen", srv.Count(ghtest.RouteCreateComment))
			}
		})
	}
}

func TestUpsertIgnoresOthersMarker(t *testing.T) {
	srv := ghtest.NewServer(t)
	forged := srv.AddComment(owner, repo, 3, "mallory", marker+"\nforged")
	c := newClient(t, srv, newClock())
	for i := range 2 {
		if _, _, err := c.UpsertComment(context.Background(), owner, repo, 3, marker, body(i), ghapi.ModeUpdate); err != nil {
			t.Fatal(err)
		}
	}
	all := srv.Comments(owner, repo, 3)
	if len(all) != 2 {
		t.Fatalf("%d comments, want mallory's and ours", len(all))
	}
	if all[0].ID != forged || all[0].Body != marker+"\nforged" {
		t.Errorf("mallory's comment was touched: %+v", all[0])
	}
	if all[1].Login != ghtest.DefaultLogin || all[1].Body != body(1) {
		t.Errorf("our comment = %+v", all[1])
	}
}

func TestUpsertFindsCommentOnLaterPage(t *testing.T) {
	srv := ghtest.NewServer(t)
	for i := range 230 {
		srv.AddComment(owner, repo, 5, "someone", fmt.Sprintf("comment %d", i))
	}
	id := srv.AddComment(owner, repo, 5, ghtest.DefaultLogin, body(0))
	c := newClient(t, srv, newClock())
	got, _, err := c.UpsertComment(context.Background(), owner, repo, 5, marker, body(1), ghapi.ModeUpdate)
	if err != nil {
		t.Fatal(err)
	}
	if got != id {
		t.Errorf("updated %d, want %d", got, id)
	}
	if n := srv.Count(ghtest.RouteListComments); n != 3 {
		t.Errorf("%d list requests for 231 comments at 100 a page, want 3", n)
	}
	if n := srv.Count(ghtest.RouteCreateComment); n != 0 {
		t.Errorf("%d creates, want 0", n)
	}
}

func TestViewerBotSuffix(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"github-actions[bot]", "github-actions"},
		{"github-actions", "github-actions[bot]"},
		{"My-App[bot]", "my-app[bot]"},
	} {
		if !ghapi.SameLogin(tc.a, tc.b) {
			t.Errorf("SameLogin(%q, %q) = false", tc.a, tc.b)
		}
	}
	for _, tc := range []struct{ a, b string }{
		{"github-actions[bot]", "github-actions-x"},
		{"", ""},
		{"alice", "bob[bot]"},
	} {
		if ghapi.SameLogin(tc.a, tc.b) {
			t.Errorf("SameLogin(%q, %q) = true", tc.a, tc.b)
		}
	}

	srv := ghtest.NewServer(t)
	srv.AddToken("ghs_app", "helios-app[bot]")
	clk := newClock()
	c, err := ghapi.New("ghs_app", srv.URL(), ghapi.WithClock(clk.Now, clk.Sleep))
	if err != nil {
		t.Fatal(err)
	}
	login, err := c.FindViewer(context.Background())
	if err != nil || login != "helios-app[bot]" {
		t.Fatalf("FindViewer = %q, %v", login, err)
	}
	// A comment the workflow token wrote earlier is not the app's.
	srv.AddComment(owner, repo, 4, ghtest.DefaultLogin, body(0))
	if _, _, err := c.UpsertComment(context.Background(), owner, repo, 4, marker, body(1), ghapi.ModeUpdate); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Comments(owner, repo, 4)); n != 2 {
		t.Errorf("%d comments, want the workflow token's and the app's", n)
	}
	if n := srv.Count(ghtest.RouteGraphQL); n != 1 {
		t.Errorf("%d GraphQL requests, want 1 (the viewer is kept)", n)
	}
}

func TestRetries(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults []ghtest.Fault
		sleeps []time.Duration
	}{
		{"500 then success", []ghtest.Fault{ghtest.ServerError()}, []time.Duration{time.Second}},
		{"502 twice", []ghtest.Fault{ghtest.BadGateway(), ghtest.BadGateway()}, []time.Duration{time.Second, 2 * time.Second}},
		{"403 secondary limit with Retry-After", []ghtest.Fault{ghtest.SecondaryRateLimit(7 * time.Second)}, []time.Duration{7 * time.Second}},
		{"403 secondary limit without Retry-After", []ghtest.Fault{ghtest.SecondaryRateLimit(0), ghtest.SecondaryRateLimit(0)}, []time.Duration{time.Minute, 2 * time.Minute}},
		{"429 with Retry-After", []ghtest.Fault{ghtest.TooManyRequests(3 * time.Second)}, []time.Duration{3 * time.Second}},
		{"429 without Retry-After", []ghtest.Fault{ghtest.TooManyRequests(0)}, []time.Duration{time.Minute}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := ghtest.NewServer(t)
			for _, f := range tc.faults {
				srv.Inject(ghtest.RouteCreateCheck, 1, f)
			}
			clk := newClock()
			var lines []string
			c := newClient(t, srv, clk, ghapi.WithDebug(func(s string) { lines = append(lines, s) }))
			id, _, err := c.CreateCheckRun(context.Background(), owner, repo, "Helios mission", sha, "")
			if err != nil {
				t.Fatal(err)
			}
			if id == 0 {
				t.Error("no check run id")
			}
			if got := clk.Sleeps(); fmt.Sprint(got) != fmt.Sprint(tc.sleeps) {
				t.Errorf("waits = %v, want %v", got, tc.sleeps)
			}
			if n := srv.Count(ghtest.RouteCreateCheck); n != len(tc.faults)+1 {
				t.Errorf("%d requests, want %d", n, len(tc.faults)+1)
			}
			if len(lines) != len(tc.faults)+1 {
				t.Errorf("debug lines = %q, want one per attempt", lines)
			}
			for _, l := range lines {
				if !strings.Contains(l, "POST /api/v3/repos/octo/drill/check-runs") || strings.Contains(l, token) {
					t.Errorf("debug line %q", l)
				}
			}
		})
	}
}

func TestRetryPrimaryLimitWaitsForReset(t *testing.T) {
	srv := ghtest.NewServer(t)
	clk := newClock()
	srv.Inject(ghtest.RouteCreateStatus, 1, ghtest.PrimaryRateLimit(clk.Now().Add(90*time.Second)))
	c := newClient(t, srv, clk)
	if err := c.SetStatus(context.Background(), owner, repo, sha, "success", "helios", "ok", ""); err != nil {
		t.Fatal(err)
	}
	if got := clk.Sleeps(); len(got) != 1 || got[0] != 91*time.Second {
		t.Errorf("waits = %v, want [1m31s]", got)
	}
}

func TestRetryBudget(t *testing.T) {
	srv := ghtest.NewServer(t)
	srv.Inject(ghtest.RouteCreateCheck, 10, ghtest.SecondaryRateLimit(3*time.Minute))
	clk := newClock()
	c := newClient(t, srv, clk, ghapi.WithBudget(5*time.Minute))
	_, _, err := c.CreateCheckRun(context.Background(), owner, repo, "Helios mission", sha, "")
	var abuse *github.AbuseRateLimitError
	if !errors.As(err, &abuse) {
		t.Fatalf("err = %v, want the secondary rate limit after the budget", err)
	}
	var perm *ghapi.PermissionError
	if errors.As(err, &perm) {
		t.Error("a rate limit reported as a permission problem")
	}
	if got := clk.Sleeps(); len(got) != 1 || got[0] != 3*time.Minute {
		t.Errorf("waits = %v, want one of 3m (a second would pass the 5m budget)", got)
	}
	if n := srv.Count(ghtest.RouteCreateCheck); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

type flakyTransport struct {
	mu    sync.Mutex
	fails int
}

func (f *flakyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	fail := f.fails > 0
	f.fails--
	f.mu.Unlock()
	if fail {
		return nil, errors.New("connection reset by peer")
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestRetryNetworkError(t *testing.T) {
	srv := ghtest.NewServer(t)
	clk := newClock()
	c := newClient(t, srv, clk, ghapi.WithTransport(&flakyTransport{fails: 2}))
	if _, _, err := c.CreateCheckRun(context.Background(), owner, repo, "Helios mission", sha, ""); err != nil {
		t.Fatal(err)
	}
	if got := clk.Sleeps(); len(got) != 2 {
		t.Errorf("waits = %v, want 2", got)
	}
	if got := srv.CheckRuns(); len(got) != 1 || got[0].Status != "in_progress" {
		t.Errorf("check runs = %+v", got)
	}
}

func TestPermissionErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		route string
		fault ghtest.Fault
		call  func(*ghapi.Client) error
		perm  string
		code  int
	}{
		{"comment 403", ghtest.RouteListComments, ghtest.NotAccessible(), func(c *ghapi.Client) error {
			_, _, err := c.UpsertComment(ctx, owner, repo, 1, marker, body(0), ghapi.ModeUpdate)
			return err
		}, ghapi.PermPullRequests, 403},
		{"comment create 404", ghtest.RouteCreateComment, ghtest.NotFound(), func(c *ghapi.Client) error {
			_, _, err := c.UpsertComment(ctx, owner, repo, 1, marker, body(0), ghapi.ModeUpdate)
			return err
		}, ghapi.PermPullRequests, 404},
		{"check run 403", ghtest.RouteCreateCheck, ghtest.NotAccessible(), func(c *ghapi.Client) error {
			_, _, err := c.CreateCheckRun(ctx, owner, repo, "Helios mission", sha, "")
			return err
		}, ghapi.PermChecks, 403},
		{"check complete 404", ghtest.RouteUpdateCheck, ghtest.NotFound(), func(c *ghapi.Client) error {
			return c.CompleteCheckRun(ctx, owner, repo, 1, "Helios mission", "success", "t", "s", "", nil)
		}, ghapi.PermChecks, 404},
		{"status 403", ghtest.RouteCreateStatus, ghtest.NotAccessible(), func(c *ghapi.Client) error {
			return c.SetStatus(ctx, owner, repo, sha, "success", "helios", "ok", "")
		}, ghapi.PermStatuses, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := ghtest.NewServer(t)
			srv.Inject(tc.route, 1, tc.fault)
			clk := newClock()
			err := tc.call(newClient(t, srv, clk))
			var perm *ghapi.PermissionError
			if !errors.As(err, &perm) {
				t.Fatalf("err = %v (%T), want *PermissionError", err, err)
			}
			if perm.Permission != tc.perm || perm.Status != tc.code {
				t.Errorf("got %+v, want %s / %d", perm, tc.perm, tc.code)
			}
			if !strings.Contains(err.Error(), tc.perm) {
				t.Errorf("message %q does not name %s", err, tc.perm)
			}
			if len(clk.Sleeps()) != 0 {
				t.Errorf("a refusal was retried: %v", clk.Sleeps())
			}
		})
	}
}

func TestCheckRunAnnotationsInBatches(t *testing.T) {
	srv := ghtest.NewServer(t)
	c := newClient(t, srv, newClock())
	ctx := context.Background()
	id, url, err := c.CreateCheckRun(ctx, owner, repo, "Helios mission", sha, "https://example.invalid/run/1")
	if err != nil {
		t.Fatal(err)
	}
	if url == "" {
		t.Error("no check run url")
	}
	var anns []ghapi.Annotation
	for i := range 120 {
		anns = append(anns, ghapi.Annotation{Path: "helios.yml", StartLine: i + 1, Level: "failure", Message: fmt.Sprintf("step %d failed", i)})
	}
	long := strings.Repeat("é", 70000)
	if err := c.CompleteCheckRun(ctx, owner, repo, id, "Helios mission", "failure", "Helios: failure", long, long, anns); err != nil {
		t.Fatal(err)
	}
	runs := srv.CheckRuns()
	if len(runs) != 1 {
		t.Fatalf("%d check runs", len(runs))
	}
	cr := runs[0]
	if cr.Status != "completed" || cr.Conclusion != "failure" {
		t.Errorf("status %s conclusion %s", cr.Status, cr.Conclusion)
	}
	if len(cr.Annotations) != 120 || cr.Updates != 3 {
		t.Errorf("%d annotations in %d updates, want 120 in 3", len(cr.Annotations), cr.Updates)
	}
	// GitHub counts the output in bytes: "é" is two, so the cut must land
	// on a character boundary at or under 65,535 bytes.
	if n := len(cr.Summary); n > 65535 || n < 65530 || !utf8.ValidString(cr.Summary) {
		t.Errorf("summary has %d bytes (valid UTF-8: %v), want it cut just under 65535", n, utf8.ValidString(cr.Summary))
	}
	if cr.DetailsURL != "https://example.invalid/run/1" {
		t.Errorf("details url %q", cr.DetailsURL)
	}
}

func TestStatusDescriptionCut(t *testing.T) {
	srv := ghtest.NewServer(t)
	c := newClient(t, srv, newClock())
	if err := c.SetStatus(context.Background(), owner, repo, sha, "failure", "Helios mission", strings.Repeat("x", 300), "https://example.invalid/run"); err != nil {
		t.Fatal(err)
	}
	st := srv.Statuses()
	if len(st) != 1 || utf8.RuneCountInString(st[0].Description) != 140 || st[0].State != "failure" {
		t.Errorf("statuses = %+v", st)
	}
}

// TestSecondRunRequestCount is the budget of a pull-request run whose
// comment already exists on the first page: list, update, create and
// complete the check run, one status. GraphQL is not counted.
func TestSecondRunRequestCount(t *testing.T) {
	srv := ghtest.NewServer(t)
	ctx := context.Background()
	run := func() {
		c := newClient(t, srv, newClock())
		id, _, err := c.CreateCheckRun(ctx, owner, repo, "Helios mission", sha, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.UpsertComment(ctx, owner, repo, 11, marker, body(1), ghapi.ModeUpdate); err != nil {
			t.Fatal(err)
		}
		anns := []ghapi.Annotation{{Path: "helios.yml", StartLine: 3, Level: "failure", Message: "failed"}}
		if err := c.CompleteCheckRun(ctx, owner, repo, id, "Helios mission", "success", "t", "s", "x", anns); err != nil {
			t.Fatal(err)
		}
		if err := c.SetStatus(ctx, owner, repo, sha, "success", "Helios mission", "ok", ""); err != nil {
			t.Fatal(err)
		}
	}
	run()
	srv.Reset()
	run()
	rest := srv.Count("") - srv.Count(ghtest.RouteGraphQL)
	if rest > 5 {
		t.Errorf("%d REST requests on the second run, want at most 5: %v", rest, srv.Counts())
	}
	for route, want := range map[string]int{
		ghtest.RouteListComments: 1, ghtest.RouteUpdateComment: 1, ghtest.RouteCreateComment: 0,
		ghtest.RouteCreateCheck: 1, ghtest.RouteUpdateCheck: 1, ghtest.RouteCreateStatus: 1,
	} {
		if got := srv.Count(route); got != want {
			t.Errorf("%s: %d requests, want %d", route, got, want)
		}
	}
	for _, r := range srv.Requests() {
		if !r.Auth {
			t.Errorf("%s without a token", r.Route)
		}
	}
}

func TestEnterpriseURLs(t *testing.T) {
	for _, tc := range []struct{ api, base string }{
		{"", "https://api.github.com/"},
		{"https://api.github.com", "https://api.github.com/"},
		{"https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3/"},
		{"https://ghe.example.com/", "https://ghe.example.com/api/v3/"},
	} {
		c, err := ghapi.New("t", tc.api)
		if err != nil {
			t.Fatal(err)
		}
		if c.BaseURL() != tc.base {
			t.Errorf("New(%q).BaseURL() = %q, want %q", tc.api, c.BaseURL(), tc.base)
		}
	}
}

func TestDebugFromEnv(t *testing.T) {
	for _, v := range []string{"1", "", "0"} {
		srv := ghtest.NewServer(t)
		var lines []string
		getenv := func(k string) string {
			if k == "RUNNER_DEBUG" {
				return v
			}
			return ""
		}
		c := newClient(t, srv, newClock(), ghapi.DebugFromEnv(getenv, func(s string) { lines = append(lines, s) }))
		if _, err := c.FindViewer(context.Background()); err != nil {
			t.Fatal(err)
		}
		if want := v == "1"; (len(lines) == 1) != want {
			t.Errorf("RUNNER_DEBUG=%q: lines %q", v, lines)
		}
		for _, l := range lines {
			if l != "github api: POST /api/graphql → 200" {
				t.Errorf("line %q", l)
			}
		}
	}
}

// report.Annotation and ghapi.Annotation convert into each other, so the
// caller needs no copying loop.
var _ = ghapi.Annotation(report.Annotation{})

func TestPullForSHA(t *testing.T) {
	srv := ghtest.NewServer(t)
	srv.AddPull(ghtest.Pull{Owner: "o", Repo: "r", Number: 7, HeadSHA: "aaaa111"})
	srv.AddPull(ghtest.Pull{Owner: "o", Repo: "r", Number: 9, HeadSHA: "bbbb222", Fork: true})
	c := newClient(t, srv, newClock())
	for _, tc := range []struct {
		name, sha string
		want      int
	}{
		{"branch of this repository", "aaaa111", 7},
		{"fork, found among the open PRs", "bbbb222", 9},
		{"no PR", "cccc333", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.PullForSHA(context.Background(), "o", "r", tc.sha)
			if err != nil || got != tc.want {
				t.Fatalf("PullForSHA(%s) = %d, %v; want %d", tc.sha, got, err, tc.want)
			}
		})
	}
}

// An outage (5xx on every try) costs the first call its few retries; the
// calls after it try once, so reporting gives up in seconds, not minutes.
func TestOutageCostsOneCallsRetries(t *testing.T) {
	srv := ghtest.NewServer(t)
	for _, route := range []string{ghtest.RouteCreateCheck, ghtest.RouteCreateStatus, ghtest.RouteUpdateCheck} {
		srv.Inject(route, 100, ghtest.ServerError())
	}
	clk := newClock()
	c := newClient(t, srv, clk)
	ctx := context.Background()
	if _, _, err := c.CreateCheckRun(ctx, owner, repo, "Helios mission", sha, ""); err == nil {
		t.Fatal("CreateCheckRun succeeded during an outage")
	}
	if err := c.SetStatus(ctx, owner, repo, sha, "success", "helios", "ok", ""); err == nil {
		t.Fatal("SetStatus succeeded during an outage")
	}
	if got, want := fmt.Sprint(clk.Sleeps()), fmt.Sprint([]time.Duration{time.Second, 2 * time.Second, 4 * time.Second}); got != want {
		t.Errorf("waits = %s, want %s (the first call's retries only)", got, want)
	}
	if n, m := srv.Count(ghtest.RouteCreateCheck), srv.Count(ghtest.RouteCreateStatus); n != 4 || m != 1 {
		t.Errorf("%d check-run and %d status requests, want 4 and 1", n, m)
	}
	// GitHub answering again ends the outage: the next call retries a 5xx.
	srv.Inject(ghtest.RouteCreateComment, 1, ghtest.ServerError())
	if _, _, err := c.UpsertComment(ctx, owner, repo, 1, marker, body(0), ghapi.ModeUpdate); err != nil {
		t.Fatalf("UpsertComment after the outage: %v", err)
	}
}
