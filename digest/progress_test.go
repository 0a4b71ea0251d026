package digest_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/trailcase/trailcase/digest"
)

// countBytes is a progress sink that adds up what it is told.
type countBytes struct{ n atomic.Int64 }

func (c *countBytes) Expect(string, int64, int64) {}
func (c *countBytes) Begin(string, string, int64) {}
func (c *countBytes) Advance(_ string, n int64)   { c.n.Add(n) }
func (c *countBytes) End(string)                  {}

// TestProgress checks that Verify reports the bytes it hashes, from its
// concurrent readers, and that a nil Progress is allowed.
func TestProgress(t *testing.T) {
	objs := loadDir(t, filepath.Join(corpusDir, "intact", "bucket"))
	var c countBytes
	r, err := digest.Verify(context.Background(), objs, digest.Options{Keys: loadKeys(t), Progress: &c})
	if err != nil || !r.Valid {
		t.Fatalf("valid=%v err=%v", r != nil && r.Valid, err)
	}
	// Every digest and every listed log is hashed at least once; each is
	// far more than a byte.
	if files := int64(r.DigestsChecked + r.LogsChecked); c.n.Load() < files*100 {
		t.Errorf("progress advanced %d bytes for %d digests and %d logs", c.n.Load(), r.DigestsChecked, r.LogsChecked)
	}
	if _, err := digest.Verify(context.Background(), objs, digest.Options{Keys: loadKeys(t)}); err != nil {
		t.Fatal(err)
	}
}
