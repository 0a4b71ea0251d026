package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
)

// WritePDF writes the report as PDF with the same content as the HTML
// form: searchable text in the Go fonts (embedded), A4 or Letter, a
// running header and footer and "page X of Y" on every page. No browser
// is needed.
func (r *Report) WritePDF(w io.Writer) error {
	v := r.view()
	p := &pdfWriter{f: fpdf.New("P", "mm", v.Paper, ""), v: v}
	p.setup()
	p.summary()
	p.findings()
	p.checks()
	p.acquisitions()
	p.caseSection()
	p.events()
	p.evidence()
	p.custody()
	p.signOff()
	if err := p.f.Output(w); err != nil {
		return fmt.Errorf("render pdf report: %w", err)
	}
	return nil
}

// pdfWriter lays the view out on pages.
type pdfWriter struct {
	f *fpdf.Fpdf
	v *view
	w float64 // usable width
}

const (
	pdfMargin = 13.0
	pdfLine   = 3.6 // line height of body text, mm
	fontBody  = 8.5
	fontSmall = 7.0
)

func (p *pdfWriter) setup() {
	f := p.f
	f.AddUTF8FontFromBytes("go", "", goregular.TTF)
	f.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	f.AddUTF8FontFromBytes("gomono", "", gomono.TTF)
	f.SetMargins(pdfMargin, 18, pdfMargin)
	f.SetAutoPageBreak(true, 18)
	f.AliasNbPages("{nb}")
	f.SetTitle("Chain-of-custody report — "+p.v.Case.Name, true)
	f.SetCreator("trailcase "+p.v.Generated.ToolVersion, true)
	pw, ph := f.GetPageSize()
	p.w = pw - 2*pdfMargin
	h := p.v.Head
	f.SetHeaderFunc(func() {
		f.SetFont("go", "", fontSmall)
		f.SetXY(pdfMargin, 8)
		f.CellFormat(p.w/2, 4, h.Case, "", 0, "L", false, 0, "")
		f.CellFormat(p.w/2, 4, "Report generated "+h.Generated, "", 1, "R", false, 0, "")
		f.Line(pdfMargin, 12.5, pdfMargin+p.w, 12.5)
		f.SetXY(pdfMargin, 18)
	})
	f.SetFooterFunc(func() {
		f.Line(pdfMargin, ph-13, pdfMargin+p.w, ph-13)
		f.SetXY(pdfMargin, ph-12)
		f.SetFont("gomono", "", 5.5)
		foot := "Custody head " + h.CustodyHead
		if h.SigningKey != "" {
			foot += " · signed by key " + h.SigningKey
		}
		f.CellFormat(p.w-26, 3.5, foot, "", 0, "L", false, 0, "")
		f.SetFont("go", "", fontSmall)
		f.CellFormat(26, 3.5, fmt.Sprintf("page %d of {nb}", f.PageNo()), "", 0, "R", false, 0, "")
	})
	f.AddPage()
}

func (p *pdfWriter) h1(s string) {
	p.f.SetFont("go", "B", 15)
	p.f.MultiCell(p.w, 7, s, "", "L", false)
}

func (p *pdfWriter) h2(s string) {
	f := p.f
	_, ph := f.GetPageSize()
	if f.GetY() > ph-45 { // keep a heading with what follows
		f.AddPage()
	}
	f.Ln(3)
	f.SetFont("go", "B", 11.5)
	f.MultiCell(p.w, 6, s, "B", "L", false)
	f.Ln(1.5)
}

func (p *pdfWriter) h3(s string) {
	f := p.f
	_, ph := f.GetPageSize()
	if f.GetY() > ph-35 {
		f.AddPage()
	}
	f.Ln(1.5)
	f.SetFont("go", "B", 9.5)
	f.MultiCell(p.w, 5, s, "", "L", false)
}

func (p *pdfWriter) para(s string) {
	p.f.SetFont("go", "", fontBody)
	p.f.MultiCell(p.w, pdfLine, s, "", "L", false)
	p.f.Ln(1)
}

// column is one table column: its share of the width and its font.
type column struct {
	title string
	width float64 // fraction of the usable width
	mono  bool
}

