package timeline

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// ParseParquet reads a Parquet-delivered VPC flow log (columns named like
// the text fields, with '_' for '-'). Rows are numbered from 1 in file
// order; each event's Raw is a JSON object of the row's fields.
func ParseParquet(ctx context.Context, r io.ReaderAt, size int64, opts ParseOptions, emit func(*Event) error, warn func(Warning)) error {
	if warn == nil {
		warn = func(Warning) {}
	}
	p := &parser{ctx: ctx, opts: opts, emit: emit, warn: warn}
	return p.parquet(r, size)
}

// parquetFromReader buffers a Parquet file handed over as a stream.
func (p *parser) parquetFromReader(r io.Reader) error {
	b, err := io.ReadAll(io.LimitReader(r, maxParquetBytes+1))
	if err != nil {
		return p.errorf("read parquet: %w", err)
	}
	if len(b) > maxParquetBytes {
		return p.errorf("parquet file larger than %d bytes", maxParquetBytes)
	}
	return p.parquet(bytes.NewReader(b), int64(len(b)))
}

// errParquetPanic reports a malformed file that made the Parquet library
// fail hard.
var errParquetPanic = errors.New("malformed parquet file")

// guard runs f, turning a panic inside the Parquet library into an error.
func guard(f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%w: %v", errParquetPanic, v)
		}
	}()
	return f()
}

// parquetFrame checks a Parquet file's frame before the library reads it:
// the library allocates the footer length the file declares before
// checking it against the file's size, so a few bytes could ask for 4 GiB.
func parquetFrame(r io.ReaderAt, size int64) error {
	if size < 12 {
		return fmt.Errorf("%d bytes is too short for a Parquet file", size)
	}
	var tail [8]byte
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return err
	}
	if string(tail[4:]) != "PAR1" {
		return errors.New("no PAR1 magic at the end of the file")
	}
	if n := binary.LittleEndian.Uint32(tail[:4]); int64(n) > size-12 {
		return fmt.Errorf("footer of %d bytes does not fit in a %d-byte file", n, size)
	}
	return nil
}

func (p *parser) parquet(r io.ReaderAt, size int64) error {
	if err := parquetFrame(r, size); err != nil {
		return p.errorf("open parquet: %w", err)
	}
	var f *parquet.File
	err := guard(func() error {
		var err error
		f, err = parquet.OpenFile(r, size)
		return err
	})
	if err != nil {
		return p.errorf("open parquet: %w", err)
	}
	cols := f.Schema().Columns()
	names := make([]string, len(cols))
	for i, c := range cols {
		if len(c) > 0 {
			names[i] = strings.ReplaceAll(strings.ToLower(c[len(c)-1]), "_", "-")
		}
	}
	layout := newFlowLayout(names)
	vals := make([]string, len(names))
	buf := make([]parquet.Row, 256)
	var rec int64
	for gi, rg := range f.RowGroups() {
		rows := rg.Rows()
		for {
			var n int
			err := guard(func() error {
				var err error
				n, err = rows.ReadRows(buf)
				return err
			})
			for _, row := range buf[:n] {
				rec++
				if err := p.tick(); err != nil {
					rows.Close()
					return err
				}
				for i := range vals {
					vals[i] = "-"
				}
				for _, v := range row {
					if c := v.Column(); c >= 0 && c < len(vals) && !v.IsNull() {
						vals[c] = v.String()
					}
				}
				e := p.flowEvent(layout, vals, rec)
				e.Raw, _ = json.Marshal(e.Fields)
				if err := p.send(e); err != nil {
					rows.Close()
					return err
				}
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rows.Close()
				if rec == 0 {
					return p.errorf("row group %d: %w", gi+1, err)
				}
				p.warnf(rec+1, "row", "row group %d: %v: rest of file skipped", gi+1, err)
				return nil
			}
			if n == 0 {
				break
			}
		}
		rows.Close()
	}
	return nil
}
