package evidence

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/bmatcuk/doublestar/v4"
)

// Entry is one file offered by a source.
type Entry struct {
	// Path is the file's path relative to the source root with forward
	// slashes, or the S3 key.
	Path string
	// URI identifies the exact origin: an absolute path, an archive path
	// followed by "!/" and the entry name, or s3://bucket/key?versionId=….
	URI string
	// Size is the expected size in bytes, or -1 when unknown.
	Size    int64
	ModTime time.Time
	// S3 holds captured S3 metadata, when the source is S3.
	S3 *S3Object
	// Sidecar and SidecarPath are a .head.json file found with the entry.
	Sidecar     []byte
	SidecarPath string
	// Open returns the file's bytes. It is called at most once, and only
	// during the fn call that received the entry.
	Open func(ctx context.Context) (io.ReadCloser, error)
	// Present, when not zero, is the id of an item that already holds
	// exactly this entry's bytes (a source may know that without reading
	// them, e.g. an S3 version with the same ETag and size). Acquire then
	// records the entry as already present and does not open it.
	Present uint64
}

// Refusal is a path a source would not read, and why.
type Refusal struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Source offers files. Walk calls fn for each file in a stable order, from
// a single goroutine, and refuse for each path it will not read (escaping
// the root, links out of the tree, suspected archive bombs). A non-nil
// error from fn stops the walk. Errors reading one file are reported by
// returning an Entry whose Open fails, so the others are still acquired;
// Walk itself fails only when the source cannot be read at all.
type Source interface {
	// Root is the source as the examiner named it.
	Root() string
	Walk(ctx context.Context, fn func(Entry) error, refuse func(Refusal)) error
}

// ContainerHasher is implemented by sources that are one file (an archive
// or a single log): after Walk, Container reports that file's own SHA-256
// and size, recorded in the custody log.
type ContainerHasher interface {
	Container() (sum SHA256, size int64, ok bool)
}

// ValidatePatterns checks doublestar patterns.
func ValidatePatterns(patterns []string) error {
	for _, p := range patterns {
		if !doublestar.ValidatePattern(p) {
			return fmt.Errorf("invalid glob %q", p)
		}
	}
	return nil
}

// Selected reports whether path passes the include and exclude patterns:
// with includes, it must match one; it must match no exclude.
func Selected(path string, include, exclude []string) bool {
	if len(include) > 0 {
		ok := false
		for _, p := range include {
			if m, _ := doublestar.Match(p, path); m {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	for _, p := range exclude {
		if m, _ := doublestar.Match(p, path); m {
			return false
		}
	}
	return true
}
