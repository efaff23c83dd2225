package ledger

import (
	"context"
	"encoding/base64"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/mask"
)

const (
	testToken  = "ghs_0123456789abcdefghijABCDEFGHIJ0123xy"
	testKey    = "AbCdEf0123456789AbCdEf0123456789"
	testRPCURL = "https://eth-mainnet.example.com/v2/" + testKey + "?network=mainnet"
	testPass   = "s3cr3t-pass-env-value"
)

// testSecrets is what a real run scans for: the masker's forms of the
// token, the RPC URL (whose key is masked on its own) and a pass-env value.
func testSecrets() *Secrets {
	return NewSecrets(mask.New(testToken, testRPCURL, testPass, "tiny").Secrets())
}

// embedB64 is the base64 of secret inside a longer stream: pre bytes before
// it, some after, in the given alphabet.
func embedB64(enc *base64.Encoding, pre int, secret string) string {
	b := append([]byte(strings.Repeat("\xfb", pre)), secret...)
	b = append(b, "\xff\xfe tail"...)
	return "junk " + enc.EncodeToString(b) + " junk"
}

func TestSecretsContains(t *testing.T) {
	s := testSecrets()
	near := testToken[:len(testToken)-1] + "z"
	// The base64 fragments drop edge characters that also hold neighbouring
	// bits, so their near miss changes a byte in the middle.
	nearMid := testToken[:20] + "_" + testToken[21:]
	for _, tc := range []struct {
		name string
		text string
		want bool
	}{
		{"raw token", "token=" + testToken + "\n", true},
		{"raw at start", testToken, true},
		{"checkout extraheader", "[http \"https://github.com/\"]\n\textraheader = AUTHORIZATION: basic " +
			base64.StdEncoding.EncodeToString([]byte("x-access-token:"+testToken)) + "\n", true},
		{"base64 aligned 0", embedB64(base64.StdEncoding, 0, testToken), true},
		{"base64 aligned 1", embedB64(base64.StdEncoding, 1, testToken), true},
		{"base64 aligned 2", embedB64(base64.StdEncoding, 2, testToken), true},
		{"base64url aligned 1", embedB64(base64.URLEncoding, 1, "\xfb\xff"+testPass), true},
		{"base64 unpadded, alone", base64.RawStdEncoding.EncodeToString([]byte(testPass)), true},
		{"base64 of the RPC key", embedB64(base64.StdEncoding, 2, testKey), true},
		{"RPC URL query-escaped", "u=" + url.QueryEscape(testRPCURL), true},
		{"RPC URL path-escaped", "/" + url.PathEscape(testRPCURL), true},
		{"RPC key alone", "curl https://other.example/" + testKey, true},
		{"URL inside JSON", `{"other":"https:\/\/x","rpc":"` + testRPCURL + `"}`, true},
		{"pass-env value", "x" + testPass + "x", true},
		{"near miss: last byte", "token=" + near, false},
		{"near miss: truncated", testToken[:len(testToken)-1], false},
		{"near miss: base64 of a changed token", embedB64(base64.StdEncoding, 1, nearMid), false},
		{"base64 of a prefix only", embedB64(base64.StdEncoding, 0, testToken[:20]), false},
		{"RPC host alone is no secret", "https://eth-mainnet.example.com/", false},
		// "tiny" is at the masker's minimum: its raw form counts, its
		// base64 (a few characters) would match by chance and does not.
		{"short secret raw", "a tiny note", true},
		{"short secret base64 ignored", base64.StdEncoding.EncodeToString([]byte("tiny")), false},
		{"empty", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.Contains([]byte(tc.text)); got != tc.want {
				t.Errorf("Contains(%q) = %v, want %v", tc.text, got, tc.want)
			}
		})
	}
}

func TestSecretsShortValuesIgnored(t *testing.T) {
	if s := NewSecrets([]string{"abc", "   \n\t", ""}); s != nil {
		t.Fatalf("values shorter than %d bytes or blank gave %d patterns", mask.MinLen, s.Len())
	}
	var none *Secrets
	if none.Contains([]byte("abc")) || none.stream() != nil {
		t.Error("a nil *Secrets found something")
	}
	// Ordinary text and random bytes hold none of a real run's secrets.
	s := testSecrets()
	if s.Contains(randomBytes(7, 4<<20)) {
		t.Error("hit in random data")
	}
	if s.Contains([]byte(strings.Repeat("helios: phase ok, tokens and keys are masked ***\n", 1000))) {
		t.Error("hit in plain text")
	}
}

