package timeline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	gojson "github.com/goccy/go-json"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/safe"
)

// Output formats of a timeline.
const (
	FormatTable      = "table"
	FormatCSV        = "csv"
	FormatJSONL      = "jsonl"
	FormatTimesketch = "timesketch"
)

// Formats lists the output formats.
var Formats = []string{FormatTable, FormatCSV, FormatJSONL, FormatTimesketch}

// Writer renders a timeline: Begin once, Write per event, End once.
type Writer interface {
	// Begin writes what comes before the events (a table's header and,
	// for a principal, how it was resolved).
	Begin(c *Correlation) error
	Write(m *Match) error
	// End writes what follows the events (a table's summary) and flushes.
	End(s *Summary) error
}

// NewWriter returns a writer of format to w.
func NewWriter(w io.Writer, format string) (Writer, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	switch format {
	case FormatTable, "":
		return &tableWriter{w: bw}, nil
	case FormatCSV:
		return &csvWriter{bw: bw, w: NewCSVWriter(bw)}, nil
	case FormatJSONL, "json":
		return &jsonlWriter{w: bw}, nil
	case FormatTimesketch:
		return &timesketchWriter{w: bw, enc: NewJSONLEncoder(bw)}, nil
	}
	return nil, fmt.Errorf("%w: unknown format %q (want %s)", ErrBadQuery, format, strings.Join(Formats, ", "))
}

// Endpoint prints an address with its port ("[v6]:port" for IPv6).
func Endpoint(ip string, port int) string {
	if ip == "" {
		return ""
	}
	if port == 0 {
		return ip
	}
	if a, err := netip.ParseAddr(ip); err == nil && a.Is6() && !a.Is4In6() {
		return "[" + ip + "]:" + strconv.Itoa(port)
	}
	return ip + ":" + strconv.Itoa(port)
}

// row is the flat form of a match shared by the jsonl and csv formats.
type row struct {
	Time          string          `json:"time"`
	Source        string          `json:"source"`
	Kind          string          `json:"kind"`
	Evidence      uint64          `json:"evidence"`
	Record        int64           `json:"record"`
	Account       string          `json:"account,omitempty"`
	Region        string          `json:"region,omitempty"`
	Principal     string          `json:"principal"`
	PrincipalType string          `json:"principal_type,omitempty"`
	AccessKeyID   string          `json:"access_key_id,omitempty"`
	SrcIP         string          `json:"src_ip"`
	SrcPort       int             `json:"src_port,omitempty"`
	DstIP         string          `json:"dst_ip"`
	DstPort       int             `json:"dst_port,omitempty"`
	Action        string          `json:"action"`
	Outcome       string          `json:"outcome"`
	Protocol      string          `json:"protocol,omitempty"`
	Bytes         int64           `json:"bytes,omitempty"`
	Packets       int64           `json:"packets,omitempty"`
	EventID       string          `json:"event_id,omitempty"`
	EventSource   string          `json:"event_source,omitempty"`
	UserAgent     string          `json:"user_agent,omitempty"`
	IssuedKey     string          `json:"issued_access_key,omitempty"`
	Annotations   []string        `json:"annotations"`
	Why           []string        `json:"why"`
	Findings      []string        `json:"findings,omitempty"`
	Raw           json.RawMessage `json:"raw,omitempty"`
	Resources     []string        `json:"resources,omitempty"`
}

func toRow(m *Match) row {
	e := m.Event
	r := row{Time: evidence.FormatTime(e.Time), Source: e.Source, Kind: e.Kind, Evidence: e.Evidence, Record: e.Record,
		Account: e.Account, Region: e.Region, Principal: e.Principal, PrincipalType: e.PrincipalType, AccessKeyID: e.AccessKeyID,
		SrcIP: e.SrcIP, SrcPort: e.SrcPort, DstIP: e.DstIP, DstPort: e.DstPort, Action: e.Action, Outcome: e.Outcome,
		Protocol: e.Protocol, Bytes: e.Bytes, Packets: e.Packets, EventID: e.EventID, EventSource: e.EventSource,
		UserAgent: e.UserAgent, IssuedKey: e.IssuedAccessKey, Annotations: e.Annotations, Why: m.Why, Findings: m.Findings, Raw: e.Raw,
		Resources: e.Resources}
	if r.Annotations == nil {
		r.Annotations = []string{}
	}
	if r.Why == nil {
		r.Why = []string{}
	}
	return r
}

