package artifact

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// backendIDs name the workflow run and the job run to the results service.
type backendIDs struct {
	run, job string
}

// resultsScope is the scope entry of the runtime token that carries the ids:
// "Actions.Results:<workflowRunBackendId>:<workflowJobRunBackendId>".
const resultsScope = "Actions.Results"

var errBadToken = errors.New("ACTIONS_RUNTIME_TOKEN is not a JWT with an Actions.Results scope")

// parseBackendIDs reads the ids from the runtime token's "scp" claim. The
// signature is not checked: the service checks it, we only need the claim.
func parseBackendIDs(token string) (backendIDs, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return backendIDs{}, errBadToken
	}
	// base64url without padding per RFC 7519, but tolerate padding.
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return backendIDs{}, fmt.Errorf("%w: payload: %v", errBadToken, err)
	}
	var claims struct {
		Scp any `json:"scp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return backendIDs{}, fmt.Errorf("%w: payload: %v", errBadToken, err)
	}
	// The runner's tokens carry one space-separated string; accept an array
	// of scopes too, as some JWT issuers write it that way.
	var scopes []string
	switch v := claims.Scp.(type) {
	case string:
		scopes = strings.Fields(v)
	case []any:
		for _, s := range v {
			if s, ok := s.(string); ok {
				scopes = append(scopes, s)
			}
		}
	}
	for _, s := range scopes {
		f := strings.Split(s, ":")
		if len(f) == 3 && f[0] == resultsScope && f[1] != "" && f[2] != "" {
			return backendIDs{run: f[1], job: f[2]}, nil
		}
	}
	return backendIDs{}, errBadToken
}