// table draws rows under a header repeated on each page; a row never
// splits across pages.
func (p *pdfWriter) table(cols []column, rows [][]string) {
	f := p.f
	_, ph := f.GetPageSize()
	header := func() {
		f.SetFont("go", "B", fontSmall)
		f.SetFillColor(236, 239, 243)
		p.row(cols, nil, true)
	}
	header()
	for _, r := range rows {
		if f.GetY()+p.rowHeight(cols, r) > ph-18 {
			f.AddPage()
			header()
		}
		p.row(cols, r, false)
	}
	f.Ln(2)
}

func (p *pdfWriter) cellFont(c column, head bool) {
	switch {
	case head:
		p.f.SetFont("go", "B", fontSmall)
	case c.mono:
		p.f.SetFont("gomono", "", 6.2)
	default:
		p.f.SetFont("go", "", fontSmall)
	}
}

const cellPad = 1.0

func (p *pdfWriter) lines(c column, s string, head bool) []string {
	p.cellFont(c, head)
	var out []string
	for _, part := range strings.Split(s, "\n") {
		out = append(out, p.f.SplitText(part, c.width*p.w-2*cellPad)...)
	}
	return out
}

func (p *pdfWriter) rowHeight(cols []column, r []string) float64 {
	n := 1
	for i, c := range cols {
		n = max(n, len(p.lines(c, r[i], false)))
	}
	return float64(n)*3.0 + 1.2
}

// row draws one row; a nil r draws the column titles.
func (p *pdfWriter) row(cols []column, r []string, head bool) {
	f := p.f
	cells := r
	if head {
		cells = make([]string, len(cols))
		for i, c := range cols {
			cells[i] = c.title
		}
	}
	h := p.rowHeight(cols, cells)
	x, y := pdfMargin, f.GetY()
	for i, c := range cols {
		cw := c.width * p.w
		style := "D"
		if head {
			style = "FD"
		}
		f.SetDrawColor(150, 150, 150)
		f.Rect(x, y, cw, h, style)
		for j, line := range p.lines(c, cells[i], head) {
			f.SetXY(x+cellPad, y+0.6+float64(j)*3.0)
			f.CellFormat(cw-2*cellPad, 3.0, line, "", 0, "L", false, 0, "")
		}
		x += cw
	}
	f.SetXY(pdfMargin, y+h)
}

// kv draws a two-column table of facts.
func (p *pdfWriter) kv(facts []fact) {
	rows := make([][]string, len(facts))
	for i, ft := range facts {
		rows[i] = []string{ft.Key, ft.Value}
	}
	p.table([]column{{"", 0.3, false}, {"", 0.7, false}}, rows)
}

func (p *pdfWriter) summary() {
	v := p.v
	p.h1("Chain-of-custody report")
	p.para(caseLine(v.Case))
	p.f.SetFont("go", "", fontSmall)
	p.f.MultiCell(p.w, 3.2, fmt.Sprintf("Generated %s by trailcase %s (revision %s) on host %s (%s). Report layout version %d. Custody head %s.",
		fmtTime(v.Generated.At), v.Generated.ToolVersion, v.Generated.Revision, orDash(v.Generated.Host), orDash(v.Generated.OS), v.ReportVersion, v.Head.CustodyHead), "", "L", false)
	if v.Head.SigningKey != "" {
		p.para("Signed by key " + v.Head.SigningKey + ".")
	}
	p.h2("1. Summary")
	for _, s := range v.Overview {
		p.para(s)
	}
	facts := []fact{{"Examiner", v.Case.Examiner + orgSuffix(v.Case.Organisation)},
		{"Evidence items", fmt.Sprintf("%d item(s), %s", v.Case.Items, fmtBytes(v.Case.Bytes))},
		{"Custody log", fmt.Sprintf("%d entries; hash chain %s", v.CustodyChain.Entries, chainWord(v.CustodyChain.Intact))}}
	for _, c := range v.CheckViews {
		s := c.Status
		if c.Ran {
			s += ". " + c.Fresh
		}
		facts = append(facts, fact{c.Title, s})
	}
	if v.Manifest != nil {
		facts = append(facts, fact{"Manifest", fmt.Sprintf("%s, %d row(s), SHA-256 %s", v.Manifest.File, v.Manifest.Rows, v.Manifest.SHA256)})
	}
	p.kv(facts)
}

