package ghtest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/ghapi/ghtest"
)

const tok = "ghs_faketoken42"

// get sends a GET to the fake's API host with the token.
func get(t *testing.T, srv *ghtest.Server, path string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL()+"/api/v3"+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	// The redirect is the answer under test, not something to follow.
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func setup(t *testing.T) (*ghtest.Server, int64) {
	srv := ghtest.NewServer(t)
	for i, c := range []struct{ event, branch, sha, status, conclusion string }{
		{"push", "main", "aaa", "completed", "success"},
		{"push", "main", "bbb", "completed", "failure"},
		{"pull_request", "topic", "ccc", "completed", "success"},
		{"push", "main", "ddd", "in_progress", ""},
		{"schedule", "main", "eee", "completed", "success"},
	} {
		srv.AddRun(ghtest.Run{
			ID: int64(11 + i), WorkflowID: 5, WorkflowFile: "ci.yml", RunNumber: 1 + i,
			Event: c.event, HeadBranch: c.branch, HeadSHA: c.sha, Status: c.status, Conclusion: c.conclusion,
			Owner: "o", Repo: "r",
		})
	}
	return srv, srv.AddArtifact(11, "bundle", []byte("PK bytes"), false)
}

func TestWorkflowRunsFilters(t *testing.T) {
	srv, _ := setup(t)
	for _, tc := range []struct {
		query string
		want  string // run ids, newest first
		link  bool
	}{
		{"", "[15 14 13 12 11]", false},
		{"status=success", "[15 13 11]", false},
		{"status=completed&branch=main", "[15 12 11]", false},
		{"status=in_progress", "[14]", false},
		{"event=push&status=success", "[11]", false},
		{"head_sha=CCC", "[13]", false},
		{"per_page=2", "[15 14]", true},
		{"per_page=2&page=3", "[11]", true},
	} {
		t.Run(tc.query, func(t *testing.T) {
			for _, wf := range []string{"5", "ci.yml"} {
				resp, b := get(t, srv, "/repos/o/r/actions/workflows/"+wf+"/runs?"+tc.query)
				var out struct {
					Total int `json:"total_count"`
					Runs  []struct {
						ID int64 `json:"id"`
					} `json:"workflow_runs"`
				}
				if resp.StatusCode != 200 || json.Unmarshal(b, &out) != nil {
					t.Fatalf("%s: %d %s", wf, resp.StatusCode, b)
				}
				var got []int64
				for _, r := range out.Runs {
					got = append(got, r.ID)
				}
				if fmt.Sprint(got) != tc.want {
					t.Errorf("%s: runs %v, want %s", wf, got, tc.want)
				}
				if (resp.Header.Get("Link") != "") != tc.link {
					t.Errorf("%s: Link %q", wf, resp.Header.Get("Link"))
				}
			}
		})
	}
	for _, tc := range []struct{ path, why string }{
		{"/repos/o/r/actions/workflows/other.yml/runs", "unknown workflow"},
		{"/repos/o/r/actions/workflows/6/runs", "unknown workflow id"},
		{"/repos/x/r/actions/workflows/ci.yml/runs", "another repository"},
		{"/repos/o/r/actions/runs/99", "unknown run"},
	} {
		if resp, _ := get(t, srv, tc.path); resp.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", tc.why, resp.StatusCode)
		}
	}
	if resp, _ := get(t, srv, "/repos/o/r/actions/workflows/ci.yml/runs?status=succeeded"); resp.StatusCode != 422 {
		t.Errorf("a misspelt status: %d, want 422", resp.StatusCode)
	}
}

// TestStorageHost: the download redirect's signed URL serves the bytes to
// a request without credentials, and refuses and records one with them.
func TestStorageHost(t *testing.T) {
	srv, id := setup(t)
	resp, _ := get(t, srv, fmt.Sprintf("/repos/o/r/actions/artifacts/%d/zip", id))
	loc := resp.Header.Get("Location")
	if resp.StatusCode != 302 || !strings.HasPrefix(loc, srv.BlobURL()+"/") {
		t.Fatalf("%d Location %q, want 302 to the storage host", resp.StatusCode, loc)
	}
	u, _ := url.Parse(loc)
	tampered := *u
	q := tampered.Query()
	q.Set("se", "2099-01-01T00:00:00Z")
	tampered.RawQuery = q.Encode()
	unsigned := *u
	unsigned.RawQuery = ""
	withToken := *u
	withToken.RawQuery += "&token=" + tok

	for _, tc := range []struct {
		name, url, auth string
		status          int
		code            string // x-ms-error-code
		violation       bool
	}{
		{"signed", loc, "", 200, "", false},
		{"signed, with the token", loc, "Bearer " + tok, 400, "InvalidAuthenticationInfo", true},
		{"signed, with any Authorization", loc, "Basic eDp5", 400, "InvalidAuthenticationInfo", true},
		{"the token in the query", withToken.String(), "", 200, "", true},
		{"expiry changed", tampered.String(), "", 403, "AuthenticationFailed", false},
		{"unsigned", unsigned.String(), "", 403, "AuthenticationFailed", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(srv.Violations())
			req, _ := http.NewRequest(http.MethodGet, tc.url, nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || resp.Header.Get("X-Ms-Error-Code") != tc.code {
				t.Errorf("%d %s, want %d %s", resp.StatusCode, resp.Header.Get("X-Ms-Error-Code"), tc.status, tc.code)
			}
			if tc.status == 200 && string(b) != "PK bytes" {
				t.Errorf("body %q", b)
			}
			if tc.status != 200 && !strings.Contains(string(b), "<Code>"+tc.code+"</Code>") {
				t.Errorf("body %q, want Azure's XML error", b)
			}
			if got := len(srv.Violations()) > before; got != tc.violation {
				t.Errorf("violation recorded: %v, want %v (%q)", got, tc.violation, srv.Violations())
			}
		})
	}
	if n := len(srv.BlobRequests()); n != 6 {
		t.Errorf("%d storage requests logged, want 6", n)
	}
	if n := srv.Count(""); n != 1 {
		t.Errorf("%d API requests, want 1 (storage requests are logged apart)", n)
	}
	srv.Reset()
	if len(srv.BlobRequests()) != 0 || len(srv.Violations()) != 3 {
		t.Errorf("Reset: %d storage requests, %d violations; want 0 and the 3 kept", len(srv.BlobRequests()), len(srv.Violations()))
	}
}

func TestExpiredArtifact(t *testing.T) {
	srv, _ := setup(t)
	id := srv.AddArtifact(11, "old", []byte("PK"), true)
	resp, b := get(t, srv, "/repos/o/r/actions/runs/11/artifacts?name=old")
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"expired":true`) {
		t.Errorf("list: %d %s", resp.StatusCode, b)
	}
	resp, b = get(t, srv, fmt.Sprintf("/repos/o/r/actions/artifacts/%d/zip", id))
	if resp.StatusCode != 410 || !strings.Contains(string(b), "Artifact has expired") {
		t.Errorf("download: %d %s, want 410", resp.StatusCode, b)
	}
	if resp, _ := get(t, srv, fmt.Sprintf("/repos/x/r/actions/artifacts/%d/zip", id)); resp.StatusCode != 404 {
		t.Errorf("another repository's artifact: %d, want 404", resp.StatusCode)
	}
}
