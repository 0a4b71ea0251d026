package timeline

import (
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/trailcase/trailcase/evidence"
)

// Field names of each ELB log line, in order (FORMATS.md §5). Extra
// trailing fields are ignored; missing trailing ones are absent.
var (
	albFields = []string{
		"type", "time", "elb", "client:port", "target:port",
		"request_processing_time", "target_processing_time", "response_processing_time",
		"elb_status_code", "target_status_code", "received_bytes", "sent_bytes",
		"request", "user_agent", "ssl_cipher", "ssl_protocol", "target_group_arn",
		"trace_id", "domain_name", "chosen_cert_arn", "matched_rule_priority",
		"request_creation_time", "actions_executed", "redirect_url", "error_reason",
		"target:port_list", "target_status_code_list", "classification",
		"classification_reason", "conn_trace_id", "transformed_host", "transformed_uri",
		"request_transform_status",
	}
	clbFields = []string{
		"time", "elb", "client:port", "backend:port", "request_processing_time",
		"backend_processing_time", "response_processing_time", "elb_status_code",
		"backend_status_code", "received_bytes", "sent_bytes", "request", "user_agent",
		"ssl_cipher", "ssl_protocol",
	}
	nlbFields = []string{
		"type", "version", "time", "elb", "listener", "client:port", "destination:port",
		"connection_time", "tls_handshake_time", "received_bytes", "sent_bytes",
		"incoming_tls_alert", "chosen_cert_arn", "chosen_cert_serial", "tls_cipher",
		"tls_protocol_version", "tls_named_group", "domain_name", "alpn_fe_protocol",
		"alpn_be_protocol", "alpn_client_preference_list", "tls_connection_creation_time",
	}
	connFields = []string{
		"time", "client_ip", "client_port", "listener_port", "tls_protocol", "tls_cipher",
		"tls_handshake_latency", "leaf_client_cert_subject", "leaf_client_cert_validity",
		"leaf_client_cert_serial_number", "tls_verify_status", "conn_trace_id",
	}
)

// Where the quoted request sits (ALB and Classic): it anchors the fields
// before it when a value holds a stray space.
const (
	albRequestIndex = 12
	clbRequestIndex = 11
)

// elbControlPrefix starts the line ELB writes when logging is enabled.
const elbControlPrefix = "Enable AccessLog for ELB:"

// elbToken is one field of an ELB line; quoted fields lose their quotes.
type elbToken struct {
	v      string
	quoted bool
	raw    string // as written, quotes included
}

// splitELB tokenises an ELB line: fields are separated by spaces; a field
// starting with '"' runs to the next '"' followed by a space or the end of
// the line (URLs and user agents are not escaped).
func splitELB(dst []elbToken, s string) []elbToken {
	dst = dst[:0]
	i := 0
	for i < len(s) {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i == len(s) {
			break
		}
		if s[i] == '"' {
			j := i + 1
			for {
				k := strings.IndexByte(s[j:], '"')
				if k < 0 {
					dst = append(dst, elbToken{s[i+1:], true, s[i:]})
					return dst
				}
				j += k
				if j+1 == len(s) || s[j+1] == ' ' {
					break
				}
				j++
			}
			dst = append(dst, elbToken{s[i+1 : j], true, s[i : j+1]})
			i = j + 1
			continue
		}
		j := i
		for j < len(s) && s[j] != ' ' {
			j++
		}
		dst = append(dst, elbToken{s[i:j], false, s[i:j]})
		i = j
	}
	return dst
}

// albTypes are the values of an ALB line's first field.
var albTypes = map[string]bool{"http": true, "https": true, "h2": true, "grpcs": true, "ws": true, "wss": true}

// classifyELB returns the kind of one ELB line, or "" when it is none.
func classifyELB(tok []elbToken) string {
	if len(tok) == 0 || tok[0].quoted {
		return ""
	}
	t0 := tok[0].v
	switch {
	case albTypes[t0]:
		return evidence.KindELBALB
	case t0 == "tls" && len(tok) > 1 && tok[1].v == "2.0":
		return evidence.KindELBNLB
	case isISOZ(t0):
		if len(tok) > 1 && isIP(tok[1].v) {
			return evidence.KindELBALBConn
		}
		if len(tok) > 3 && isDigits(tok[2].v) && isDigits(tok[3].v) {
			return evidence.KindELBALBConn
		}
		return evidence.KindELBCLB
	}
	return ""
}