func (p *pdfWriter) findings() {
	v := p.v
	p.h2("2. Findings and coverage")
	if len(v.Findings) == 0 {
		p.para("No check found a problem.")
	} else {
		p.para("Findings by severity: " + v.Levels + ".")
		rows := make([][]string, len(v.Findings))
		for i, fr := range v.Findings {
			rows[i] = []string{fr.Level, fr.Kind, fr.Check, fr.Object, fr.Detail}
		}
		p.table([]column{{"Level", 0.09, false}, {"Kind", 0.19, true}, {"Check", 0.11, false}, {"Object", 0.26, true}, {"Detail", 0.35, false}}, rows)
		if v.MoreFindings != "" {
			p.para(v.MoreFindings)
		}
	}
	p.rules()
	p.h3("Coverage gaps")
	switch {
	case len(v.Gaps) > 0:
		var rows [][]string
		for _, g := range v.Gaps {
			rows = append(rows, []string{g.Text, g.Why, g.Chain})
		}
		p.table([]column{{"No CloudTrail digest covers", 0.36, false}, {"Why", 0.32, false}, {"Chain (account, region, trail)", 0.32, true}}, rows)
	default:
		p.para(v.NoGaps)
	}
	if v.GapsNote != "" {
		p.para(v.GapsNote)
	}
	if len(v.Notices) > 0 {
		p.h3("Notices")
		for _, n := range v.Notices {
			p.para("• " + n)
		}
	}
}

func (p *pdfWriter) checks() {
	p.h2("3. Verification results")
	for _, c := range p.v.CheckViews {
		p.h3(c.Title + ": " + c.Status)
		for _, s := range c.Verdict {
			p.para(s)
		}
		if c.Ran {
			p.para(c.Fresh + " Recorded summary: " + c.C.Summary)
			p.kv(c.Facts)
		}
	}
}

func (p *pdfWriter) acquisitions() {
	p.h2("4. Acquisitions")
	if len(p.v.Acquisitions) == 0 {
		p.para("No acquisition is recorded in the custody log.")
	}
	for _, a := range p.v.Acquisitions {
		p.h3(fmt.Sprintf("Evidence number %s — custody entries #%d–#%d", a.EvidenceNumber, a.Run, a.Entry))
		res := a.Result
		if a.Detail != "" {
			res += ": " + a.Detail
		}
		if a.Error != "" {
			res += "; error: " + a.Error
		}
		facts := []fact{{"Source", strings.Join(a.Sources, "\n")},
			{"Start – end (duration)", fmt.Sprintf("%s – %s (%s)", fmtTime(a.Start), fmtTime(a.End), a.Duration)},
			{"Result", res}, {"Files stored", fmt.Sprintf("%d file(s), %s", a.Stored, a.Size)},
			{"Already present (duplicates)", fmt.Sprintf("%d file(s)", a.AlreadyPresent)},
			{"Refused", joinLines(len(a.Refused), func(i int) string { return a.Refused[i].Path + ": " + a.Refused[i].Reason })},
			{"Errors", joinLines(len(a.Failed), func(i int) string { return a.Failed[i].Path + " (" + a.Failed[i].Source + "): " + a.Failed[i].Error })}}
		for _, c := range a.Containers {
			facts = append(facts, fact{"Container", fmt.Sprintf("%s, %s, SHA-256 %s", c.Source, fmtBytes(c.Size), c.SHA256)})
		}
		p.kv(append(facts, fact{"Examiner (user@host)", a.Who}, fact{"Tool", a.Tool}))
	}
}

// joinLines puts n strings on lines of their own, or says "none".
func joinLines(n int, s func(int) string) string {
	return strings.ReplaceAll(joinEach(n, s), "; ", "\n")
}

