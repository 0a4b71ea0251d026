package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline/export"
)

func init() { register("export", exportCommand) }

func exportCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "export every normalised event for other engines",
		UsageText: "trailcase export --case FILE --format jsonl|csv|parquet -o PATH [--from T] [--to T] [--force]",
		Description: `Writes every normalised event of the case, oldest first, with its provenance: evidence id,
record number, evidence SHA-256, source URI and path. The columns are versioned (schema_version)
and documented in docs/export-schema.md.

  jsonl    one JSON object per line; raw is the record as found (JSON)
  csv      RFC 4180 with a header row, for spreadsheets; cells a spreadsheet would run as a
           formula are prefixed with ' (use jsonl or parquet for exact values)
  parquet  a Hive-partitioned directory that Athena, Spark and DuckDB read in place:
           PATH/source=…/account=…/region=…/date=YYYY-MM-DD/part-00000.parquet, plus
           PATH/_trailcase_export.json describing the export

-o - writes jsonl or csv to stdout. Output is built under a temporary name beside PATH and renamed
into place when complete, so a failed or interrupted export leaves nothing behind. An existing
PATH is refused unless --force is given; --force replaces a directory only when it is empty or a
previous parquet export. Files are created with mode 0600. Opens the case read-only.

` + exitCodesHelp,
		Flags: withGlobal(
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "`FORMAT`: jsonl, csv or parquet"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to `PATH` (a directory for parquet; - for stdout)"},
			&cli.StringFlag{Name: "from", Usage: "only events at or after `TIME` (RFC 3339 or a date)"},
			&cli.StringFlag{Name: "to", Usage: "only events before `TIME`"},
			&cli.BoolFlag{Name: "force", Usage: "replace an existing output"},
		),
		Action: func(c *cli.Context) error {
			format := strings.ToLower(c.String("format"))
			switch format {
			case export.FormatJSONL, export.FormatCSV, export.FormatParquet:
			case "":
				return usagef("export needs --format jsonl, csv or parquet")
			default:
				return usagef("--format %q: want jsonl, csv or parquet", format)
			}
			out := c.String("output")
			if out == "" {
				return usagef("export needs -o PATH")
			}
			if out == "-" && format == export.FormatParquet {
				return usagef("parquet is written as a directory: give -o DIR")
			}
			from, err := parseTime("from", c.String("from"))
			if err != nil {
				return err
			}
			to, err := parseTime("to", c.String("to"))
			if err != nil {
				return err
			}
			force := c.Bool("force")
			if out != "-" {
				if err := refuseExisting(out, force, format == export.FormatParquet); err != nil {
					return err
				}
			}
			st, err := e.openCase(c, true)
			if err != nil {
				return err
			}
			defer st.Close()
			ver, _ := buildInfo()
			prog := e.progress(c)
			defer finishProgress(prog)
			opts := export.Options{From: from, To: to, Progress: prog, ToolVersion: ver}

			var stats export.Stats
			switch {
			case format == export.FormatParquet:
				d, err := createOutputDir(out, export.ManifestName, force)
				if err != nil {
					return err
				}
				stats, err = export.Parquet(c.Context, st, d.tmp, opts)
				if err == nil {
					err = c.Context.Err()
				}
				if err != nil {
					d.Abort()
					return err
				}
				if err := d.Commit(); err != nil {
					return err
				}
			case out == "-":
				bw := bufio.NewWriter(e.stdout)
				stats, err = exportText(c, st, format, bw, opts)
				if err != nil {
					return err
				}
				if err := bw.Flush(); err != nil {
					return err
				}
			default:
				f, err := createOutput(out, force)
				if err != nil {
					return err
				}
				stats, err = exportText(c, st, format, f, opts)
				if err == nil {
					err = c.Context.Err()
				}
				if err != nil {
					f.Abort()
					return err
				}
				if err := f.Commit(); err != nil {
					return err
				}
			}
			finishProgress(prog)
			if stats.Undecodable > 0 {
				e.warn(c, "%d stored event(s) could not be decoded; they are exported with provenance and raw data only", stats.Undecodable)
			}
			if out == "-" {
				return nil
			}
			if jsonOut(c) {
				return e.printJSON(struct {
					Format string `json:"format"`
					Output string `json:"output"`
					export.Stats
				}{format, out, stats})
			}
			if !quiet(c) {
				msg := fmt.Sprintf("exported %d event(s) as %s to %s", stats.Events, format, out)
				if format == export.FormatParquet {
					msg += fmt.Sprintf(" (%d file(s) in %d partition(s))", stats.Files, stats.Partitions)
				}
				e.out(c, "%s\n", msg)
			}
			return nil
		},
	}
}

func exportText(c *cli.Context, st *store.Store, format string, w io.Writer, opts export.Options) (export.Stats, error) {
	if format == export.FormatCSV {
		return export.CSV(c.Context, st, w, opts)
	}
	return export.JSONL(c.Context, st, w, opts)
}
