package mask

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
)

const rpcURL = "https://user:s3cr3t-pass@rpc.example.com/v3/0123456789abcdef0123?apikey=QWERTYUIOP&chain=1&net=mainnet"

func TestString(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{"no secrets", nil, "hello world", "hello world"},
		{"empty and short ignored", []string{"", "a", "abc"}, "a abc b", "a abc b"},
		{"white space ignored", []string{"    ", "\t\n\t\n"}, "    x\t\n\t\n", "    x\t\n\t\n"},
		{"one", []string{"hunter22"}, "pw=hunter22.", "pw=***."},
		{"every occurrence", []string{"hunter22"}, "hunter22 hunter22", "*** ***"},
		{"whole input", []string{"hunter22"}, "hunter22", "***"},
		{"longest first", []string{"token", "mytoken123"}, "x mytoken123 y token", "x *** y ***"},
		{"overlapping secrets leave nothing", []string{"abcdef", "defghi"}, "abcdefghi!", "***!"},
		{"touching secrets make one mask", []string{"abcd", "efgh"}, "<abcdefgh>", "<***>"},
		{"self-overlapping", []string{"aaaa"}, "baaaaab", "b***b"},
		{"multi-line secret", []string{"line1\nline2"}, "a line1\nline2 b", "a *** b"},
		{"trimmed form", []string{"tok-12345\n"}, "got tok-12345 here", "got *** here"},
		{"query escaped", []string{"a b&c=d"}, "x=a+b%26c%3Dd", "x=***"},
		{"path escaped", []string{"a b/c?d"}, "/a%20b%2Fc%3Fd/", "/***/"},
		{"json escaped", []string{`quo"te\back`}, `{"k":"quo\"te\\back"}`, `{"k":"***"}`},
		{"json html escaped", []string{"<tok&en>"}, `"\u003ctok\u0026en\u003e"`, `"***"`},
		{"mask re-formed by a star secret", []string{"abcd", "x***"}, "xabcd", "***"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(tt.secrets...)
			if got := m.String(tt.in); got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := string(m.Bytes([]byte(tt.in))); got != tt.want {
				t.Errorf("Bytes(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNilAndZeroMaskers(t *testing.T) {
	for name, m := range map[string]*Masker{"nil": nil, "zero": {}, "empty": New()} {
		t.Run(name, func(t *testing.T) {
			const in = "nothing *** to hide"
			if got := m.String(in); got != in {
				t.Errorf("String = %q", got)
			}
			b := []byte(in)
			if got := m.Bytes(b); &got[0] != &b[0] {
				t.Error("Bytes copied its input with nothing to mask")
			}
			if s := m.Secrets(); len(s) != 0 {
				t.Errorf("Secrets = %q", s)
			}
			var out bytes.Buffer
			w := m.Writer(&out)
			io.WriteString(w, "partial")
			if out.String() != "partial" {
				t.Errorf("Writer held back %q with no secrets", "partial")
			}
			w.Close()
		})
	}
}

func TestURLForms(t *testing.T) {
	m := New(rpcURL)
	got := m.Secrets()
	tests := []struct {
		name   string
		value  string
		masked bool
	}{
		{"whole URL", rpcURL, true},
		{"password", "s3cr3t-pass", true},
		{"query value", "QWERTYUIOP", true},
		{"short query value ignored", "1", false},
		{"non-secret query value (network=mainnet) is not masked", "mainnet", false},
		{"key-like path segment", "0123456789abcdef0123", true},
		{"route segment", "v3", false},
		{"host", "rpc.example.com", false},
		{"user name that is not a key", "user", false},
		{"query-escaped URL", url.QueryEscape(rpcURL), true},
		{"path-escaped URL", url.PathEscape(rpcURL), true},
		{"JSON-escaped URL", jsonEscape(rpcURL, true), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if slices.Contains(got, tt.value) != tt.masked {
				t.Errorf("Secrets() contains %q = %v, want %v", tt.value, !tt.masked, tt.masked)
			}
		})
	}

	t.Run("key as user name", func(t *testing.T) {
		m := New("wss://abcdefghijklmnop1234@node.example/ws")
		if !slices.Contains(m.Secrets(), "abcdefghijklmnop1234") {
			t.Errorf("Secrets() = %q, want the user name key", m.Secrets())
		}
	})
	t.Run("not a URL", func(t *testing.T) {
		m := New("plain-token-0123456789abcdef/xyz")
		for _, s := range m.Secrets() {
			if s == "plain-token-0123456789abcdef" {
				t.Errorf("segment of a non-URL masked on its own")
			}
		}
	})
	t.Run("key logged on its own", func(t *testing.T) {
		line := "dialing rpc.example.com with key 0123456789abcdef0123 and pw s3cr3t-pass"
		want := "dialing rpc.example.com with key *** and pw ***"
		if got := m.String(line); got != want {
			t.Errorf("String = %q, want %q", got, want)
		}
	})
	t.Run("URL in JSON", func(t *testing.T) {
		b, _ := json.Marshal(map[string]string{"rpc": rpcURL})
		if got, want := m.String(string(b)), `{"rpc":"***"}`; got != want {
			t.Errorf("String = %q, want %q", got, want)
		}
	})
}

func TestAdd(t *testing.T) {
	m := New("first-secret")
	m.Add("second-secret", "first-secret", "")
	if got := m.String("first-secret second-secret"); got != "*** ***" {
		t.Errorf("String = %q", got)
	}
	s := m.Secrets()
	if !slices.IsSortedFunc(s, func(a, b string) int { return len(b) - len(a) }) {
		t.Errorf("Secrets not longest first: %q", s)
	}
	s[0] = "changed"
	if m.Secrets()[0] == "changed" {
		t.Error("Secrets returned the Masker's own slice")
	}
}

// writeSplit writes in to a fresh Writer in pieces cut at the given offsets.
func writeSplit(t *testing.T, m *Masker, in string, cuts ...int) string {
	t.Helper()
	var out bytes.Buffer
	w := m.Writer(&out)
	prev := 0
	for _, c := range append(cuts, len(in)) {
		if _, err := io.WriteString(w, in[prev:c]); err != nil {
			t.Fatal(err)
		}
		prev = c
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestWriterSplits(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
		in      string
	}{
		{"one secret", []string{"hunter22"}, "start hunter22 middle hunter22end"},
		{"secret at both ends", []string{"hunter22"}, "hunter22 x hunter22"},
		{"overlapping", []string{"abcdef", "defghi"}, "xxabcdefghiyy abcdef defghi"},
		{"nested", []string{"token", "mytoken123"}, "a mytoken123 b token c mytoken12"},
		{"self-overlapping", []string{"aaaa"}, "baaaaaaab aaa aaaa"},
		{"touching", []string{"abcd", "efgh"}, "<abcdefgh><efghabcd>"},
		{"false start", []string{"abcabd"}, "abcabcabd abcab"},
		{"url", []string{rpcURL}, "GET " + rpcURL + "\nkey=0123456789abcdef0123\n"},
		{"newlines", []string{"s3cret\nline"}, "a s3cret\nline b\ns3cret\n"},
	}
	for _, tt := range tests {
		m := New(tt.secrets...)
		want := m.String(tt.in)
		t.Run(tt.name+"/one cut", func(t *testing.T) {
			for i := 0; i <= len(tt.in); i++ {
				if got := writeSplit(t, m, tt.in, i); got != want {
					t.Fatalf("cut at %d: got %q, want %q", i, got, want)
				}
			}
		})
		t.Run(tt.name+"/two cuts", func(t *testing.T) {
			for i := 0; i <= len(tt.in); i++ {
				for j := i; j <= len(tt.in); j++ {
					if got := writeSplit(t, m, tt.in, i, j); got != want {
						t.Fatalf("cuts at %d, %d: got %q, want %q", i, j, got, want)
					}
				}
			}
		})
		t.Run(tt.name+"/byte by byte", func(t *testing.T) {
			cuts := make([]int, len(tt.in))
			for i := range cuts {
				cuts[i] = i
			}
			if got := writeSplit(t, m, tt.in, cuts...); got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
		})
	}
}

// TestWriterStreamsLines checks that the writer holds back only what may
// start a secret, so console output appears line by line.
func TestWriterStreamsLines(t *testing.T) {
	m := New("https://rpc.example.com/KEY-0123456789abcdef")
	var out bytes.Buffer
	w := m.Writer(&out)
	steps := []struct {
		name  string
		write string
		want  string
	}{
		{"whole line", "step 1 done\n", "step 1 done\n"},
		{"partial line", "progress 50%", "step 1 done\nprogress 50%"},
		{"possible secret start held", "\nurl https://rpc.ex", "step 1 done\nprogress 50%\nurl "},
		{"turned out harmless", "ample.org\n", "step 1 done\nprogress 50%\nurl https://rpc.example.org\n"},
		{"secret completed", "url https://rpc.example.com/KEY-0123456789abcdef ok\n", "step 1 done\nprogress 50%\nurl https://rpc.example.org\nurl *** ok\n"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			io.WriteString(w, s.write)
			if out.String() != s.want {
				t.Errorf("after writing %q: got %q, want %q", s.write, out.String(), s.want)
			}
		})
	}
	t.Run("close writes the held tail", func(t *testing.T) {
		io.WriteString(w, "bye https://rpc")
		w.Close()
		if !strings.HasSuffix(out.String(), "bye https://rpc") {
			t.Errorf("got %q", out.String())
		}
	})
}

// TestWriterBounded checks that the hold-back never grows past the longest
// secret however the input is cut.
func TestWriterBounded(t *testing.T) {
	secret := strings.Repeat("ab", 10) // 20 bytes, whose prefixes recur
	m := New(secret)
	w := m.Writer(io.Discard).(*writer)
	in := strings.Repeat("ab", 5000) + "a" + strings.Repeat("x", 5000)
	for i := 0; i < len(in); i += 7 {
		io.WriteString(w, in[i:min(i+7, len(in))])
		if len(w.buf) >= len(secret) {
			t.Fatalf("holding %d bytes after offset %d", len(w.buf), i)
		}
	}
	io.WriteString(w, strings.Repeat("y", 1<<20))
	if cap(w.buf) > shrinkCap {
		t.Errorf("buffer capacity %d kept after a large write", cap(w.buf))
	}
}

func TestWriterConcurrent(t *testing.T) {
	const secret = "tok-0123456789"
	m := New(secret)
	var out bytes.Buffer
	w := m.Writer(&out)
	var wg sync.WaitGroup
	for _, stream := range []string{"stdout", "stderr"} {
		wg.Go(func() {
			for i := range 200 {
				fmt.Fprintf(w, "%s %d %s\n", stream, i, secret)
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), secret) {
		t.Error("secret in output")
	}
	if n := strings.Count(out.String(), "***\n"); n != 400 {
		t.Errorf("%d masked lines, want 400", n)
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	f.n++
	return 0, errors.New("disk full")
}

func TestWriterErrors(t *testing.T) {
	t.Run("write after close", func(t *testing.T) {
		w := New("secret").Writer(io.Discard)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, "x"); !errors.Is(err, ErrClosed) {
			t.Errorf("Write after Close = %v, want ErrClosed", err)
		}
		if err := w.Close(); err != nil {
			t.Errorf("second Close = %v", err)
		}
	})
	t.Run("sticky error", func(t *testing.T) {
		f := &failWriter{}
		w := New("secret").Writer(f)
		if _, err := io.WriteString(w, "a line\n"); err == nil {
			t.Fatal("want the error from the underlying writer")
		}
		if _, err := io.WriteString(w, "another\n"); err == nil {
			t.Fatal("want the error again")
		}
		if err := w.Close(); err == nil {
			t.Fatal("want the error from Close")
		}
		if f.n != 1 {
			t.Errorf("underlying writer called %d times after failing, want 1 call in all", f.n)
		}
	})
}

func FuzzMask(f *testing.F) {
	f.Add("hunter22", "abcdef", "x hunter22 abcdefhunter22", uint(3))
	f.Add("abcdef", "defghi", "abcdefghi", uint(4))
	f.Add(rpcURL, "tok3n", "GET "+rpcURL, uint(10))
	f.Add("ab**", "abcd", "ababcd", uint(1))
	f.Fuzz(func(t *testing.T, s1, s2, in string, cut uint) {
		m := New(s1, s2)
		got := m.String(in)
		for _, s := range m.Secrets() {
			if strings.Contains(got, s) {
				t.Fatalf("String(%q) = %q still holds %q", in, got, s)
			}
		}
		if b := m.Bytes([]byte(in)); string(b) != got {
			t.Fatalf("Bytes = %q, String = %q", b, got)
		}
		star := slices.ContainsFunc(m.Secrets(), func(s string) bool { return strings.Contains(s, "*") })
		if star {
			// Only String repeats masking across the whole text; see Writer.
			return
		}
		c := int(cut % uint(len(in)+1))
		if w := writeSplit(t, m, in, c, c+(len(in)-c)/2); w != got {
			t.Fatalf("Writer cut at %d = %q, String = %q", c, w, got)
		}
	})
}

// TestWholeURLForms: the forms a leak scan leaves out are those of the URL
// taken whole, and only when its credentials are found on their own.
func TestWholeURLForms(t *testing.T) {
	const key = "0123456789abcdef0123"
	tests := []struct {
		name string
		in   string
		// dropped and kept are checked against WholeURLForms; kept must
		// also stay in what ScanSecrets returns for a masker of in.
		dropped, kept []string
		none          bool
	}{
		{name: "local node", in: "http://127.0.0.1:8545",
			dropped: []string{"http://127.0.0.1:8545", url.QueryEscape("http://127.0.0.1:8545"), "http:%2F%2F127.0.0.1:8545"}},
		{name: "JSON-escaped", in: "http://127.0.0.1:8545/?a=1&b=2",
			dropped: []string{`http://127.0.0.1:8545/?a=1\u0026b=2`}},
		{name: "trailing newline", in: "http://127.0.0.1:8545/\n",
			dropped: []string{"http://127.0.0.1:8545/\n", "http://127.0.0.1:8545/", `http://127.0.0.1:8545/\n`}},
		{name: "normalised", in: "HTTP://Node.Local:8545/a b",
			dropped: []string{"HTTP://Node.Local:8545/a b", "http://Node.Local:8545/a%20b"}},
		{name: "key in the path", in: "https://eth.example/v3/" + key,
			dropped: []string{"https://eth.example/v3/" + key}, kept: []string{key}},
		{name: "key in the query", in: "http://127.0.0.1:8545/?apikey=QWERTYUIOP",
			dropped: []string{"http://127.0.0.1:8545/?apikey=QWERTYUIOP"}, kept: []string{"QWERTYUIOP"}},
		{name: "password and key-like user", in: "https://" + key + ":s3cr3t-pass@rpc.example/",
			dropped: []string{"https://" + key + ":s3cr3t-pass@rpc.example/"}, kept: []string{key, "s3cr3t-pass", url.QueryEscape("s3cr3t-pass")}},
		{name: "short password", in: "https://u:abc@rpc.example/", none: true},
		{name: "short key parameter", in: "https://rpc.example/?key=ab", none: true},
		{name: "not a URL", in: "ghs_notAURLtoken0123456789", none: true},
		{name: "no host", in: "file:///tmp/rpc.sock", none: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := WholeURLForms(tc.in)
			if tc.none {
				if got != nil {
					t.Fatalf("WholeURLForms(%q) = %q, want nil", tc.in, got)
				}
				if scan, all := New(tc.in).ScanSecrets(tc.in), New(tc.in).Secrets(); !slices.Equal(scan, all) {
					t.Errorf("ScanSecrets %q, want every secret %q", scan, all)
				}
				return
			}
			for _, d := range tc.dropped {
				if !slices.Contains(got, d) {
					t.Errorf("WholeURLForms(%q) lacks %q: %q", tc.in, d, got)
				}
			}
			scan := New(tc.in, "ghs_otherSecretToken0123").ScanSecrets(tc.in)
			for _, k := range tc.kept {
				if slices.Contains(got, k) {
					t.Errorf("WholeURLForms(%q) drops the credential %q", tc.in, k)
				}
				if !slices.Contains(scan, k) {
					t.Errorf("ScanSecrets lacks the credential %q: %q", k, scan)
				}
			}
			if !slices.Contains(scan, "ghs_otherSecretToken0123") {
				t.Errorf("ScanSecrets lost another secret: %q", scan)
			}
			for _, f := range got {
				if slices.Contains(scan, f) {
					t.Errorf("ScanSecrets keeps the whole-URL form %q", f)
				}
				// Every form left out is one the masker masks.
				if !slices.Contains(New(tc.in).Secrets(), f) {
					t.Errorf("WholeURLForms gives %q, which Add does not derive", f)
				}
			}
			// Whatever is left out, a copy of the URL is still found.
			hit := false
			for _, s := range scan {
				hit = hit || strings.Contains(tc.in, s)
			}
			if hit != (len(tc.kept) > 0) {
				t.Errorf("a copy of %q found by the scan list: %v, want %v", tc.in, hit, len(tc.kept) > 0)
			}
		})
	}
}
