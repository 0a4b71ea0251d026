package acquire

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailcase/trailcase/evidence"
)

// walkAll walks a source, reading every entry, and checks the safety
// invariants every source must keep whatever its input; a source that
// tells its size first must have told what the walk then offers.
func walkAll(t *testing.T, src evidence.Source) {
	var files, bytes int64
	sizeFiles, sizeBytes, sizeErr := int64(-1), int64(-1), error(nil)
	if sz, ok := src.(evidence.Sizer); ok {
		sizeFiles, sizeBytes, sizeErr = sz.Size(context.Background(), nil, nil)
	}
	walkErr := src.Walk(context.Background(), func(e evidence.Entry) error {
		files, bytes = files+1, bytes+e.Size
		if strings.HasPrefix(e.Path, "/") || strings.Contains("/"+e.Path+"/", "/../") {
			t.Fatalf("entry escapes the root: %q", e.Path)
		}
		rc, err := e.Open(context.Background())
		if err != nil {
			return nil
		}
		n, _ := io.Copy(io.Discard, rc)
		rc.Close()
		if e.Size < 0 {
			t.Fatalf("entry %q: archive entry of unknown size %d", e.Path, e.Size)
		}
		if n > e.Size+1 {
			t.Fatalf("entry %q: read %d bytes, declared %d", e.Path, n, e.Size)
		}
		return nil
	}, func(evidence.Refusal) {})
	if sizeFiles >= 0 && sizeErr == nil && walkErr == nil && (files != sizeFiles || bytes != sizeBytes) {
		t.Fatalf("Size told %d files of %d bytes, Walk offered %d of %d", sizeFiles, sizeBytes, files, bytes)
	}
}

func seedZip() []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, n := range []string{"a.log", "dir/b.json.gz", "a.log.head.json", "../x"} {
		w, _ := zw.Create(n)
		w.Write([]byte("content of " + n))
	}
	zw.Close()
	return b.Bytes()
}

func seedTar() []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, n := range []string{"a.log", "dir/b.json.gz", "a.log.head.json", "../x", "/abs"} {
		body := "content of " + n
		tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeReg, Size: int64(len(body)), Mode: 0o644})
		tw.Write([]byte(body))
	}
	tw.WriteHeader(&tar.Header{Name: "l", Typeflag: tar.TypeSymlink, Linkname: "../../etc"})
	tw.Close()
	return b.Bytes()
}

func FuzzZipWalk(f *testing.F) {
	f.Add(seedZip())
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "f.zip")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		src, err := OpenLocal(p, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		walkAll(t, src)
	})
}

func FuzzTarWalk(f *testing.F) {
	f.Add(seedTar(), false)
	f.Add([]byte(gz(string(seedTar()))), true)
	f.Fuzz(func(t *testing.T, data []byte, gzipped bool) {
		name := "f.tar"
		if gzipped {
			name = "f.tgz"
		}
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		src, err := OpenLocal(p, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		walkAll(t, src)
	})
}

func FuzzEntryName(f *testing.F) {
	for _, s := range []string{"a/b", "../a", "/a", `C:\a`, "a/./b/../c", "", "..", "a\x00b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := entryName(s)
		if err != nil {
			return
		}
		if strings.HasPrefix(n, "/") || n == ".." || strings.HasPrefix(n, "../") || strings.Contains(n, "/../") {
			t.Fatalf("entryName(%q) = %q escapes", s, n)
		}
	})
}

func FuzzParseSidecar(f *testing.F) {
	f.Add([]byte(`{"ETag":"\"x\"","VersionId":"v","Metadata":{"signature":"ab"},"ObjectLockMode":"COMPLIANCE","ObjectLockRetainUntilDate":"2030-01-01T00:00:00Z","LastModified":"Wed, 01 May 2024 10:05:00 GMT"}`))
	f.Add([]byte(`{"ContentLength":-1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := ParseSidecar(b, "k")
		if err == nil && o == nil {
			t.Fatal("nil object without error")
		}
	})
}

func FuzzDetectKind(f *testing.F) {
	f.Add("x.json.gz", []byte(gz(`{"Records":[{"eventVersion":"1.08"}]}`)))
	f.Add("x.log", []byte("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"))
	f.Add("x.log.gz", []byte("\x1f\x8b\x08\x00garbage"))
	f.Fuzz(func(t *testing.T, name string, head []byte) {
		kind, _ := DetectKind(name, head)
		if kind == "" {
			t.Fatal("empty kind")
		}
	})
}
