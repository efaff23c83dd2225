package mission

import _ "embed"

// defaultSource is the upstream Helios drill as a mission file.
//
//go:embed default.yml
var defaultSource []byte

// DefaultFile names the built-in mission in messages and the manifest.
const DefaultFile = "(built-in) helios-omniversal-symphony.yml"

// DefaultSource returns the built-in mission's YAML.
func DefaultSource() []byte { return append([]byte(nil), defaultSource...) }
