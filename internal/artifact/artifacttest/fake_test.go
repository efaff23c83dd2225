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

func get(t *testing.T, rawURL string, hdr map[string]string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, rawURL, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

func listBody(s *Server, extra map[string]any) map[string]any {
	m := map[string]any{"workflow_run_backend_id": s.RunBackendID, "workflow_job_run_backend_id": s.JobBackendID}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// The read side as the toolkit drives it: list with the caller's ids, then
// ask for a read URL with the uploader's ids, then GET it with no token.
func TestFakeServesReads(t *testing.T) {
	for _, lowerCamel := range []bool{false, true} {
		t.Run(fmt.Sprintf("camel=%v", lowerCamel), func(t *testing.T) {
			s := Start(t, Options{CamelCase: lowerCamel})
			key := func(snake string) string {
				if lowerCamel {
					return camel(snake)
				}
				return snake
			}
			older := s.AddZipAs(s.RunBackendID, "job-b", "b", []byte("PK bee"))
			newer := s.AddZip("a", []byte("PK ay"))
			s.AddZipAs("another-run", "job-x", "x", []byte("PK other run"))

			st, out := post(t, s, "ListArtifacts", s.Token, listBody(s, nil))
			arts, _ := out["artifacts"].([]any)
			if st != 200 || len(arts) != 2 {
				t.Fatalf("ListArtifacts: %d %v", st, out)
			}
			first := arts[0].(map[string]any)
			if first["name"] != "a" || first[key("database_id")] != fmt.Sprint(newer.ID) || first["size"] != "5" ||
				first["digest"] != newer.Digest || first[key("workflow_job_run_backend_id")] != s.JobBackendID || first[key("created_at")] == nil {
				t.Errorf("newest entry %v, want %+v with int64s as strings", first, newer)
			}
			second := arts[1].(map[string]any)
			if second[key("workflow_job_run_backend_id")] != "job-b" {
				t.Errorf("entry %v does not name its uploader job-b", second)
			}
			for _, f := range []map[string]any{{"name_filter": "b"}, {"id_filter": fmt.Sprint(older.ID)}, {"id_filter": older.ID}} {
				_, out := post(t, s, "ListArtifacts", s.Token, listBody(s, f))
				if arts, _ := out["artifacts"].([]any); len(arts) != 1 || arts[0].(map[string]any)["name"] != "b" {
					t.Errorf("filter %v: %v", f, out)
				}
			}
			_, out = post(t, s, "ListArtifacts", s.Token, listBody(s, map[string]any{"name_filter": "x"}))
			if arts, _ := out["artifacts"].([]any); len(arts) != 0 {
				t.Errorf("another run's artifact listed: %v", out)
			}

			st, out = post(t, s, "GetSignedArtifactURL", s.Token, map[string]any{
				"workflow_run_backend_id": s.RunBackendID, "workflow_job_run_backend_id": "job-b", "name": "b",
			})
			signed, _ := out[key("signed_url")].(string)
			if st != 200 || signed == "" {
				t.Fatalf("GetSignedArtifactURL: %d %v", st, out)
			}
			if st, data := get(t, signed, nil); st != 200 || string(data) != "PK bee" {
				t.Errorf("GET: %d %q", st, data)
			}
			if a, _ := s.Artifact("b"); a.ReadURL != signed {
				t.Errorf("ReadURL %q, want the URL handed out", a.ReadURL)
			}
			if v := s.Violations(); len(v) > 0 {
				t.Fatalf("violations: %v", v)
			}
		})
	}
}

func TestFakeRefusesReadMistakes(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s *Server) int
		want int
	}{
		{"name_filter as a wrapper object", func(t *testing.T, s *Server) int {
			st, _ := post(t, s, "ListArtifacts", s.Token, listBody(s, map[string]any{"name_filter": map[string]any{"value": "b"}}))
			return st
		}, 400},
		{"unknown list field", func(t *testing.T, s *Server) int {
			st, _ := post(t, s, "ListArtifacts", s.Token, listBody(s, map[string]any{"latest": true}))
			return st
		}, 400},
		{"id_filter not an int64", func(t *testing.T, s *Server) int {
			st, _ := post(t, s, "ListArtifacts", s.Token, listBody(s, map[string]any{"id_filter": "seven"}))
			return st
		}, 400},
		{"list with another job's ids", func(t *testing.T, s *Server) int {
			st, _ := post(t, s, "ListArtifacts", s.Token, listBody(s, map[string]any{"workflow_job_run_backend_id": "job-b"}))
			return st
		}, 403},
		{"read URL asked with the caller's job id", func(t *testing.T, s *Server) int {
			st, _ := post(t, s, "GetSignedArtifactURL", s.Token, map[string]any{
				"workflow_run_backend_id": s.RunBackendID, "workflow_job_run_backend_id": s.JobBackendID, "name": "b",
			})
			return st
		}, 404},
		{"read URL of another run", func(t *testing.T, s *Server) int {
			st, _ := post(t, s, "GetSignedArtifactURL", s.Token, map[string]any{
				"workflow_run_backend_id": "another-run", "workflow_job_run_backend_id": "job-b", "name": "b",
			})
			return st
		}, 403},
		{"GET with an Authorization header", func(t *testing.T, s *Server) int {
			st, _ := get(t, readURL(t, s), map[string]string{"Authorization": "Bearer " + s.Token})
			return st
		}, 403},
		{"GET with the upload signature", func(t *testing.T, s *Server) int {
			readURL(t, s)
			a, _ := s.Artifact("b")
			u, _ := url.Parse(a.ReadURL)
			q := u.Query()
			q.Set("sig", s.blobs[u.Path].sig)
			u.RawQuery = q.Encode()
			st, _ := get(t, u.String(), nil)
			return st
		}, 403},
		{"GET without a signature", func(t *testing.T, s *Server) int {
			st, _ := get(t, strings.Split(readURL(t, s), "?")[0], nil)
			return st
		}, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Start(t, Options{})
			s.AddZipAs(s.RunBackendID, "job-b", "b", []byte("PK bee"))
			if got := tc.run(t, s); got != tc.want {
				t.Errorf("status %d, want %d", got, tc.want)
			}
			if len(s.Violations()) != 1 {
				t.Errorf("violations %q, want one", s.Violations())
			}
		})
	}
}

