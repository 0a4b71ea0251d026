package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"strings"
	"testing"
	"time"
)

// An element of a flat bucket whose flags were damaged to say "bucket",
// over a value bbolt would take for an inline bucket (eight zero bytes,
// then a page), is reported by the structure check, not opened: bbolt's
// cursor follows an inline page without checking it.
func TestStructureRefusesNestedBucketFlag(t *testing.T) {
	st, p := newCase(t)
	w := st.NewWriter(0)
	marker := []byte("nested-bucket-flag-test")
	// Bucket header (root 0: inline, sequence), a leaf page header
	// claiming many elements, then the marker.
	data := make([]byte, 16)
	data = binary.LittleEndian.AppendUint64(data, 0)            // page id
	data = binary.LittleEndian.AppendUint16(data, leafFlag)     // flags
	data = binary.LittleEndian.AppendUint16(data, 0xffff)       // count
	data = binary.LittleEndian.AppendUint32(data, 0)            // overflow
	data = append(data, bytes.Repeat([]byte{0, 0, 0, 1}, 8)...) // element headers
	data = append(data, marker...)
	putBlob(t, st, w, "mem:nested", data)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	m := bytes.Index(b, marker)
	if m < 0 || bytes.Contains(b[m+1:], marker) {
		t.Fatal("the evidence is not in the file once")
	}
	start := m - (len(data) - len(marker)) // where the stored value begins
	// The element whose value begins there: its 16-byte header (flags,
	// pos, ksize, vsize) gives the key's place relative to itself, on a
	// page or, for a small bucket, inside its parent's value.
	flipped := 0
	for e := 0; e+16 <= start; e++ {
		pos, ksize := binary.LittleEndian.Uint32(b[e+4:]), binary.LittleEndian.Uint32(b[e+8:])
		if binary.LittleEndian.Uint32(b[e:]) == 0 && int(binary.LittleEndian.Uint32(b[e+12:])) == len(data) && e+int(pos)+int(ksize) == start {
			binary.LittleEndian.PutUint32(b[e:], 1) // bbolt's bucketLeafFlag
			flipped++
		}
	}
	if flipped != 1 {
		t.Fatalf("%d elements hold the value", flipped)
	}
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}

	st, err = Open(p, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	done := make(chan []string)
	go func() {
		findings, err := st.CheckStructure(context.Background())
		if err != nil {
			t.Error(err)
		}
		done <- findings
	}()
	select {
	case findings := <-done:
		if len(findings) != 1 || !strings.Contains(findings[0], `bucket "blobs": key`) || !strings.Contains(findings[0], "marked as a bucket") {
			t.Fatalf("findings %q", findings)
		}
	case <-time.After(time.Minute):
		t.Fatal("the structure check did not return")
	}
}
