package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/trailcase/trailcase/evidence/safe"
)

// WriteMarkdown writes the report as Markdown: the same content as the
// HTML form, as headings and tables. Like the HTML form it renders the
// shown view: every case field, path and log text is safe.Text of itself.
func (r *Report) WriteMarkdown(w io.Writer) error {
	m := &mdWriter{b: bufio.NewWriter(w), v: r.view()}
	m.summary()
	m.caseSection()
	m.checks()
	m.chart()
	m.evidence()
	n := 6
	if len(m.v.Buckets) > 0 {
		m.buckets()
		n = 7
	}
	m.custody(n)
	m.signOff()
	return m.b.Flush()
}

// mdWriter writes the sections of the Markdown report.
type mdWriter struct {
	b *bufio.Writer
	v *view
}

func (m *mdWriter) p(format string, args ...any) { fmt.Fprintf(m.b, format, args...) }

// kv writes a two-column row, the value escaped as a cell.
func (m *mdWriter) kv(k, val string) { m.p("| %s | %s |\n", k, cell(val)) }

func (m *mdWriter) checkViews() []checkView {
	return []checkView{m.v.Verify, m.v.Digest, m.v.ObjectLock}
}

// summary writes the title, the generation line and section 1.
func (m *mdWriter) summary() {
	r := m.v.Report
	m.p("# Chain-of-custody report: %s\n\n", inline(r.Case.Name))
	m.p("Generated %s by trailcase %s (revision `%s`) on host %s (%s). Report layout version %d.\n\n",
		fmtTime(r.Generated.At), inline(r.Generated.ToolVersion), code(r.Generated.Revision), inline(orDash(r.Generated.Host)), inline(orDash(r.Generated.OS)), r.ReportVersion)
	m.p("Custody head: #%d `%s`\n\n", r.Case.CustodySeq, r.Case.CustodyHead)

	m.p("## 1. Summary\n\n| | |\n|---|---|\n")
	m.kv("Case", r.Case.Name+numberSuffix(r.Case.Number))
	m.kv("Examiner", r.Case.Examiner)
	m.kv("Evidence items", fmt.Sprintf("%d item(s), %s", r.Case.Items, fmtBytes(r.Case.Bytes)))
	events := strconv.FormatInt(r.Case.Events, 10)
	if r.Events.Total > 0 {
		events += " from " + fmtTime(r.Events.First) + " to " + fmtTime(r.Events.Last)
	}
	m.kv("Normalised events", events)
	m.kv("Custody log", fmt.Sprintf("%d entries; hash chain %s", r.CustodyChain.Entries, chainWord(r.CustodyChain.Intact)))
	m.kv("Re-checked by this report", recheckWords(r.Rechecked))
	for _, c := range m.checkViews() {
		s := "**" + c.Status + "**"
		if c.Ran {
			s += " " + cell(c.C.Summary) + " (" + fmtTime(c.C.Time) + ")"
			if c.C.Stale {
				s += " **STALE**: " + cell(freshnessNote(c.C))
			}
		}
		m.p("| %s | %s |\n", c.Title, cellRaw(s))
	}
}

// caseSection writes section 2, the case.
func (m *mdWriter) caseSection() {
	r := m.v.Report
	m.p("\n## 2. Case\n\n| | |\n|---|---|\n")
	m.kv("Case name", r.Case.Name)
	m.kv("Case number", orDash(r.Case.Number))
	m.kv("Description", orDash(r.Case.Description))
	m.kv("Case identifier", r.Case.ID)
	m.kv("Examiner", r.Case.Examiner)
	m.kv("Case created", fmtTime(r.Case.Created))
	m.kv("Case file", orDash(r.Generated.CaseFile))
	m.kv("State reported", fmt.Sprintf("as of custody entry #%d, entry hash %s", r.Case.CustodySeq, r.Case.CustodyHead))
	m.kv("Software", fmt.Sprintf("trailcase %s, revision %s", r.Generated.ToolVersion, r.Generated.Revision))
	m.kv("Report host and OS", orDash(r.Generated.Host)+" — "+orDash(r.Generated.OS))
	m.kv("Report generated", fmtTime(r.Generated.At))
}

