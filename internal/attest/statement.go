package attest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/regular"
)

// StatementType is the in-toto Statement v1 type.
const StatementType = "https://in-toto.io/Statement/v1"

// Statement is an in-toto Statement v1 whose predicate is a mission run.
type Statement struct {
	Type          string     `json:"_type"`
	Subject       []Subject  `json:"subject"`
	PredicateType string     `json:"predicateType"`
	Predicate     *Predicate `json:"predicate"`
}

// Subject is one bundle file: its ledger name and SHA-256.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// NewStatement binds p to the files entries (a SHA256SUMS) lists, in
// ledger order, each named as its SHA256SUMS line names it ("./" and the
// path): the subjects actions/attest makes of the same SHA256SUMS, so the
// Statement helios attest writes and the one a workflow signs agree. A
// name that is not UTF-8 cannot be a JSON string without
// being changed, so it is refused rather than attested as another name.
func NewStatement(entries []ledger.Entry, p *Predicate) (*Statement, error) {
	sorted := append([]ledger.Entry(nil), entries...)
	ledger.Sort(sorted)
	st := &Statement{Type: StatementType, Subject: make([]Subject, 0, len(sorted)), PredicateType: PredicateType, Predicate: p}
	for _, e := range sorted {
		if !utf8.ValidString(e.Name) {
			return nil, fmt.Errorf("%q: a file name that is not UTF-8 cannot be an in-toto subject", e.Name)
		}
		st.Subject = append(st.Subject, Subject{Name: "./" + e.Name, Digest: map[string]string{"sha256": hex.EncodeToString(e.Sum[:])}})
	}
	return st, nil
}

// Marshal renders the Statement as indented JSON with a final newline.
func (s *Statement) Marshal() ([]byte, error) {
	return marshal(s)
}

// ReadStatement parses a Statement written by Marshal, or any in-toto
// Statement v1 of the mission predicate with sha256 subject digests (the
// one actions/attest signs), refusing other types.
func ReadStatement(ctx context.Context, path string) (*Statement, error) {
	b, err := regular.ReadFile(ctx, path, ledger.MaxFileSize, "a statement")
	if err != nil {
		return nil, err
	}
	// The types first: another predicate need not parse as this one, and
	// would leave SHA256SUMS unchecked if it did. Go's decoder matches keys
	// regardless of case, in-toto's (protojson, what gh reads) exactly: a
	// second spelling of a key could make the two read different types.
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for k := range top {
		for _, want := range []string{"_type", "subject", "predicateType", "predicate"} {
			if k != want && strings.EqualFold(k, want) {
				return nil, fmt.Errorf("%s: key %q is %q spelled otherwise", path, k, want)
			}
		}
	}
	var head struct {
		Type          string `json:"_type"`
		PredicateType string `json:"predicateType"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	switch {
	case head.Type != StatementType:
		return nil, fmt.Errorf("%s: _type %q, want %q", path, head.Type, StatementType)
	case head.PredicateType != PredicateType:
		return nil, fmt.Errorf("%s: predicate type %q is not the mission predicate %s", path, head.PredicateType, PredicateType)
	}
	var s Statement
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if s.Predicate == nil || s.Predicate.LedgerDigest == "" {
		return nil, fmt.Errorf("%s: the predicate has no ledger digest", path)
	}
	for _, sub := range s.Subject {
		if _, ok := sub.Digest["sha256"]; !ok {
			return nil, fmt.Errorf("%s: subject %q has no sha256 digest", path, sub.Name)
		}
	}
	return &s, nil
}

// Bundle is what an attestation of a bundle folder is made from.
type Bundle struct {
	Manifest     *manifest.Manifest
	Ledger       []ledger.Entry
	LedgerDigest string
}

// errManifestMismatch: the manifest is not the one the ledger lists.
var errManifestMismatch = errors.New("manifest.json does not match its line in SHA256SUMS")

// Load reads the SHA256SUMS and manifest.json of the bundle in dir. The
// manifest must be the one the ledger lists: the predicate is made from it,
// and must not say something the signed subjects do not back.
func Load(ctx context.Context, dir string) (*Bundle, error) {
	lb, err := regular.ReadFile(ctx, filepath.Join(dir, ledger.FileName), ledger.MaxFileSize, "a ledger")
	if err != nil {
		return nil, err
	}
	entries, err := ledger.Parse(bytes.NewReader(lb))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ledger.FileName), err)
	}
	mpath := filepath.Join(dir, manifest.FileName)
	mb, err := regular.ReadFile(ctx, mpath, manifest.MaxFileSize, "a manifest")
	if err != nil {
		return nil, err
	}
	listed := false
	for _, e := range entries {
		if e.Name == manifest.FileName {
			listed = e.Sum == sha256.Sum256(mb)
			break
		}
	}
	if !listed {
		return nil, fmt.Errorf("%s: %w", dir, errManifestMismatch)
	}
	var m manifest.Manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", mpath, err)
	}
	sum := sha256.Sum256(lb)
	return &Bundle{Manifest: &m, Ledger: entries, LedgerDigest: hex.EncodeToString(sum[:])}, nil
}

// Statement is the bundle's Statement, in workflow run run (nil outside one).
func (b *Bundle) Statement(run *Run) (*Statement, error) {
	p, err := NewPredicate(b.Manifest, b.LedgerDigest, run)
	if err != nil {
		return nil, err
	}
	return NewStatement(b.Ledger, p)
}

// marshal renders v as indented JSON with a final newline, leaving <, > and
// & as they are: scripts are full of them, and the bytes are signed as
// they are read.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
