package artifact_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helios-action/helios-action/internal/artifact"
	"github.com/helios-action/helios-action/internal/artifact/artifacttest"
)

// jobConfig is config for another job of the fake's run (a matrix leg).
func jobConfig(t testing.TB, fake *artifacttest.Server, job string, l *logs) artifact.Config {
	t.Helper()
	cfg := config(t, fake, l)
	cfg.Token = fake.JobToken(job)
	return cfg
}

func ctx30(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func download(t *testing.T, cfg artifact.Config, name string, max int64) ([]byte, int64, error) {
	t.Helper()
	var buf bytes.Buffer
	n, err := artifact.Download(ctx30(t), cfg, name, &buf, max)
	return buf.Bytes(), n, err
}

func sha(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// secretsIn says which of the signatures the fake handed out (upload and
// read URLs, raw or escaped) or the token text holds.
func secretsIn(t *testing.T, fake *artifacttest.Server, text string) []string {
	t.Helper()
	var found []string
	for _, a := range fake.Artifacts() {
		for _, u := range []string{a.SignedURL, a.ReadURL} {
			if u == "" {
				continue
			}
			sig := signature(t, u)
			if strings.Contains(text, sig) || strings.Contains(text, url.QueryEscape(sig)) {
				found = append(found, a.Name+" sig")
			}
		}
	}
	if strings.Contains(text, fake.Token) {
		found = append(found, "token")
	}
	return found
}

// headerRecorder remembers the Authorization header of every blob request.
type headerRecorder struct {
	mu   sync.Mutex
	auth map[string]int // "METHOD has-auth" → count
}

func (h *headerRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(r.URL.Path, "/twirp/") {
		h.mu.Lock()
		if h.auth == nil {
			h.auth = map[string]int{}
		}
		k := r.Method + " without Authorization"
		if r.Header.Get("Authorization") != "" {
			k = r.Method + " with Authorization"
		}
		h.auth[k]++
		h.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(r)
}

// Two legs of a matrix upload with the real Upload; a third job (the merge)
// lists both and downloads each, byte for byte, through the read URL of the
// job that uploaded it.
func TestListAndDownload(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  artifacttest.Options
		camel bool
	}{
		{"snake_case answers", artifacttest.Options{}, false},
		{"lowerCamel answers", artifacttest.Options{CamelCase: true}, true},
		{"blobs on disk", artifacttest.Options{Dir: "tmp"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.Dir != "" {
				tc.opts.Dir = t.TempDir()
			}
			fake := artifacttest.Start(t, tc.opts)
			root := bundle(t)
			uploaded := map[string]*artifact.Result{}
			for _, leg := range []string{"us", "eu"} {
				res, err := upload(t, jobConfig(t, fake, "job-"+leg, nil), "helios-report-"+leg, root)
				if err != nil {
					t.Fatalf("Upload %s: %v", leg, err)
				}
				uploaded[res.Name] = res
			}
			var l logs
			var masked []string
			var rec headerRecorder
			cfg := jobConfig(t, fake, "job-merge", &l)
			cfg.Mask = func(s string) { masked = append(masked, s) }
			cfg.HTTPClient = &http.Client{Transport: &rec}

			all, err := artifact.List(ctx30(t), cfg, "")
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if len(all) != 2 || all[0].Name != "helios-report-eu" || all[1].Name != "helios-report-us" {
				t.Fatalf("List = %+v, want eu then us", all)
			}
			for _, got := range all {
				want := uploaded[got.Name]
				if got.ID != want.ID || got.Size != want.Size || got.Digest != want.Digest || got.CreatedAt.IsZero() {
					t.Errorf("listed %+v; uploaded id %d, size %d, %s", got, want.ID, want.Size, want.Digest)
				}
			}
			for _, tf := range []struct {
				filter string
				want   int
			}{{"helios-report-us", 1}, {"helios-report", 0}, {"HELIOS-REPORT-US", 0}} {
				got, err := artifact.List(ctx30(t), cfg, tf.filter)
				if err != nil || len(got) != tf.want || tf.want == 1 && got[0].Name != tf.filter {
					t.Errorf("List(%q) = %+v, %v; want %d", tf.filter, got, err, tf.want)
				}
			}

			for name, res := range uploaded {
				data, n, err := download(t, cfg, name, res.Size)
				if err != nil {
					t.Fatalf("Download %s: %v\nlog:\n%s", name, err, &l)
				}
				stored, _ := fake.Artifact(name)
				want, _ := stored.Bytes()
				if n != res.Size || int64(len(data)) != n || sha(data) != res.Digest || !bytes.Equal(data, want) {
					t.Errorf("%s: %d bytes (%s), want the %d uploaded (%s)", name, n, sha(data), res.Size, res.Digest)
				}
				if !strings.Contains(l.String(), "downloaded \""+name+"\"") {
					t.Errorf("no download line for %s in the log:\n%s", name, &l)
				}
			}
			if v := fake.Violations(); len(v) > 0 {
				t.Fatalf("protocol violations:\n%s", strings.Join(v, "\n"))
			}
			if rec.auth["GET with Authorization"] != 0 || rec.auth["GET without Authorization"] != 2 {
				t.Errorf("blob GETs: %v, want 2, none with Authorization", rec.auth)
			}
			var reads []string
			for _, a := range fake.Artifacts() {
				reads = append(reads, signature(t, a.ReadURL))
			}
			slices.Sort(reads)
			slices.Sort(masked)
			if !slices.Equal(masked, reads) {
				t.Errorf("Mask got %q, want the two read signatures %q", masked, reads)
			}
			if s := secretsIn(t, fake, l.String()); len(s) > 0 {
				t.Errorf("the log holds %v:\n%s", s, &l)
			}
		})
	}
}

// The run's artifacts only, finalized ones only.
func TestListSkipsOtherRunsAndUnfinished(t *testing.T) {
	fake := artifacttest.Start(t, artifacttest.Options{})
	mine := fake.AddZip("mine", []byte("PK mine"))
	fake.AddZipAs("another-run", "another-job", "theirs", []byte("PK theirs"))
	fake.AddZipAs("another-run", "another-job", "mine", []byte("PK not mine"))
	fake.Fail(artifacttest.Fault{Op: artifacttest.OpFinalize, Status: 400, Code: "invalid_argument"})
	if _, err := upload(t, config(t, fake, nil), "unfinished", bundle(t)); err == nil {
		t.Fatal("upload succeeded past a final FinalizeArtifact error")
	}
	got, err := artifact.List(ctx30(t), config(t, fake, nil), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != mine.ID || got[0].Digest != sha([]byte("PK mine")) || got[0].Size != 7 {
		t.Errorf("List = %+v, want only %+v", got, mine)
	}
	data, _, err := download(t, config(t, fake, nil), "mine", 100)
	if err != nil || string(data) != "PK mine" {
		t.Errorf("Download = %q, %v; want this run's artifact", data, err)
	}
	if _, _, err := download(t, config(t, fake, nil), "theirs", 100); !errors.Is(err, artifact.ErrArtifactNotFound) {
		t.Errorf("Download of another run's artifact: %v, want ErrArtifactNotFound", err)
	}
}

// One fault at each request; the download retries past it and still brings
// the exact bytes.
func TestDownloadRetries(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault artifacttest.Fault
		// byTransport: net/http itself retries an idempotent GET whose
		// reused connection closed before any answer.
		byTransport bool
	}{
		{"list 503", artifacttest.Fault{Op: artifacttest.OpList, Status: 503}, false},
		{"list connection drop", artifacttest.Fault{Op: artifacttest.OpList, Drop: true}, false},
		{"signed URL 502", artifacttest.Fault{Op: artifacttest.OpSignedURL, Status: 502}, false},
		{"signed URL 429", artifacttest.Fault{Op: artifacttest.OpSignedURL, Status: 429}, false},
		{"blob 500", artifacttest.Fault{Op: artifacttest.OpGetBlob, Status: 500}, false},
		{"blob 429", artifacttest.Fault{Op: artifacttest.OpGetBlob, Status: 429}, false},
		{"blob connection drop", artifacttest.Fault{Op: artifacttest.OpGetBlob, Drop: true}, true},
		{"blob stalls before any byte", artifacttest.Fault{Op: artifacttest.OpGetBlob, Hang: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := artifacttest.Start(t, artifacttest.Options{})
			res, err := upload(t, jobConfig(t, fake, "job-leg", nil), "leg", bundle(t))
			if err != nil {
				t.Fatal(err)
			}
			fake.Fail(tc.fault)
			var l logs
			cfg := config(t, fake, &l)
			cfg.StallTimeout = 200 * time.Millisecond
			data, _, err := download(t, cfg, "leg", 1<<20)
			if err != nil {
				t.Fatalf("Download: %v\nlog:\n%s", err, &l)
			}
			if sha(data) != res.Digest {
				t.Errorf("downloaded %s, want %s", sha(data), res.Digest)
			}
			if v := fake.Violations(); len(v) > 0 {
				t.Fatalf("protocol violations:\n%s", strings.Join(v, "\n"))
			}
			faults, tries := 0, 0
			for _, r := range fake.Requests() {
				if r.Fault != "" {
					faults++
				}
				if r.Op == tc.fault.Op {
					tries++
				}
			}
			if faults != 1 || tries != 2 {
				t.Errorf("%d faults fired in %d tries of %s, want 1 in 2", faults, tries, tc.fault.Op)
			}
			if !tc.byTransport && !strings.Contains(l.String(), "retrying") {
				t.Errorf("no retry in the log:\n%s", &l)
			}
			if s := secretsIn(t, fake, l.String()); len(s) > 0 {
				t.Errorf("the log holds %v:\n%s", s, &l)
			}
		})
	}
}

func TestDownloadFails(t *testing.T) {
	const name = "leg"
	for _, tc := range []struct {
		desc    string
		ask     string // default name
		faults  []artifacttest.Fault
		corrupt func([]byte) []byte
		max     int64 // 0: the artifact's size
		is      error
		want    string
		gets    int // blob GETs made
	}{
		{desc: "no such artifact", ask: "absent", is: artifact.ErrArtifactNotFound, want: `download artifact "absent": artifact not found`},
		{desc: "signed URL not found", faults: []artifacttest.Fault{{Op: artifacttest.OpSignedURL, Status: 404, Code: "not_found", Msg: "artifact not found"}},
			is: artifact.ErrArtifactNotFound, want: "not found"},
		{desc: "listed larger than the limit", max: -1, is: artifact.ErrTooLarge, want: "the limit is"},
		{desc: "blob larger than listed", corrupt: func(b []byte) []byte { return append(b, "trailer"...) }, is: artifact.ErrTooLarge, gets: 1},
		{desc: "blob changed after listing", corrupt: func(b []byte) []byte { b[len(b)/2] ^= 1; return b }, is: artifact.ErrMismatch, want: "the service lists sha256:", gets: 1},
		{desc: "blob shorter than listed", corrupt: func(b []byte) []byte { return b[:len(b)-1] }, is: artifact.ErrMismatch, want: "the service lists", gets: 1},
		{desc: "cut after some bytes is not retried", faults: []artifacttest.Fault{{Op: artifacttest.OpGetBlob, Truncate: 1000}}, want: "after 1000 bytes; not retried", gets: 1},
		{desc: "blob 403 is final", faults: []artifacttest.Fault{{Op: artifacttest.OpGetBlob, Status: 403}}, want: "GET blob: 403 Forbidden", gets: 1},
		{desc: "blob 404 is final", faults: []artifacttest.Fault{{Op: artifacttest.OpGetBlob, Status: 404}}, want: "GET blob: 404", gets: 1},
		{desc: "blob 503 five times", faults: repeat(artifacttest.Fault{Op: artifacttest.OpGetBlob, Status: 503}, 5), want: "gave up after 5 attempts", gets: 5},
		{desc: "list 500 five times", faults: repeat(artifacttest.Fault{Op: artifacttest.OpList, Status: 500}, 5), want: "ListArtifacts: 500"},
		{desc: "list 401 is final", faults: []artifacttest.Fault{{Op: artifacttest.OpList, Status: 401, Code: "unauthenticated", Msg: "token expired"}}, want: "token expired"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			fake := artifacttest.Start(t, artifacttest.Options{})
			res, err := upload(t, jobConfig(t, fake, "job-leg", nil), name, bundle(t))
			if err != nil {
				t.Fatal(err)
			}
			if tc.corrupt != nil {
				if err := fake.Corrupt(name, tc.corrupt); err != nil {
					t.Fatal(err)
				}
			}
			for _, f := range tc.faults {
				fake.Fail(f)
			}
			var l logs
			cfg := config(t, fake, &l)
			max := res.Size
			if tc.max < 0 {
				max = res.Size - 1
			}
			ask := name
			if tc.ask != "" {
				ask = tc.ask
			}
			_, _, err = download(t, cfg, ask, max)
			if err == nil || !strings.Contains(err.Error(), tc.want) || tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want %v saying %q", err, tc.is, tc.want)
			}
			gets := 0
			for _, r := range fake.Requests() {
				if r.Op == artifacttest.OpGetBlob {
					gets++
				}
			}
			if gets != tc.gets {
				t.Errorf("%d blob GETs, want %d", gets, tc.gets)
			}
			if s := secretsIn(t, fake, err.Error()+"\n"+l.String()); len(s) > 0 {
				t.Errorf("error or log holds %v: %v\n%s", s, err, &l)
			}
			if v := fake.Violations(); len(v) > 0 {
				t.Errorf("protocol violations:\n%s", strings.Join(v, "\n"))
			}
		})
	}
}

