package timeline

import (
	"bytes"
	"context"
	"encoding/binary"
	"runtime"
	"strings"
	"testing"
)

// A Parquet file whose footer length does not fit in the file is refused
// before the library allocates that length (up to 4 GiB for a few bytes).
func TestParquetFrame(t *testing.T) {
	good := parquetSample(t, parquetRows)
	withFooter := func(n uint32) []byte {
		b := bytes.Clone(good)
		binary.LittleEndian.PutUint32(b[len(b)-8:], n)
		return b
	}
	tests := []struct {
		name string
		data []byte
		want string // error holding this; "" for none
	}{
		{"intact", good, ""},
		{"footer 2 GiB", withFooter(1<<31 - 1), "footer of 2147483647 bytes does not fit in a"},
		{"footer 4 GiB", withFooter(1<<32 - 1), "footer of 4294967295 bytes does not fit"},
		{"footer one byte too long", withFooter(uint32(len(good) - 11)), "does not fit"},
		{"no end magic", append(bytes.Clone(good[:len(good)-4]), "PAR2"...), "no PAR1 magic at the end"},
		{"too short", []byte("PAR1PAR1"), "8 bytes is too short for a Parquet file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			n := 0
			err := ParseParquet(context.Background(), bytes.NewReader(tt.data), int64(len(tt.data)), ParseOptions{Name: "f.parquet"},
				func(*Event) error { n++; return nil }, nil)
			runtime.ReadMemStats(&after)
			if tt.want == "" {
				if err != nil || n != len(parquetRows) {
					t.Fatalf("%d events, %v", n, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `"f.parquet"`) {
				t.Fatalf("error %v, want one holding %q and the file name", err, tt.want)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20 {
				t.Errorf("allocated %d bytes for a %d-byte file", got, len(tt.data))
			}
		})
	}
}
