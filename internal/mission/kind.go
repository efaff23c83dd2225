package mission

// Kind says what sort of problem an Error is, in one word a user (or a
// script reading the output) can act on without parsing the message. It is
// a string so that it can go into JSON output or annotations as it is; the
// constants below are the whole set, for the parser and the built-in steps'
// `with:` decoder alike.
type Kind string

// The kinds of Error.
const (
	KindSyntax       Kind = "syntax"        // the file is not one well-formed YAML document
	KindType         Kind = "type"          // a value has the wrong YAML type (list for a string, …)
	KindUnknownKey   Kind = "unknown-key"   // a key the mission format (or a built-in's with:) does not define
	KindMissing      Kind = "missing"       // a required key is absent
	KindDuplicate    Kind = "duplicate"     // a key, phase, step name or id, or env name given twice
	KindCycle        Kind = "cycle"         // phases that need each other
	KindUnknownNeeds Kind = "unknown-needs" // needs names a phase that does not exist
	KindEmpty        Kind = "empty"         // an empty file, mapping, list or string where content is required
	KindValue        Kind = "value"         // the type is right but the value is not allowed
)
