package artifacttest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The fake must refuse what the service refuses and flag what the protocol
// forbids; these drive it with hand-made requests, right and wrong.

func post(t *testing.T, s *Server, method, token string, body any) (int, map[string]any) {
	t.Helper()
	var data []byte
	switch b := body.(type) {
	case string:
		data = []byte(b)
	default:
		data, _ = json.Marshal(b)
	}
	req, _ := http.NewRequest(http.MethodPost, s.results.URL+twirpPrefix+method, bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func put(t *testing.T, rawURL string, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, rawURL, bytes.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func create(t *testing.T, s *Server, name string) string {
	t.Helper()
	st, out := post(t, s, "CreateArtifact", s.Token, map[string]any{
		"workflow_run_backend_id": s.RunBackendID, "workflow_job_run_backend_id": s.JobBackendID,
		"name": name, "version": 4,
	})
	if st != 200 || out["ok"] != true {
		t.Fatalf("CreateArtifact: %d %v", st, out)
	}
	return out["signed_upload_url"].(string)
}

func id(s string) string { return url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(s))) }

func blockList(ids ...string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><BlockList>`)
	for _, i := range ids {
		b.WriteString("<Latest>" + base64.StdEncoding.EncodeToString([]byte(i)) + "</Latest>")
	}
	b.WriteString("</BlockList>")
	return []byte(b.String())
}

func finalize(t *testing.T, s *Server, name, size, hash string) (int, map[string]any) {
	t.Helper()
	return post(t, s, "FinalizeArtifact", s.Token, map[string]any{
		"workflow_run_backend_id": s.RunBackendID, "workflow_job_run_backend_id": s.JobBackendID,
		"name": name, "size": size, "hash": hash,
	})
}

func TestFakeAcceptsTheProtocol(t *testing.T) {
	for _, camel := range []bool{false, true} {
		t.Run(fmt.Sprintf("camel=%v", camel), func(t *testing.T) {
			s := Start(t, Options{CamelCase: camel})
			st, out := post(t, s, "CreateArtifact", s.Token, map[string]any{
				"workflow_run_backend_id": s.RunBackendID, "workflow_job_run_backend_id": s.JobBackendID,
				"name": "ok", "version": 4,
			})
			key := "signed_upload_url"
			if camel {
				key = "signedUploadUrl"
			}
			signed, _ := out[key].(string)
			if st != 200 || signed == "" {
				t.Fatalf("CreateArtifact: %d %v", st, out)
			}
			if put(t, signed+"&comp=block&blockid="+id("b-0"), []byte("hello ")) != 201 ||
				put(t, signed+"&comp=block&blockid="+id("b-1"), []byte("world")) != 201 ||
				put(t, signed+"&comp=blocklist", blockList("b-0", "b-1")) != 201 {
				t.Fatalf("blob requests refused: %v", s.Violations())
			}
			sum := sha256.Sum256([]byte("hello world"))
			st, out = finalize(t, s, "ok", "11", "sha256:"+hex.EncodeToString(sum[:]))
			idKey := "artifact_id"
			if camel {
				idKey = "artifactId"
			}
			if st != 200 || out[idKey] != "4100" {
				t.Fatalf("FinalizeArtifact: %d %v", st, out)
			}
			if v := s.Violations(); len(v) > 0 {
				t.Fatalf("violations: %v", v)
			}
			a, _ := s.Artifact("ok")
			if data, _ := a.Bytes(); string(data) != "hello world" || !a.Finalized {
				t.Errorf("stored %q, finalized %v", data, a.Finalized)
			}
		})
	}
}

func TestFakeRefusesTwirpMistakes(t *testing.T) {
	s := Start(t, Options{})
	good := func(edit func(map[string]any)) map[string]any {
		m := map[string]any{
			"workflow_run_backend_id": s.RunBackendID, "workflow_job_run_backend_id": s.JobBackendID,
			"name": "x", "version": 4,
		}
		if edit != nil {
			edit(m)
		}
		return m
	}
	for _, tc := range []struct {
		name   string
		method string
		token  string
		body   any
		status int
		code   string
	}{
		{"wrong token", "CreateArtifact", "nope", good(nil), 401, "unauthenticated"},
		{"lowerCamel request", "CreateArtifact", s.Token, map[string]any{"workflowRunBackendId": s.RunBackendID, "name": "x", "version": 4}, 400, "malformed"},
		{"unknown field", "CreateArtifact", s.Token, good(func(m map[string]any) { m["extra"] = 1 }), 400, "malformed"},
		{"version 3", "CreateArtifact", s.Token, good(func(m map[string]any) { m["version"] = 3 }), 400, "invalid_argument"},
		{"other run", "CreateArtifact", s.Token, good(func(m map[string]any) { m["workflow_run_backend_id"] = "other" }), 403, "permission_denied"},
		{"bad name", "CreateArtifact", s.Token, good(func(m map[string]any) { m["name"] = "a/b" }), 400, "invalid_argument"},
		{"bad expiry", "CreateArtifact", s.Token, good(func(m map[string]any) { m["expires_at"] = "tomorrow" }), 400, "malformed"},
		{"expiry past 90 days", "CreateArtifact", s.Token, good(func(m map[string]any) { m["expires_at"] = "2999-01-01T00:00:00Z" }), 400, "invalid_argument"},
		{"size as a number", "FinalizeArtifact", s.Token, map[string]any{"workflow_run_backend_id": s.RunBackendID, "workflow_job_run_backend_id": s.JobBackendID, "name": "x", "size": 5, "hash": "sha256:00"}, 400, "malformed"},
		{"unknown method", "DeleteEverything", s.Token, "{}", 404, "bad_route"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(s.Violations())
			st, out := post(t, s, tc.method, tc.token, tc.body)
			if st != tc.status || out["code"] != tc.code {
				t.Errorf("got %d %v, want %d %s", st, out, tc.status, tc.code)
			}
			if len(s.Violations()) != before+1 {
				t.Errorf("no violation recorded")
			}
		})
	}
}

func TestFakeRefusesBlobMistakes(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s *Server, signed string) int
		want int
	}{
		{"Put Blob", func(t *testing.T, s *Server, u string) int { return put(t, u, []byte("all at once")) }, 400},
		{"no signature", func(t *testing.T, s *Server, u string) int {
			return put(t, strings.Split(u, "?")[0]+"?comp=block&blockid="+id("b-0"), []byte("x"))
		}, 403},
		{"block id not base64", func(t *testing.T, s *Server, u string) int {
			return put(t, u+"&comp=block&blockid=%25%25", []byte("x"))
		}, 400},
		{"block ids of different lengths", func(t *testing.T, s *Server, u string) int {
			put(t, u+"&comp=block&blockid="+id("b-0"), []byte("x"))
			return put(t, u+"&comp=block&blockid="+id("b-10"), []byte("y"))
		}, 400},
		{"block list out of order", func(t *testing.T, s *Server, u string) int {
			put(t, u+"&comp=block&blockid="+id("b-0"), []byte("x"))
			put(t, u+"&comp=block&blockid="+id("b-1"), []byte("y"))
			return put(t, u+"&comp=blocklist", blockList("b-1", "b-0"))
		}, 400},
		{"block list names an unsent block", func(t *testing.T, s *Server, u string) int {
			put(t, u+"&comp=block&blockid="+id("b-0"), []byte("x"))
			return put(t, u+"&comp=blocklist", blockList("b-0", "b-1"))
		}, 400},
		{"finalize before commit", func(t *testing.T, s *Server, u string) int {
			st, _ := finalize(t, s, "x", "1", "sha256:00")
			return st
		}, 400},
		{"finalize with the wrong hash", func(t *testing.T, s *Server, u string) int {
			put(t, u+"&comp=block&blockid="+id("b-0"), []byte("x"))
			put(t, u+"&comp=blocklist", blockList("b-0"))
			st, _ := finalize(t, s, "x", "1", "sha256:"+strings.Repeat("0", 64))
			return st
		}, 400},
		{"finalize with the wrong size", func(t *testing.T, s *Server, u string) int {
			put(t, u+"&comp=block&blockid="+id("b-0"), []byte("x"))
			put(t, u+"&comp=blocklist", blockList("b-0"))
			sum := sha256.Sum256([]byte("x"))
			st, _ := finalize(t, s, "x", "2", "sha256:"+hex.EncodeToString(sum[:]))
			return st
		}, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Start(t, Options{})
			signed := create(t, s, "x")
			if got := tc.run(t, s, signed); got != tc.want {
				t.Errorf("status %d, want %d", got, tc.want)
			}
			if len(s.Violations()) == 0 {
				t.Error("no violation recorded")
			}
		})
	}
}

func TestFakeDuplicateNameIsAConflict(t *testing.T) {
	s := Start(t, Options{})
	create(t, s, "x")
	st, out := post(t, s, "CreateArtifact", s.Token, map[string]any{
		"workflow_run_backend_id": s.RunBackendID, "workflow_job_run_backend_id": s.JobBackendID,
		"name": "x", "version": 4,
	})
	if st != 409 || out["code"] != "already_exists" {
		t.Errorf("got %d %v, want 409 already_exists", st, out)
	}
	if v := s.Violations(); len(v) > 0 {
		t.Errorf("a duplicate name is the client's error, not a protocol violation: %v", v)
	}
}

func TestFakeFaultFiresOnce(t *testing.T) {
	s := Start(t, Options{})
	s.Fail(Fault{Op: OpCreate, Status: 503})
	body := map[string]any{
		"workflow_run_backend_id": s.RunBackendID, "workflow_job_run_backend_id": s.JobBackendID,
		"name": "x", "version": 4,
	}
	if st, _ := post(t, s, "CreateArtifact", s.Token, body); st != 503 {
		t.Errorf("first call %d, want the injected 503", st)
	}
	if st, _ := post(t, s, "CreateArtifact", s.Token, body); st != 200 {
		t.Errorf("second call %d, want 200", st)
	}
	if s.Artifacts()[0].Name != "x" || len(s.Artifacts()) != 1 {
		t.Errorf("artifacts %+v", s.Artifacts())
	}
}

func TestFakeStoresInDir(t *testing.T) {
	dir := t.TempDir()
	s := Start(t, Options{Dir: dir})
	u := create(t, s, "ondisk")
	put(t, u+"&comp=block&blockid="+id("b-0"), []byte("abc"))
	put(t, u+"&comp=block&blockid="+id("b-1"), []byte("def"))
	put(t, u+"&comp=blocklist", blockList("b-0", "b-1"))
	a, _ := s.Artifact("ondisk")
	data, err := a.Bytes()
	if err != nil || string(data) != "abcdef" || !strings.HasPrefix(a.Path, dir) {
		t.Errorf("stored %q at %q: %v", data, a.Path, err)
	}
}
