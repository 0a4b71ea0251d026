// Package timeline turns CloudTrail, VPC Flow Log and ELB access log files
// into normalised events, and merges them into one correlated timeline.
//
// The parsers stream their input, never panic on bad data, report every
// record they skip through a warning callback (with its 1-based line or
// record number) and keep going. They never read files themselves, print,
// or touch the case store: callers hand them decompressed bytes and take
// the events.
package timeline

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/trailcase/trailcase/evidence"
)

// Warning is a problem with one record: the record was skipped (or kept
// with a partial value) and parsing went on.
type Warning = evidence.Warning

// ParseOptions says where the bytes came from.
type ParseOptions struct {
	Evidence uint64 // evidence item id, copied into every event
	Name     string // file name or key, used in warnings and errors
	// NoFieldMap lets parsers that keep a record's fields in order leave
	// Event.Fields nil: EncodeEvent stores the fields all the same, and
	// DecodeEvent restores the map. For callers that only encode events.
	NoFieldMap bool
	// BorrowRaw lets Event.Raw point into the parser's buffers: it is then
	// valid only until emit returns. For callers that copy what they keep.
	BorrowRaw bool
	// ReuseEvent lets the parsers that support it (VPC flow and ELB logs)
	// pass the same *Event to emit for every record, its slices and Raw
	// reused too: what emit is given is then valid only until it returns.
	// Its strings are never reused. For callers that copy what they keep.
	ReuseEvent bool
	// FlowFormat is the format (field names, space-separated) of VPC flow
	// records that come without a header line: the item's FlowFormat.
	// "" means the default format.
	FlowFormat string
}

// MaxLineBytes is the longest text line (or JSON record) the parsers read;
// longer ones are reported and skipped without being held in memory.
const MaxLineBytes = 1 << 20

// maxRecordBytes caps one CloudTrail record (or one line-delimited JSON
// document). CloudTrail records are at most a few hundred KiB.
const maxRecordBytes = 16 << 20

// maxParquetBytes caps how much of a Parquet file Parse buffers when it is
// handed one through a plain reader.
const maxParquetBytes = 1 << 30

// ErrUnknownKind is returned by Parse for a kind it has no parser for.
var ErrUnknownKind = errors.New("no parser for this kind")

// Parse streams r (decompressed content: the first gzip member only) and
// calls emit for every event, in file order. Bad records are reported
// through warn and skipped; the rest of the file is used. Parse returns an
// error only when nothing sensible can be read (not JSON at all, say), when
// emit fails, or when ctx is cancelled. emit may keep the *Event.
//
// Digest files, unknown files and ELB test files produce no events and no
// error.
func Parse(ctx context.Context, kind string, r io.Reader, opts ParseOptions, emit func(*Event) error, warn func(Warning)) error {
	if warn == nil {
		warn = func(Warning) {}
	}
	p := &parser{ctx: ctx, opts: opts, emit: emit, warn: warn}
	switch kind {
	case evidence.KindCloudTrail, evidence.KindCloudTrailInsight:
		return p.cloudTrail(r)
	case evidence.KindVPCFlow:
		br := bufio.NewReaderSize(r, 256<<10)
		if head, _ := br.Peek(4); string(head) == "PAR1" {
			return p.parquetFromReader(br)
		}
		return p.vpcFlow(br)
	case evidence.KindELBALB, evidence.KindELBNLB, evidence.KindELBCLB, evidence.KindELBALBConn:
		return p.elb(r)
	case evidence.KindCloudWatchExport:
		return p.cloudWatchExport(r)
	case evidence.KindCloudWatchSubscription:
		return p.cloudWatchSubscription(r)
	case evidence.KindS3Access:
		return p.s3Access(r)
	case evidence.KindGuardDuty:
		return p.guardDuty(r)
	case evidence.KindConfig:
		return p.config(r)
	case evidence.KindCloudTrailCSV:
		return p.cloudTrailCSV(r)
	case evidence.KindCloudTrailLake:
		return p.cloudTrailLake(r)
	case evidence.KindCloudTrailDigest, evidence.KindUnknown:
		return nil
	default:
		return fmt.Errorf("parse %q as %q: %w", opts.Name, kind, ErrUnknownKind)
	}
}

// parser carries what every format's parser needs.
type parser struct {
	ctx     context.Context
	opts    ParseOptions
	emit    func(*Event) error
	warn    func(Warning)
	emitted int64
	n       int64 // records or lines seen, for cancellation checks

	// With ParseOptions.ReuseEvent: the event passed to emit, the
	// backing of its field values and of its Raw.
	ev   *Event
	vals []string
	raw  []byte

	// ELB lines: the layouts of their field lists by kind and number of
	// fields, and the layout of the line at hand (elb.go).
	elbLayouts [elbKinds][]*elbLayout
	elbLayout  *elbLayout
	elbTok     []elbToken // the tokens of the ELB line read last
}