// isISOZ reports an ISO 8601 UTC time with a Z.
func isISOZ(s string) bool {
	if !strings.HasSuffix(s, "Z") {
		return false
	}
	_, ok := parseISOTime(s)
	return ok
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// elb reads ELB access and connection logs, classifying every line on its
// own: files mix kinds.
func (p *parser) elb(r io.Reader) error {
	return p.eachLine(r, func(n int64, b []byte) error {
		e := p.elbLine(n, string(b))
		if e == nil {
			return nil
		}
		e.Raw = p.rawText(b)
		return p.send(e)
	})
}

// elbLine returns the event of ELB log line number n, without its raw
// text, or nil for a line that gives none (told to p as a warning).
//
// A stored event of version 4 in the ELB line form is read back through
// this function (see codec_line.go): what it makes of a line is part of
// the stored form.
func (p *parser) elbLine(n int64, line string) *Event {
	if strings.HasPrefix(line, elbControlPrefix) {
		return nil
	}
	p.elbTok = splitELB(p.elbTok, line)
	tok := p.elbTok
	if len(tok) == 0 {
		return nil
	}
	switch kind := classifyELB(tok); kind {
	case evidence.KindELBALB:
		return p.albEvent(tok, n)
	case evidence.KindELBCLB:
		return p.clbEvent(tok, n)
	case evidence.KindELBNLB:
		return p.nlbEvent(tok, n)
	case evidence.KindELBALBConn:
		return p.connEvent(tok, n)
	}
	p.warnf(n, "line", "not an ELB log line (starts with %s): skipped", quoteShort(tok[0].v))
	return nil
}

// anchorRequest aligns the fields before the quoted request: when a value
// before it holds a space (a placeholder such as "{Attacker IP}:0"), the
// extra tokens are joined back into the client field. It returns nil when
// the line cannot be aligned.
func (p *parser) anchorRequest(tok []elbToken, want, client int, rec int64) []elbToken {
	q := -1
	for i, t := range tok {
		if t.quoted {
			q = i
			break
		}
	}
	switch {
	case q == want:
		return tok
	case q < 0:
		p.warnf(rec, "line", "no quoted request field: skipped")
		return nil
	case q < want:
		p.warnf(rec, "line", "%d fields before the request, want %d: skipped", q, want)
		return nil
	}
	if j := joinBraces(tok[:q]); len(j) == want {
		p.warnf(rec, "line", "%d fields before the request, want %d: joined {…} placeholders", q, want)
		return append(j, tok[q:]...)
	}
	extra := q - want
	parts := make([]string, 0, extra+1)
	for _, t := range tok[client : client+extra+1] {
		parts = append(parts, t.v)
	}
	merged := make([]elbToken, 0, len(tok)-extra)
	merged = append(merged, tok[:client]...)
	v := strings.Join(parts, " ")
	merged = append(merged, elbToken{v: v, raw: v})
	merged = append(merged, tok[client+extra+1:]...)
	p.warnf(rec, "line", "%d fields before the request, want %d: read %s as the client", q, want, quoteShort(merged[client].v))
	return merged
}

// joinBraces joins runs of tokens from one starting with '{' to one
// holding '}' (placeholders like "{Attacker IP}:0" in shared log lines).
func joinBraces(tok []elbToken) []elbToken {
	out := make([]elbToken, 0, len(tok))
	for i := 0; i < len(tok); i++ {
		t := tok[i]
		if strings.HasPrefix(t.v, "{") && !strings.Contains(t.v, "}") {
			parts := []string{t.v}
			for i+1 < len(tok) {
				i++
				parts = append(parts, tok[i].v)
				if strings.Contains(tok[i].v, "}") {
					break
				}
			}
			v := strings.Join(parts, " ")
			t = elbToken{v: v, raw: v}
		}
		out = append(out, t)
	}
	return out
}

// The kinds of ELB line, for elbLayouts.
const (
	elbALB = iota
	elbCLB
	elbNLB
	elbConn
	elbKinds
)

// Fields of the HTTP lines taken from the request (httpEvent).
var requestFields = [...]string{"request_method", "request_url", "request_protocol"}

// elbLayout says where the values of an ELB line's fields come from when
// they are kept as a list (ParseOptions.NoFieldMap): the names sorted, as
// EncodeEvent writes the fields of a map, so that events stored from the
// list and from the map are alike.
type elbLayout struct {
	names []string
	from  []int  // token of names[i]; -1 for a field set afterwards
	at    [3]int // where requestFields are in names, or -1
	alpn  int    // where alpn_client_preference_list is, or -1
}

// newELBLayout lays out the first n of fields, and requestFields when
// request is set.
func newELBLayout(fields []string, n int, request bool) *elbLayout {
	src := make(map[string]int, n+len(requestFields))
	for i, f := range fields[:n] {
		src[f] = i
	}
	if request {
		for _, f := range requestFields {
			src[f] = -1
		}
	}
	l := &elbLayout{names: slices.Sorted(maps.Keys(src)), at: [3]int{-1, -1, -1}, alpn: -1}
	l.from = make([]int, len(l.names))
	for i, name := range l.names {
		l.from[i] = src[name]
		if j := slices.Index(requestFields[:], name); j >= 0 && request {
			l.at[j] = i
		}
		if name == "alpn_client_preference_list" {
			l.alpn = i
		}
	}
	return l
}

// elbFields fills the event's fields from tokens by name: the first of
// names, one a token, and for HTTP lines (request set) requestFields,
// left empty for the caller to set (setRequest).
func (p *parser) elbFields(e *Event, kind int, names []string, tok []elbToken, request bool) {
	n := min(len(names), len(tok))
	if !p.opts.NoFieldMap {
		m := make(map[string]string, n+3)
		for i := 0; i < n; i++ {
			m[names[i]] = tok[i].v
		}
		e.Fields = m
		return
	}
	byN := p.elbLayouts[kind]
	if byN == nil {
		byN = make([]*elbLayout, len(names)+1)
		p.elbLayouts[kind] = byN
	}
	l := byN[n]
	if l == nil {
		l = newELBLayout(names, n, request)
		byN[n] = l
	}
	var vals []string
	if p.opts.ReuseEvent {
		vals = p.vals[:0]
	} else {
		vals = make([]string, 0, len(l.from))
	}
	for _, i := range l.from {
		v := ""
		if i >= 0 {
			v = tok[i].v
		}
		vals = append(vals, v)
	}
	if p.opts.ReuseEvent {
		p.vals = vals
	}
	e.fieldNames, e.fieldValues = l.names, vals
	p.elbLayout = l
}

// setField sets field name of the event elbFields filled last to v: in
// its map, or in its list at the place the layout gives (at).
func (p *parser) setField(e *Event, name, v string, at func(*elbLayout) int) {
	if e.Fields != nil {
		e.Fields[name] = v
		return
	}
	e.fieldValues[at(p.elbLayout)] = v
}

// elbKindOf is the elbLayouts index of an HTTP kind.
func elbKindOf(kind string) int {
	if kind == evidence.KindELBCLB {
		return elbCLB
	}
	return elbALB
}

// field returns the i-th token's value, or "" when absent or "-".
func field(tok []elbToken, i int) string {
	if i >= len(tok) {
		return ""
	}
	return dash(tok[i].v)
}

func (p *parser) elbTime(e *Event, v string, rec int64) {
	if t, ok := parseISOTime(v); ok {
		p.setTime(&e.Time, t, rec, "line", "time")
		return
	}
	p.warnf(rec, "line", "time %s is not a time: event kept without a time", quoteShort(v))
}

// elbAddr reads "ip:port" into ip and port, warning when it is no address.
func (p *parser) elbAddr(v, name string, ip *string, port *int, rec int64) {
	if v == "" || v == "-" {
		return
	}
	h, n, ok := splitHostPort(v)
	*ip, *port = h, n
	if !ok {
		p.warnf(rec, "line", "%s %s is not an address and port: kept as text", name, quoteShort(v))
	}
}

// splitRequest splits "METHOD URL PROTOCOL"; the URL may hold spaces.
func splitRequest(req string) (method, url, proto string) {
	r := strings.TrimRight(req, " ")
	i := strings.IndexByte(r, ' ')
	if i < 0 {
		return r, "", ""
	}
	j := strings.LastIndexByte(r, ' ')
	if i == j {
		return r[:i], r[i+1:], ""
	}
	return r[:i], r[i+1 : j], r[j+1:]
}

// arnRegionAccount returns the region and account of an ARN.
func arnRegionAccount(arn string) (region, account string) {
	if !strings.HasPrefix(arn, "arn:") {
		return "", ""
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 5 {
		return "", ""
	}
	return parts[3], parts[4]
}

func (p *parser) httpEvent(kind string, names []string, tok []elbToken, rec int64, ofs int) *Event {
	// ofs is 1 for ALB (its leading type field), 0 for Classic.
	e := p.event()
	e.Source, e.Kind, e.Record = SourceELB, kind, rec
	p.elbFields(e, elbKindOf(kind), names, tok, true)
	p.elbTime(e, tok[ofs].v, rec)
	p.elbAddr(tok[ofs+2].v, names[ofs+2], &e.SrcIP, &e.SrcPort, rec)
	p.elbAddr(tok[ofs+3].v, names[ofs+3], &e.DstIP, &e.DstPort, rec)
	e.Outcome = field(tok, ofs+7)
	recv, ok1 := atoi(field(tok, ofs+9))
	sent, ok2 := atoi(field(tok, ofs+10))
	if ok1 && ok2 {
		e.Bytes = recv + sent
	}
	req := tok[ofs+11].v
	e.Action = strings.TrimRight(req, " ")
	method, url, proto := splitRequest(req)
	for i, v := range [...]string{method, url, proto} {
		p.setField(e, requestFields[i], v, func(l *elbLayout) int { return l.at[i] })
	}
	e.UserAgent = field(tok, ofs+12)
	return e
}

func (p *parser) albEvent(tok []elbToken, rec int64) *Event {
	if tok = p.anchorRequest(tok, albRequestIndex, 3, rec); tok == nil {
		return nil
	}
	e := p.httpEvent(evidence.KindELBALB, albFields, tok, rec, 1)
	e.Protocol = tok[0].v
	if e.Outcome == "" {
		e.Outcome = field(tok, 24) // error_reason
	}
	for _, arn := range []string{field(tok, 16), field(tok, 19)} {
		if region, account := arnRegionAccount(arn); region != "" || account != "" {
			e.Region, e.Account = region, account
			break
		}
	}
	for _, t := range strings.Fields(field(tok, 25)) {
		if h, _, ok := splitHostPort(t); ok && h != e.DstIP {
			e.OtherIPs = append(e.OtherIPs, h)
		}
	}
	return e
}

func (p *parser) clbEvent(tok []elbToken, rec int64) *Event {
	if tok = p.anchorRequest(tok, clbRequestIndex, 2, rec); tok == nil {
		return nil
	}
	return p.httpEvent(evidence.KindELBCLB, clbFields, tok, rec, 0)
}

func (p *parser) nlbEvent(tok []elbToken, rec int64) *Event {
	if len(tok) < 7 {
		p.warnf(rec, "line", "%d fields, an NLB line has at least 7: skipped", len(tok))
		return nil
	}
	e := p.event()
	e.Source, e.Kind, e.Record, e.Protocol = SourceELB, evidence.KindELBNLB, rec, "tls"
	p.elbFields(e, elbNLB, nlbFields, tok, false)
	// The ALPN preference list is a list of quoted names: keep it as written.
	if len(tok) > 20 {
		p.setField(e, "alpn_client_preference_list", tok[20].raw, func(l *elbLayout) int { return l.alpn })
	}
	p.elbTime(e, tok[2].v, rec)
	p.elbAddr(tok[5].v, "client:port", &e.SrcIP, &e.SrcPort, rec)
	p.elbAddr(tok[6].v, "destination:port", &e.DstIP, &e.DstPort, rec)
	e.Action = "TLS"
	if d := field(tok, 17); d != "" {
		e.Action += " " + d
	}
	switch {
	case field(tok, 11) != "":
		e.Outcome = "tls alert " + field(tok, 11)
	case len(tok) > 8 && field(tok, 8) == "":
		e.Outcome = "no handshake"
	default:
		e.Outcome = "ok"
	}
	recv, ok1 := atoi(field(tok, 9))
	sent, ok2 := atoi(field(tok, 10))
	if ok1 && ok2 {
		e.Bytes = recv + sent
	}
	if region, account := arnRegionAccount(field(tok, 12)); region != "" {
		e.Region, e.Account = region, account
	}
	return e
}

func (p *parser) connEvent(tok []elbToken, rec int64) *Event {
	if len(tok) < 4 {
		p.warnf(rec, "line", "%d fields, a connection log line has at least 4: skipped", len(tok))
		return nil
	}
	e := p.event()
	e.Source, e.Kind, e.Record = SourceELB, evidence.KindELBALBConn, rec
	p.elbFields(e, elbConn, connFields, tok, false)
	p.elbTime(e, tok[0].v, rec)
	e.SrcIP = field(tok, 1)
	if e.SrcIP != "" && !isIP(e.SrcIP) {
		p.warnf(rec, "line", "client_ip %s is not an IP address: kept as text", quoteShort(e.SrcIP))
	}
	if v := field(tok, 2); v != "" {
		if n, ok := parsePort(v); ok {
			e.SrcPort = n
		} else {
			p.warnf(rec, "line", "client_port %s is not a port", quoteShort(v))
		}
	}
	if v := field(tok, 3); v != "" {
		if n, ok := parsePort(v); ok {
			e.DstPort = n
		} else {
			p.warnf(rec, "line", "listener_port %s is not a port", quoteShort(v))
		}
	}
	e.Protocol = field(tok, 4)
	if e.Protocol != "" {
		e.Action = "TLS handshake"
	} else {
		e.Action = "connection"
	}
	e.Outcome = field(tok, 10)
	return e
}