// readURL asks for a read URL of "b" the right way.
func readURL(t *testing.T, s *Server) string {
	t.Helper()
	st, out := post(t, s, "GetSignedArtifactURL", s.Token, map[string]any{
		"workflow_run_backend_id": s.RunBackendID, "workflow_job_run_backend_id": "job-b", "name": "b",
	})
	if st != 200 {
		t.Fatalf("GetSignedArtifactURL: %d %v", st, out)
	}
	return out["signed_url"].(string)
}

// An upload through a job's token is that job's artifact, readable by the
// run's other jobs; unfinalized ones are neither listed nor readable.
func TestFakeJobsShareTheRun(t *testing.T) {
	s := Start(t, Options{})
	if s.JobToken("leg-1") != s.JobToken("leg-1") || s.JobToken("leg-1") == s.Token {
		t.Fatal("JobToken is not one token per job")
	}
	leg := s.JobToken("leg-1")
	st, out := post(t, s, "CreateArtifact", leg, map[string]any{
		"workflow_run_backend_id": s.RunBackendID, "workflow_job_run_backend_id": "leg-1", "name": "part", "version": 4,
	})
	if st != 200 {
		t.Fatalf("CreateArtifact: %d %v", st, out)
	}
	signed := out["signed_upload_url"].(string)
	put(t, signed+"&comp=block&blockid="+id("b-0"), []byte("PK part"))
	put(t, signed+"&comp=blocklist", blockList("b-0"))
	if _, out := post(t, s, "ListArtifacts", s.Token, listBody(s, nil)); len(out["artifacts"].([]any)) != 0 {
		t.Errorf("an unfinalized artifact is listed: %v", out)
	}
	sum := sha256.Sum256([]byte("PK part"))
	if st, out := post(t, s, "FinalizeArtifact", leg, map[string]any{
		"workflow_run_backend_id": s.RunBackendID, "workflow_job_run_backend_id": "leg-1", "name": "part",
		"size": "7", "hash": "sha256:" + hex.EncodeToString(sum[:]),
	}); st != 200 {
		t.Fatalf("FinalizeArtifact: %d %v", st, out)
	}
	_, out = post(t, s, "ListArtifacts", s.Token, listBody(s, nil))
	if arts := out["artifacts"].([]any); len(arts) != 1 || arts[0].(map[string]any)["workflow_job_run_backend_id"] != "leg-1" {
		t.Errorf("ListArtifacts: %v", out)
	}
	if v := s.Violations(); len(v) > 0 {
		t.Errorf("violations: %v", v)
	}
}

// Corrupt changes what is served, not what is listed.
func TestFakeCorrupt(t *testing.T) {
	s := Start(t, Options{Dir: t.TempDir()})
	before := s.AddZipAs(s.RunBackendID, "job-b", "b", []byte("PK bee"))
	if err := s.Corrupt("b", func(b []byte) []byte { return append(b, '!') }); err != nil {
		t.Fatal(err)
	}
	if st, data := get(t, readURL(t, s), nil); st != 200 || string(data) != "PK bee!" {
		t.Errorf("GET after Corrupt: %d %q", st, data)
	}
	if after, _ := s.Artifact("b"); after.Digest != before.Digest || after.Size != before.Size {
		t.Errorf("Corrupt changed the listing: %+v", after)
	}
	if err := s.Corrupt("absent", func(b []byte) []byte { return b }); err == nil {
		t.Error("Corrupt of an absent artifact succeeded")
	}
}

func TestFakeTruncatedRead(t *testing.T) {
	s := Start(t, Options{})
	s.AddZipAs(s.RunBackendID, "job-b", "b", []byte("PK a longer body"))
	u := readURL(t, s)
	s.Fail(Fault{Op: OpGetBlob, Truncate: 4})
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err == nil || string(data) != "PK a" {
		t.Errorf("read %q, %v; want 4 bytes then an error", data, err)
	}
}
