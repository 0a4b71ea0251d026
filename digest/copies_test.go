package digest_test

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/trailcase/trailcase/digest"
	"github.com/trailcase/trailcase/digest/digesttest"
	"github.com/trailcase/trailcase/evidence"
)

// Every digest acquired a second time (another archive of the same
// bucket) is still one digest in the summary.
func TestDigestCopiesCountedOnce(t *testing.T) {
	objs := loadDir(t, filepath.Join(corpusDir, "intact", "bucket"))
	r0, err := digest.Verify(context.Background(), objs, digest.Options{Keys: loadKeys(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range slices.Clone(objs) {
		if o.Kind == evidence.KindCloudTrailDigest {
			o.Key = "second-archive/" + o.Key
			objs = append(objs, o)
		}
	}
	r, err := digest.Verify(context.Background(), objs, digest.Options{Keys: loadKeys(t)})
	if err != nil {
		t.Fatal(err)
	}
	if r.Digests != r0.Digests || r.DigestsChecked != 2*r0.DigestsChecked || r0.Digests != r0.DigestsChecked {
		t.Errorf("digests %d (copies %d), alone %d (copies %d)", r.Digests, r.DigestsChecked, r0.Digests, r0.DigestsChecked)
	}
	if want := digestWord(r0.Digests); !strings.Contains(r.Summary(), want) {
		t.Errorf("summary %q lacks %q", r.Summary(), want)
	}
}

func digestWord(n int) string {
	if n == 1 {
		return "1 digest,"
	}
	return strconv.Itoa(n) + " digests,"
}

// A log stored uncompressed under its .json.gz name hashes as CloudTrail
// hashed it, but aws-cli rejects it: said in a notice.
func TestLogNotGzip(t *testing.T) {
	objs := loadDir(t, filepath.Join(corpusDir, "intact", "bucket"))
	i := slices.IndexFunc(objs, func(o digest.Object) bool { return o.Kind == evidence.KindCloudTrail })
	open := objs[i].Open
	objs[i].Open = func() (io.ReadCloser, error) {
		rc, err := open()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		gz, err := io.ReadAll(rc)
		if err != nil {
			return nil, err
		}
		plain, err := digesttest.FirstMember(gz)
		return io.NopCloser(bytes.NewReader(plain)), err
	}
	r, err := digest.Verify(context.Background(), objs, digest.Options{Keys: loadKeys(t)})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Valid || !slices.ContainsFunc(r.Notices, func(s string) bool {
		return strings.HasPrefix(s, objs[i].Key+": log is not gzip-compressed under its .gz name")
	}) {
		t.Errorf("valid=%v notices %q", r.Valid, r.Notices)
	}
}
