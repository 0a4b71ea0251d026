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
	m.findings()
	m.checks()
	m.acquisitions()
	m.caseSection()
	m.chart()
	m.evidence()
	if len(m.v.Buckets) > 0 {
		m.buckets()
	}
	m.custody()
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

// row writes one table row, every cell escaped.
func (m *mdWriter) row(cells ...string) {
	for _, c := range cells {
		m.p("| %s ", cell(c))
	}
	m.p("|\n")
}

// table writes a header row and its rule.
func (m *mdWriter) table(cols ...string) {
	m.p("\n")
	m.row(cols...)
	m.p("%s|\n", strings.Repeat("|---", len(cols)))
}

// summary writes the title, the generation line and section 1.
func (m *mdWriter) summary() {
	v := m.v
	r := v.Report
	m.p("# Chain-of-custody report: %s\n\n", inline(r.Case.Name))
	m.p("Generated %s by trailcase %s (revision `%s`) on host %s (%s). Report layout version %d. Custody head %s.",
		fmtTime(r.Generated.At), inline(r.Generated.ToolVersion), code(r.Generated.Revision), inline(orDash(r.Generated.Host)), inline(orDash(r.Generated.OS)), r.ReportVersion, code(v.Head.CustodyHead))
	if v.Head.SigningKey != "" {
		m.p(" Signed by key `%s`.", code(v.Head.SigningKey))
	}
	m.p("\n\nCustody head: #%d `%s`\n\n", r.Case.CustodySeq, r.Case.CustodyHead)
	m.p("## 1. Summary\n\n")
	for _, s := range v.Overview {
		m.p("%s\n\n", inline(s))
	}
	m.p("| | |\n|---|---|\n")
	m.kv("Case", r.Case.Name+numberSuffix(r.Case.Number))
	m.kv("Examiner", r.Case.Examiner+orgSuffix(r.Case.Organisation))
	m.kv("Evidence items", fmt.Sprintf("%d item(s), %s", r.Case.Items, fmtBytes(r.Case.Bytes)))
	events := strconv.FormatInt(r.Case.Events, 10)
	if r.Events.Total > 0 {
		events += " from " + fmtTime(r.Events.First) + " to " + fmtTime(r.Events.Last)
	}
	m.kv("Normalised events", events)
	m.kv("Custody log", fmt.Sprintf("%d entries; hash chain %s", r.CustodyChain.Entries, chainWord(r.CustodyChain.Intact)))
	m.kv("Re-checked by this report", recheckWords(r.Rechecked))
	for _, c := range v.CheckViews {
		s := "**" + c.Status + "**"
		if c.Ran {
			if c.C.Stale {
				s += " **STALE**: " + cell(freshnessNote(c.C))
			}
			s += " " + cell(c.Fresh)
		}
		m.p("| %s | %s |\n", c.Title, cellRaw(s))
	}
	if r.Manifest != nil {
		m.kv("Manifest", fmt.Sprintf("%s, %d row(s), SHA-256 %s", r.Manifest.File, r.Manifest.Rows, r.Manifest.SHA256))
	}
}

// findings writes section 2: findings by severity, coverage gaps, notices.
func (m *mdWriter) findings() {
	v := m.v
	m.p("\n## 2. Findings and coverage\n\n")
	if len(v.Findings) == 0 {
		m.p("No check found a problem.\n")
	} else {
		m.p("Findings by severity: **%s**.\n", inline(v.Levels))
		m.table("level", "kind", "check", "object", "detail")
		for _, f := range v.Findings {
			m.row(f.Level, f.Kind, f.Check, f.Object, f.Detail)
		}
		if v.MoreFindings != "" {
			m.p("\n%s\n", inline(v.MoreFindings))
		}
	}
	m.rules()
	m.p("\n### Coverage gaps\n\n")
	switch {
	case len(v.Gaps) > 0:
		m.table("no CloudTrail digest covers", "why", "chain (account, region, trail)")
		for _, g := range v.Gaps {
			m.row(g.Text, g.Why, g.Chain)
		}
	default:
		m.p("%s\n", v.NoGaps)
	}
	if v.GapsNote != "" {
		m.p("\n%s\n", inline(v.GapsNote))
	}
	if len(v.Notices) > 0 {
		m.p("\n### Notices\n\n")
		for _, n := range v.Notices {
			m.p("- %s\n", inline(n))
		}
	}
}

// checks writes section 3, one subsection per check.
func (m *mdWriter) checks() {
	m.p("\n## 3. Verification results\n")
	for _, c := range m.v.CheckViews {
		m.p("\n### %s: %s\n\n", c.Title, c.Status)
		for _, s := range c.Verdict {
			m.p("%s\n\n", inline(s))
		}
		if !c.Ran {
			continue
		}
		m.p("%s Recorded summary: %s\n\n| | |\n|---|---|\n", inline(c.Fresh), inline(c.C.Summary))
		for _, f := range c.Facts {
			m.kv(cell(f.Key), f.Value)
		}
	}
}