// event returns an empty event for the next record: a new one, or with
// ParseOptions.ReuseEvent the parser's one, emptied.
func (p *parser) event() *Event {
	if !p.opts.ReuseEvent {
		return &Event{}
	}
	if p.ev == nil {
		p.ev = &Event{}
	} else {
		*p.ev = Event{}
	}
	return p.ev
}

// values returns a copy of vals for Event.fieldValues, made in a reused
// slice with ParseOptions.ReuseEvent.
func (p *parser) values(vals []string) []string {
	if !p.opts.ReuseEvent {
		return append([]string(nil), vals...)
	}
	p.vals = append(p.vals[:0], vals...)
	return p.vals
}

// rawText returns a text line as a JSON string for Event.Raw, written in
// a reused buffer with ParseOptions.ReuseEvent.
func (p *parser) rawText(line []byte) []byte {
	if !p.opts.ReuseEvent {
		return jsonString(line)
	}
	p.raw = appendJSONString(p.raw[:0], line)
	return p.raw
}

// warnf reports a problem with record (or line) rec.
func (p *parser) warnf(rec int64, unit string, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	switch {
	case p.opts.Name != "" && rec > 0:
		msg = fmt.Sprintf("%q %s %d: %s", p.opts.Name, unit, rec, msg)
	case p.opts.Name != "":
		msg = fmt.Sprintf("%q: %s", p.opts.Name, msg)
	case rec > 0:
		msg = fmt.Sprintf("%s %d: %s", unit, rec, msg)
	}
	p.warn(Warning{Record: rec, Message: msg})
}

// errorf builds an error naming the file.
func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("parse %q: %w", p.opts.Name, fmt.Errorf(format, args...))
}

// send passes e to emit.
func (p *parser) send(e *Event) error {
	e.Evidence = p.opts.Evidence
	if err := p.emit(e); err != nil {
		return err
	}
	p.emitted++
	return nil
}

// tick checks for cancellation every few thousand records.
func (p *parser) tick() error {
	p.n++
	if p.n&1023 == 0 {
		return p.ctx.Err()
	}
	return nil
}

// lineReader reads text lines of bounded length.
type lineReader struct {
	br   *bufio.Reader
	buf  []byte
	line int64
}

func newLineReader(r io.Reader) *lineReader {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < 64<<10 {
		br = bufio.NewReaderSize(r, 256<<10)
	}
	return &lineReader{br: br}
}

