package attest

import (
	"context"
	"testing"

	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// TestInTotoValidate: the Statement parses with in-toto's own Go types
// (protojson refuses a field they do not know) and passes their Validate.
// The in-toto spec ships no JSON Schema; this is its reference check. It
// lives in a test so that the action's binary does not carry protobuf.
func TestInTotoValidate(t *testing.T) {
	mb, err := merged().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load(context.Background(), bundle(t, map[string]string{"manifest.json": string(mb), "x/y.json": "{}"}))
	if err != nil {
		t.Fatal(err)
	}
	st, err := b.Statement(&Run{ServerURL: "https://github.com", Repository: "o/r", ID: "1"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := st.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	ValidateInToto(t, out)
}

// ValidateInToto fails t unless statement is a valid in-toto Statement v1.
func ValidateInToto(t testing.TB, statement []byte) {
	t.Helper()
	var s intoto.Statement
	if err := protojson.Unmarshal(statement, &s); err != nil {
		t.Fatalf("in-toto Statement: %v\n%s", err, statement)
	}
	if err := s.Validate(); err != nil {
		t.Errorf("in-toto Statement.Validate: %v\n%s", err, statement)
	}
	if s.GetPredicateType() != PredicateType || len(s.GetSubject()) == 0 {
		t.Errorf("in-toto Statement: predicate type %q, %d subjects", s.GetPredicateType(), len(s.GetSubject()))
	}
}
