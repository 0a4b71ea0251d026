package sigma

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	gojson "github.com/goccy/go-json"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/timeline"
)

// kind is what a field lookup found.
type kind uint8

const (
	absent kind = iota // no such field
	null               // present, JSON null
	scalar             // a string, number or boolean, as text in value.s
	list               // a JSON array: value.list
	object             // a JSON object (matches nothing but exists and null)
)

// value is one field's value for one event. Scalars need no allocation.
type value struct {
	kind kind
	s    string
	list []any
}

// getter reads one field of the event in d.
type getter func(d *doc) value

// doc is the event being matched plus what was derived from it lazily:
// the decoded CloudTrail record, read at most once and only when a rule
// asks for a field trailcase does not keep on the event. Only the
// record's top level is split at first; a top-level member
// (requestParameters, responseElements…) is decoded when a rule first
// reads into it, so a rule that reads one member does not pay for the
// whole record.
type doc struct {
	e      *timeline.Event
	parsed bool
	top    map[string]json.RawMessage // nil: no record, or not a JSON object
	member map[string]any             // top-level members decoded so far
}

func (d *doc) reset(e *timeline.Event) {
	d.e, d.parsed, d.top = e, false, nil
	clear(d.member)
}

// rawPath reads a dotted path in the raw CloudTrail record. Arrays on the
// way are searched element by element (requestParameters.ipPermissions.
// items.ipRanges.items.cidrIp reaches every range of every permission).
func (d *doc) rawPath(path []string) value {
	if !d.parsed {
		d.parsed = true
		d.top = splitRecord(d.e.Raw)
	}
	if d.top == nil || len(path) == 0 {
		return value{}
	}
	v, ok := d.member[path[0]]
	if !ok {
		raw, ok := d.top[path[0]]
		if !ok {
			return value{}
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if dec.Decode(&v) != nil {
			return value{} // cannot happen: the record decoded
		}
		if d.member == nil {
			d.member = map[string]any{}
		}
		d.member[path[0]] = v
	}
	return walk(v, path[1:])
}

// splitRecord splits a record into its top-level members, or returns nil
// when it is not a JSON object. goccy/go-json splits it in a fraction of
// the time of encoding/json; on any error (or a panic inside the
// library) encoding/json decides, as it did alone: it takes the first
// JSON value and ignores what follows.
func splitRecord(raw []byte) map[string]json.RawMessage {
	if m, ok := splitFast(raw); ok {
		return m
	}
	var m map[string]json.RawMessage
	if json.NewDecoder(bytes.NewReader(raw)).Decode(&m) != nil {
		return nil
	}
	return m
}

func splitFast(raw []byte) (m map[string]json.RawMessage, ok bool) {
	defer func() {
		if recover() != nil {
			m, ok = nil, false
		}
	}()
	if gojson.Unmarshal(raw, &m) != nil || m == nil {
		return nil, false
	}
	return m, true
}

func walk(v any, path []string) value {
	for i, p := range path {
		switch x := v.(type) {
		case map[string]any:
			next, ok := x[p]
			if !ok {
				return value{}
			}
			v = next
		case []any:
			var out []any
			for _, el := range x {
				r := walk(el, path[i:])
				switch r.kind {
				case scalar:
					out = append(out, r.s)
				case list:
					out = append(out, r.list...)
				}
			}
			if out == nil {
				return value{}
			}
			return value{kind: list, list: out}
		default:
			return value{}
		}
	}
	return jsonValue(v)
}

// jsonValue converts a decoded JSON value.
func jsonValue(v any) value {
	switch x := v.(type) {
	case nil:
		return value{kind: null}
	case string:
		return value{kind: scalar, s: x}
	case json.Number:
		return value{kind: scalar, s: string(x)}
	case bool:
		return value{kind: scalar, s: strconv.FormatBool(x)}
	case []any:
		return value{kind: list, list: x}
	}
	return value{kind: object}
}

// scalarText is the text of a list element, ok false for nested
// objects, arrays and nulls.
func scalarText(v any) (string, bool) {
	r := jsonValue(v)
	return r.s, r.kind == scalar
}

// logsource says which events a rule applies to and how its field names
// are read.
type logsource struct {
	source string                   // timeline source, "" for every source
	field  func(name string) getter // nil getter: unknown field (matches as absent)
}

var (
	cloudTrailSource = &logsource{source: timeline.SourceCloudTrail, field: cloudTrailField}
	vpcFlowSource    = &logsource{source: timeline.SourceVPCFlow, field: textField(flowAliases)}
	elbSource        = &logsource{source: timeline.SourceELB, field: textField(elbAliases)}
	trailcaseSource  = &logsource{field: normalisedField}
)

// logsourceOf resolves a rule's logsource section.
func logsourceOf(l Logsource) *logsource {
	p, s := strings.ToLower(l.Product), strings.ToLower(l.Service)
	switch {
	case p == "aws" && s == "cloudtrail":
		return cloudTrailSource
	case p == "aws" && s == "vpcflow":
		return vpcFlowSource
	case p == "aws" && s == "elb":
		return elbSource
	case p == "trailcase" && s == "":
		return trailcaseSource
	case impliedEventSource(l) != "":
		return cloudTrailSource // awsservice.go
	}
	return nil
}

// ctFast are the CloudTrail paths the parser already copied onto the
// event: reading them needs no JSON decoding. An empty value falls back to
// the record, so "absent" and "empty" stay apart.
var ctFast = map[string]func(e *timeline.Event) string{
	"eventName":                func(e *timeline.Event) string { return e.Action },
	"eventSource":              func(e *timeline.Event) string { return e.EventSource },
	"eventID":                  func(e *timeline.Event) string { return e.EventID },
	"awsRegion":                func(e *timeline.Event) string { return e.Region },
	"sourceIPAddress":          func(e *timeline.Event) string { return e.SrcIP },
	"userAgent":                func(e *timeline.Event) string { return e.UserAgent },
	"userIdentity.type":        func(e *timeline.Event) string { return e.PrincipalType },
	"userIdentity.arn":         func(e *timeline.Event) string { return e.IdentityARN },
	"userIdentity.userName":    func(e *timeline.Event) string { return e.UserName },
	"userIdentity.accessKeyId": func(e *timeline.Event) string { return e.AccessKeyID },
	"userIdentity.principalId": func(e *timeline.Event) string { return e.PrincipalID },
	"userIdentity.sessionContext.sessionIssuer.arn": func(e *timeline.Event) string { return e.Issuer },
}

// cloudTrailField reads a dotted path into the CloudTrail record.
func cloudTrailField(name string) getter {
	path := strings.Split(name, ".")
	if name == "errorCode" {
		// Outcome is the error code, or "success" when there is none.
		return func(d *doc) value {
			if d.e.Outcome == "success" {
				return value{}
			}
			return d.rawPath(path)
		}
	}
	pick := ctFast[name]
	if pick == nil {
		return func(d *doc) value { return d.rawPath(path) }
	}
	return func(d *doc) value {
		if d.e.Kind != evidence.KindCloudTrailInsight {
			if s := pick(d.e); s != "" {
				return value{kind: scalar, s: s}
			}
		}
		return d.rawPath(path)
	}
}

// Field names trailcase adds to the flow log and ELB field names.
var (
	flowAliases = map[string]func(e *timeline.Event) string{}
	elbAliases  = map[string]func(e *timeline.Event) string{
		"client_ip":   func(e *timeline.Event) string { return e.SrcIP },
		"client_port": func(e *timeline.Event) string { return port(e.SrcPort) },
		"target_ip":   func(e *timeline.Event) string { return e.DstIP },
		"target_port": func(e *timeline.Event) string { return port(e.DstPort) },
	}
)

func port(p int) string {
	if p == 0 {
		return ""
	}
	return strconv.Itoa(p)
}

// textField reads a field of a text log (flow, ELB) by its documented
// name from Event.Fields.
func textField(aliases map[string]func(e *timeline.Event) string) func(string) getter {
	return func(name string) getter {
		if pick := aliases[name]; pick != nil {
			return func(d *doc) value { return present(pick(d.e)) }
		}
		return func(d *doc) value {
			v, ok := d.e.Field(name)
			if !ok || v == "-" {
				return value{}
			}
			return value{kind: scalar, s: v}
		}
	}
}

// present makes "" absent.
func present(s string) value {
	if s == "" {
		return value{}
	}
	return value{kind: scalar, s: s}
}

// normalised are trailcase's own field names (the timeline's JSON names),
// valid for every source.
var normalised = map[string]func(e *timeline.Event) string{
	"source":            func(e *timeline.Event) string { return e.Source },
	"kind":              func(e *timeline.Event) string { return e.Kind },
	"account":           func(e *timeline.Event) string { return e.Account },
	"region":            func(e *timeline.Event) string { return e.Region },
	"principal":         func(e *timeline.Event) string { return e.Principal },
	"principal_type":    func(e *timeline.Event) string { return e.PrincipalType },
	"access_key_id":     func(e *timeline.Event) string { return e.AccessKeyID },
	"user_name":         func(e *timeline.Event) string { return e.UserName },
	"issuer":            func(e *timeline.Event) string { return e.Issuer },
	"src_ip":            func(e *timeline.Event) string { return e.SrcIP },
	"src_port":          func(e *timeline.Event) string { return port(e.SrcPort) },
	"dst_ip":            func(e *timeline.Event) string { return e.DstIP },
	"dst_port":          func(e *timeline.Event) string { return port(e.DstPort) },
	"action":            func(e *timeline.Event) string { return e.Action },
	"outcome":           func(e *timeline.Event) string { return e.Outcome },
	"event_id":          func(e *timeline.Event) string { return e.EventID },
	"event_source":      func(e *timeline.Event) string { return e.EventSource },
	"user_agent":        func(e *timeline.Event) string { return e.UserAgent },
	"protocol":          func(e *timeline.Event) string { return e.Protocol },
	"issued_access_key": func(e *timeline.Event) string { return e.IssuedAccessKey },
	"issued_session":    func(e *timeline.Event) string { return e.IssuedSession },
	"time":              func(e *timeline.Event) string { return evidence.FormatTime(e.Time) },
	"bytes":             func(e *timeline.Event) string { return strconv.FormatInt(e.Bytes, 10) },
	"packets":           func(e *timeline.Event) string { return strconv.FormatInt(e.Packets, 10) },
}

func normalisedField(name string) getter {
	if name == "annotations" {
		return func(d *doc) value {
			if len(d.e.Annotations) == 0 {
				return value{}
			}
			l := make([]any, len(d.e.Annotations))
			for i, a := range d.e.Annotations {
				l[i] = a
			}
			return value{kind: list, list: l}
		}
	}
	if pick := normalised[name]; pick != nil {
		return func(d *doc) value { return present(pick(d.e)) }
	}
	return nil
}
