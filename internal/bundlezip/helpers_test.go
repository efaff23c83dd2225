package bundlezip_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha256"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/helios-action/helios-action/internal/artifact"
	"github.com/helios-action/helios-action/internal/artifact/artifacttest"
	"github.com/helios-action/helios-action/internal/bundlezip"
	"github.com/helios-action/helios-action/internal/ledger"
)

// writeBundle writes files (name → content) into a new folder and its
// SHA256SUMS as helios writes it, and returns the folder.
func writeBundle(t testing.TB, files map[string]string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "bundle")
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := ledger.Scan(context.Background(), root, ledger.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := ledger.Encode(&b, res.Entries); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, ledger.FileName), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// heliosZip zips files of root (SHA256SUMS and all the ledger lists when
// files is nil) with helios' own artifact writer, through the loopback
// fake of the artifact service, and returns the zip's path.
func heliosZip(t testing.TB, root string, files []string) string {
	t.Helper()
	if files == nil {
		var err error
		if files, err = artifact.BundleFiles(root); err != nil {
			t.Fatal(err)
		}
	}
	fake := artifacttest.Start(t, artifacttest.Options{})
	cfg, err := artifact.ConfigFromEnv(fake.Getenv(func(string) string { return "" }))
	if err != nil {
		t.Fatal(err)
	}
	cfg.RetryDelay = time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := artifact.Upload(ctx, cfg, "bundle", root, files); err != nil {
		t.Fatal(err)
	}
	a, ok := fake.Artifact("bundle")
	if !ok {
		t.Fatal("the fake holds no artifact")
	}
	data, err := a.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return writeZipFile(t, data)
}

func writeZipFile(t testing.TB, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bundle.zip")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// ent is one entry of a zip built by rawZip.
type ent struct {
	name, data string
	mode       fs.FileMode // 0: a regular file, 0644
	method     uint16      // zip.Deflate unless store is set
	store      bool
	flags      uint16
	fat        bool   // made by MS-DOS (creator 0), not Unix
	extAttrs   uint32 // when set, replaces the external attributes
	// usize, when set, is the uncompressed size declared instead of the
	// real one (the data is still deflated as given).
	usize uint64
}

// rawZip builds a zip of ents with archive/zip, headers as given.
func rawZip(t testing.TB, ents []ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range ents {
		fh := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Flags: e.flags}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		fh.SetMode(mode)
		if e.fat {
			fh.CreatorVersion &= 0xff
		}
		if e.extAttrs != 0 {
			fh.ExternalAttrs = e.extAttrs
		}
		if e.method != 0 {
			fh.Method = e.method
		}
		if e.store || strings.HasSuffix(e.name, "/") {
			fh.Method = zip.Store
		}
		var comp bytes.Buffer
		if fh.Method == zip.Deflate {
			fw, _ := flate.NewWriter(&comp, flate.BestCompression)
			fw.Write([]byte(e.data))
			fw.Close()
		} else {
			comp.WriteString(e.data)
		}
		fh.CRC32 = crc32.ChecksumIEEE([]byte(e.data))
		fh.CompressedSize64 = uint64(comp.Len())
		fh.UncompressedSize64 = uint64(len(e.data))
		if e.usize != 0 {
			fh.UncompressedSize64 = e.usize
		}
		w, err := zw.CreateRaw(fh)
		if err != nil {
			t.Fatal(err)
		}
		if comp.Len() == 0 {
			continue
		}
		if _, err := w.Write(comp.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sums is the SHA256SUMS of files (name → content).
func sums(t testing.TB, files map[string]string) string {
	t.Helper()
	var es []ledger.Entry
	for name, content := range files {
		es = append(es, ledger.Entry{Name: name, Sum: sha256.Sum256([]byte(content))})
	}
	ledger.Sort(es)
	var b bytes.Buffer
	if err := ledger.Encode(&b, es); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// snapshot records every path under dir (but skip) with its type, size
// and content, to show that nothing there changed.
func snapshot(t *testing.T, dir, skip string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == skip {
			return filepath.SkipDir
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		v := fi.Mode().String()
		if fi.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			v += " " + string(data)
		}
		m[p] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// tree lists the regular files under dir by '/'-separated name, and fails
// the test on anything that is neither a file nor a folder.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			t.Errorf("%s is %v, not a regular file", p, d.Type())
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		m[filepath.ToSlash(rel)] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func hasWhy(us []bundlezip.Unsafe, name, why string) bool {
	for _, u := range us {
		if u.Name == name && strings.Contains(u.Why, why) {
			return true
		}
	}
	return false
}
