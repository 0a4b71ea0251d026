package report

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/finding"
	"github.com/trailcase/trailcase/evidence/safe"
)

// view is what every human form (HTML, Markdown, PDF) renders: the report
// said in sentences and small tables. The forms only lay it out, so they
// say the same thing; no form ever prints a check's raw JSON.
type view struct {
	*Report
	Paper string // "A4" or "Letter"
	Head  runningHead

	Overview                   []string // page 1: what was acquired and the verdict of each check
	CheckViews                 []checkView
	Verify, Digest, ObjectLock checkView
	Findings                   []findingRow // every finding, most severe first, up to maxRows
	Levels                     string       // "2 critical, 1 high", or "" for none
	MoreFindings               string       // what past maxRows was left out, in a sentence
	Gaps                       []gap
	NoGaps                     string // said in place of the gap table when Gaps is empty
	GapsNote                   string // said under the gap table: what it may lack
	Notices                    []string

	Rules      []ruleRow // rule and coverage findings, most severe first
	RuleLevels string    // "1 high, 3 low", or "" for none
	MoreRules  string    // how many past maxRuleRows were left out
	RulesNote  string    // why the rules were not run, "" when they were

	Acquisitions []acquisitionView
	Listed       []itemRow   // the items listed one by one (all, up to MaxListed)
	Groups       []itemGroup // past MaxListed: items per source prefix and kind
	Attention    []Evidence  // items with flags or warnings, up to maxRows
	Entries      []entryView // the custody log

	Chart    chart
	Problems int // custody breaks plus findings

	SecBuckets, SecCustody int // section numbers that depend on the case
}

// runningHead is what the header and footer of every page say.
type runningHead struct {
	Case        string // name and number
	Generated   string
	CustodyHead string // "#14 <hash>"
	SigningKey  string // the signing key's fingerprint, "" when unsigned
}

// checkView is one check: its verdict in sentences and a small table.
type checkView struct {
	Title    string
	Ran      bool
	C        *Check
	Status   string // PASS, FAIL, NOT RUN
	Verdict  []string
	Facts    []fact
	Fresh    string // when it ran and whether the case changed since
	Problems []findingRow
}

type fact struct{ Key, Value string }

// findingRow is one finding as the report lists it.
type findingRow struct {
	Level, Kind, Check, Object, Detail string
}

// gap is a stretch of time no CloudTrail digest covers.
type gap struct {
	From, To time.Time
	Text     string // "6 h, 2025-03-11 04:00–10:00 UTC"
	Why      string // "digests missing from the evidence"
	Chain    string // account, region, trail
}

// acquisitionView is one acquisition with its times and sizes in words.
type acquisitionView struct {
	Acquisition
	Duration, Size, Who, Tool string
}

// entryView is one custody entry with its command line.
type entryView struct {
	evidence.CustodyEntry
	Command string
}

// itemRow is one evidence item as the compact item table shows it: one
// row, the address, the hash and the states in few words. The manifest
// and the JSON form carry every field.
type itemRow struct {
	ID                            uint64
	Number, Address, Kind, SHA256 string
	Size                          int64
	Lock, Parsing                 string
	Flagged                       bool // flags or warnings: listed again under "Items with warnings or flags"
}

func newItemRow(e Evidence) itemRow {
	addr := e.S3URI
	if addr == "" {
		addr = e.Source
		if e.VersionID != "" {
			addr += " (version " + e.VersionID + ")"
		}
	}
	parse := fmt.Sprintf("%s, %d ev.", e.ParseState, e.Events)
	if len(e.Flags) > 0 {
		parse += "; " + strings.Join(e.Flags, ", ")
	}
	return itemRow{ID: e.ID, Number: orDash(e.EvidenceNumber), Address: addr, Kind: e.Kind, SHA256: e.SHA256.String(),
		Size: e.Size, Lock: e.LockState, Parsing: parse, Flagged: len(e.Flags) > 0 || e.WarningCount > 0}
}

// maxRows bounds the rows of each finding, notice and item table.
const maxRows = 200