// ---- jsonl ----

type jsonlWriter struct {
	w    *bufio.Writer
	line []byte // the line being built
}

func (j *jsonlWriter) Begin(*Correlation) error { return nil }
func (j *jsonlWriter) End(*Summary) error       { return j.w.Flush() }

// Write writes the row of m (see row) as one line: the bytes encoding/json
// writes for it with HTML characters not escaped (TestJSONLSameAsEncoder,
// FuzzJSONLRow), built by hand rather than through reflection. The raw
// record is compacted with go-json's Compact, which checks it as it goes:
// a raw record that is not valid JSON is left out, as encoding/json would
// refuse it. Compact gives encoding/json's bytes (FuzzRawCompact) and
// takes a fast path for a record that is compact already, as most stored
// records are.
func (j *jsonlWriter) Write(m *Match) error {
	e := m.Event
	b := append(j.line[:0], `{"time":"`...)
	b = append(evidence.AppendTime(b, e.Time), '"')
	b = jsonField(b, `,"source":`, e.Source)
	b = jsonField(b, `,"kind":`, e.Kind)
	b = strconv.AppendUint(append(b, `,"evidence":`...), e.Evidence, 10)
	b = strconv.AppendInt(append(b, `,"record":`...), e.Record, 10)
	b = jsonOmit(b, `,"account":`, e.Account)
	b = jsonOmit(b, `,"region":`, e.Region)
	b = jsonField(b, `,"principal":`, e.Principal)
	b = jsonOmit(b, `,"principal_type":`, e.PrincipalType)
	b = jsonOmit(b, `,"access_key_id":`, e.AccessKeyID)
	b = jsonField(b, `,"src_ip":`, e.SrcIP)
	b = jsonCount(b, `,"src_port":`, int64(e.SrcPort))
	b = jsonField(b, `,"dst_ip":`, e.DstIP)
	b = jsonCount(b, `,"dst_port":`, int64(e.DstPort))
	b = jsonField(b, `,"action":`, e.Action)
	b = jsonField(b, `,"outcome":`, e.Outcome)
	b = jsonOmit(b, `,"protocol":`, e.Protocol)
	b = jsonCount(b, `,"bytes":`, e.Bytes)
	b = jsonCount(b, `,"packets":`, e.Packets)
	b = jsonOmit(b, `,"event_id":`, e.EventID)
	b = jsonOmit(b, `,"event_source":`, e.EventSource)
	b = jsonOmit(b, `,"user_agent":`, e.UserAgent)
	b = jsonOmit(b, `,"issued_access_key":`, e.IssuedAccessKey)
	b = jsonList(b, `,"annotations":`, e.Annotations)
	b = jsonList(b, `,"why":`, m.Why)
	if len(m.Findings) > 0 {
		b = jsonList(b, `,"findings":`, m.Findings)
	}
	j.line = b
	if len(e.Raw) > 0 {
		buf := bytes.NewBuffer(append(b, `,"raw":`...))
		if gojson.Compact(buf, e.Raw) == nil {
			b = buf.Bytes()
		} else {
			b = buf.Bytes()[:len(b)]
		}
	}
	if len(e.Resources) > 0 {
		b = jsonList(b, `,"resources":`, e.Resources)
	}
	b = append(b, "}\n"...)
	j.line = b
	_, err := j.w.Write(b)
	return err
}

// jsonField appends ,"name":value with value as a JSON string.
func jsonField(b []byte, name, v string) []byte {
	return AppendJSONString(append(b, name...), v, false)
}

// jsonOmit appends a string field as omitempty does: not when it is empty.
func jsonOmit(b []byte, name, v string) []byte {
	if v == "" {
		return b
	}
	return jsonField(b, name, v)
}

// jsonCount appends a number field as omitempty does: not when it is 0.
func jsonCount(b []byte, name string, v int64) []byte {
	if v == 0 {
		return b
	}
	return strconv.AppendInt(append(b, name...), v, 10)
}