// Nothing is asked of the service for a call that cannot succeed.
func TestDownloadRefusesBeforeAnyCall(t *testing.T) {
	fake := artifacttest.Start(t, artifacttest.Options{})
	cfg := config(t, fake, nil)
	for _, tc := range []struct {
		name string
		max  int64
		want string
	}{
		{"a/b", 10, "artifact name"},
		{"ok", 0, "a limit of 0 bytes"},
	} {
		if _, _, err := download(t, cfg, tc.name, tc.max); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Download(%q, %d) = %v, want it to say %q", tc.name, tc.max, err, tc.want)
		}
	}
	if _, err := artifact.List(ctx30(t), cfg, "a:b"); !errors.Is(err, artifact.ErrInvalidName) {
		t.Errorf("List with a bad filter: %v, want ErrInvalidName", err)
	}
	if r := fake.Requests(); len(r) > 0 {
		t.Errorf("requests made: %+v", r)
	}
}

// act lists no digest and the size of the folder that holds the zip: with
// nothing to check the bytes against, the download trusts neither.
func TestDownloadWithoutListedDigest(t *testing.T) {
	fake := artifacttest.Start(t, artifacttest.Options{Listing: func(e map[string]any) {
		delete(e, "digest")
		e["size"] = "4096"
	}})
	res, err := upload(t, jobConfig(t, fake, "job-leg", nil), "leg", bundle(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg := config(t, fake, nil)
	got, err := artifact.List(ctx30(t), cfg, "leg")
	if err != nil || len(got) != 1 || got[0].Digest != "" || got[0].Size != 4096 {
		t.Fatalf("List = %+v, %v; want one entry with no digest", got, err)
	}
	data, n, err := download(t, cfg, "leg", res.Size)
	if err != nil || n != res.Size || sha(data) != res.Digest {
		t.Errorf("Download: %d bytes (%s), %v; want the %d uploaded (%s)", n, sha(data), err, res.Size, res.Digest)
	}
	if _, _, err := download(t, cfg, "leg", res.Size-1); !errors.Is(err, artifact.ErrTooLarge) {
		t.Errorf("Download over the limit: %v, want ErrTooLarge", err)
	}
}
