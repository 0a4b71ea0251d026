package timeline

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/trailcase/trailcase/evidence"
)

// csvColumns maps the console's event-history CSV headings (lower case)
// to what they hold.
var csvColumns = map[string]string{
	"cloudtrail event": "record", "cloudtrailevent": "record",
	"event id": "id", "event time": "time", "user name": "user", "event name": "name",
	"aws access key": "key", "event source": "source", "aws region": "region",
	"error code": "error", "source ip address": "ip",
	"resource type": "rtype", "resource name": "rname",
}

// isCTHistoryCSVHeader reports whether line is the heading line of an
// event-history CSV download.
func isCTHistoryCSVHeader(line string) bool {
	l := strings.ToLower(line)
	return strings.Contains(l, "event id") && strings.Contains(l, "event time") && strings.Contains(l, "event name")
}

// cloudTrailCSV reads the console's event-history CSV. When a row holds
// the record JSON (the "CloudTrail event" column) the record is read as
// any CloudTrail record; otherwise the event is built from the columns.
func (p *parser) cloudTrailCSV(r io.Reader) error {
	cr := csv.NewReader(newLineReader(r).br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return p.errorf("no CSV heading line: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if what, ok := csvColumns[h]; ok {
			col[what] = i
		}
	}
	if _, ok := col["record"]; !ok {
		if _, ok := col["id"]; !ok {
			return p.errorf("not a CloudTrail event-history CSV: no %q or %q column", "CloudTrail event", "Event ID")
		}
	}
	var n int64
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		n++
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				p.warnf(n, "row", "line %d: %v: skipped", pe.StartLine, pe.Err)
				continue
			}
			return p.errorf("read: %w", err)
		}
		if err := p.tick(); err != nil {
			return err
		}
		get := func(what string) string {
			if i, ok := col[what]; ok && i < len(row) {
				return strings.TrimSpace(row[i])
			}
			return ""
		}
		if rec := get("record"); rec != "" {
			if err := p.withResources(historyResources(get("rname")), func() error {
				return p.ctRecord([]byte(rec), n, int64(line))
			}); err != nil {
				return err
			}
			continue
		}
		if err := p.csvEvent(get, n, int64(line)); err != nil {
			return err
		}
	}
}

// csvEvent builds an event from the CSV columns alone.
func (p *parser) csvEvent(get func(string) string, n, line int64) error {
	e := &Event{
		Source: SourceCloudTrail, Kind: evidence.KindCloudTrail, Record: n,
		EventID: get("id"), Action: get("name"), UserName: get("user"), Principal: get("user"),
		AccessKeyID: get("key"), EventSource: get("source"), Region: get("region"),
		SrcIP: get("ip"), Outcome: "success", Resources: historyResources(get("rname")),
	}
	if c := get("error"); c != "" {
		e.Outcome = c
	}
	if t, ok := parseISOTime(get("time")); ok {
		p.setTime(&e.Time, t, n, "row", "Event time")
	} else {
		p.warnf(n, "row", "line %d: Event time %s is not a time: event kept without a time", line, quoteShort(get("time")))
	}
	e.Raw, _ = json.Marshal(map[string]string{
		"eventID": e.EventID, "eventTime": get("time"), "eventName": e.Action, "userName": e.UserName,
		"accessKeyId": e.AccessKeyID, "eventSource": e.EventSource, "awsRegion": e.Region,
		"errorCode": get("error"), "sourceIPAddress": e.SrcIP,
		"resourceType": get("rtype"), "resourceName": get("rname"),
	})
	return p.send(e)
}

// historyResources splits the "Resource name" cell of an event-history
// row: the console writes the names of an event's resources in one cell,
// separated by commas.
func historyResources(cell string) []string {
	var out []string
	for _, r := range strings.Split(cell, ",") {
		out = addResource(out, r)
	}
	return out
}

// lookupResources returns the names in the Resources list of an event
// history entry (LookupEvents, the console's JSON download):
// [{"ResourceType":…,"ResourceName":…}]. The record inside the entry
// does not always name them.
func lookupResources(entry []byte) []string {
	var v struct {
		Resources []struct {
			ResourceName ctName `json:"ResourceName"`
		} `json:"Resources"`
	}
	if json.Unmarshal(entry, &v) != nil {
		return nil
	}
	var out []string
	for _, r := range v.Resources {
		out = addResource(out, string(r.ResourceName))
	}
	return out
}

// withResources runs read with every event it sends also naming rs (the
// resources an event-history row lists beside its record).
func (p *parser) withResources(rs []string, read func() error) error {
	if len(rs) == 0 {
		return read()
	}
	emit := p.emit
	defer func() { p.emit = emit }()
	p.emit = func(e *Event) error {
		for _, r := range rs {
			e.Resources = addResource(e.Resources, r)
		}
		return emit(e)
	}
	return read()
}
