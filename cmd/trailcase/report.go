package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/evidence/report"
	"github.com/trailcase/trailcase/evidence/safe"
)

// reportOptions are the flags of one report run.
type reportOptions struct {
	caseOptions
	format   string // html, md, pdf or json
	output   string // a file, or "" or "-" for stdout
	force    bool
	manifest string // the manifest CSV, "" for REPORT.manifest.csv beside -o
	paper    string // a4 or letter
	verify   bool   // run verify, digest verify and objectlock first
	findings report.FindingsMode
}

func reportCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "report",
		Usage:     "write the chain-of-custody report",
		UsageText: "trailcase report --case FILE [--format html|md|pdf|json] [-o FILE] [--manifest FILE] [--paper a4|letter] [--findings[=false]] [--force]",
		Description: `Writes the chain-of-custody report of the case: case name, number and description, examiner,
tool version and revision, host and OS; every evidence item (id, source URI, S3 version id and
ETag, size, SHA-256, kind, acquisition start and end, Object Lock state, parse warnings and
flags); the whole custody log with its hash-chain check; the latest verify, digest-validation and
Object Lock results; and the events per hour and source.

Formats: html is one self-contained file (inline CSS and SVG chart, no scripts, nothing fetched
from the network) laid out for printing on A4 or Letter (--paper), every printed page with a
running header and footer (case, generation time, custody head) and "page X of Y", with a
sign-off block; pdf is the same content written directly as PDF (fonts embedded, text
searchable, no browser needed); md is the same content as Markdown tables; json has at least
case, evidence, custody and checks.

Up to 200 evidence items are listed one by one; past that the report sums them up per source
prefix and kind. The full list is the manifest CSV written beside the report (--manifest, by
default REPORT.manifest.csv next to -o; html, md and pdf only), whose SHA-256 the report prints.

Without --format the format follows the extension of -o (.html/.htm, .md/.markdown, .pdf,
.json), and is html for any other name. Without -o the report goes to stdout as Markdown (JSON with
--json). An existing -o file is never replaced without --force; the report is written to a
temporary file beside it and renamed into place, so a failed run leaves nothing behind. The file
is created with mode 0600. Opens the case read-only: the case file is not changed.

Each check shown says when it ran and whether the case changed since (evidence acquired or
other commands recorded after it): such a result is shown as STALE, never as PASS. The report
re-checks the custody chain and that every item the custody log names is present itself
(without re-hashing evidence). --verify runs verify, digest verify and objectlock first,
recording them as those commands do, so the report shows fresh results.

Section 2 also lists what the built-in rule pack and the coverage analysis find in the events
(as 'trailcase findings' does; the 50 most severe, the rest counted). They read every event, so
they run by default only when the case holds at most 1,000,000 events: --findings runs them on
any case, --findings=false never.

` + exitCodesHelp,
		Flags: withGlobal(
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "`FORMAT`: html, md, pdf or json"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the report to `FILE` (default: stdout)"},
			&cli.BoolFlag{Name: "force", Usage: "replace an existing output file"},
			&cli.StringFlag{Name: "manifest", Usage: "write the manifest CSV to `FILE` (default: REPORT.manifest.csv beside -o)"},
			&cli.StringFlag{Name: "paper", Value: "a4", Usage: "page size of html and pdf: `a4` or letter"},
			&cli.BoolFlag{Name: "verify", Usage: "run verify, digest verify and objectlock first, recording them, so the report shows fresh results"},
			&cli.BoolFlag{Name: "findings", Usage: "list the rule and coverage findings (default: when the case holds at most 1,000,000 events)"},
		),
		Action: func(c *cli.Context) error {
			o := reportOptions{caseOptions: caseFlags(c), output: c.String("output"), force: c.Bool("force"),
				manifest: c.String("manifest"), paper: strings.ToLower(c.String("paper")), verify: c.Bool("verify")}
			if c.IsSet("findings") {
				o.findings = report.FindingsOff
				if c.Bool("findings") {
					o.findings = report.FindingsOn
				}
			}
			if o.paper != "a4" && o.paper != "letter" {
				return usagef("--paper %q: want a4 or letter", c.String("paper"))
			}
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
	if o.format == "pdf" && toStdout {
		return usagef("--format pdf writes a file: give -o FILE (on stdout: want html, md or json)")
	}
	if !toStdout {
		if err := refuseExisting(o.output, o.force, false); err != nil {
			return err
		}
	}
	key, err := reportKey(o.sign, o.output, o.force)
	if err != nil {
		return err
	}
	manifest := o.manifestPath()
	if manifest != "" {
		if err := refuseExisting(manifest, o.force, false); err != nil {
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
		OS: osDescription(), CaseFile: o.path, SigningKey: fingerprint(key), Paper: o.paper, Findings: o.findings,
		Progress: s.progress})
	s.finishProgress()
	if err != nil {
		return err
	}
	// The manifest is hashed first so the report can print its SHA-256,
	// and written after the report so a report that cannot be written
	// leaves nothing behind.
	var csv bytes.Buffer
	if manifest != "" {
		m, err := r.WriteManifest(&csv)
		if err != nil {
			return err
		}
		m.File = filepath.Base(manifest)
		r.Manifest = &m
	}
	write := func(w io.Writer) error {
		switch o.format {
		case "json":
			return r.WriteJSON(w)
		case "md":
			return r.WriteMarkdown(w)
		case "pdf":
			return r.WritePDF(w)
		default:
			return r.WriteHTML(w)
		}
	}
	if toStdout {
		bw := bufio.NewWriter(s.stdout)
		if err := write(bw); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		return writeManifest(ctx, manifest, o.force, r.Manifest, csv.Bytes(), s)
	}
	f, err := writeOutput(ctx, o.output, o.force, write)
	if err != nil {
		return err
	}
	s.info("wrote %s report %s (%d evidence item(s), %d custody entries; %d bytes, SHA-256 %s)",
		o.format, safe.Text(o.output), len(r.Evidence), len(r.Custody), f.n, f.Sum())
	if err := writeManifest(ctx, manifest, o.force, r.Manifest, csv.Bytes(), s); err != nil {
		return err
	}
	if err := signFile(ctx, s, key, o.output, o.force); err != nil {
		return err
	}
	if manifest == "" {
		return nil
	}
	return signFile(ctx, s, key, manifest, o.force)
}

// writeManifest writes the manifest CSV beside the report, when there is one.
func writeManifest(ctx context.Context, path string, force bool, m *report.Manifest, csv []byte, s *streams) error {
	if m == nil {
		return nil
	}
	if _, err := writeOutput(ctx, path, force, func(w io.Writer) error {
		_, err := w.Write(csv)
		return err
	}); err != nil {
		return err
	}
	s.info("wrote manifest %s (%d item(s); %d bytes, SHA-256 %s)", safe.Text(path), m.Rows, m.Bytes, m.SHA256)
	return nil
}

// manifestPath is where the manifest CSV goes: --manifest, else beside
// -o; none for JSON (it lists every item) or a report on stdout.
func (o reportOptions) manifestPath() string {
	switch {
	case o.manifest != "":
		return o.manifest
	case o.format == "json" || o.output == "" || o.output == "-":
		return ""
	}
	return o.output + ".manifest.csv"
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
	case "pdf":
		return "pdf", nil
	case "":
	default:
		return "", usagef("--format %q: want html, md, pdf or json", flag)
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
	case ".pdf":
		return "pdf", nil
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