// checks writes section 3, one subsection per check.
func (m *mdWriter) checks() {
	m.p("\n## 3. Verification results\n")
	for _, c := range m.checkViews() {
		m.p("\n### %s: %s\n\n", c.Title, c.Status)
		if !c.Ran {
			m.p("This check has not been run on this case.\n")
			continue
		}
		m.p("%s\n\nLatest run %s.", inline(c.C.Summary), fmtTime(c.C.Time))
		if c.C.Stale {
			m.p(" **STALE: %s.**", inline(freshnessNote(c.C)))
		} else {
			m.p(" %s.", inline(freshnessNote(c.C)))
		}
		m.p("\n")
		if len(c.Facts) > 0 {
			m.p("\n| field | value |\n|---|---|\n")
			for _, f := range c.Facts {
				m.p("| %s | %s |\n", cell(f.Key), cell(f.Value))
			}
		}
		if len(c.Problems) > 0 {
			m.p("\n| problem | object | detail |\n|---|---|---|\n")
			for _, pr := range c.Problems {
				obj := pr.Object
				if pr.Item != 0 {
					obj = fmt.Sprintf("item %d %s", pr.Item, pr.Object)
				}
				m.p("| %s | %s | %s |\n", cell(pr.Kind), cell(obj), cell(pr.Detail))
			}
		}
	}
}

// chart writes section 4, events per time bucket and source, as a table.
func (m *mdWriter) chart() {
	ch := m.v.Chart
	if ch.Empty {
		m.p("\n## 4. Events per hour and source\n\nThe case holds no normalised events.\n")
		return
	}
	ev := m.v.Events
	m.p("\n## 4. Events per %s and source\n\n", ch.Bucket)
	m.p("%d event(s), first %s, last %s. Buckets without events are left out.\n\n", ev.Total, fmtTime(ev.First), fmtTime(ev.Last))
	m.p("| %s (UTC) |", ch.Bucket)
	for _, s := range ch.Sources {
		m.p(" %s |", cell(s))
	}
	m.p(" total |\n|---|")
	for range ch.Sources {
		m.p("---:|")
	}
	m.p("---:|\n")
	for _, row := range ch.Rows {
		m.p("| %s |", row.Start.Format(bucketLayout))
		for _, k := range row.Counts {
			m.p(" %d |", k)
		}
		m.p(" %d |\n", row.Total)
	}
}

// evidence writes section 5, one row per evidence item.
func (m *mdWriter) evidence() {
	m.p("\n## 5. Evidence items\n\n")
	if len(m.v.Evidence) == 0 {
		m.p("The case holds no evidence items.\n")
		return
	}
	m.p("Each item holds the exact bytes acquired; the SHA-256 is of those bytes as stored in the case file. Times are UTC.\n\n")
	m.p("| item | kind | path and source | size | SHA-256 | acquired | S3 version / ETag | Object Lock | parsing |\n")
	m.p("|---:|---|---|---:|---|---|---|---|---|\n")
	for _, e := range m.v.Evidence {
		src := e.Path
		if e.Source != e.Path {
			src += "<br>" + e.Source
		}
		s3 := "—"
		if e.S3 != nil {
			s3 = "version " + orDash(e.VersionID) + "<br>ETag " + orDash(e.ETag)
		}
		acq := fmt.Sprintf("%s – %s by %s on %s (custody #%d)", fmtTime(e.AcquiredStart), fmtTime(e.AcquiredEnd), orDash(e.Examiner), orDash(e.Host), e.Custody)
		m.p("| %d | %s | %s | %d | `%s` | %s | %s | %s | %s |\n", e.ID, cell(e.Kind), cellBR(src), e.Size, e.SHA256,
			cell(acq), cellBR(s3), cell(e.LockState), cellBR(parsing(e)))
	}
}

// parsing says how an item parsed: state, events, flags and the first
// warnings, joined with <br>.
func parsing(e Evidence) string {
	parse := fmt.Sprintf("%s, %d event(s)", e.ParseState, e.Events)
	if len(e.Flags) > 0 {
		parse += "; flags: " + strings.Join(e.Flags, ", ")
	}
	if e.WarningCount > 0 {
		parse += fmt.Sprintf("; %d warning(s)", e.WarningCount)
		for i, wn := range e.Warnings {
			if i == 3 {
				break
			}
			parse += "<br>"
			if wn.Record > 0 {
				parse += fmt.Sprintf("record %d: ", wn.Record)
			}
			parse += wn.Message
		}
	}
	return parse
}

