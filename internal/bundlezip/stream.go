package bundlezip

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
)

// Digest is the SHA-256 of the zip's SHA256SUMS bytes, as Open read them:
// the bundle's ledger digest.
func (b *Bundle) Digest() [32]byte { return b.sumsDigest }

// ReadFile reads one file the ledger lists into memory, at most limit
// bytes, and checks it against its ledger line. It is for the small files
// a caller must see before deciding what to do with the rest, such as
// manifest.json.
func (b *Bundle) ReadFile(ctx context.Context, name string, limit int64) ([]byte, error) {
	i, ok := b.listed[name]
	f := b.files[name]
	switch {
	case !ok:
		return nil, fmt.Errorf("%s does not list %s", ledger.FileName, name)
	case b.refused[name]:
		return nil, fmt.Errorf("%s %s", name, b.why(name))
	case f == nil:
		return nil, fmt.Errorf("%s lists %s, which is not in the zip", ledger.FileName, name)
	}
	var buf strings.Builder
	h := sha256.New()
	err := copyEntry(ctx, f, io.MultiWriter(&buf, h), limit, "a file read from a bundle zip", newBudget(b.lim.MaxTotal))
	var ce *corruptError
	switch {
	case errors.As(err, &ce):
		return nil, fmt.Errorf("%s has data that does not match its zip header: %w", name, err)
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", name, err)
	case [32]byte(h.Sum(nil)) != b.entries[i].Sum:
		return nil, fmt.Errorf("%s does not match its %s", name, ledger.FileName)
	}
	return []byte(buf.String()), nil
}

// Stream checks the zip against its ledger and, when it holds exactly
// the files the ledger lists and nothing unsafe, streams SHA256SUMS and
// then every listed file, in ledger order, into the writer open returns
// for it, hashing each as it goes. Nothing is read when the zip's entries
// and its ledger do not agree: the Report says how, and Stream returns.
// Reading stops at the first file whose bytes differ from its ledger line
// (Mismatched) or from its zip header (Unsafe); the Report then holds that
// file, and what was written for it, and before it, is the caller's to
// discard.
//
// Each file is bounded as Extract bounds it (Limits.MaxFile, and the
// ledger's and the manifest's own bounds), and the files' declared sizes
// together by Limits.MaxTotal before anything is read, as are the bytes
// actually read. The error is for what is not the zip's contents: a
// limit, ctx done, or an error from open or a writer, returned as it is.
func (b *Bundle) Stream(ctx context.Context, open func(name string) (io.WriteCloser, error)) (*Report, error) {
	r := &Report{Unsafe: slices.Clone(b.unsafe)}
	type job struct {
		name  string
		limit int64
		what  string
		sum   [32]byte
	}
	jobs := []job{{ledger.FileName, ledger.MaxFileSize, "a ledger", b.sumsDigest}}
	declared := b.sums.UncompressedSize64
	for _, e := range b.entries {
		f := b.files[e.Name]
		switch {
		case b.refused[e.Name]:
			continue
		case f == nil:
			r.Missing = append(r.Missing, e.Name)
			continue
		}
		j := job{e.Name, b.lim.MaxFile, "a file of a bundle", e.Sum}
		if e.Name == manifest.FileName {
			j.limit, j.what = manifest.MaxFileSize, "a manifest"
		}
		if f.UncompressedSize64 > uint64(j.limit) {
			return nil, fmt.Errorf("stream %q: %w", e.Name, tooLarge(f, j.limit, j.what))
		}
		declared += f.UncompressedSize64
		jobs = append(jobs, j)
	}
	for name := range b.files {
		if _, ok := b.listed[name]; !ok && name != ledger.FileName {
			r.Extra = append(r.Extra, name)
		}
	}
	slices.Sort(r.Missing)
	slices.Sort(r.Extra)
	if !r.Clean() {
		return r, nil
	}
	bud := newBudget(b.lim.MaxTotal)
	if err := bud.reserve(declared); err != nil {
		return nil, fmt.Errorf("stream: %w", err)
	}
	for _, j := range jobs {
		w, err := open(j.name)
		if err != nil {
			return nil, err
		}
		h := sha256.New()
		err = copyEntry(ctx, b.files[j.name], io.MultiWriter(w, h), j.limit, j.what, bud)
		if cerr := w.Close(); err == nil && cerr != nil {
			return nil, cerr
		}
		var ce *corruptError
		switch {
		case errors.As(err, &ce):
			r.Unsafe = append(r.Unsafe, Unsafe{Name: j.name, Why: "has data that does not match its zip header: " + ce.Error()})
			return r, nil
		case err != nil:
			return nil, err
		case [32]byte(h.Sum(nil)) != j.sum:
			r.Mismatched = append(r.Mismatched, j.name)
			return r, nil
		}
		if j.name != ledger.FileName {
			r.OK++
		}
	}
	return r, nil
}
