package artifact

import (
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// ErrArtifactNotFound: the workflow run has no finalized artifact of that
// name (or the service no longer finds it).
var ErrArtifactNotFound = errors.New("artifact not found in this workflow run")

// Listed is an artifact of the workflow run as ListArtifacts describes it.
type Listed struct {
	ID   int64
	Name string
	// Size is the zip's size in bytes, 0 when the service did not say.
	Size      int64
	CreatedAt time.Time
	// Digest is "sha256:<hex>" of the zip when the service gives one
	// (artifacts uploaded by older clients have none), else empty.
	Digest string

	// run and job are the backend ids of the job that uploaded it:
	// GetSignedArtifactURL finds an artifact under those only, not under
	// the ids of the job asking, which in a merge job is another job.
	run, job string
}

// List lists this workflow run's finalized artifacts, those of every job,
// sorted by name. nameFilter, when not empty, keeps only the artifact of
// exactly that name. A name uploaded more than once (by attempts of a re-run
// job) is listed once, as its newest upload, as download-artifact does.
func List(ctx context.Context, cfg Config, nameFilter string) ([]Listed, error) {
	s, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	if nameFilter != "" {
		if err := ValidateName(nameFilter); err != nil {
			return nil, err
		}
	}
	ids, err := parseBackendIDs(cfg.Token)
	if err != nil {
		return nil, err
	}
	tc := &twirpClient{s: s, origin: s.origin}
	arts, err := tc.listArtifacts(ctx, ids, nameFilter)
	if err != nil {
		return nil, fmt.Errorf("list artifacts: %w", err)
	}
	return arts, nil
}

// listArtifactsRequest is ListArtifactsRequest with only the v4 fields.
// NameFilter is a StringValue wrapper, so a bare string, omitted for none;
// id_filter is not used.
type listArtifactsRequest struct {
	WorkflowRunBackendID    string `json:"workflow_run_backend_id"`
	WorkflowJobRunBackendID string `json:"workflow_job_run_backend_id"`
	NameFilter              string `json:"name_filter,omitempty"`
}

// listArtifacts asks for the run's artifacts, with the caller's own ids (the
// service answers for the whole run).
func (c *twirpClient) listArtifacts(ctx context.Context, ids backendIDs, nameFilter string) ([]Listed, error) {
	f, err := c.callLimit(ctx, "ListArtifacts", listArtifactsRequest{
		WorkflowRunBackendID:    ids.run,
		WorkflowJobRunBackendID: ids.job,
		NameFilter:              nameFilter,
	}, maxListResponse)
	if err != nil {
		// Gitea's implementation of the service answers a run without
		// artifacts with a bare 404; a wrong route says bad_route.
		var te *TwirpError
		if errors.As(err, &te) && te.Status == http.StatusNotFound && (te.Code == "" || te.Code == "not_found") {
			return nil, nil
		}
		return nil, err
	}
	var items []json.RawMessage
	if raw, ok := f.raw("artifacts"); ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fmt.Errorf("ListArtifacts: field artifacts: %w", err)
		}
	}
	out := make([]Listed, 0, len(items))
	for i, item := range items {
		af, err := decodeFields(item)
		if err != nil {
			return nil, fmt.Errorf("ListArtifacts: artifact %d: %w", i, err)
		}
		l, err := listedFrom(af)
		if err != nil {
			return nil, fmt.Errorf("ListArtifacts: artifact %d: %w", i, err)
		}
		// Some implementations match the filter ignoring case; a name is
		// what the caller asked for or nothing.
		if nameFilter != "" && l.Name != nameFilter {
			continue
		}
		out = append(out, l)
	}
	return newestByName(out), nil
}

// listedFrom reads one ListArtifactsResponse.MonolithArtifact.
func listedFrom(f fields) (Listed, error) {
	var l Listed
	var err error
	if l.ID, err = f.int64("database_id"); err != nil {
		return l, err
	}
	if l.Name, err = f.string("name"); err != nil {
		return l, err
	}
	if l.ID <= 0 || l.Name == "" {
		return l, fmt.Errorf("no database_id and name (%d, %q)", l.ID, l.Name)
	}
	if l.Size, err = f.int64("size"); err != nil {
		return l, err
	}
	// A Timestamp's JSON form is RFC 3339, in UTC, with 0 to 9 decimals.
	created, err := f.string("created_at")
	if err != nil {
		return l, err
	}
	if created != "" {
		if l.CreatedAt, err = time.Parse(time.RFC3339Nano, created); err != nil {
			return l, fmt.Errorf("field created_at: %q is not an RFC 3339 time", created)
		}
	}
	// digest is a StringValue wrapper: a bare string.
	digest, err := f.string("digest")
	if err != nil {
		return l, err
	}
	l.Digest = normalDigest(digest)
	if l.run, err = f.string("workflow_run_backend_id"); err != nil {
		return l, err
	}
	if l.job, err = f.string("workflow_job_run_backend_id"); err != nil {
		return l, err
	}
	return l, nil
}

// normalDigest is d as "sha256:<lowercase hex>", accepting the bare hex some
// servers give; "" for anything else, which cannot be checked.
func normalDigest(d string) string {
	d = strings.ToLower(strings.TrimSpace(d))
	d = strings.TrimPrefix(d, "sha256:")
	if b, err := hex.DecodeString(d); err != nil || len(b) != 32 {
		return ""
	}
	return "sha256:" + d
}

// newestByName keeps, of each name, the artifact of the highest id (the
// latest upload), and sorts by name.
func newestByName(arts []Listed) []Listed {
	slices.SortFunc(arts, func(a, b Listed) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), cmp.Compare(b.ID, a.ID))
	})
	return slices.CompactFunc(arts, func(a, b Listed) bool { return a.Name == b.Name })
}

// owner is the ids to ask GetSignedArtifactURL with: the uploader's, or the
// caller's when the service did not say (implementations that echo the
// request's ids).
func (l Listed) owner(caller backendIDs) backendIDs {
	return backendIDs{run: cmp.Or(l.run, caller.run), job: cmp.Or(l.job, caller.job)}
}