func (p *pdfWriter) caseSection() {
	v := p.v
	p.h2("5. Case")
	p.kv([]fact{{"Case name", v.Case.Name}, {"Case number", orDash(v.Case.Number)}, {"Description", orDash(v.Case.Description)},
		{"Case identifier", v.Case.ID}, {"Examiner", v.Case.Examiner}, {"Organisation", orDash(v.Case.Organisation)},
		{"Case created", fmtTime(v.Case.Created)}, {"Case file", orDash(v.Generated.CaseFile)},
		{"State reported", fmt.Sprintf("as of custody entry #%d, entry hash %s", v.Case.CustodySeq, v.Case.CustodyHead)},
		{"Software", fmt.Sprintf("trailcase %s, revision %s", v.Generated.ToolVersion, v.Generated.Revision)},
		{"Report host and OS", orDash(v.Generated.Host) + " — " + orDash(v.Generated.OS)}, {"Report generated", fmtTime(v.Generated.At)}})
}

// events draws the event counts as a table, as the Markdown form does.
func (p *pdfWriter) events() {
	ch := p.v.Chart
	if ch.Empty {
		p.h2("6. Events per hour and source")
		p.para("The case holds no normalised events.")
		return
	}
	p.h2("6. Events per " + ch.Bucket + " and source")
	ev := p.v.Events
	p.para(fmt.Sprintf("%d event(s), first %s, last %s. Buckets without events are left out.", ev.Total, fmtTime(ev.First), fmtTime(ev.Last)))
	share := 0.75 / float64(len(ch.Sources)+1)
	cols := []column{{ch.Bucket + " (UTC)", 0.25, false}}
	for _, s := range ch.Sources {
		cols = append(cols, column{s, share, false})
	}
	cols = append(cols, column{"total", share, false})
	var rows [][]string
	for _, r := range ch.Rows {
		row := []string{r.Start.Format(bucketLayout)}
		for _, k := range r.Counts {
			row = append(row, strconv.FormatInt(k, 10))
		}
		rows = append(rows, append(row, strconv.FormatInt(r.Total, 10)))
	}
	p.table(cols, rows)
}

func (p *pdfWriter) evidence() {
	v := p.v
	p.h2("7. Evidence items")
	if len(v.Evidence) == 0 {
		p.para("The case holds no evidence items.")
		return
	}
	intro := "Each item holds the exact bytes acquired; the SHA-256 is of those bytes as stored in the case file. Times are UTC."
	if v.Manifest != nil {
		intro += fmt.Sprintf(" The manifest %s lists every item (SHA-256 %s).", v.Manifest.File, v.Manifest.SHA256)
	}
	p.para(intro)
	var rows [][]string
	if len(v.Listed) > 0 {
		for _, e := range v.Listed {
			rows = append(rows, []string{strconv.FormatUint(e.ID, 10), e.Kind, e.Number, e.Address, strconv.FormatInt(e.Size, 10),
				e.SHA256, e.Lock, e.Parsing})
		}
		p.table([]column{{"Item", 0.05, false}, {"Kind", 0.08, false}, {"No.", 0.04, false}, {"Address", 0.36, true},
			{"Bytes", 0.06, false}, {"SHA-256", 0.15, true}, {"Object Lock", 0.16, false}, {"Parsing", 0.10, false}}, rows)
	} else {
		p.para(fmt.Sprintf("The case holds %d items, more than the %d this report lists one by one; here they are summed up per source prefix and kind.", v.Case.Items, MaxListed))
		for _, g := range v.Groups {
			rows = append(rows, []string{g.Prefix, g.Kind, strconv.Itoa(g.Files), strconv.FormatInt(g.Bytes, 10), g.EvidenceNumber, fmtTime(g.First) + " – " + fmtTime(g.Last)})
		}
		p.table([]column{{"Source : prefix", 0.40, true}, {"Kind", 0.13, false}, {"Files", 0.08, false}, {"Bytes", 0.11, false},
			{"Evid. no.", 0.08, false}, {"Acquired", 0.20, false}}, rows)
	}
	if len(v.Attention) > 0 {
		p.h3("Items with warnings or flags")
		rows = rows[:0]
		for _, e := range v.Attention {
			rows = append(rows, []string{strconv.FormatUint(e.ID, 10), e.Path, strings.ReplaceAll(parsing(e), "<br>", "\n")})
		}
		p.table([]column{{"Item", 0.06, false}, {"Path", 0.44, true}, {"Parsing, flags, warnings", 0.50, false}}, rows)
	}
}

