package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/evidence/report"
)

// reportOptions are the flags of one report run.
type reportOptions struct {
	caseOptions
	format string // html, md or json
	output string // a file, or "" or "-" for stdout
	force  bool
	verify bool // run verify, digest verify and objectlock first
}

func reportCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "report",
		Usage:     "write the chain-of-custody report",
		UsageText: "trailcase report --case FILE [--format html|md|json] [-o FILE] [--force]",
		Description: `Writes the chain-of-custody report of the case: case name, number and description, examiner,
tool version and revision, host and OS; every evidence item (id, source URI, S3 version id and
ETag, size, SHA-256, kind, acquisition start and end, Object Lock state, parse warnings and
flags); the whole custody log with its hash-chain check; the latest verify, digest-validation and
Object Lock results; and the events per hour and source.

Formats: html is one self-contained file (inline CSS and SVG chart, no scripts, nothing fetched
from the network) laid out for printing on A4, with a sign-off block; md is the same content as
Markdown tables; json has at least case, evidence, custody and checks.

Without --format the format follows the extension of -o (.html/.htm, .md/.markdown, .json),
and is html for any other name. Without -o the report goes to stdout as Markdown (JSON with
--json). An existing -o file is never replaced without --force; the report is written to a
temporary file beside it and renamed into place, so a failed run leaves nothing behind. The file
is created with mode 0600. Opens the case read-only: the case file is not changed.

Each check shown says when it ran and whether the case changed since (evidence acquired or
other commands recorded after it): such a result is shown as STALE, never as PASS. The report
re-checks the custody chain and that every item the custody log names is present itself
(without re-hashing evidence). --verify runs verify, digest verify and objectlock first,
recording them as those commands do, so the report shows fresh results.

` + exitCodesHelp,
		Flags: withGlobal(
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "`FORMAT`: html, md or json"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the report to `FILE` (default: stdout)"},
			&cli.BoolFlag{Name: "force", Usage: "replace an existing output file"},
			&cli.BoolFlag{Name: "verify", Usage: "run verify, digest verify and objectlock first, recording them, so the report shows fresh results"},
		),
		Action: func(c *cli.Context) error {
			o := reportOptions{caseOptions: caseFlags(c), output: c.String("output"), force: c.Bool("force"), verify: c.Bool("verify")}
			var err error
			if o.format, err = reportFormat(c.String("format"), o.output, gBool(c, "json")); err != nil {
				return err
			}
			return runReport(c.Context, o, e.streams(c))
		},
	}
}

func runReport(ctx context.Context, o reportOptions, s *streams) error {
	toStdout := o.output == "" || o.output == "-"
	if !toStdout {
		if err := refuseExisting(o.output, o.force, false); err != nil {
			return err
		}
	}
	if o.verify {
		if err := runAllChecks(ctx, o.caseOptions, s); err != nil {
			return err
		}
	}
	st, err := o.open(true)
	if err != nil {
		return err
	}
	defer st.Close()
	t := tool()
	host, _ := os.Hostname()
	r, err := report.Build(ctx, st, report.Options{ToolVersion: t.Version, Revision: t.Revision, Host: host,
		OS: osDescription(), CaseFile: o.path})
	if err != nil {
		return err
	}
	write := func(w io.Writer) error {
		switch o.format {
		case "json":
			return r.WriteJSON(w)
		case "md":
			return r.WriteMarkdown(w)
		default:
			return r.WriteHTML(w)
		}
	}
	if toStdout {
		bw := bufio.NewWriter(s.stdout)
		if err := write(bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	f, err := writeOutput(ctx, o.output, o.force, write)
	if err != nil {
		return err
	}
	s.info("wrote %s report %s (%d evidence item(s), %d custody entries; %d bytes, SHA-256 %s)",
		o.format, o.output, len(r.Evidence), len(r.Custody), f.n, f.Sum())
	return nil
}

// writeOutput writes path through write, buffered, under a temporary
// name that becomes path only when complete.
func writeOutput(ctx context.Context, path string, force bool, write func(io.Writer) error) (*outputFile, error) {
	f, err := createOutput(path, force)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriter(f)
	if err := write(bw); err != nil {
		f.Abort()
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		f.Abort()
		return nil, notWritable(path, err)
	}
	if err := ctx.Err(); err != nil {
		f.Abort()
		return nil, err
	}
	return f, f.Commit()
}

// reportFormat decides the report's format from --format, the output
// name and --json.
func reportFormat(flag, out string, asJSON bool) (string, error) {
	switch strings.ToLower(flag) {
	case "html", "htm":
		return "html", nil
	case "md", "markdown":
		return "md", nil
	case "json":
		return "json", nil
	case "":
	default:
		return "", usagef("--format %q: want html, md or json", flag)
	}
	if asJSON {
		return "json", nil
	}
	if out == "" || out == "-" {
		return "md", nil
	}
	switch strings.ToLower(filepath.Ext(out)) {
	case ".md", ".markdown":
		return "md", nil
	case ".json":
		return "json", nil
	}
	return "html", nil
}

// osDescription names the operating system, with its release where the
// system says it (/etc/os-release).
func osDescription() string {
	s := runtime.GOOS + "/" + runtime.GOARCH
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
				if v = strings.Trim(v, `"'`); v != "" {
					s += " (" + v + ")"
				}
				break
			}
		}
	}
	return s
}