// jsonList appends a list field, [] when the list is empty.
func jsonList(b []byte, name string, ss []string) []byte {
	if ss == nil {
		ss = []string{}
	}
	return AppendJSONStrings(append(b, name...), ss, false)
}

// ---- csv ----

// CSVHeader is the header line of the csv format.
var CSVHeader = []string{"time", "source", "kind", "evidence", "record", "account", "region", "principal", "access_key_id",
	"src_ip", "src_port", "dst_ip", "dst_port", "action", "outcome", "protocol", "bytes", "event_id", "user_agent", "annotations", "why"}

type csvWriter struct {
	bw  *bufio.Writer
	w   *CSVWriter
	rec CSVRow
}

func (c *csvWriter) Begin(*Correlation) error { return c.w.Header(CSVHeader) }

func (c *csvWriter) Write(m *Match) error {
	r := toRow(m)
	c.rec = c.rec[:0].Text(r.Time, r.Source, r.Kind).Uint(r.Evidence).Int(r.Record).
		Text(r.Account, r.Region, r.Principal, r.AccessKeyID, r.SrcIP).Count(int64(r.SrcPort)).Text(r.DstIP).Count(int64(r.DstPort)).
		Text(r.Action, r.Outcome, r.Protocol).Count(r.Bytes).
		Text(r.EventID, r.UserAgent, strings.Join(r.Annotations, " | "), strings.Join(r.Why, " | "))
	return c.w.Write(c.rec)
}

func (c *csvWriter) End(*Summary) error {
	if err := c.w.Flush(); err != nil {
		return err
	}
	return c.bw.Flush()
}

// ---- timesketch ----

type timesketchWriter struct {
	w   *bufio.Writer
	enc *json.Encoder
}

func (t *timesketchWriter) Begin(*Correlation) error { return nil }
func (t *timesketchWriter) End(*Summary) error       { return t.w.Flush() }

// timesketchDesc says what an event's time means.
func timesketchDesc(e *Event) string {
	switch {
	case e.Source == SourceCloudTrail:
		return "Event Time"
	case e.Source == SourceVPCFlow:
		return "Flow Start Time"
	case e.Kind == "elb-clb":
		return "Request Received Time"
	case e.Kind == "elb-alb":
		return "Response Sent Time"
	}
	return "Connection Time"
}

func (t *timesketchWriter) Write(m *Match) error {
	e := m.Event
	ts := e.Time.UTC()
	v := map[string]any{
		"message":        Message(e),
		"datetime":       ts.Format(evidence.TimeLayoutMicro),
		"timestamp":      ts.UnixMicro(),
		"timestamp_desc": timesketchDesc(e),
		"data_type":      "aws:" + e.Source,
		"source":         e.Source,
		"kind":           e.Kind,
		"evidence":       e.Evidence,
		"record":         e.Record,
		"principal":      e.Principal,
		"src_ip":         e.SrcIP,
		"dst_ip":         e.DstIP,
		"action":         e.Action,
		"outcome":        e.Outcome,
		"annotations":    strings.Join(e.Annotations, " | "),
		"why":            strings.Join(m.Why, " | "),
	}
	set := func(k, s string) {
		if s != "" {
			v[k] = s
		}
	}
	set("account", e.Account)
	set("region", e.Region)
	set("principal_type", e.PrincipalType)
	set("access_key_id", e.AccessKeyID)
	set("event_id", e.EventID)
	set("event_source", e.EventSource)
	set("user_agent", e.UserAgent)
	set("protocol", e.Protocol)
	set("issued_access_key", e.IssuedAccessKey)
	set("resources", strings.Join(e.Resources, " | "))
	if len(m.Findings) > 0 {
		v["tag"] = m.Findings
	}
	if e.SrcPort != 0 {
		v["src_port"] = e.SrcPort
	}
	if e.DstPort != 0 {
		v["dst_port"] = e.DstPort
	}
	if e.Bytes != 0 {
		v["bytes"] = e.Bytes
	}
	if e.Packets != 0 {
		v["packets"] = e.Packets
	}
	if len(e.Raw) > 0 {
		v["raw"] = RawText(e.Raw) // nested JSON as a string: Timesketch wants flat fields
	}
	return t.enc.Encode(v)
}

