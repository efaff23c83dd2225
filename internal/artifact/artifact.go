// Package artifact uploads a folder as a workflow artifact through the GitHub
// Actions artifact service v4, the protocol behind actions/upload-artifact@v4,
// without the toolkit: two Twirp JSON calls (CreateArtifact, FinalizeArtifact)
// around a zip streamed to Azure Blob Storage as 8 MiB blocks.
//
// The zip is never held whole in memory nor written to disk: files are read
// in chunks, deflated on every CPU, and each finished block goes to the
// network while the next fills. The SHA-256 and size given to
// FinalizeArtifact are those of exactly the bytes sent.
//
// List and Download read the run's artifacts back, those of every job, as
// actions/download-artifact@v4 does: ListArtifacts, GetSignedArtifactURL,
// then a plain GET of the signed URL.
package artifact

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/helios-action/helios-action/internal/ledger"
)

// Errors callers tell apart with errors.Is.
var (
	// ErrNotInActions: no ACTIONS_RUNTIME_TOKEN, so not in a workflow run
	// (or a runner that gives none); the caller skips with a notice.
	ErrNotInActions = errors.New("not running in GitHub Actions (ACTIONS_RUNTIME_TOKEN is not set)")
	// ErrNoResultsService: a runtime token but no ACTIONS_RESULTS_URL, as on
	// GitHub Enterprise Server versions without the v4 artifact service.
	ErrNoResultsService = errors.New("ACTIONS_RESULTS_URL is not set: this runner has no artifact service v4 (GitHub Enterprise Server does not support it)")
	// ErrArtifactExists: the run already has an artifact of that name.
	ErrArtifactExists = errors.New("artifact name already used in this workflow run")
	// ErrStorageQuota: the service refuses new artifacts until usage is
	// recalculated (every 6 to 12 hours).
	ErrStorageQuota = errors.New("artifact storage quota reached")
)

// Retention bounds of the service; a repository or organisation setting
// (GITHUB_RETENTION_DAYS) can lower the maximum.
const (
	MinRetentionDays = 1
	MaxRetentionDays = 90
	// DefaultCompressionLevel is upload-artifact's default.
	DefaultCompressionLevel = 6
	defaultStallTimeout     = 5 * time.Minute // the toolkit's ACTIONS_UPLOAD_TIMEOUT_MS default
	defaultCallTimeout      = 60 * time.Second
)

// Config says where and how to upload. ConfigFromEnv fills the environment's
// part; the caller adds inputs (RetentionDays, CompressionLevel) and hooks.
type Config struct {
	// Token is ACTIONS_RUNTIME_TOKEN, a secret: it is only ever sent as the
	// bearer token of the Twirp calls.
	Token string
	// ResultsURL is ACTIONS_RESULTS_URL; only its origin is used.
	ResultsURL string
	// RetentionDays: 0 keeps the repository's default; else 1–90, lowered
	// to MaxRetentionDays when that is set and smaller (with a log line).
	RetentionDays int
	// MaxRetentionDays is GITHUB_RETENTION_DAYS, 0 when unknown.
	MaxRetentionDays int
	// CompressionLevel: 0 stores files uncompressed, 1–9 deflates (6 is
	// upload-artifact's default), -1 means 6.
	CompressionLevel int
	// ServerURL, Repository and RunID (GITHUB_SERVER_URL, GITHUB_REPOSITORY,
	// GITHUB_RUN_ID) make Result.URL; any of them empty leaves it empty.
	ServerURL, Repository, RunID string
	// ModTime, when set, is the time of every entry, so identical files
	// give an identical zip; zero uses each file's own modification time,
	// as zip and upload-artifact do.
	ModTime time.Time
	// HTTPClient defaults to a client with no overall timeout: uploads are
	// bounded by CallTimeout and StallTimeout instead.
	HTTPClient *http.Client
	// Mask, when set, is called with the signed upload URL's signature
	// before anything could print it (pass the log masker's Add and
	// core.setSecret's equivalent).
	Mask func(string)
	// Logf, when set, gets progress and retry lines.
	Logf func(format string, args ...any)

	// MaxAttempts bounds the tries of each Twirp call and of each block
	// (default 5).
	MaxAttempts int
	// RetryDelay is the first wait before a retry (default 3 s); each later
	// wait is ×1.5 with jitter. Tests set a millisecond.
	RetryDelay time.Duration
	// StallTimeout fails the upload when a blob request moves no byte for
	// this long (default 5 min, or ACTIONS_UPLOAD_TIMEOUT_MS as the
	// toolkit reads it).
	StallTimeout time.Duration
	// CallTimeout bounds one Twirp attempt (default 60 s).
	CallTimeout time.Duration
	// BlockSize is the blob block size (default 8 MiB, the toolkit's).
	BlockSize int
	// Workers is how many goroutines deflate (default GOMAXPROCS).
	Workers int
	// Now is the clock for the expiry time (default time.Now).
	Now func() time.Time
}