// acquisitions writes section 4, one table per acquisition.
func (m *mdWriter) acquisitions() {
	m.p("\n## 4. Acquisitions\n")
	if len(m.v.Acquisitions) == 0 {
		m.p("\nNo acquisition is recorded in the custody log.\n")
	}
	for _, a := range m.v.Acquisitions {
		m.p("\n### Evidence number %s — custody entries #%d–#%d\n\n| | |\n|---|---|\n", inline(a.EvidenceNumber), a.Run, a.Entry)
		m.kv("Source", strings.Join(a.Sources, ", "))
		m.kv("Start – end (duration)", fmt.Sprintf("%s – %s (%s)", fmtTime(a.Start), fmtTime(a.End), a.Duration))
		res := a.Result
		if a.Detail != "" {
			res += ": " + a.Detail
		}
		if a.Error != "" {
			res += "; error: " + a.Error
		}
		m.kv("Result", res)
		m.kv("Files stored", fmt.Sprintf("%d file(s), %s", a.Stored, a.Size))
		m.kv("Already present (duplicates)", fmt.Sprintf("%d file(s)", a.AlreadyPresent))
		m.kv("Refused", joinEach(len(a.Refused), func(i int) string { return a.Refused[i].Path + ": " + a.Refused[i].Reason }))
		m.kv("Errors", joinEach(len(a.Failed), func(i int) string {
			return a.Failed[i].Path + " (" + a.Failed[i].Source + "): " + a.Failed[i].Error
		}))
		for _, c := range a.Containers {
			m.kv("Container", fmt.Sprintf("%s, %s, SHA-256 %s", c.Source, fmtBytes(c.Size), c.SHA256))
		}
		m.kv("Examiner (user@host)", a.Who)
		m.kv("Tool", a.Tool)
	}
}

// joinEach joins n strings with "; ", or says "none".
func joinEach(n int, s func(int) string) string {
	if n == 0 {
		return "none"
	}
	parts := make([]string, n)
	for i := range parts {
		parts[i] = s(i)
	}
	return strings.Join(parts, "; ")
}

// caseSection writes section 5, the case.
func (m *mdWriter) caseSection() {
	r := m.v.Report
	m.p("\n## 5. Case\n\n| | |\n|---|---|\n")
	m.kv("Case name", r.Case.Name)
	m.kv("Case number", orDash(r.Case.Number))
	m.kv("Description", orDash(r.Case.Description))
	m.kv("Case identifier", r.Case.ID)
	m.kv("Examiner", r.Case.Examiner)
	m.kv("Organisation", orDash(r.Case.Organisation))
	m.kv("Case created", fmtTime(r.Case.Created))
	m.kv("Case file", orDash(r.Generated.CaseFile))
	m.kv("State reported", fmt.Sprintf("as of custody entry #%d, entry hash %s", r.Case.CustodySeq, r.Case.CustodyHead))
	m.kv("Software", fmt.Sprintf("trailcase %s, revision %s", r.Generated.ToolVersion, r.Generated.Revision))
	m.kv("Report host and OS", orDash(r.Generated.Host)+" — "+orDash(r.Generated.OS))
	m.kv("Report generated", fmtTime(r.Generated.At))
	if r.Generated.SigningKey != "" {
		m.kv("Report signed by", "key "+r.Generated.SigningKey+" (signature in the .sig file beside the report; check with ssh-keygen -Y verify -n trailcase)")
	}
}

