package artifact

import (
	"strings"
	"testing"
	"time"
)

// What servers have been seen to answer, and what the fake does not: numbers
// for int64s, bare hex digests, no digest, no ids.
func TestListedFrom(t *testing.T) {
	hexSum := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name string
		json string
		want Listed
		err  string
	}{
		{"snake_case, strings", `{"workflow_run_backend_id":"r","workflow_job_run_backend_id":"j","database_id":"7","name":"a","size":"12","created_at":"2026-12-01T20:00:00.5Z","digest":"sha256:` + hexSum + `"}`,
			Listed{ID: 7, Name: "a", Size: 12, CreatedAt: time.Date(2026, 12, 1, 20, 0, 0, 5e8, time.UTC), Digest: "sha256:" + hexSum, run: "r", job: "j"}, ""},
		{"lowerCamel, numbers", `{"workflowRunBackendId":"r","workflowJobRunBackendId":"j","databaseId":7,"name":"a","size":12,"createdAt":"2026-12-01T20:00:00Z"}`,
			Listed{ID: 7, Name: "a", Size: 12, CreatedAt: time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC), run: "r", job: "j"}, ""},
		{"bare upper-case hex digest", `{"database_id":"7","name":"a","digest":"` + strings.ToUpper(hexSum) + `"}`,
			Listed{ID: 7, Name: "a", Digest: "sha256:" + hexSum}, ""},
		{"digest of another kind is dropped", `{"database_id":"7","name":"a","digest":"md5:00"}`, Listed{ID: 7, Name: "a"}, ""},
		{"unknown fields ignored", `{"database_id":"7","name":"a","mime_type":"application/zip"}`, Listed{ID: 7, Name: "a"}, ""},
		{"no id", `{"name":"a"}`, Listed{}, "no database_id and name"},
		{"bad size", `{"database_id":"7","name":"a","size":"big"}`, Listed{}, "field size"},
		{"bad time", `{"database_id":"7","name":"a","created_at":"yesterday"}`, Listed{}, "created_at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := decodeFields([]byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			got, err := listedFrom(f)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !got.CreatedAt.Equal(tc.want.CreatedAt) {
				t.Fatalf("got %+v, %v\nwant %+v", got, err, tc.want)
			}
			got.CreatedAt, tc.want.CreatedAt = time.Time{}, time.Time{}
			if got != tc.want {
				t.Errorf("got %+v, %v\nwant %+v", got, err, tc.want)
			}
		})
	}
}

// A re-run job's attempts can leave a name twice; the newest upload wins.
func TestNewestByName(t *testing.T) {
	got := newestByName([]Listed{{ID: 3, Name: "b"}, {ID: 9, Name: "a"}, {ID: 12, Name: "b"}, {ID: 4, Name: "a"}, {ID: 5, Name: "c"}})
	var ids []int64
	for _, l := range got {
		ids = append(ids, l.ID)
	}
	if len(ids) != 3 || ids[0] != 9 || ids[1] != 12 || ids[2] != 5 {
		t.Errorf("got ids %v, want [9 12 5]", ids)
	}
}

func TestScrub(t *testing.T) {
	sig := "a+b/c="
	err := scrub(errString("GET https://x/y?sig=a%2Bb%2Fc%3D and a+b/c="), sig)
	if strings.Contains(err.Error(), "a+b") || strings.Contains(err.Error(), "a%2Bb") || !strings.Contains(err.Error(), "***") {
		t.Errorf("scrubbed: %v", err)
	}
}

type errString string

func (e errString) Error() string { return string(e) }