func TestBase64FormsAreInsideTheEncoding(t *testing.T) {
	// Every fragment must occur in the encoding of the secret embedded at
	// its alignment in any surrounding bytes.
	for _, v := range []string{testToken, testPass, "12345678", "abcdefghi"} {
		forms := base64Forms(v)
		for _, f := range forms {
			if len(f) < b64Min {
				t.Errorf("%q: fragment %q is shorter than %d", v, f, b64Min)
			}
		}
		for pre := range 3 {
			for _, fill := range []byte{0x00, 0xff, 0x5a} {
				b := append([]byte(strings.Repeat(string(fill), pre)), v...)
				b = append(b, fill, fill, fill)
				std := base64.StdEncoding.EncodeToString(b)
				found := false
				for _, f := range forms {
					found = found || strings.Contains(std, f)
				}
				if !found {
					t.Errorf("%q at alignment %d (fill %#x): no fragment of %q in %s", v, pre, fill, forms, std)
				}
			}
		}
	}
}

// TestSecretStreamAcrossReads splits the text at every byte of the secret
// and in tiny reads: the hit must not depend on where reads end.
func TestSecretStreamAcrossReads(t *testing.T) {
	s := testSecrets()
	for _, secret := range []string{testToken, base64.StdEncoding.EncodeToString([]byte("x-access-token:" + testToken)), "tiny"} {
		text := string(randomBytes(3, 300)) + secret + string(randomBytes(4, 300))
		at := 300
		for cut := at - 1; cut <= at+len(secret)+1; cut++ {
			st := s.stream()
			st.feed([]byte(text[:cut]))
			st.feed([]byte(text[cut:]))
			if !st.hit {
				t.Errorf("%.12q… split at %d of %d: not found", secret, cut-at, len(secret))
			}
		}
		for _, step := range []int{1, 3, 7, 50} {
			st := s.stream()
			for i := 0; i < len(text); i += step {
				st.feed([]byte(text[i:min(i+step, len(text))]))
			}
			if !st.hit {
				t.Errorf("%.12q… in reads of %d bytes: not found", secret, step)
			}
		}
	}
	// reset forgets the previous file: no match across files.
	st := s.stream()
	st.feed([]byte("x" + testToken[:20]))
	st.reset()
	st.feed([]byte(testToken[20:] + "x"))
	if st.hit {
		t.Error("a secret split across two files was reported")
	}
}

func TestScanFindsSecrets(t *testing.T) {
	root := t.TempDir()
	clean := randomBytes(1, 3*hashBufSize)
	// The token straddles the first read of a file larger than one read.
	across := randomBytes(2, 3*hashBufSize)
	copy(across[hashBufSize-15:], testToken)
	gitConfig := "[http \"https://github.com/\"]\n\textraheader = AUTHORIZATION: basic " +
		base64.StdEncoding.EncodeToString([]byte("x-access-token:"+testToken)) + "\n"
	writeFile(t, root, "clean.bin", clean)
	writeFile(t, root, "logs/a.log", []byte("all masked: ***\n"))
	writeFile(t, root, "big/across.bin", across)
	writeFile(t, root, "collected/.git/config", []byte(gitConfig))
	writeFile(t, root, "reports/"+testToken+".txt", []byte("named after the token"))
	writeFile(t, root, "reports/rpc.json", []byte(`{"rpc":"`+testRPCURL+`"}`))

	plain, err := Scan(context.Background(), root, ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if plain.Leaks != nil {
		t.Errorf("scan without secrets reported leaks %q", plain.Leaks)
	}
	for _, workers := range []int{1, 4} {
		res, err := Scan(context.Background(), root, ScanOptions{Workers: workers, Secrets: testSecrets()})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"big/across.bin", "collected/.git/config", "reports/" + testToken + ".txt", "reports/rpc.json"}
		if strings.Join(res.Leaks, "\n") != strings.Join(want, "\n") {
			t.Errorf("workers %d: leaks %q, want %q", workers, res.Leaks, want)
		}
		// Looking for secrets does not change what is hashed.
		if len(res.Entries) != len(plain.Entries) {
			t.Fatalf("entries %d, without secrets %d", len(res.Entries), len(plain.Entries))
		}
		for i := range res.Entries {
			if res.Entries[i] != plain.Entries[i] {
				t.Errorf("entry %q differs when scanning for secrets", res.Entries[i].Name)
			}
		}
	}
}

// TestHasherWriteAcrossPieces puts a secret across the boundary of the
// pieces a read is hashed and scanned in, at every offset.
func TestHasherWriteAcrossPieces(t *testing.T) {
	s := testSecrets()
	h := newHasher(rootDir{})
	h.secrets = s.stream()
	for _, secret := range []string{testToken, testRPCURL, base64.StdEncoding.EncodeToString([]byte("x-access-token:" + testToken))} {
		for at := pieceSize - len(secret) - 1; at <= pieceSize+1; at++ {
			p := randomBytes(uint64(at), 2*pieceSize+100)
			copy(p[at:], secret)
			h.secrets.reset()
			h.write(p)
			if !h.secrets.hit {
				t.Fatalf("%.12q… at %d (piece boundary %d): not found", secret, at, pieceSize)
			}
		}
	}
	h.secrets.reset()
	h.write(randomBytes(1, 3*pieceSize))
	if h.secrets.hit {
		t.Error("hit in random data")
	}
}

