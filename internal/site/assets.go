package site

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"sync"
)

// Mermaid's UMD build and its licence, fetched by scripts/vendor-mermaid.sh.
// A classic script rather than the ES module build: browsers do not load
// modules from file:// URLs.
//
// The script is kept gzipped (its 3.4 MiB are 0.9 MiB so, and they were the
// largest part of the binary) and inflated only when a bundle is written.
// Bundles get the npm package's bytes, whose SHA-256
// assets/mermaid.min.js.sha256 records; gzip's own CRC-32 catches a damaged
// copy.
var (
	//go:embed assets/mermaid.min.js.gz
	mermaidJSGzip []byte
	//go:embed assets/mermaid.LICENSE
	mermaidLicense []byte
	//go:embed assets/mermaid.version
	mermaidVersion string
)

// mermaidJS is Mermaid's script, inflated once per process.
var mermaidJS = sync.OnceValues(func() ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(mermaidJSGzip))
	if err != nil {
		return nil, fmt.Errorf("inflate %s: %w", MermaidJS, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("inflate %s: %w", MermaidJS, err)
	}
	return b, nil
})