// chart writes section 6, events per time bucket and source, as a table.
func (m *mdWriter) chart() {
	ch := m.v.Chart
	if ch.Empty {
		m.p("\n## 6. Events per hour and source\n\nThe case holds no normalised events.\n")
		return
	}
	ev := m.v.Events
	m.p("\n## 6. Events per %s and source\n\n", ch.Bucket)
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

// evidence writes section 7: the items one by one, or per source prefix
// and kind, and the items with warnings or flags.
func (m *mdWriter) evidence() {
	v := m.v
	m.p("\n## 7. Evidence items\n\n")
	if len(v.Evidence) == 0 {
		m.p("The case holds no evidence items.\n")
		return
	}
	m.p("Each item holds the exact bytes acquired; the SHA-256 is of those bytes as stored in the case file. Times are UTC.")
	if v.Manifest != nil {
		m.p(" The manifest %s lists every item (SHA-256 `%s`).", inline(v.Manifest.File), v.Manifest.SHA256)
	}
	m.p("\n")
	if len(v.Listed) > 0 {
		m.table("item", "kind", "evid. no.", "address", "size", "SHA-256", "Object Lock", "parsing")
		for _, e := range v.Listed {
			m.p("| %d | %s | %s | %s | %d | `%s` | %s | %s |\n", e.ID, cell(e.Kind), cell(e.Number), cell(e.Address), e.Size, e.SHA256,
				cell(e.Lock), cell(e.Parsing))
		}
	} else {
		m.p("\nThe case holds %d items, more than the %d this report lists one by one; here they are summed up per source prefix and kind.\n", v.Case.Items, MaxListed)
		m.table("source : prefix", "kind", "files", "bytes", "evid. no.", "acquired")
		for _, g := range v.Groups {
			m.row(g.Prefix, g.Kind, strconv.Itoa(g.Files), strconv.FormatInt(g.Bytes, 10), g.EvidenceNumber, fmtTime(g.First)+" – "+fmtTime(g.Last))
		}
	}
	if len(v.Attention) > 0 {
		m.p("\n### Items with warnings or flags\n")
		m.table("item", "path", "parsing")
		for _, e := range v.Attention {
			m.p("| %d | %s | %s |\n", e.ID, cell(e.Path), cellBR(parsing(e)))
		}
	}
}

// buckets writes the S3 buckets as captured.
func (m *mdWriter) buckets() {
	m.p("\n## %d. S3 buckets as captured\n\n| bucket | Object Lock | default retention | versioning | captured |\n|---|---|---|---|---|\n", m.v.SecBuckets)
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

// custody writes the chain of custody.
func (m *mdWriter) custody() {
	cc := m.v.CustodyChain
	m.p("\n## %d. Chain of custody\n\n", m.v.SecCustody)
	m.p("The custody log is append-only; each entry carries the SHA-256 of the previous one. Chain check: **%s**, %d entries checked.\n\n", chainWord(cc.Intact), cc.Entries)
	if len(cc.Problems) > 0 {
		m.p("| entry | problem |\n|---:|---|\n")
		for _, pr := range cc.Problems {
			m.p("| %d | %s |\n", pr.Seq, cell(pr.Detail))
		}
		m.p("\n")
	}
	m.p("| # | start – end (UTC) | action | examiner, user@host, tool | result | command | hash / previous |\n|---:|---|---|---|---|---|---|\n")
	for _, e := range m.v.Entries {
		res := e.Result
		if e.Detail != "" {
			res += ": " + e.Detail
		}
		if len(e.Items) > 0 {
			res += fmt.Sprintf(" (%d item(s): %s)", len(e.Items), itemRange(e.Items))
		}
		cmd := orDash(e.Command)
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
	m.p("| Examiner | %s | | |\n| Reviewer / witness | | | |\n| Received by | | | |\n", cell(r.Case.Examiner+orgSuffix(r.Case.Organisation)))
}

func numberSuffix(n string) string {
	if n == "" {
		return ""
	}
	return " (no. " + n + ")"
}

func orgSuffix(o string) string {
	if o == "" {
		return ""
	}
	return ", " + o
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

// parsing says how an item parsed: state, events, flags and the first
// warnings, joined with <br>.
func parsing(e Evidence) string {
	parse := fmt.Sprintf("%s, %d event(s)", e.ParseState, e.Events)
	if len(e.Flags) > 0 {
		parse += "; flags: " + strings.Join(e.Flags, ", ")
	}
	if e.WarningCount > 0 {
		parse += fmt.Sprintf("; %d warning(s)", e.WarningCount)
		for _, wn := range firstWarnings(e.Warnings) {
			parse += "<br>"
			if wn.Record > 0 {
				parse += fmt.Sprintf("record %d: ", wn.Record)
			}
			parse += wn.Message
		}
	}
	return parse
}

// rules writes what the rule pack and the coverage analysis found.
func (m *mdWriter) rules() {
	v := m.v
	switch {
	case v.RulesNote != "":
		m.p("\n### What the rules found\n\n%s\n", inline(v.RulesNote))
	case v.Report.Findings == nil:
	case len(v.Rules) == 0:
		m.p("\n### What the rules found\n\nThe rule pack and the coverage analysis found nothing.\n")
	default:
		m.p("\n### What the rules found\n\nBy severity: **%s**.\n", inline(v.RuleLevels))
		m.table("level", "finding", "when", "principals and addresses", "events", "detail")
		for _, r := range v.Rules {
			m.row(r.Level, r.Title+" ("+r.Rule+")", orDash(r.When), r.Who, r.Matched, r.Detail)
		}
		if v.MoreRules != "" {
			m.p("\n%s\n", inline(v.MoreRules))
		}
	}
}