func TestASCIIGram(t *testing.T) {
	for v := range uint32(1 << 16) {
		// Spread the 16 bits over the four bytes so every byte value and
		// borrow pattern is seen in some lane.
		for _, g := range []uint32{v | v<<16, v<<8 | v>>8, ^v<<16 | v, v * 0x01010101} {
			b := []byte{byte(g), byte(g >> 8), byte(g >> 16), byte(g >> 24)}
			want := true
			for _, c := range b {
				want = want && 0x20 <= c && c <= 0x7f
			}
			if got := asciiGram(g); got != want {
				t.Fatalf("asciiGram(% x) = %v, want %v", b, got, want)
			}
		}
	}
}

// TestSecretsNonASCII: a value with bytes outside printable ASCII turns
// the arithmetic pre-filter off rather than being missed.
func TestSecretsNonASCII(t *testing.T) {
	for _, v := range []string{"pässwörd-für-den-signer", "tab\tseparated\tsecret-value", "\x00\x01binary-key-material\xff\xfe"} {
		s := NewSecrets([]string{v, testToken})
		text := append(randomBytes(8, 5000), v...)
		text = append(text, randomBytes(9, 5000)...)
		if !s.Contains(text) {
			t.Errorf("%q not found", v)
		}
		st := s.stream()
		st.feed(text[:5003])
		st.feed(text[5003:])
		if !st.hit {
			t.Errorf("%q split across reads not found", v)
		}
	}
}

// TestScanFileFindsSecrets: a file hashed on its own after a Scan (the
// manifest, the index page, a file re-hashed by the sealing check) is
// searched as Scan searches, and hashed the same with or without secrets.
func TestScanFileFindsSecrets(t *testing.T) {
	root := t.TempDir()
	big := randomBytes(3, 2*hashBufSize)
	copy(big[hashBufSize-10:], testToken)
	files := map[string]string{
		"index.html":                      "<p>token: " + testToken + "</p>",
		"assets/app.css":                  "body { color: red }",
		"across.bin":                      string(big),
		"git-config":                      "extraheader = AUTHORIZATION: basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:"+testToken)),
		"rpc.txt":                         "node " + url.QueryEscape(testRPCURL),
		"named-" + testKey[:20] + "x.txt": "clean",
		"named-" + testToken + ".txt":     "clean",
	}
	want := map[string]bool{"index.html": true, "across.bin": true, "git-config": true, "rpc.txt": true, "named-" + testToken + ".txt": true}
	for name, data := range files {
		writeFile(t, root, name, []byte(data))
	}
	s := testSecrets()
	for name := range files {
		e, leaked, err := ScanFile(root, name, s)
		if err != nil {
			t.Fatal(err)
		}
		if leaked != want[name] {
			t.Errorf("%s: leaked %v, want %v", name, leaked, want[name])
		}
		plain, err := HashFile(root, name)
		if err != nil {
			t.Fatal(err)
		}
		if e != plain {
			t.Errorf("%s: %+v with secrets, %+v without", name, e, plain)
		}
		if _, leaked, err := ScanFile(root, name, nil); err != nil || leaked {
			t.Errorf("%s without secrets: leaked %v, err %v", name, leaked, err)
		}
	}
	if _, _, err := ScanFile(root, "../"+filepath.Base(root)+"/index.html", s); err == nil {
		t.Error("ScanFile read a name outside the root")
	}
}

// TestVerifyFindsSecrets: Verify reports the files that hold a secret,
// the ledger itself included, without calling the bundle unclean.
func TestVerifyFindsSecrets(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	writeFile(t, root, "clean.txt", []byte("clean"))
	writeFile(t, root, "out/token.txt", []byte("t="+testToken))
	if _, _, err := Digest(ctx, openFolder(t, root), ScanOptions{}); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(ctx, root, ScanOptions{Secrets: testSecrets()})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Clean() || rep.OK != 2 || !slices.Equal(rep.Leaks, []string{"out/token.txt"}) {
		t.Errorf("got %+v, want clean, 2 OK, leak out/token.txt", *rep)
	}
	if rep, err := Verify(ctx, root, ScanOptions{}); err != nil || rep.Leaks != nil {
		t.Errorf("without secrets: %+v %v", rep, err)
	}

	// A ledger that lists a name holding the token: the file is missing,
	// so only the ledger's own bytes give the token away.
	f, err := os.OpenFile(filepath.Join(root, FileName), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(strings.Repeat("0", 64) + "  gone-" + testToken + "\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err = Verify(ctx, root, ScanOptions{Secrets: testSecrets()})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Leaks, []string{FileName, "out/token.txt"}) || len(rep.Missing) != 1 {
		t.Errorf("got %+v, want leaks SHA256SUMS and out/token.txt, one missing", *rep)
	}
}