func (r *Report) view() *view {
	v := &view{Report: r, Paper: PaperSize(r.paper)}
	v.Head = runningHead{Case: caseLine(r.Case), Generated: fmtTime(r.Generated.At),
		CustodyHead: fmt.Sprintf("#%d %s", r.Case.CustodySeq, r.Case.CustodyHead), SigningKey: r.Generated.SigningKey}
	var all []findingRow
	for _, p := range r.CustodyChain.Problems {
		all = append(all, findingRow{Level: string(finding.Critical), Kind: string(finding.CustodyBroken), Check: "custody log",
			Object: fmt.Sprintf("custody entry #%d", p.Seq), Detail: p.Detail})
	}
	v.Verify = v.verifyView()
	v.Digest = v.digestView()
	v.ObjectLock = v.objectLockView()
	v.CheckViews = []checkView{v.Verify, v.Digest, v.ObjectLock}
	for _, c := range v.CheckViews {
		all = append(all, c.Problems...)
	}
	v.findings(all)
	v.rules()
	v.Acquisitions = acquisitionViews(r.Acquisitions)
	v.items()
	for _, e := range r.Custody {
		v.Entries = append(v.Entries, entryView{e, CommandLine(e.Args)})
	}
	v.Chart = newChart(r.Events)
	v.Problems = len(all)
	v.SecBuckets, v.SecCustody = 0, 8
	if len(r.Buckets) > 0 {
		v.SecBuckets, v.SecCustody = 8, 9
	}
	v.overview()
	shown(reflect.ValueOf(v).Elem())
	return v
}

// PaperSize names a paper size as CSS and the PDF writer know it: "A4"
// (the default) or "Letter".
func PaperSize(s string) string {
	if strings.EqualFold(s, "letter") {
		return "Letter"
	}
	return "A4"
}

func caseLine(c Case) string {
	s := c.Name
	if c.Number != "" {
		s += " (case no. " + c.Number + ")"
	}
	return s
}

// CommandLine is a command recorded in the custody log as it would be
// typed in a POSIX shell: "trailcase" and the arguments, each quoted only
// where needed (--name 'Breach March 2025'). An argument holding a control
// or another rune safe.Text escapes is written $'…' with that escape, so
// it reads as one line and a shell (bash, zsh, ksh) still gives the same
// bytes. "" for no arguments.
func CommandLine(args []string) string {
	if len(args) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("trailcase")
	for _, a := range args {
		b.WriteByte(' ')
		b.WriteString(shellQuote(a))
	}
	return b.String()
}

// shellQuote quotes one argument for a POSIX shell, leaving it bare when
// it holds only characters no shell treats specially.
func shellQuote(a string) string {
	switch {
	case a == "":
		return "''"
	case strings.Trim(a, shellSafe) == "":
		return a
	case safe.Text(a) != a:
		a = strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(a)
		return "$'" + safe.Text(a) + "'"
	}
	return "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
}

// shellSafe are the characters an argument may hold unquoted.
const shellSafe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-"

// findings orders every finding most severe first, keeps maxRows and
// counts them per level.
func (v *view) findings(all []findingRow) {
	counts := map[string]int{}
	for _, f := range all {
		counts[f.Level]++
	}
	sortFindings(all)
	v.Levels = levelCounts(counts)
	if len(all) > maxRows {
		v.MoreFindings = fmt.Sprintf("%d more findings are not listed here; 'trailcase verify', 'digest verify' and 'objectlock' with --json list them all.", len(all)-maxRows)
		all = all[:maxRows]
	}
	v.Findings = all
}

var levelOrder = []string{string(finding.Informational), string(finding.Low), string(finding.Medium), string(finding.High), string(finding.Critical)}

func levelRank(l string) int {
	for i, x := range levelOrder {
		if x == l {
			return i
		}
	}
	return -1
}

func sortFindings(fs []findingRow) {
	sort.SliceStable(fs, func(i, j int) bool { return levelRank(fs[i].Level) > levelRank(fs[j].Level) })
}