// buckets writes section 6, the S3 buckets as captured.
func (m *mdWriter) buckets() {
	m.p("\n## 6. S3 buckets as captured\n\n| bucket | Object Lock | default retention | versioning | captured |\n|---|---|---|---|---|\n")
	for _, bk := range m.v.Buckets {
		ret := "—"
		if bk.DefaultMode != "" {
			ret = bk.DefaultMode
			if bk.DefaultDays > 0 {
				ret += fmt.Sprintf(" %d day(s)", bk.DefaultDays)
			}
			if bk.DefaultYears > 0 {
				ret += fmt.Sprintf(" %d year(s)", bk.DefaultYears)
			}
		}
		m.p("| %s | %s | %s | %s | %s |\n", cell(bk.Name), cell(orDash(bk.ObjectLockEnabled)), cell(ret), cell(orDash(bk.Versioning)), fmtTime(bk.CapturedAt))
	}
}

// custody writes section n, the chain of custody.
func (m *mdWriter) custody(n int) {
	cc := m.v.CustodyChain
	m.p("\n## %d. Chain of custody\n\n", n)
	m.p("The custody log is append-only; each entry carries the SHA-256 of the previous one. Chain check: **%s**, %d entries checked.\n\n", chainWord(cc.Intact), cc.Entries)
	if len(cc.Problems) > 0 {
		m.p("| entry | problem |\n|---:|---|\n")
		for _, pr := range cc.Problems {
			m.p("| %d | %s |\n", pr.Seq, cell(pr.Detail))
		}
		m.p("\n")
	}
	m.p("| # | start – end (UTC) | action | examiner, user@host, tool | result | command | hash / previous |\n|---:|---|---|---|---|---|---|\n")
	for _, e := range m.v.Custody {
		res := e.Result
		if e.Detail != "" {
			res += ": " + e.Detail
		}
		if len(e.Items) > 0 {
			res += fmt.Sprintf(" (%d item(s): %s)", len(e.Items), itemRange(e.Items))
		}
		cmd := "—"
		if len(e.Args) > 0 {
			cmd = "trailcase " + strings.Join(e.Args, " ")
		}
		m.p("| %d | %s – %s | %s | %s | %s | %s | `%s`<br>`%s` |\n", e.Seq, fmtTime(e.Start), fmtTime(e.End), cell(e.Action),
			cell(fmt.Sprintf("%s, %s@%s, trailcase %s", e.Examiner, e.OSUser, e.Host, e.ToolVersion)), cell(res), cell(cmd), e.Hash, e.Prev)
	}
}

// signOff writes the sign-off block.
func (m *mdWriter) signOff() {
	r := m.v.Report
	m.p("\n## Sign-off\n\n")
	m.p("I have examined the evidence items listed in this report. Their SHA-256 values were computed over the exact bytes acquired; ")
	m.p("the verification results and the chain-of-custody log above are reproduced as recorded in case file %s (custody entry #%d).\n\n", inline(orDash(r.Generated.CaseFile)), r.Case.CustodySeq)
	m.p("| role | name | signature | date |\n|---|---|---|---|\n")
	m.p("| Examiner | %s | | |\n| Reviewer / witness | | | |\n| Received by | | | |\n", cell(r.Case.Examiner))
}

func numberSuffix(n string) string {
	if n == "" {
		return ""
	}
	return " (no. " + n + ")"
}

func chainWord(intact bool) string {
	if intact {
		return "INTACT"
	}
	return "BROKEN"
}

// mdEscaper escapes what would change the meaning of text in a Markdown
// table cell or paragraph, including inline HTML. Controls and line breaks
// are gone already: cell and inline show text through safe.Text first.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`,
	"<", "&lt;", ">", "&gt;", "#", `\#`,
)

// cell escapes untrusted text for a table cell.
func cell(s string) string { return mdEscaper.Replace(safe.Text(s)) }

// cellBR escapes text for a cell, keeping the <br> separators this
// package itself inserted.
func cellBR(s string) string {
	parts := strings.Split(s, "<br>")
	for i, p := range parts {
		parts[i] = cell(p)
	}
	return strings.Join(parts, "<br>")
}

// cellRaw only keeps a cell on one line; for text this package built.
func cellRaw(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ").Replace(s)
}

// inline escapes untrusted text for a paragraph.
func inline(s string) string { return cell(s) }

// code renders s as inline code; backticks inside are replaced.
func code(s string) string { return strings.ReplaceAll(safe.Text(s), "`", "'") }
