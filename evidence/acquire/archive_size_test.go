package acquire

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/trailcase/trailcase/evidence"
)

// rawZip writes stored entries whose headers declare the given sizes,
// whatever their bodies hold (ten bytes; none for math.MaxInt64).
func rawZip(t testing.TB, declared map[string]uint64) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, name := range []string{"a.log", "b.log", "c.log"} {
		size, ok := declared[name]
		if !ok {
			continue
		}
		body := []byte("0123456789")
		if size == math.MaxInt64 {
			body = nil // no compressed size: the bomb check cannot see it
		}
		w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Store, CompressedSize64: uint64(len(body)),
			UncompressedSize64: size, CRC32: crc32.ChecksumIEEE(body)})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// tarWithSizes writes a tar whose last header declares size and holds no
// body.
func tarWithSizes(t testing.TB, size int64) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	tw.WriteHeader(&tar.Header{Name: "a.log", Typeflag: tar.TypeReg, Size: 10, Mode: 0o644})
	tw.Write([]byte("0123456789"))
	tw.WriteHeader(&tar.Header{Name: "b.log", Typeflag: tar.TypeReg, Size: size, Mode: 0o644})
	tw.Flush()
	return b.Bytes()
}

// An archive entry never comes out with a negative size (read as empty and
// acquired silently), and sizes that overflow the running total cannot slip
// past the expansion limit.
func TestArchiveDeclaredSizes(t *testing.T) {
	tests := []struct {
		name, file string
		data       []byte
		want       []string // entries offered, with their sizes
		refused    string   // a refusal holding this
	}{
		{"zip size past int64", "x.zip", rawZip(t, map[string]uint64{"a.log": 10, "b.log": 1<<63 + 5}),
			[]string{"a.log 10"}, "b.log: entry declares 9223372036854775813 bytes, more than any file holds"},
		{"zip size 2^64-1", "x.zip", rawZip(t, map[string]uint64{"b.log": math.MaxUint64, "c.log": 10}),
			[]string{"c.log 10"}, "b.log: entry declares 18446744073709551615 bytes"},
		{"zip total overflows", "x.zip", rawZip(t, map[string]uint64{"a.log": 10, "b.log": math.MaxInt64, "c.log": 10}),
			[]string{"a.log 10"}, "b.log: archive expands past the limit of 1048576 bytes"},
		{"tar total overflows", "x.tar", tarWithSizes(t, math.MaxInt64),
			[]string{"a.log 10"}, "b.log: archive expands past the limit of 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), tt.file)
			if err := os.WriteFile(p, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			src, err := OpenLocal(p, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			var got, refused []string
			err = src.Walk(context.Background(), func(e evidence.Entry) error {
				rc, err := e.Open(context.Background())
				if err != nil {
					t.Fatalf("open %q: %v", e.Path, err)
				}
				defer rc.Close()
				io.Copy(io.Discard, rc)
				got = append(got, e.Path+" "+strconv.FormatInt(e.Size, 10))
				return nil
			}, func(r evidence.Refusal) { refused = append(refused, r.Path+": "+r.Reason) })
			if err != nil {
				t.Fatalf("walk: %v", err)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("entries %q, want %q", got, tt.want)
			}
			if len(refused) != 1 || !strings.HasPrefix(refused[0], tt.refused) {
				t.Errorf("refusals %q, want one starting %q", refused, tt.refused)
			}
		})
	}
}