func acquisitionViews(as []Acquisition) []acquisitionView {
	out := make([]acquisitionView, 0, len(as))
	for _, a := range as {
		who := orDash(a.Examiner)
		if a.OSUser != "" || a.Host != "" {
			who += fmt.Sprintf(" (%s@%s)", orDash(a.OSUser), orDash(a.Host))
		}
		tool := "trailcase " + orDash(a.ToolVersion)
		if a.Revision != "" {
			tool += " (revision " + a.Revision + ")"
		}
		out = append(out, acquisitionView{Acquisition: a, Duration: fmtDuration(a.End.Sub(a.Start)),
			Size: fmtBytes(a.Bytes), Who: who, Tool: tool})
	}
	return out
}

// items chooses how the evidence items are shown: one by one up to
// MaxListed, else per source prefix and kind; and those needing attention.
func (v *view) items() {
	if len(v.Evidence) <= MaxListed {
		for _, e := range v.Evidence {
			v.Listed = append(v.Listed, newItemRow(e))
		}
	} else {
		v.Groups = groupItems(v.Evidence)
	}
	for _, e := range v.Evidence {
		if len(e.Flags) > 0 || e.WarningCount > 0 || e.ParseState == evidence.ParseFailed {
			if len(v.Attention) == maxRows {
				break
			}
			v.Attention = append(v.Attention, e)
		}
	}
}

// overview writes page 1: what was acquired, from where, when, by whom,
// and the verdict of each check, in sentences.
func (v *view) overview() {
	r := v.Report
	by := r.Case.Examiner
	if r.Case.Organisation != "" {
		by += " of " + r.Case.Organisation
	}
	switch n := len(v.Acquisitions); {
	case r.Case.Items == 0 && n == 0:
		v.say("The case, created %s by %s, holds no evidence yet.", fmtTime(r.Case.Created), by)
	default:
		v.say("The case holds %s (%s), acquired in %s by %s.", plural(r.Case.Items, "file"), fmtBytes(r.Case.Bytes), plural(n, "acquisition"), by)
		for i, a := range v.Acquisitions {
			if i == 5 {
				v.say("%s more are described in section 4.", plural(n-5, "acquisition"))
				break
			}
			v.say("%s: %s stored (%s) from %s, %s to %s, by %s with %s.", a.EvidenceNumber, plural(a.Stored, "file"), a.Size,
				orDash(strings.Join(a.Sources, ", ")), fmtTime(a.Start), fmtTime(a.End), a.Who, a.Tool)
		}
	}
	for _, c := range v.CheckViews[:1] {
		v.Overview = append(v.Overview, c.Verdict...)
	}
	cc := r.CustodyChain
	if cc.Intact {
		v.say("The custody log of %s is unbroken.", plural(cc.Entries, "entry"))
	} else {
		v.say("The custody log of %s is broken: %s, listed in section 2.", plural(cc.Entries, "entry"), plural(len(cc.Problems), "problem"))
	}
	for _, c := range v.CheckViews[1:] {
		v.Overview = append(v.Overview, c.Verdict...)
	}
	if v.Levels == "" {
		v.say("No check found a problem.")
	} else {
		v.say("Findings by severity: %s; each is named in section 2.", v.Levels)
	}
	switch rf := r.Findings; {
	case rf == nil || !rf.Ran:
	case v.RuleLevels == "":
		v.say("The rule pack and the coverage analysis found nothing in %s.", plural(int(rf.Events), "event"))
	default:
		v.say("The rule pack and the coverage analysis found, by severity: %s; the most severe are described in section 2.", v.RuleLevels)
	}
}

func (v *view) say(format string, args ...any) {
	v.Overview = append(v.Overview, fmt.Sprintf(format, args...))
}

// plural writes "1 file", "2 files", "3 entries".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(word, "y"))
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// fmtDuration writes a duration to the second: "1 h 02 min 05 s".
func fmtDuration(d time.Duration) string {
	if d < 0 {
		return "—"
	}
	d = d.Round(time.Second)
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	switch {
	case h > 0:
		return fmt.Sprintf("%d h %02d min %02d s", h, m, s)
	case m > 0:
		return fmt.Sprintf("%d min %02d s", m, s)
	}
	return fmt.Sprintf("%d s", s)
}
