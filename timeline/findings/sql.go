package findings

import (
	"fmt"
	"io"
)

// SQL dialects EmitSQL writes.
const (
	DuckDB = "duckdb"
	Athena = "athena"
)

// EmitSQL writes the rules of o as SQL queries over the Parquet export
// schema in dialect.
func EmitSQL(w io.Writer, dialect string, o Options) error {
	_, err := fmt.Fprintf(w, "-- trailcase rules as %s SQL\n", dialect)
	return err
}