// Message is a one-line description of an event.
func Message(e *Event) string {
	var b strings.Builder
	b.WriteString("[" + e.Source + "] ")
	if e.Principal != "" {
		b.WriteString(e.Principal + " ")
	}
	if e.Action != "" {
		b.WriteString(e.Action + " ")
	}
	if e.Outcome != "" && e.Outcome != e.Action {
		b.WriteString("(" + e.Outcome + ") ")
	}
	src, dst := Endpoint(e.SrcIP, e.SrcPort), Endpoint(e.DstIP, e.DstPort)
	if dst == "" && e.Source == SourceCloudTrail {
		dst = e.EventSource
	}
	switch {
	case src != "" && dst != "":
		b.WriteString(src + " -> " + dst)
	case src != "":
		b.WriteString("from " + src)
	case dst != "":
		b.WriteString("to " + dst)
	}
	return strings.TrimSpace(b.String())
}

// ---- table ----

type tableWriter struct {
	w         *bufio.Writer
	principal bool
	rows      int
	fit       *fitWriter // nil: full lines
	cols      []column   // the columns shown, when fitted
}

// NewTableWriter returns a table writer whose lines fit in width columns
// (width 0: full lines, as NewWriter's table). Columns are dropped by
// priority and long values cut with "…"; notes go on an indented second
// line.
func NewTableWriter(w io.Writer, width int) Writer {
	bw := bufio.NewWriterSize(w, 64<<10)
	if width <= 0 {
		return &tableWriter{w: bw}
	}
	fw := &fitWriter{w: bw, width: width}
	return &tableWriter{w: bufio.NewWriterSize(fw, 4<<10), fit: fw, cols: fitColumns(width)}
}

// A column of a fitted table, in the order of priority.
type column struct {
	name       string
	min, max   int
	width, pos int // pos: the column's place in a full line
}

var tableColumns = []column{
	{name: "TIME", min: colTime, max: colTime, pos: 0},
	{name: "SOURCE", min: colSource, max: colSource, pos: 1},
	{name: "ACTION", min: 16, max: colAction, pos: 4},
	{name: "PRINCIPAL", min: 14, max: colPrincipal, pos: 2},
	{name: "OUTCOME", min: 8, max: colOutcome, pos: 5},
	{name: "SRC → DST", min: 16, max: colFlow, pos: 3},
}

// fitColumns chooses the columns that fit in width, in priority order,
// and shares what is left among them up to their full widths.
func fitColumns(width int) []column {
	var cols []column
	used := 0
	for _, c := range tableColumns {
		need := c.min
		if len(cols) > 0 {
			need += 2
		}
		if used+need > width {
			break
		}
		c.width = c.min
		cols = append(cols, c)
		used += need
	}
	for i := range cols {
		extra := min(width-used, cols[i].max-cols[i].width)
		cols[i].width += extra
		used += extra
	}
	slices.SortFunc(cols, func(a, b column) int { return a.pos - b.pos })
	return cols
}

// fittedLine lays out the values of a full line (in its column order)
// in the fitted columns.
func (t *tableWriter) fittedLine(vals []string) string {
	var b strings.Builder
	for i, c := range t.cols {
		if i > 0 {
			b.WriteString("  ")
		}
		b.WriteString(pad(vals[c.pos], c.width))
	}
	return strings.TrimRight(b.String(), " ")
}

// fitWriter cuts every line written through it to width columns, ending
// a cut line with "…".
type fitWriter struct {
	w     *bufio.Writer
	width int
	line  []byte
}

func (f *fitWriter) Write(p []byte) (int, error) {
	for _, c := range p {
		if c != '\n' {
			f.line = append(f.line, c)
			continue
		}
		if _, err := io.WriteString(f.w, cut(string(f.line), f.width)+"\n"); err != nil {
			return 0, err
		}
		f.line = f.line[:0]
	}
	return len(p), nil
}

// wrap breaks s into lines of at most width runes at spaces (a longer
// word is cut by the fitWriter).
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		switch {
		case line == "":
			line = w
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) <= width:
			line += " " + w
		default:
			lines = append(lines, line)
			line = w
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// cut shortens s to width runes, ending it with "…" when cut.
func cut(s string, width int) string {
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)
	return string(r[:width-1]) + "…"
}

