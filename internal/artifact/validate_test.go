package artifact

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func b64url(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestValidateName(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string // want: "" valid, else a substring of the error
	}{
		{"plain", "helios-report", ""},
		{"matrix key", "helios-omniversal-symphony-linux-node20", ""},
		{"dots and spaces", "report v1.2 (final)", ""},
		{"empty", "", "empty"},
		{"double quote", `a"b`, `double quote "`},
		{"colon", "a:b", "colon :"},
		{"less than", "a<b", "less than <"},
		{"greater than", "a>b", "greater than >"},
		{"vertical bar", "a|b", "vertical bar |"},
		{"asterisk", "a*b", "asterisk *"},
		{"question mark", "a?b", "question mark ?"},
		{"carriage return", "a\rb", `carriage return \r`},
		{"line feed", "a\nb", `line feed \n`},
		{"backslash", `a\b`, `backslash \`},
		{"slash", "a/b", "forward slash /"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateName(tc.in)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("ValidateName(%q) = %v, want nil", tc.in, err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrInvalidName) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ValidateName(%q) = %v, want ErrInvalidName naming %q", tc.in, err, tc.want)
			}
			if tc.in != "" && !strings.Contains(err.Error(), `" : < > | * ? \r \n \ /`) {
				t.Errorf("error does not list the forbidden characters: %v", err)
			}
		})
	}
}

func TestValidatePath(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"file", "manifest.json", ""},
		{"nested", "logs/plan/rehearse.log", ""},
		{"backslash is allowed in paths", `odd\name.txt`, ""},
		{"unicode", "ünïcode/名前.md", ""},
		{"empty", "", "empty"},
		{"colon", "a/b:c", "colon :"},
		{"question mark", "a?", "question mark ?"},
		{"line feed", "a\nb", `line feed \n`},
		{"absolute", "/etc/passwd", "absolute"},
		{"dot dot", "a/../b", `".."`},
		{"dot", "./a", `"."`},
		{"empty segment", "a//b", "empty path segment"},
		{"trailing slash", "a/", "empty path segment"},
		{"NUL", "a\x00b", "NUL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidatePath(tc.in)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("ValidatePath(%q) = %v, want nil", tc.in, err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrInvalidPath) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ValidatePath(%q) = %v, want ErrInvalidPath naming %q", tc.in, err, tc.want)
			}
		})
	}
}

func TestParseBackendIDs(t *testing.T) {
	jwt := func(payload string) string {
		return "eyJhbGciOiJSUzI1NiJ9." + b64url(payload) + ".c2ln"
	}
	for _, tc := range []struct {
		name, token, run, job string
	}{
		{"runner token", jwt(`{"scp":"Actions.ExampleScope Actions.Results:ce7f54c7:ca395085"}`), "ce7f54c7", "ca395085"},
		{"results scope first", jwt(`{"scp":"Actions.Results:r:j Actions.UploadArtifacts:x:y"}`), "r", "j"},
		{"scope array", jwt(`{"scp":["Actions.GenericRead:00000000","Actions.Results:r:j"]}`), "r", "j"},
		{"padded payload", "h." + b64url(`{"scp":"Actions.Results:r:j"}`) + "==.s", "r", "j"},
		{"no results scope", jwt(`{"scp":"Actions.GenericRead:1 Actions.UploadArtifacts:1:2"}`), "", ""},
		{"results scope with one id", jwt(`{"scp":"Actions.Results:r"}`), "", ""},
		{"results scope with empty id", jwt(`{"scp":"Actions.Results::j"}`), "", ""},
		{"no scp", jwt(`{"sub":"x"}`), "", ""},
		{"not JSON", jwt(`scp`), "", ""},
		{"not a JWT", "ghs_0123456789", "", ""},
		{"bad base64", "a.%%%.c", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids, err := parseBackendIDs(tc.token)
			if tc.run == "" {
				if err == nil {
					t.Fatalf("got %+v, want an error", ids)
				}
				if strings.Contains(err.Error(), tc.token) {
					t.Errorf("the error repeats the token: %v", err)
				}
				return
			}
			if err != nil || ids.run != tc.run || ids.job != tc.job {
				t.Fatalf("got %+v, %v; want run %q job %q", ids, err, tc.run, tc.job)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	const base = 3 * time.Second
	if got := backoff(base, 0); got != base {
		t.Errorf("first wait %s, want %s", got, base)
	}
	lo := float64(base)
	for n := 1; n <= 4; n++ {
		lo *= retryMultiplier
		for range 50 {
			got := backoff(base, n)
			if float64(got) < lo || float64(got) >= lo*retryMultiplier {
				t.Fatalf("wait %d = %s, want in [%s, %s)", n, got, time.Duration(lo), time.Duration(lo*retryMultiplier))
			}
		}
	}
}