// next returns the next line without its line ending. long reports a line
// over MaxLineBytes: its bytes are discarded and line is empty. At the end
// of input it returns io.EOF (after a last line without newline).
func (lr *lineReader) next() (line []byte, long bool, err error) {
	lr.buf = lr.buf[:0]
	for {
		frag, err := lr.br.ReadSlice('\n')
		if len(lr.buf) == 0 && err == nil && !long {
			// The common case: the whole line is in the buffer.
			lr.line++
			return trimEOL(frag), false, nil
		}
		if !long {
			if len(lr.buf)+len(frag) > MaxLineBytes+2 {
				long = true
				lr.buf = lr.buf[:0]
			} else {
				lr.buf = append(lr.buf, frag...)
			}
		}
		switch {
		case err == nil:
			lr.line++
			return trimEOL(lr.buf), long, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(lr.buf) == 0 && !long {
				return nil, false, io.EOF
			}
			lr.line++
			return trimEOL(lr.buf), long, nil
		default:
			return nil, false, err
		}
	}
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// jsonString encodes s as a JSON string (invalid UTF-8 becomes U+FFFD, as
// encoding/json does).
func jsonString(s []byte) []byte {
	return appendJSONString(make([]byte, 0, len(s)+2), s)
}

// appendJSONString appends s to out as a JSON string with minimal escaping.
func appendJSONString(out, s []byte) []byte {
	out = append(out, '"')
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			out = append(out, s[start:i]...)
			switch c {
			case '"', '\\':
				out = append(out, '\\', c)
			case '\n':
				out = append(out, '\\', 'n')
			case '\r':
				out = append(out, '\\', 'r')
			case '\t':
				out = append(out, '\\', 't')
			default:
				out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			out = append(out, s[start:i]...)
			out = append(out, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			out = append(out, s[start:i]...)
			out = append(out, `\u202`...)
			out = append(out, hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	out = append(out, s[start:]...)
	return append(out, '"')
}

// Event times are kept as Unix nanoseconds, in the stored events and in
// the case's time keys, so a case holds times from 1678 to 2261 only. A
// record with a time outside that range is kept without a time.
var (
	minEventTime = time.Date(1678, 1, 1, 0, 0, 0, 0, time.UTC)
	maxEventTime = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC) // excluded
)

// eventTime reports whether a case can hold t as an event time.
func eventTime(t time.Time) bool {
	return !t.Before(minEventTime) && t.Before(maxEventTime)
}

// setTime sets *dst to t when a case can hold it, and otherwise warns that
// the event is kept without it.
func (p *parser) setTime(dst *time.Time, t time.Time, rec int64, unit, what string) {
	if eventTime(t) {
		*dst = t
		return
	}
	p.warnf(rec, unit, timeRangeWarning, what, t.Format(time.RFC3339Nano))
}

// timeRangeWarning says a time (what, as RFC 3339) was left out.
const timeRangeWarning = "%s %s is outside the years 1678 to 2261 a case can hold: event kept without it"

// parseISOTime reads YYYY-MM-DDTHH:MM:SS[.fraction][Z|±hh:mm]; without a
// zone the time is UTC. The result is always in UTC.
func parseISOTime(s string) (time.Time, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := atoiFixed(s[0:4])
	month, ok2 := atoiFixed(s[5:7])
	day, ok3 := atoiFixed(s[8:10])
	hour, ok4 := atoiFixed(s[11:13])
	minute, ok5 := atoiFixed(s[14:16])
	sec, ok6 := atoiFixed(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 60 {
		return time.Time{}, false
	}
	rest := s[19:]
	nsec := 0
	if len(rest) > 0 && rest[0] == '.' {
		i := 1
		scale := 100000000
		for ; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
			nsec += int(rest[i]-'0') * scale
			scale /= 10
		}
		if i == 1 || i > 10 {
			return time.Time{}, false
		}
		rest = rest[i:]
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if t.Day() != day {
		return time.Time{}, false // 31 February and friends
	}
	switch {
	case rest == "" || rest == "Z":
		return t, true
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, ok1 := atoiFixed(rest[1:3])
		om, ok2 := atoiFixed(rest[4:6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return time.Time{}, false
		}
		off := time.Duration(oh)*time.Hour + time.Duration(om)*time.Minute
		if rest[0] == '+' {
			off = -off
		}
		return t.Add(off), true
	}
	return time.Time{}, false
}

// atoiFixed parses the decimal digits of a timestamp field the caller has
// sized.
func atoiFixed(s string) (int, bool) {
	n, ok := digits(s)
	return int(n), ok
}

// atoi parses a non-negative decimal integer of up to 18 digits.
func atoi(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	return digits(s)
}

// digits parses s, decimal digits only; the caller bounds its length.
func digits(s string) (int64, bool) {
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// parsePort reads a TCP/UDP port number.
func parsePort(s string) (int, bool) {
	n, ok := atoi(s)
	if !ok || n > 65535 {
		return 0, false
	}
	return int(n), true
}

// splitHostPort splits "ip:port", "[ipv6]:port" and the unbracketed
// "ipv6:port" ELB writes (split on the last colon). ok is false when the
// address or the port does not parse; host and port are still filled with
// what could be read.
func splitHostPort(s string) (host string, port int, ok bool) {
	if s == "" || s == "-" {
		return "", 0, true
	}
	var ps string
	if s[0] == '[' {
		i := indexByteString(s, ']')
		if i < 0 {
			return s, 0, false
		}
		host = s[1:i]
		rest := s[i+1:]
		if len(rest) < 2 || rest[0] != ':' {
			return host, 0, false
		}
		ps = rest[1:]
	} else {
		i := lastIndexByteString(s, ':')
		if i < 0 {
			return s, 0, false
		}
		host, ps = s[:i], s[i+1:]
	}
	port, pok := parsePort(ps)
	if _, err := netip.ParseAddr(host); err != nil || !pok {
		return host, port, false
	}
	return host, port, true
}

func indexByteString(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func lastIndexByteString(s string, c byte) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// isIP reports whether s is an IPv4 or IPv6 address.
func isIP(s string) bool {
	if s == "" {
		return false
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

// dash maps the "-" placeholder to "".
func dash(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

// quoteShort quotes s for a warning, shortening long values.
func quoteShort(s string) string {
	const max = 80
	if len(s) > max {
		return strconv.Quote(s[:max]) + "…"
	}
	return strconv.Quote(s)
}

// firstNonSpace returns the first byte of b that is not white space (or a
// UTF-8 byte order mark), and whether there is one.
func firstNonSpace(b []byte) (byte, bool) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c, true
	}
	return 0, false
}

// eachLine calls fn for every non-empty line of r with its 1-based
// number. Lines longer than MaxLineBytes are reported and skipped.
func (p *parser) eachLine(r io.Reader, fn func(n int64, b []byte) error) error {
	lr := newLineReader(r)
	for {
		b, long, err := lr.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return p.errorf("line %d: read: %w", lr.line+1, err)
		}
		n := lr.line
		if err := p.tick(); err != nil {
			return err
		}
		if long {
			p.warnf(n, "line", "longer than %d bytes: skipped", MaxLineBytes)
			continue
		}
		if len(b) == 0 {
			continue
		}
		if err := fn(n, b); err != nil {
			return err
		}
	}
}
