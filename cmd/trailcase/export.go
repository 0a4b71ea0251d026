package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/evidence/safe"
	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline"
	"github.com/trailcase/trailcase/timeline/export"
	"github.com/trailcase/trailcase/timeline/findings"
)

// exportOptions are the flags of one export run.
type exportOptions struct {
	caseOptions
	format   string // jsonl, csv, parquet or timesketch
	output   string // a file, a directory for parquet, or "-" for stdout
	from, to time.Time
	force    bool
	findings string // also write the findings JSON to this file; "" for none
}

func exportCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "export every normalised event for other engines",
		UsageText: "trailcase export --case FILE [--format jsonl|csv|parquet|timesketch] -o PATH [--from T] [--to T] [--findings FILE] [--force]",
		Description: `Writes every normalised event of the case, oldest first, with its provenance: evidence id,
record number, evidence SHA-256, source URI and path. The columns are versioned (schema_version)
and documented in docs/export-schema.md.

  jsonl    one JSON object per line; raw is the record as found (JSON)
  csv      RFC 4180 with a header row, for spreadsheets; cells a spreadsheet would run as a
           formula are prefixed with ' (use jsonl or parquet for exact values)
  parquet  a Hive-partitioned directory that Athena, Spark and DuckDB read in place:
           PATH/source=…/account=…/region=…/date=YYYY-MM-DD/part-00000.parquet, plus
           PATH/_trailcase_export.json describing the export
  timesketch  JSON Lines for Timesketch import (message, datetime, timestamp,
           timestamp_desc), as 'timeline --all --format timesketch' writes them

Without --format, the format is the extension of -o: .jsonl, .csv or .parquet.

--findings FILE also writes the findings of the exported range (the built-in rule pack, the
coverage analysis and the stored checks) to FILE, the same JSON document as
'trailcase findings --json', so the findings travel with the events.

-o - writes jsonl or csv to stdout. Output is built under a temporary name beside PATH and renamed
into place when complete, so a failed or interrupted export leaves nothing behind. An existing
PATH is refused unless --force is given; --force replaces a directory only when it is empty or a
previous parquet export. Files are created with mode 0600. Opens the case read-only.

` + exitCodesHelp,
		Flags: withGlobal(
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "`FORMAT`: jsonl, csv, parquet or timesketch (default: from -o's extension)"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to `PATH` (a directory for parquet; - for stdout)"},
			&cli.StringFlag{Name: "from", Usage: "only events at or after `TIME` (RFC 3339 or a date)"},
			&cli.StringFlag{Name: "to", Usage: "only events before `TIME`"},
			&cli.StringFlag{Name: "findings", Usage: "also write the findings as JSON to `FILE`"},
			&cli.BoolFlag{Name: "force", Usage: "replace an existing output"},
		),
		Action: func(c *cli.Context) error {
			o, err := exportFlags(c)
			if err != nil {
				return err
			}
			return runExport(c.Context, o, e.streams(c))
		},
	}
}

// exportFlags reads and checks the flags of export.
func exportFlags(c *cli.Context) (exportOptions, error) {
	o := exportOptions{caseOptions: caseFlags(c), format: strings.ToLower(c.String("format")), output: c.String("output"), force: c.Bool("force"), findings: c.String("findings")}
	if o.output == "" {
		return o, usagef("export needs -o PATH")
	}
	if o.format == "" {
		o.format = formatOfPath(o.output)
	}
	switch o.format {
	case export.FormatJSONL, export.FormatCSV, export.FormatParquet, timeline.FormatTimesketch:
	case "":
		return o, usagef("export needs --format jsonl, csv, parquet or timesketch (or -o ending in .jsonl, .csv or .parquet)")
	default:
		return o, usagef("--format %q: want jsonl, csv or parquet (or timesketch)", o.format)
	}
	if o.output == "-" && o.format == export.FormatParquet {
		return o, usagef("parquet is written as a directory: give -o DIR")
	}
	var err error
	if o.from, err = parseTime("from", c.String("from")); err != nil {
		return o, err
	}
	o.to, err = parseTime("to", c.String("to"))
	return o, err
}