// Column widths of the table.
const (
	colTime      = 24
	colSource    = 10
	colPrincipal = 40
	colFlow      = 42
	colAction    = 34
	colOutcome   = 18
)

func (t *tableWriter) Begin(c *Correlation) error {
	if c != nil && c.Resolution != nil {
		t.principal = true
		writeResolution(t.w, c.Resolution)
	}
	if t.fit != nil {
		fmt.Fprintln(t.w, t.fittedLine([]string{"TIME", "SOURCE", "PRINCIPAL", "SRC → DST", "ACTION", "OUTCOME"}))
		return nil
	}
	fmt.Fprintf(t.w, "%s  %s  %s  %s  %s  %s  %s\n", pad("TIME", colTime), pad("SOURCE", colSource), pad("PRINCIPAL", colPrincipal),
		pad("SRC → DST", colFlow), pad("ACTION", colAction), pad("OUTCOME", colOutcome), "NOTE")
	return nil
}

// writeResolution explains how a principal was resolved.
func writeResolution(w io.Writer, r *Resolution) {
	fmt.Fprintf(w, "principal %s\n", safe.Text(r.Principal))
	if !r.First.IsZero() {
		fmt.Fprintf(w, "  active %s → %s\n", evidence.FormatTime(r.First), evidence.FormatTime(r.Last))
	}
	for _, c := range r.Credentials {
		session := ""
		if c.Session != "" {
			session = " as " + c.Session
		}
		fmt.Fprintf(w, "  credentials %s: %s by %s at %s (evidence %d record %d)\n", safe.Text(c.AccessKey+session), safe.Text(c.How), safe.Text(c.By), evidence.FormatTime(c.At), c.Evidence, c.Record)
	}
	for _, u := range r.IPs {
		fmt.Fprintf(w, "  source address %s: %d call(s) %s → %s\n", safe.Text(u.IP), u.Events, evidence.FormatTime(u.First), evidence.FormatTime(u.Last))
	}
	if r.Truncated {
		fmt.Fprintf(w, "  (limit reached: only the first %d credentials and %d addresses are followed)\n", MaxCredentials, MaxAddresses)
	}
	fmt.Fprintln(w)
}

func (t *tableWriter) Write(m *Match) error {
	e := m.Event
	src := Endpoint(e.SrcIP, e.SrcPort)
	dst := Endpoint(e.DstIP, e.DstPort)
	if dst == "" && e.Source == SourceCloudTrail {
		dst = e.EventSource
	}
	flow := src + " → " + dst
	if src == "" && dst == "" {
		flow = "-"
	}
	action := e.Action
	if e.Source == SourceELB {
		action = shortRequest(action)
	}
	if e.Source == SourceVPCFlow && e.Protocol != "" {
		action = strings.TrimSpace(action + " " + e.Protocol)
	}
	if action == "" {
		action = "-"
	}
	outcome := e.Outcome
	if e.Source == SourceVPCFlow && outcome == e.Action && (e.Packets > 0 || e.Bytes > 0) {
		outcome = fmt.Sprintf("%d pkt %s", e.Packets, HumanBytes(e.Bytes))
	}
	var note []string
	if t.principal {
		for _, w := range m.Why {
			note = append(note, arnPrefix.ReplaceAllString(w, ""))
		}
	}
	note = append(note, m.Findings...)
	note = append(note, e.Annotations...)
	t.rows++
	if t.fit != nil {
		fmt.Fprintln(t.w, t.fittedLine([]string{evidence.FormatTime(e.Time), e.Source, ShortPrincipal(e.Principal), flow, action, orDash(outcome)}))
		for _, l := range wrap(safe.Text(strings.Join(note, "; ")), t.fit.width-4) {
			fmt.Fprintf(t.w, "    %s\n", l)
		}
		if len(e.Resources) > 0 {
			fmt.Fprintf(t.w, "    %s\n", cut("↳ "+safe.Text(strings.Join(e.Resources, ", ")), t.fit.width-4))
		}
		return nil
	}
	fmt.Fprintf(t.w, "%s  %s  %s  %s  %s  %s  %s\n", pad(evidence.FormatTime(e.Time), colTime), pad(e.Source, colSource),
		pad(ShortPrincipal(e.Principal), colPrincipal), pad(flow, colFlow), pad(action, colAction), pad(orDash(outcome), colOutcome),
		safe.Text(strings.Join(note, "; ")))
	if len(e.Resources) > 0 {
		// On a line of its own below the event, so the event's line reads as before.
		fmt.Fprintf(t.w, "%s  ↳ %s\n", pad("", colTime), safe.Text(strings.Join(e.Resources, ", ")))
	}
	return nil
}