func (p *pdfWriter) custody() {
	v := p.v
	if len(v.Buckets) > 0 {
		p.h2(fmt.Sprintf("%d. S3 buckets as captured", v.SecBuckets))
		var rows [][]string
		for _, b := range v.Buckets {
			rows = append(rows, []string{b.Name + " " + b.Region, orDash(b.ObjectLockEnabled), orDash(b.DefaultMode), orDash(b.Versioning), fmtTime(b.CapturedAt)})
		}
		p.table([]column{{"Bucket", 0.3, true}, {"Object Lock", 0.15, false}, {"Default retention", 0.2, false}, {"Versioning", 0.15, false}, {"Captured", 0.2, false}}, rows)
	}
	p.h2(fmt.Sprintf("%d. Chain of custody", v.SecCustody))
	p.para(fmt.Sprintf("The custody log is append-only; each entry carries the SHA-256 of the previous one. Chain check: %s, %d entries checked.", chainWord(v.CustodyChain.Intact), v.CustodyChain.Entries))
	var rows [][]string
	for _, e := range v.Entries {
		res := e.Result
		if e.Detail != "" {
			res += ": " + e.Detail
		}
		if len(e.Items) > 0 {
			res += fmt.Sprintf("\n%d item(s): %s", len(e.Items), itemRange(e.Items))
		}
		if e.Command != "" {
			res += "\n" + e.Command
		}
		rows = append(rows, []string{strconv.FormatUint(e.Seq, 10), fmtTime(e.Start) + "\n" + fmtTime(e.End), e.Action,
			e.Examiner + "\n" + e.OSUser + "@" + e.Host + "\ntrailcase " + e.ToolVersion, res + "\nhash " + e.Hash.String()})
	}
	p.table([]column{{"#", 0.05, false}, {"Time (UTC)", 0.19, false}, {"Action", 0.11, false}, {"Who, where", 0.2, false}, {"Result, command, hash", 0.45, false}}, rows)
}

func (p *pdfWriter) signOff() {
	v := p.v
	p.h2("Sign-off")
	p.para(fmt.Sprintf("I have examined the evidence items listed in this report. Their SHA-256 values were computed over the exact bytes acquired; the verification results and the chain-of-custody log above are reproduced as recorded in case file %s (custody entry #%d).",
		orDash(v.Generated.CaseFile), v.Case.CustodySeq))
	rows := [][]string{{"Examiner", v.Case.Examiner + orgSuffix(v.Case.Organisation), "\n\n\n", ""}, {"Reviewer / witness", "", "\n\n\n", ""}, {"Received by", "", "\n\n\n", ""}}
	p.table([]column{{"Role", 0.22, false}, {"Name", 0.3, false}, {"Signature", 0.3, false}, {"Date", 0.18, false}}, rows)
}

// rules draws what the rule pack and the coverage analysis found.
func (p *pdfWriter) rules() {
	v := p.v
	if v.Report.Findings == nil {
		return
	}
	p.h3("What the rules found")
	switch {
	case v.RulesNote != "":
		p.para(v.RulesNote)
	case len(v.Rules) == 0:
		p.para("The rule pack and the coverage analysis found nothing.")
	default:
		p.para("By severity: " + v.RuleLevels + ".")
		rows := make([][]string, len(v.Rules))
		for i, r := range v.Rules {
			rows[i] = []string{r.Level, r.Title + " (" + r.Rule + ")", orDash(r.When), r.Who, r.Matched, r.Detail}
		}
		p.table([]column{{"Level", 0.08, false}, {"Finding", 0.22, false}, {"When", 0.17, false}, {"Principals and addresses", 0.2, true}, {"Events", 0.07, false}, {"Detail", 0.26, false}}, rows)
		if v.MoreRules != "" {
			p.para(v.MoreRules)
		}
	}
}
