package templates

import (
	"embed"
	"io/fs"
)

// sources holds the non-test Go files of every template package.
//
//go:embed */*.go
var sources embed.FS

// Sources returns the embedded template sources, rooted at this directory:
// shardmap/map.go, pool/pool.go, ... Test files are included by the embed
// pattern; callers filter them out by name.
func Sources() fs.FS { return sources }
