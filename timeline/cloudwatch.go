package timeline

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"
)

// Field names under which events read from CloudWatch Logs keep where
// they came from.
const (
	FieldLogGroup  = "log_group"
	FieldLogStream = "log_stream"
)

// ParseFlowFormat reads a VPC flow log format as given to AWS
// ("${version} ${srcaddr} …") or as a header line ("version srcaddr …")
// and returns its field names.
func ParseFlowFormat(s string) ([]string, error) {
	var names []string
	for _, f := range strings.Fields(s) {
		f = strings.TrimSuffix(strings.TrimPrefix(f, "${"), "}")
		names = append(names, f)
	}
	if len(names) == 0 || !isFlowHeader(names) {
		return nil, fmt.Errorf("%q is not a flow log format: want field names such as '${version} ${srcaddr} ${dstaddr}'", s)
	}
	return names, nil
}

// cwReader turns CloudWatch Logs messages into events: VPC flow records
// (the default format, or ParseOptions.FlowFormat) and CloudTrail records
// become the events the same records give when delivered to S3, with the
// log group and stream in Event.Fields.
type cwReader struct {
	p             *parser
	inner         *parser // parses CloudTrail records; its emit adds the log group and stream
	custom        *flowLayout
	group, stream string
	tokens        []string
	other         int64 // messages that are neither
	firstOther    int64
	unit          string
}

// cwLayouts are the headerless flow layouts with the two CloudWatch fields
// appended, by number of flow fields.
var cwLayouts = func() map[int]*flowLayout {
	m := map[int]*flowLayout{}
	for n := range headerlessCounts {
		m[n] = newFlowLayout(withCWFields(flowFieldOrder[:n]))
	}
	return m
}()

func withCWFields(names []string) []string {
	return append(append(make([]string, 0, len(names)+2), names...), FieldLogGroup, FieldLogStream)
}

func (p *parser) newCWReader(unit string) *cwReader {
	c := &cwReader{p: p, unit: unit}
	if names, err := ParseFlowFormat(p.opts.FlowFormat); err == nil {
		c.custom = newFlowLayout(withCWFields(names))
	}
	inner := *p
	inner.emit = func(e *Event) error {
		e.Fields = map[string]string{FieldLogGroup: c.group, FieldLogStream: c.stream}
		return p.send(e)
	}
	inner.warn = p.warn
	c.inner = &inner
	return c
}

// message handles one log event's message; rec numbers it in the item.
func (c *cwReader) message(msg []byte, rec int64) error {
	msg = bytes.TrimSpace(msg)
	if len(msg) > 0 && msg[0] == '{' {
		c.inner.ctx = c.p.ctx
		return c.inner.ctRecord(msg, rec, rec)
	}
	c.tokens = splitFields(c.tokens, string(msg))
	n := len(c.tokens)
	l := c.custom
	switch {
	case l != nil && n+2 == len(l.names):
	case l == nil && cwLayouts[n] != nil && looksLikeHeaderlessFlow(c.tokens):
		l = cwLayouts[n]
	default:
		c.other++
		if c.firstOther == 0 {
			c.firstOther = rec
		}
		return nil
	}
	c.tokens = append(c.tokens, c.group, c.stream)
	e := c.p.flowEvent(l, c.tokens, rec)
	e.Raw = jsonString(msg)
	return c.p.send(e)
}

// finish reports the messages that were skipped.
func (c *cwReader) finish() {
	if c.other > 0 {
		c.p.warnf(c.firstOther, c.unit, "%d message(s) are neither VPC flow records (in the format given with --flow-format, or the default) nor CloudTrail records: skipped", c.other)
	}
}

// cloudWatchExport reads an export-task file: "<RFC 3339 time> <message>"
// per line. The log stream is the name of the file's folder.
func (p *parser) cloudWatchExport(r io.Reader) error {
	c := p.newCWReader("line")
	name := strings.ReplaceAll(p.opts.Name, "\\", "/")
	if dir := path.Dir(name); dir != "." && dir != "/" {
		c.stream = path.Base(dir)
	}
	err := p.eachLine(r, func(n int64, b []byte) error {
		i := bytes.IndexByte(b, ' ')
		if i < 0 {
			p.warnf(n, "line", "no \"<time> <message>\": skipped")
			return nil
		}
		if _, ok := parseISOTime(string(b[:i])); !ok {
			p.warnf(n, "line", "%s is not an RFC 3339 time: skipped", quoteShort(string(b[:i])))
			return nil
		}
		return c.message(b[i+1:], n)
	})
	c.finish()
	return err
}

// cwPayload is one subscription delivery.
type cwPayload struct {
	MessageType string `json:"messageType"`
	Owner       string `json:"owner"`
	LogGroup    string `json:"logGroup"`
	LogStream   string `json:"logStream"`
	LogEvents   []struct {
		ID        string `json:"id"`
		Timestamp int64  `json:"timestamp"`
		Message   string `json:"message"`
	} `json:"logEvents"`
}

// cloudWatchSubscription reads subscription payloads as Firehose writes
// them: JSON objects back to back (or one per line), each possibly still
// gzip-compressed. CONTROL_MESSAGE payloads carry no log data.
func (p *parser) cloudWatchSubscription(r io.Reader) error {
	br, ok := r.(interface {
		io.Reader
		Peek(int) ([]byte, error)
	})
	if !ok {
		br = newLineReader(r).br
	}
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return p.errorf("gzip: %w", err)
		}
		r = zr // all members: one per payload
	} else {
		r = br
	}
	c := p.newCWReader("log event")
	var rec int64
	var pl cwPayload
	err := p.eachJSONObject(r, "payload", func(raw []byte, n, line int64) error {
		pl = cwPayload{}
		if !ctUnmarshal(raw, &pl) {
			// encoding/json gives the precise warning.
			pl = cwPayload{}
			if err := json.Unmarshal(raw, &pl); err != nil {
				p.warnf(n, "payload", "line %d: %v: skipped", line, err)
				return nil
			}
		}
		if pl.MessageType == "CONTROL_MESSAGE" {
			return nil
		}
		if pl.MessageType != "DATA_MESSAGE" && pl.LogEvents == nil {
			p.warnf(n, "payload", "line %d: not a CloudWatch Logs subscription payload (no messageType or logEvents): skipped", line)
			return nil
		}
		c.group, c.stream = pl.LogGroup, pl.LogStream
		for i := range pl.LogEvents {
			rec++
			if err := c.message([]byte(pl.LogEvents[i].Message), rec); err != nil {
				return err
			}
		}
		return nil
	})
	c.finish()
	return err
}