// ConfigFromEnv reads the runner's variables. Without ACTIONS_RUNTIME_TOKEN it
// returns ErrNotInActions, which the caller reports as a notice.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		Token:            getenv("ACTIONS_RUNTIME_TOKEN"),
		ResultsURL:       getenv("ACTIONS_RESULTS_URL"),
		CompressionLevel: -1,
		ServerURL:        getenv("GITHUB_SERVER_URL"),
		Repository:       getenv("GITHUB_REPOSITORY"),
		RunID:            getenv("GITHUB_RUN_ID"),
	}
	if cfg.Token == "" {
		return cfg, ErrNotInActions
	}
	if cfg.ResultsURL == "" {
		return cfg, ErrNoResultsService
	}
	if _, err := resultsOrigin(cfg.ResultsURL); err != nil {
		return cfg, err
	}
	if _, err := parseBackendIDs(cfg.Token); err != nil {
		return cfg, err
	}
	// As the toolkit: an unreadable cap is no cap.
	if n, err := strconv.Atoi(getenv("GITHUB_RETENTION_DAYS")); err == nil && n > 0 {
		cfg.MaxRetentionDays = n
	}
	if v := getenv("ACTIONS_UPLOAD_TIMEOUT_MS"); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms <= 0 {
			return cfg, fmt.Errorf("ACTIONS_UPLOAD_TIMEOUT_MS=%q is not a positive number of milliseconds", v)
		}
		cfg.StallTimeout = time.Duration(ms) * time.Millisecond
	}
	return cfg, nil
}

// resultsOrigin is scheme://host[:port] of ACTIONS_RESULTS_URL.
func resultsOrigin(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("ACTIONS_RESULTS_URL %q is not an http(s) URL", raw)
	}
	return u.Scheme + "://" + u.Host, nil
}

// Result describes an uploaded artifact: the values upload-artifact gives as
// its outputs.
type Result struct {
	ID   int64
	Name string
	// Size is the zip's size in bytes; Digest is "sha256:<hex>" of it,
	// as the service records it.
	Size   int64
	Digest string
	// URL is the artifact's page, empty when Config lacks the run's
	// coordinates.
	URL string
	// Files is how many entries the zip holds.
	Files int
	// Expires is the requested expiry, zero for the repository default.
	Expires time.Time
}

// ArtifactURL is the artifact's page as upload-artifact prints it:
// {server}/{owner/repo}/actions/runs/{run}/artifacts/{id}.
func ArtifactURL(serverURL, repo, runID string, id int64) string {
	return strings.TrimRight(serverURL, "/") + "/" + repo + "/actions/runs/" + runID + "/artifacts/" + strconv.FormatInt(id, 10)
}

// BundleFiles lists what goes in a bundle's artifact: every file its
// SHA256SUMS lists, in ledger order, then SHA256SUMS itself, so the unzipped
// artifact checks with `sha256sum -c SHA256SUMS`.
func BundleFiles(root string) ([]string, error) {
	entries, err := ledger.ReadFile(filepath.Join(root, ledger.FileName))
	if err != nil {
		return nil, err
	}
	files := make([]string, 0, len(entries)+1)
	for _, e := range entries {
		files = append(files, e.Name)
	}
	return append(files, ledger.FileName), nil
}

// settings is a Config with defaults applied and inputs checked.
type settings struct {
	token        string
	origin       string
	client       *http.Client
	level        int
	maxAttempts  int
	retryDelay   time.Duration
	stallTimeout time.Duration
	callTimeout  time.Duration
	blockSize    int
	workers      int
	userAgent    string
	logf         func(string, ...any)
}

func (cfg *Config) settings() (*settings, error) {
	if cfg.Token == "" {
		return nil, ErrNotInActions
	}
	if cfg.ResultsURL == "" {
		return nil, ErrNoResultsService
	}
	origin, err := resultsOrigin(cfg.ResultsURL)
	if err != nil {
		return nil, err
	}
	s := &settings{
		token:        cfg.Token,
		origin:       origin,
		client:       cfg.HTTPClient,
		level:        cfg.CompressionLevel,
		maxAttempts:  orDefault(cfg.MaxAttempts, defaultMaxAttempts),
		retryDelay:   orDefault(cfg.RetryDelay, defaultRetryDelay),
		stallTimeout: orDefault(cfg.StallTimeout, defaultStallTimeout),
		callTimeout:  orDefault(cfg.CallTimeout, defaultCallTimeout),
		blockSize:    orDefault(cfg.BlockSize, defaultBlockSize),
		workers:      orDefault(cfg.Workers, runtime.GOMAXPROCS(0)),
		userAgent:    "helios-action (artifact v4)",
		logf:         cfg.Logf,
	}
	if s.client == nil {
		s.client = &http.Client{}
	}
	if s.logf == nil {
		s.logf = func(string, ...any) {}
	}
	switch {
	case s.level == -1:
		s.level = DefaultCompressionLevel
	case s.level < 0 || s.level > 9:
		return nil, fmt.Errorf("compression level %d: want 0 (store) to 9 (best)", cfg.CompressionLevel)
	}
	if cfg.RetentionDays != 0 && (cfg.RetentionDays < MinRetentionDays || cfg.RetentionDays > MaxRetentionDays) {
		return nil, fmt.Errorf("retention days %d: want %d to %d, or 0 for the repository's default", cfg.RetentionDays, MinRetentionDays, MaxRetentionDays)
	}
	return s, nil
}

