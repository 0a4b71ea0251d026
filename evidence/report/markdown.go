package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WriteMarkdown writes the report as Markdown: the same content as the
// HTML form, as headings and tables.
func (r *Report) WriteMarkdown(w io.Writer) error {
	v := r.view()
	b := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	kv := func(k, val string) { p("| %s | %s |\n", k, cell(val)) }

	p("# Chain-of-custody report: %s\n\n", inline(r.Case.Name))
	p("Generated %s by trailcase %s (revision `%s`) on host %s (%s). Report layout version %d.\n\n",
		fmtTime(r.Generated.At), inline(r.Generated.ToolVersion), code(r.Generated.Revision), inline(orDash(r.Generated.Host)), inline(orDash(r.Generated.OS)), r.ReportVersion)

	p("## 1. Summary\n\n| | |\n|---|---|\n")
	kv("Case", r.Case.Name+numberSuffix(r.Case.Number))
	kv("Examiner", r.Case.Examiner)
	kv("Evidence items", fmt.Sprintf("%d item(s), %s", r.Case.Items, fmtBytes(r.Case.Bytes)))
	events := strconv.FormatInt(r.Case.Events, 10)
	if r.Events.Total > 0 {
		events += " from " + fmtTime(r.Events.First) + " to " + fmtTime(r.Events.Last)
	}
	kv("Normalised events", events)
	kv("Custody log", fmt.Sprintf("%d entries; hash chain %s", r.CustodyChain.Entries, chainWord(r.CustodyChain.Intact)))
	for _, c := range []checkView{v.Verify, v.Digest, v.ObjectLock} {
		s := "**" + c.Status + "**"
		if c.Ran {
			s += " " + cell(c.C.Summary) + " (" + fmtTime(c.C.Time) + ")"
			if c.C.Stale {
				s += " **STALE**: evidence was acquired after this check"
			}
		}
		p("| %s | %s |\n", c.Title, cellRaw(s))
	}

	p("\n## 2. Case\n\n| | |\n|---|---|\n")
	kv("Case name", r.Case.Name)
	kv("Case number", orDash(r.Case.Number))
	kv("Description", orDash(r.Case.Description))
	kv("Case identifier", r.Case.ID)
	kv("Examiner", r.Case.Examiner)
	kv("Case created", fmtTime(r.Case.Created))
	kv("Case file", orDash(r.Generated.CaseFile))
	kv("State reported", fmt.Sprintf("as of custody entry #%d, entry hash %s", r.Case.CustodySeq, r.Case.CustodyHead))
	kv("Software", fmt.Sprintf("trailcase %s, revision %s", r.Generated.ToolVersion, r.Generated.Revision))
	kv("Report host and OS", orDash(r.Generated.Host)+" — "+orDash(r.Generated.OS))
	kv("Report generated", fmtTime(r.Generated.At))

	p("\n## 3. Verification results\n")
	for _, c := range []checkView{v.Verify, v.Digest, v.ObjectLock} {
		p("\n### %s: %s\n\n", c.Title, c.Status)
		if !c.Ran {
			p("This check has not been run on this case.\n")
			continue
		}
		p("%s\n\nLatest run %s.", inline(c.C.Summary), fmtTime(c.C.Time))
		if c.C.Stale {
			p(" **Evidence was acquired after this run; it does not cover all items.**")
		}
		p("\n")
		if len(c.Facts) > 0 {
			p("\n| field | value |\n|---|---|\n")
			for _, f := range c.Facts {
				p("| %s | %s |\n", cell(f.Key), cell(f.Value))
			}
		}
		if len(c.Problems) > 0 {
			p("\n| problem | object | detail |\n|---|---|---|\n")
			for _, pr := range c.Problems {
				obj := pr.Object
				if pr.Item != 0 {
					obj = fmt.Sprintf("item %d %s", pr.Item, pr.Object)
				}
				p("| %s | %s | %s |\n", cell(pr.Kind), cell(obj), cell(pr.Detail))
			}
		}
	}

	ch := v.Chart
	if ch.Empty {
		p("\n## 4. Events per hour and source\n\nThe case holds no normalised events.\n")
	} else {
		p("\n## 4. Events per %s and source\n\n", ch.Bucket)
		p("%d event(s), first %s, last %s. Buckets without events are left out.\n\n", r.Events.Total, fmtTime(r.Events.First), fmtTime(r.Events.Last))
		p("| %s (UTC) |", ch.Bucket)
		for _, s := range ch.Sources {
			p(" %s |", cell(s))
		}
		p(" total |\n|---|")
		for range ch.Sources {
			p("---:|")
		}
		p("---:|\n")
		for _, row := range ch.Rows {
			p("| %s |", row.Start.Format("2006-01-02 15:04Z"))
			for _, k := range row.Counts {
				p(" %d |", k)
			}
			p(" %d |\n", row.Total)
		}
	}

	p("\n## 5. Evidence items\n\n")
	if len(r.Evidence) == 0 {
		p("The case holds no evidence items.\n")
	} else {
		p("Each item holds the exact bytes acquired; the SHA-256 is of those bytes as stored in the case file. Times are UTC.\n\n")
		p("| item | kind | path and source | size | SHA-256 | acquired | S3 version / ETag | Object Lock | parsing |\n")
		p("|---:|---|---|---:|---|---|---|---|---|\n")
		for _, e := range r.Evidence {
			src := e.Path
			if e.Source != e.Path {
				src += "<br>" + e.Source
			}
			s3 := "—"
			if e.S3 != nil {
				s3 = "version " + orDash(e.VersionID) + "<br>ETag " + orDash(e.ETag)
			}
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
			acq := fmt.Sprintf("%s – %s by %s on %s (custody #%d)", fmtTime(e.AcquiredStart), fmtTime(e.AcquiredEnd), orDash(e.Examiner), orDash(e.Host), e.Custody)
			p("| %d | %s | %s | %d | `%s` | %s | %s | %s | %s |\n", e.ID, cell(e.Kind), cellBR(src), e.Size, e.SHA256,
				cell(acq), cellBR(s3), cell(e.LockState), cellBR(parse))
		}
	}

	n := 6
	if len(r.Buckets) > 0 {
		p("\n## 6. S3 buckets as captured\n\n| bucket | Object Lock | default retention | versioning | captured |\n|---|---|---|---|---|\n")
		for _, bk := range r.Buckets {
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
			p("| %s | %s | %s | %s | %s |\n", cell(bk.Name), cell(orDash(bk.ObjectLockEnabled)), cell(ret), cell(orDash(bk.Versioning)), fmtTime(bk.CapturedAt))
		}
		n = 7
	}

	p("\n## %d. Chain of custody\n\n", n)
	p("The custody log is append-only; each entry carries the SHA-256 of the previous one. Chain check: **%s**, %d entries checked.\n\n", chainWord(r.CustodyChain.Intact), r.CustodyChain.Entries)
	if len(r.CustodyChain.Problems) > 0 {
		p("| entry | problem |\n|---:|---|\n")
		for _, pr := range r.CustodyChain.Problems {
			p("| %d | %s |\n", pr.Seq, cell(pr.Detail))
		}
		p("\n")
	}
	p("| # | start – end (UTC) | action | examiner, user@host, tool | result | command | hash / previous |\n|---:|---|---|---|---|---|---|\n")
	for _, e := range r.Custody {
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
		p("| %d | %s – %s | %s | %s | %s | %s | `%s`<br>`%s` |\n", e.Seq, fmtTime(e.Start), fmtTime(e.End), cell(e.Action),
			cell(fmt.Sprintf("%s, %s@%s, trailcase %s", e.Examiner, e.OSUser, e.Host, e.ToolVersion)), cell(res), cell(cmd), e.Hash, e.Prev)
	}

	p("\n## Sign-off\n\n")
	p("I have examined the evidence items listed in this report. Their SHA-256 values were computed over the exact bytes acquired; ")
	p("the verification results and the chain-of-custody log above are reproduced as recorded in case file %s (custody entry #%d).\n\n", inline(orDash(r.Generated.CaseFile)), r.Case.CustodySeq)
	p("| role | name | signature | date |\n|---|---|---|---|\n")
	p("| Examiner | %s | | |\n| Reviewer / witness | | | |\n| Received by | | | |\n", cell(r.Case.Examiner))
	return b.Flush()
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
// table cell or paragraph, including inline HTML.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`,
	"<", "&lt;", ">", "&gt;", "#", `\#`, "\r\n", " ", "\n", " ", "\r", " ",
)

// cell escapes untrusted text for a table cell.
func cell(s string) string { return mdEscaper.Replace(s) }

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
func inline(s string) string { return mdEscaper.Replace(s) }

// code renders s as inline code; backticks inside are replaced.
func code(s string) string { return strings.ReplaceAll(s, "`", "'") }