func runExport(ctx context.Context, o exportOptions, s *streams) error {
	if o.output != "-" {
		if err := refuseExisting(o.output, o.force, o.format == export.FormatParquet); err != nil {
			return err
		}
	}
	if o.findings != "" {
		if err := refuseExisting(o.findings, o.force, false); err != nil {
			return err
		}
	}
	st, err := o.open(true)
	if err != nil {
		return err
	}
	defer st.Close()
	defer s.finishProgress()
	opts := export.Options{From: o.from, To: o.to, Progress: phaseProgress{s.progress, "exporting"}, ToolVersion: tool().Version}
	stats, err := o.write(ctx, st, s.stdout, opts)
	if err != nil {
		return err
	}
	nFindings := 0
	if o.findings != "" {
		if nFindings, err = writeFindingsFile(ctx, st, o.findings, o.force, findings.Options{From: o.from, To: o.to}); err != nil {
			return err
		}
	}
	s.finishProgress()
	if stats.Undecodable > 0 {
		s.warn("%d stored event(s) could not be decoded; they are exported with provenance and raw data only", stats.Undecodable)
	}
	if o.output == "-" {
		return nil
	}
	if s.json {
		return s.printJSON(struct {
			Format   string `json:"format"`
			Output   string `json:"output"`
			Findings string `json:"findings_output,omitempty"`
			export.Stats
		}{o.format, o.output, o.findings, stats})
	}
	if !s.quiet {
		msg := fmt.Sprintf("exported %d event(s) as %s to %s", stats.Events, o.format, o.output)
		if o.format == export.FormatParquet {
			msg += fmt.Sprintf(" (%d file(s) in %d partition(s))", stats.Files, stats.Partitions)
		}
		s.out("%s\n", safe.Text(msg))
		if o.findings != "" {
			s.out("wrote %d finding(s) to %s\n", nFindings, safe.Text(o.findings))
		}
	}
	return nil
}

// write exports into a directory (parquet), to stdout or into a file.
func (o exportOptions) write(ctx context.Context, st *store.Store, stdout io.Writer, opts export.Options) (export.Stats, error) {
	var stats export.Stats
	var err error
	switch {
	case o.format == export.FormatParquet:
		d, err := createOutputDir(o.output, export.ManifestName, o.force)
		if err != nil {
			return stats, err
		}
		stats, err = export.Parquet(ctx, st, d.tmp, opts)
		return stats, commitOutput(ctx, d, err)
	case o.output == "-":
		bw := bufio.NewWriter(stdout)
		if stats, err = exportText(ctx, st, o.format, bw, opts); err != nil {
			return stats, err
		}
		return stats, bw.Flush()
	}
	f, err := createOutput(o.output, o.force)
	if err != nil {
		return stats, err
	}
	stats, err = exportText(ctx, st, o.format, f, opts)
	return stats, commitOutput(ctx, f, err)
}

// commitOutput moves a finished output into place, or removes it when
// writing it failed (err) or the run was interrupted.
func commitOutput(ctx context.Context, out interface {
	Commit() error
	Abort()
}, err error) error {
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		out.Abort()
		return err
	}
	return out.Commit()
}

func exportText(ctx context.Context, st *store.Store, format string, w io.Writer, opts export.Options) (export.Stats, error) {
	switch format {
	case export.FormatCSV:
		return export.CSV(ctx, st, w, opts)
	case timeline.FormatTimesketch:
		return exportTimesketch(ctx, st, w, opts)
	}
	return export.JSONL(ctx, st, w, opts)
}

// formatOfPath is the export format an output's name ends in, or "".
func formatOfPath(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl":
		return export.FormatJSONL
	case ".csv":
		return export.FormatCSV
	case ".parquet":
		return export.FormatParquet
	}
	return ""
}

// exportTimesketch writes every event in the range as the timeline's
// Timesketch JSON Lines (timeline --all --format timesketch).
func exportTimesketch(ctx context.Context, st *store.Store, w io.Writer, opts export.Options) (export.Stats, error) {
	tw, err := timeline.NewWriter(w, timeline.FormatTimesketch)
	if err != nil {
		return export.Stats{}, err
	}
	corr, err := timeline.Prepare(ctx, st, timeline.Query{All: true, From: opts.From, To: opts.To})
	if err != nil {
		return export.Stats{}, err
	}
	if err := tw.Begin(corr); err != nil {
		return export.Stats{}, err
	}
	sum, err := corr.Run(ctx, tw.Write)
	if err != nil {
		return export.Stats{}, err
	}
	return export.Stats{Events: int64(sum.Events)}, tw.End(sum)
}