// orDefault is v, or def when v is not positive.
func orDefault[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// expiry is the time the artifact should expire, zero for the default.
func (cfg *Config) expiry(logf func(string, ...any)) time.Time {
	days := cfg.RetentionDays
	if days == 0 {
		return time.Time{}
	}
	if cfg.MaxRetentionDays > 0 && days > cfg.MaxRetentionDays {
		logf("artifact: retention of %d days is more than this repository allows; using %d", days, cfg.MaxRetentionDays)
		days = cfg.MaxRetentionDays
	}
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	return now().UTC().AddDate(0, 0, days).Truncate(time.Second)
}

// Upload zips files (paths relative to root, in the order given) and uploads
// the zip as the artifact name. Everything that can be checked locally (name,
// paths, the files themselves, settings) is checked before the first request.
func Upload(ctx context.Context, cfg Config, name, root string, files []string) (*Result, error) {
	s, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	ids, err := parseBackendIDs(cfg.Token)
	if err != nil {
		return nil, err
	}
	dir, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("artifact root: %w", err)
	}
	defer dir.Close()
	srcs, total, err := sources(dir, files, cfg.ModTime)
	if err != nil {
		return nil, err
	}
	expires := cfg.expiry(s.logf)

	tc := &twirpClient{s: s, origin: s.origin}
	signed, err := tc.createArtifact(ctx, ids, name, expires)
	if err != nil {
		return nil, fmt.Errorf("create artifact %q: %w", name, err)
	}
	if u, err := url.Parse(signed); err == nil && cfg.Mask != nil {
		if sig := u.Query().Get("sig"); sig != "" {
			cfg.Mask(sig)
		}
	}
	bw, err := newBlobWriter(ctx, s, signed)
	if err != nil {
		return nil, fmt.Errorf("create artifact %q: %w", name, err)
	}
	s.logf("artifact: uploading %q: %d files, %s, compression level %d, to %s",
		name, len(srcs), formatBytes(total), s.level, redactURL(signed))
	start := time.Now()
	if err := zipTo(ctx, s, dir, srcs, bw, false); err != nil {
		bw.abort(err)
		return nil, fmt.Errorf("upload artifact %q: %w", name, err)
	}
	size, sum, err := bw.close()
	if err != nil {
		return nil, fmt.Errorf("upload artifact %q: %w", name, err)
	}
	digest := "sha256:" + hex.EncodeToString(sum[:])
	id, err := tc.finalizeArtifact(ctx, ids, name, size, digest)
	if err != nil {
		return nil, fmt.Errorf("finalize artifact %q: %w", name, err)
	}
	s.logf("artifact: uploaded %q (id %d): %s zip in %s, %s", name, id, formatBytes(size),
		time.Since(start).Round(time.Millisecond), digest)
	res := &Result{ID: id, Name: name, Size: size, Digest: digest, Files: len(srcs), Expires: expires}
	if cfg.ServerURL != "" && cfg.Repository != "" && cfg.RunID != "" {
		res.URL = ArtifactURL(cfg.ServerURL, cfg.Repository, cfg.RunID, id)
	}
	return res, nil
}

// sources checks and stats every file: each must be a regular file inside
// the root (links are refused, like anything that could lead out of it).
func sources(dir *os.Root, files []string, mod time.Time) ([]source, int64, error) {
	if len(files) == 0 {
		return nil, 0, errors.New("no files to upload")
	}
	seen := make(map[string]bool, len(files))
	srcs := make([]source, 0, len(files))
	var total int64
	for _, f := range files {
		if err := ValidatePath(f); err != nil {
			return nil, 0, err
		}
		if seen[f] {
			return nil, 0, fmt.Errorf("%w: %q is listed twice", ErrInvalidPath, f)
		}
		seen[f] = true
		fi, err := dir.Lstat(f)
		if err != nil {
			return nil, 0, fmt.Errorf("artifact file: %w", err)
		}
		if !fi.Mode().IsRegular() {
			return nil, 0, fmt.Errorf("artifact file %s: not a regular file (%s)", f, fi.Mode().Type())
		}
		t := mod
		if t.IsZero() {
			t = fi.ModTime()
		}
		srcs = append(srcs, source{name: f, size: fi.Size(), mod: t})
		total += fi.Size()
	}
	return srcs, total, nil
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
