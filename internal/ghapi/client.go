// Package ghapi is the REST (and one GraphQL) side of reporting to GitHub:
// the sticky pull-request comment, the check run and the commit status. It
// wraps go-github with retries that follow GitHub's rate-limit rules within
// a time budget, and turns refusals into *PermissionError so that a caller
// can print a notice and carry on.
package ghapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v66/github"

	"github.com/helios-action/helios-action/internal/retry"
)

// Client talks to one GitHub (github.com or a GitHub Enterprise Server).
type Client struct {
	gh         *github.Client
	http       *http.Client
	token      string
	graphqlURL string
	now        func() time.Time

	mu     sync.Mutex
	viewer string
}

type config struct {
	now        func() time.Time
	sleep      func(context.Context, time.Duration) error
	budget     time.Duration
	debug      func(string)
	graphqlURL string
	base       http.RoundTripper
}

// Option configures New.
type Option func(*config)

// WithDebug sends one line per API attempt (method, path, status, retry) to
// logf; lines never carry the token or request bodies.
func WithDebug(logf func(string)) Option { return func(c *config) { c.debug = logf } }

// DebugFromEnv is WithDebug(logf) when RUNNER_DEBUG is 1 (the runner's
// "debug logging" switch), and no option otherwise.
func DebugFromEnv(getenv func(string) string, logf func(string)) Option {
	if getenv("RUNNER_DEBUG") != "1" {
		return func(*config) {}
	}
	return WithDebug(logf)
}

// WithClock replaces the clock and the sleep between retries (tests make
// them instant). sleep must return ctx.Err() when ctx ends first.
func WithClock(now func() time.Time, sleep func(context.Context, time.Duration) error) Option {
	return func(c *config) { c.now, c.sleep = now, sleep }
}

// WithBudget bounds the total time one call may wait for retries.
func WithBudget(d time.Duration) Option { return func(c *config) { c.budget = d } }

// WithGraphQLURL sets the GraphQL endpoint (the runner's GITHUB_GRAPHQL_URL);
// by default it is derived from the API URL.
func WithGraphQLURL(u string) Option { return func(c *config) { c.graphqlURL = u } }

// WithTransport replaces the underlying HTTP transport.
func WithTransport(rt http.RoundTripper) Option { return func(c *config) { c.base = rt } }

// New returns a client for apiURL (GITHUB_API_URL: https://api.github.com,
// or https://HOST/api/v3 on GitHub Enterprise Server; "" means github.com)
// authenticated with token.
func New(token, apiURL string, opts ...Option) (*Client, error) {
	cfg := config{now: time.Now, sleep: retry.Sleep, budget: DefaultBudget, base: http.DefaultTransport}
	for _, o := range opts {
		o(&cfg)
	}
	hc := &http.Client{Transport: &retryTransport{
		base: cfg.base, now: cfg.now, sleep: cfg.sleep, budget: cfg.budget, debug: cfg.debug,
	}}
	gh := github.NewClient(hc).WithAuthToken(token)
	apiURL = strings.TrimRight(apiURL, "/")
	if apiURL != "" && apiURL != "https://api.github.com" {
		var err error
		if gh, err = gh.WithEnterpriseURLs(apiURL, apiURL); err != nil {
			return nil, fmt.Errorf("github api url: %w", err)
		}
	}
	gql := cfg.graphqlURL
	if gql == "" {
		gql = graphqlURL(gh.BaseURL)
	}
	return &Client{gh: gh, http: hc, token: token, graphqlURL: gql, now: cfg.now}, nil
}

// graphqlURL derives the GraphQL endpoint from the REST base:
// api.github.com/ → api.github.com/graphql, HOST/api/v3/ → HOST/api/graphql.
func graphqlURL(base *url.URL) string {
	u := *base
	if strings.HasSuffix(u.Path, "/api/v3/") {
		u.Path = strings.TrimSuffix(u.Path, "v3/") + "graphql"
	} else {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/graphql"
	}
	return u.String()
}

// BaseURL is the REST base the client uses.
func (c *Client) BaseURL() string { return c.gh.BaseURL.String() }

// SetViewer sets the login the token acts as, skipping the GraphQL look-up.
func (c *Client) SetViewer(login string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.viewer = login
}

// FindViewer returns the login the token acts as, from GraphQL
// { viewer { login } }, which answers for every kind of token (the workflow
// token may not call GET /user). The answer is kept for later calls.
func (c *Client) FindViewer(ctx context.Context) (string, error) {
	c.mu.Lock()
	v := c.viewer
	c.mu.Unlock()
	if v != "" {
		return v, nil
	}
	body, _ := json.Marshal(map[string]string{"query": "query { viewer { login } }"})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.graphqlURL, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("find viewer: %w", err)
	}
	req.Header.Set("Authorization", "bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("find viewer: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("find viewer: %w", err)
	}
	var out struct {
		Data struct {
			Viewer struct {
				Login string `json:"login"`
			} `json:"viewer"`
		} `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
		Message string `json:"message"`
	}
	jerr := json.Unmarshal(b, &out)
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return "", fmt.Errorf("find viewer: %d %s", resp.StatusCode, out.Message)
	case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusNotFound:
		return "", &PermissionError{Op: "find viewer", Status: resp.StatusCode, Message: out.Message}
	case resp.StatusCode != http.StatusOK:
		return "", fmt.Errorf("find viewer: HTTP %d %s", resp.StatusCode, out.Message)
	case jerr != nil:
		return "", fmt.Errorf("find viewer: %w", jerr)
	case len(out.Errors) > 0:
		return "", fmt.Errorf("find viewer: %s", out.Errors[0].Message)
	case out.Data.Viewer.Login == "":
		return "", errors.New("find viewer: empty login")
	}
	c.SetViewer(out.Data.Viewer.Login)
	return out.Data.Viewer.Login, nil
}

// SameLogin compares two logins as GitHub shows them in different places:
// case-insensitively and with or without the "[bot]" suffix of apps.
func SameLogin(a, b string) bool {
	trim := func(s string) string { return strings.TrimSuffix(strings.ToLower(s), "[bot]") }
	return a != "" && b != "" && trim(a) == trim(b)
}
