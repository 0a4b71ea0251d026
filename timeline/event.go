package timeline

import (
	"encoding/json"
	"time"
)

// Sources of events, as printed in the timeline's "source" column.
const (
	SourceCloudTrail = "cloudtrail"
	SourceVPCFlow    = "vpcflow"
	SourceELB        = "elb"
)

// Event is one normalised event: a CloudTrail record, a flow record or an
// ELB request. Field names in JSON are part of the product contract
// (time, source, evidence, principal, src_ip, dst_ip, action, outcome).
type Event struct {
	Time     time.Time `json:"time"`
	Source   string    `json:"source"`   // cloudtrail | vpcflow | elb | s3access | config | guardduty
	Kind     string    `json:"kind"`     // evidence kind, e.g. elb-alb, cloudtrail-insight
	Evidence uint64    `json:"evidence"` // evidence item id
	Record   int64     `json:"record"`   // 1-based line (text logs) or record index (JSON) within the item

	Account string `json:"account,omitempty"`
	Region  string `json:"region,omitempty"`

	// Principal is the acting identity as the most specific ARN (or name)
	// the record gives; PrincipalType is userIdentity.type.
	Principal     string `json:"principal,omitempty"`
	PrincipalType string `json:"principal_type,omitempty"`
	AccessKeyID   string `json:"access_key_id,omitempty"`
	UserName      string `json:"user_name,omitempty"`
	// Issuer is the role (or user) behind a session: sessionIssuer.arn.
	Issuer string `json:"issuer,omitempty"`
	// PrincipalID and IdentityARN are userIdentity.principalId and
	// userIdentity.arn as recorded (the ARN may differ from Principal).
	PrincipalID string `json:"principal_id,omitempty"`
	IdentityARN string `json:"identity_arn,omitempty"`

	SrcIP   string `json:"src_ip,omitempty"` // CloudTrail sourceIPAddress kept as given (may be a service name)
	SrcPort int    `json:"src_port,omitempty"`
	DstIP   string `json:"dst_ip,omitempty"`
	DstPort int    `json:"dst_port,omitempty"`
	// Extra addresses that also identify the event: flow pkt-srcaddr and
	// pkt-dstaddr, ELB target list.
	OtherIPs []string `json:"other_ips,omitempty"`

	Action  string `json:"action"`  // eventName, ACCEPT/REJECT, "GET https://x/ HTTP/1.1"
	Outcome string `json:"outcome"` // error code or "success"; HTTP status; flow action; log status

	EventID     string    `json:"event_id,omitempty"`     // CloudTrail eventID
	EventSource string    `json:"event_source,omitempty"` // CloudTrail eventSource
	UserAgent   string    `json:"user_agent,omitempty"`
	Protocol    string    `json:"protocol,omitempty"` // flow protocol name/number, ELB type
	Bytes       int64     `json:"bytes,omitempty"`
	Packets     int64     `json:"packets,omitempty"`
	End         time.Time `json:"end,omitzero"` // flow record end

	// Credentials issued by this event (AssumeRole & co): the new access
	// key id and the session ARN. Role chaining follows these.
	IssuedAccessKey string `json:"issued_access_key,omitempty"`
	IssuedSession   string `json:"issued_session,omitempty"`

	Annotations []string `json:"annotations,omitempty"`

	// Resources are what the event acted on: ARNs (CloudTrail resources[],
	// S3 buckets and objects as arn:aws:s3:::bucket[/key]) and the names
	// and ids a request gave (instance, role, user, function, secret,
	// snapshot, security group).
	Resources []string `json:"resources,omitempty"`

	// Fields holds the parsed fields of text formats by their documented
	// names (flow log header names, ELB field names); unknown flow fields
	// are kept under their header name.
	Fields map[string]string `json:"fields,omitempty"`
	// Raw is the record as found: the CloudTrail record JSON, or the log
	// line as a JSON string.
	Raw json.RawMessage `json:"raw,omitempty"`

	// fieldNames and fieldValues, when set by a parser, hold Fields in
	// the file's own order, so encoding needs no map walk or sort.
	fieldNames, fieldValues []string
}

// RawText returns a record's raw form as text: the JSON of a CloudTrail
// record, or the log line itself (Raw holds it as a JSON string).
func RawText(raw json.RawMessage) string {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	return string(raw)
}

// Field returns a text-log field (flow log header name, ELB field name)
// by name, from Fields or, when a parser left the map out
// (ParseOptions.NoFieldMap), from the ordered list.
func (e *Event) Field(name string) (string, bool) { return e.field(name) }

// FieldList returns the event's fields as the ordered list a parser or
// DecodeEventInto (DecodeOptions.FieldList) kept instead of Fields, or
// nil: names are unique. The slices are the event's own: a decode into
// the same event reuses them.
func (e *Event) FieldList() (names, values []string) {
	if e.Fields != nil || len(e.fieldNames) != len(e.fieldValues) {
		return nil, nil
	}
	return e.fieldNames, e.fieldValues
}

// field is Field.
func (e *Event) field(name string) (string, bool) {
	if v, ok := e.Fields[name]; ok {
		return v, true
	}
	if e.Fields == nil {
		for i, n := range e.fieldNames {
			if n == name && i < len(e.fieldValues) {
				return e.fieldValues[i], true
			}
		}
	}
	return "", false
}