func (t *tableWriter) End(s *Summary) error {
	if s != nil {
		fmt.Fprintln(t.w)
		WriteSummary(t.w, s)
	}
	if err := t.w.Flush(); err != nil {
		return err
	}
	if t.fit != nil {
		return t.fit.w.Flush()
	}
	return nil
}

// WriteSummary prints a short summary of a timeline.
func WriteSummary(w io.Writer, s *Summary) {
	if s.Events == 0 {
		fmt.Fprintln(w, "no events")
		return
	}
	parts := []string{}
	for _, src := range Sources {
		if n := s.BySource[src]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", src, n))
		}
	}
	fmt.Fprintf(w, "%d event(s) (%s), %s → %s\n", s.Events, strings.Join(parts, ", "), evidence.FormatTime(s.First), evidence.FormatTime(s.Last))
	if len(s.Principals) > 0 {
		fmt.Fprintf(w, "principals: %s\n", countList(s.Principals, s.OtherPrincipals))
	}
	if len(s.IPs) > 0 {
		fmt.Fprintf(w, "addresses: %s\n", countList(s.IPs, s.OtherIPs))
	}
	if s.AntiForensics > 0 {
		fmt.Fprintf(w, "anti-forensics: %d event(s)\n", s.AntiForensics)
	}
	if s.NACLHints > 0 {
		fmt.Fprintf(w, "network ACL drops of replies: %d flow record(s)\n", s.NACLHints)
	}
	if s.ConfigHints > 0 {
		fmt.Fprintf(w, "rejects explained by AWS Config: %d flow record(s)\n", s.ConfigHints)
	}
	if s.Undecodable > 0 {
		fmt.Fprintf(w, "unreadable stored events skipped: %d\n", s.Undecodable)
	}
}

func countList(cs []Count, other int) string {
	const show = 10
	parts := make([]string, 0, show+1)
	for i, c := range cs {
		if i == show {
			other += len(cs) - show
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%d)", safe.Text(c.Value), c.N))
	}
	if other > 0 {
		parts = append(parts, fmt.Sprintf("and %d more", other))
	}
	return strings.Join(parts, ", ")
}

// arnPrefix matches the "arn:aws:iam::<account>:" part of IAM and STS ARNs.
var arnPrefix = regexp.MustCompile(`arn:aws[a-z-]*:(?:iam|sts)::[0-9]{12}:`)

// HumanBytes prints a byte count with a binary unit (1.5 MiB).
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// shortRequest turns an ELB request line "GET https://host:443/path HTTP/1.1"
// into "GET /path"; other text is returned as it is.
func shortRequest(req string) string {
	method, rest, ok := strings.Cut(req, " ")
	if !ok {
		return req
	}
	if i := strings.LastIndexByte(rest, ' '); i >= 0 && strings.HasPrefix(rest[i+1:], "HTTP/") {
		rest = rest[:i]
	}
	if i := strings.Index(rest, "://"); i >= 0 {
		if j := strings.IndexByte(rest[i+3:], '/'); j >= 0 {
			rest = rest[i+3+j:]
		}
	}
	return method + " " + rest
}

// ShortPrincipal drops the "arn:aws:iam::<account>:" part of an ARN.
func ShortPrincipal(p string) string {
	if !strings.HasPrefix(p, "arn:") {
		return p
	}
	parts := strings.SplitN(p, ":", 6)
	if len(parts) == 6 && parts[5] != "" {
		return parts[5]
	}
	return p
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// pad fits s into width columns, shown safely (safe.Text): cut with "…"
// or padded with spaces.
func pad(s string, width int) string {
	s = cut(safe.Text(s), width)
	return s + strings.Repeat(" ", max(width-utf8.RuneCountInString(s), 0))
}
