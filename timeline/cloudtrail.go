package timeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	gojson "github.com/goccy/go-json"

	"github.com/trailcase/trailcase/evidence"
)

// cloudTrail reads every shape of CloudTrail JSON: {"Records":[…]} files,
// one record per line, event-history exports ({"Events":[…]} or one
// LookupEvents entry per line, whose CloudTrailEvent string holds the
// record), a bare array of records, and concatenations of these.
func (p *parser) cloudTrail(r io.Reader) error {
	s := newJSONScanner(r)
	defer s.release()
	var rec int64
	first := true
	var lastErr error
	for {
		c, err := s.peekNonSpace()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return p.errorf("read: %w", err)
		}
		if first && c == 0xEF { // UTF-8 byte order mark
			s.consume(1)
			if c2, err := s.peekNonSpace(); err == nil && c2 == 0xBB {
				s.consume(1)
				if c3, err := s.peekNonSpace(); err == nil && c3 == 0xBF {
					s.consume(1)
				}
			}
			continue
		}
		line := s.line + 1
		switch c {
		case '{':
			err = p.ctTopObject(s, &rec)
		case '[':
			err = p.ctArray(s, &rec)
		default:
			if first {
				return p.errorf("not JSON: starts with %q", c)
			}
			p.warnf(line, "line", "not JSON (starts with %q): line skipped", c)
			if err := s.skipLine(); err != nil && !errors.Is(err, io.EOF) {
				return p.errorf("read: %w", err)
			}
			continue
		}
		first = false
		if err == nil {
			continue
		}
		var se *syntaxError
		if !errors.As(err, &se) {
			return err // emit failed, context cancelled or read error
		}
		lastErr = se
		if errors.Is(err, errWrapperBroken) || strings.Contains(se.msg, errTruncated.Error()) {
			p.warnf(0, "", "invalid JSON at %v: rest of file skipped", se)
			break
		}
		p.warnf(se.line, "line", "invalid JSON at byte %d: %s: line skipped", se.offset, se.msg)
		if err := s.skipLine(); err != nil && !errors.Is(err, io.EOF) {
			return p.errorf("read: %w", err)
		}
	}
	if rec == 0 && lastErr != nil {
		return p.errorf("no CloudTrail record could be read: %w", lastErr)
	}
	return nil
}

// errWrapperBroken marks a syntax error inside a {"Records":[…]} array,
// after which the file cannot be followed reliably.
var errWrapperBroken = errors.New("broken record array")

type wrapperError struct{ *syntaxError }

func (w wrapperError) Unwrap() []error { return []error{w.syntaxError, errWrapperBroken} }

// ctTopObject reads one top-level object: either a wrapper holding
// "Records" or "Events", or a single record.
func (p *parser) ctTopObject(s *jsonScanner, rec *int64) error {
	startLine := s.line + 1
	s.startCapture()
	s.consume(1)
	wrapper := false
	var key []byte
	for {
		c, err := s.peekNonSpace()
		if err != nil {
			return s.eof(err)
		}
		if c == '}' {
			s.consume(1)
			break
		}
		if c != '"' {
			return s.fail("expected a key, found %q", c)
		}
		key = key[:0]
		if err := s.skipString(&key); err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		c, err = s.peekNonSpace()
		if err != nil {
			return s.eof(err)
		}
		if c == '[' && (string(key) == "Records" || string(key) == "Events") {
			wrapper = true
			s.stopCapture()
			if err := p.ctArray(s, rec); err != nil {
				var se *syntaxError
				if errors.As(err, &se) {
					return wrapperError{se}
				}
				return err
			}
		} else if err := s.skipValue(); err != nil {
			return err
		}
		c, err = s.peekNonSpace()
		if err != nil {
			return s.eof(err)
		}
		if c == ',' {
			s.consume(1)
			continue
		}
		if c == '}' {
			s.consume(1)
			break
		}
		return s.fail("expected ',' or '}', found %q", c)
	}
	if wrapper {
		return nil
	}
	raw, over := s.stopCapture()
	*rec++
	if over {
		p.warnf(*rec, "record", "record (line %d) is larger than %d bytes: skipped", startLine, maxRecordBytes)
		return nil
	}
	return p.ctRecord(raw, *rec, startLine)
}

// ctArray reads an array of records whose '[' is next.
func (p *parser) ctArray(s *jsonScanner, rec *int64) error {
	s.consume(1)
	for {
		c, err := s.peekNonSpace()
		if err != nil {
			return s.eof(err)
		}
		if c == ']' {
			s.consume(1)
			return nil
		}
		line := s.line + 1
		*rec++
		if c == '{' {
			if err := p.ctObject(s, *rec, line); err != nil {
				return err
			}
		} else {
			if err := s.skipValue(); err != nil {
				return err
			}
			p.warnf(*rec, "record", "record (line %d) is not a JSON object: skipped", line)
		}
		if err := p.tick(); err != nil {
			return err
		}
		c, err = s.peekNonSpace()
		if err != nil {
			return s.eof(err)
		}
		switch c {
		case ',':
			s.consume(1)
		case ']':
			s.consume(1)
			return nil
		default:
			return s.fail("expected ',' or ']', found %q", c)
		}
	}
}

// ctRecord is what the timeline needs from a CloudTrail record. The rest
// stays in Raw.
type ctRecord struct {
	UserIdentity       *ctIdentity `json:"userIdentity"`
	EventTime          string      `json:"eventTime"`
	EventSource        string      `json:"eventSource"`
	EventName          string      `json:"eventName"`
	AWSRegion          string      `json:"awsRegion"`
	SourceIPAddress    string      `json:"sourceIPAddress"`
	UserAgent          string      `json:"userAgent"`
	ErrorCode          string      `json:"errorCode"`
	EventID            string      `json:"eventID"`
	EventType          string      `json:"eventType"`
	RecipientAccountID string      `json:"recipientAccountId"`
	InsightDetails     *ctInsight  `json:"insightDetails"`
	// What the call acted on (resources.go).
	ctAffected

	// Event history (LookupEvents) entries carry the record as a string.
	CloudTrailEvent *string `json:"CloudTrailEvent"`
	// Digest files are not event files.
	DigestStartTime json.RawMessage `json:"digestStartTime"`
}

type ctIdentity struct {
	Type             string `json:"type"`
	PrincipalID      string `json:"principalId"`
	ARN              string `json:"arn"`
	AccountID        string `json:"accountId"`
	AccessKeyID      string `json:"accessKeyId"`
	UserName         string `json:"userName"`
	InvokedBy        string `json:"invokedBy"`
	IdentityProvider string `json:"identityProvider"`
	OnBehalfOf       *struct {
		UserID string `json:"userId"`
	} `json:"onBehalfOf"`
	SessionContext *struct {
		SessionIssuer *struct {
			ARN      string `json:"arn"`
			UserName string `json:"userName"`
		} `json:"sessionIssuer"`
	} `json:"sessionContext"`
}

type ctInsight struct {
	State       string `json:"state"`
	EventSource string `json:"eventSource"`
	EventName   string `json:"eventName"`
	InsightType string `json:"insightType"`
}

// ctDetail holds the request and response values a few event names need.
// It is decoded only for those names.
type ctDetail struct {
	RequestParameters struct {
		EnableLogFileValidation *flexBool    `json:"enableLogFileValidation"`
		Attributes              ctAttributes `json:"attributes"`
		LoadBalancerAttributes  *struct {
			AccessLog *struct {
				Enabled *flexBool `json:"enabled"`
			} `json:"accessLog"`
		} `json:"loadBalancerAttributes"`
		BucketName string `json:"bucketName"`
		Name       string `json:"name"`
		Key        string `json:"key"`
	} `json:"requestParameters"`
	ResponseElements struct {
		Credentials *struct {
			AccessKeyID string `json:"accessKeyId"`
		} `json:"credentials"`
		AssumedRoleUser *struct {
			ARN string `json:"arn"`
		} `json:"assumedRoleUser"`
		FederatedUser *struct {
			ARN string `json:"arn"`
		} `json:"federatedUser"`
		ConsoleLogin string `json:"ConsoleLogin"`
	} `json:"responseElements"`
}

// ctAttribute is one load balancer attribute.
type ctAttribute struct {
	Key   string   `json:"key"`
	Value flexBool `json:"value"`
}

// ctAttributes is decoded by encoding/json whichever decoder reads the
// record, so that a repeated "attributes" key gives what encoding/json
// gives: after an empty array, goccy/go-json keeps elements of an earlier
// one that encoding/json drops.
type ctAttributes []ctAttribute

func (a *ctAttributes) UnmarshalJSON(d []byte) error {
	return json.Unmarshal(d, (*[]ctAttribute)(a))
}

// flexBool accepts true/false as JSON booleans or strings.
type flexBool struct{ set, val bool }

func (b *flexBool) UnmarshalJSON(d []byte) error {
	switch strings.ToLower(strings.Trim(string(d), `"`)) {
	case "true":
		*b = flexBool{true, true}
	case "false":
		*b = flexBool{true, false}
	}
	return nil
}

// isFalse reports an explicit false.
func (b *flexBool) isFalse() bool { return b != nil && b.set && !b.val }

// credentialEvents issue credentials: their responseElements name the new
// access key and session.
var credentialEvents = map[string]bool{
	"AssumeRole": true, "AssumeRoleWithSAML": true, "AssumeRoleWithWebIdentity": true,
	"GetSessionToken": true, "GetFederationToken": true, "AssumeRoot": true,
}

// detailEvents need ctDetail decoded.
var detailEvents = map[string]bool{
	"ConsoleLogin": true, "UpdateTrail": true, "ModifyLoadBalancerAttributes": true,
	"PutBucketLifecycle": true, "PutBucketLifecycleConfiguration": true,
	"DeleteBucket": true, "DeleteObject": true, "DeleteObjects": true,
	"DeleteBucketLifecycle": true,
}

// ctObject reads the record object at the scanner's position: the scanner
// finds where it ends (tolerating malformed JSON inside it), and the record
// is decoded.
func (p *parser) ctObject(s *jsonScanner, rec, line int64) error {
	s.startCapture()
	err := s.skipNested()
	raw, over := s.stopCapture()
	if err != nil {
		return err
	}
	if over {
		p.warnf(rec, "record", "record (line %d) is larger than %d bytes: skipped", line, maxRecordBytes)
		return nil
	}
	return p.ctRecord(raw, rec, line)
}

// ctUnmarshal decodes a record, or its details, with goccy/go-json, which
// fills the same values as encoding/json in a fraction of its time
// (docs/PERFORMANCE.md). It reports false on any error (and on a panic inside
// the library); the caller then decodes again with encoding/json, which
// gives the precise warning and keeps the fields that did decode.
func ctUnmarshal(raw []byte, v any) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return gojson.Unmarshal(raw, v) == nil
}

// ctRecord turns one record's JSON into an event.
func (p *parser) ctRecord(raw []byte, rec, line int64) error {
	var r ctRecord
	if !p.ctDecode(raw, &r, rec, line) {
		return nil
	}
	return p.ctEvent(raw, r, rec, line)
}

// ctEvent turns one decoded record into an event.
func (p *parser) ctEvent(raw []byte, r ctRecord, rec, line int64) error {
	var listed []string // an event-history entry's own list of resources
	if r.CloudTrailEvent != nil {
		inner := []byte(*r.CloudTrailEvent)
		listed = lookupResources(raw)
		r = ctRecord{}
		if !p.ctDecode(inner, &r, rec, line) {
			return nil
		}
		raw = inner
	} else if !p.opts.BorrowRaw {
		raw = bytes.Clone(raw)
	}
	if r.DigestStartTime != nil {
		return nil // a digest: not an event
	}
	if r.EventTime == "" && r.EventName == "" && r.EventID == "" && r.InsightDetails == nil {
		p.warnf(rec, "record", "line %d: not a CloudTrail record (no eventTime, eventName or eventID): skipped", line)
		return nil
	}
	e := &Event{
		Source:      SourceCloudTrail,
		Kind:        evidence.KindCloudTrail,
		Record:      rec,
		Region:      r.AWSRegion,
		Account:     r.RecipientAccountID,
		SrcIP:       r.SourceIPAddress,
		Action:      r.EventName,
		EventSource: r.EventSource,
		EventID:     r.EventID,
		UserAgent:   r.UserAgent,
		Outcome:     "success",
		Raw:         raw,
	}
	if r.ErrorCode != "" {
		e.Outcome = r.ErrorCode
	}
	e.Resources = r.ctAffected.list()
	for _, s := range listed {
		e.Resources = addResource(e.Resources, s)
	}
	if t, ok := parseISOTime(r.EventTime); ok {
		p.setTime(&e.Time, t, rec, "record", fmt.Sprintf("line %d: eventTime", line))
	} else {
		p.warnf(rec, "record", "line %d: eventTime %s is not a time: event kept without a time", line, quoteShort(r.EventTime))
	}
	if id := r.UserIdentity; id != nil {
		fillIdentity(e, id)
	}
	if r.InsightDetails != nil || r.EventType == "AwsCloudTrailInsight" {
		e.Kind = evidence.KindCloudTrailInsight
		if d := r.InsightDetails; d != nil {
			e.Action = d.EventName
			e.EventSource = d.EventSource
			e.Outcome = strings.TrimSpace("insight " + d.State)
			e.Annotations = append(e.Annotations, fmt.Sprintf("insight: %s %s for %s %s", d.InsightType, d.State, d.EventSource, d.EventName))
		}
	}
	if detailEvents[r.EventName] || credentialEvents[r.EventName] {
		var d ctDetail
		// Type mismatches leave the fields that did decode; the record
		// itself already decoded, so syntax is fine.
		if !ctUnmarshal(raw, &d) {
			d = ctDetail{}
			_ = json.Unmarshal(raw, &d)
		}
		if credentialEvents[r.EventName] {
			if c := d.ResponseElements.Credentials; c != nil {
				e.IssuedAccessKey = c.AccessKeyID
			}
			if u := d.ResponseElements.AssumedRoleUser; u != nil {
				e.IssuedSession = u.ARN
			} else if u := d.ResponseElements.FederatedUser; u != nil {
				e.IssuedSession = u.ARN
			}
		}
		if r.EventName == "ConsoleLogin" && r.ErrorCode == "" && strings.EqualFold(d.ResponseElements.ConsoleLogin, "Failure") {
			e.Outcome = "Failure"
		}
		if a := antiForensics(&r, &d, raw); a != "" {
			e.Annotations = append(e.Annotations, a)
		}
	} else if a := antiForensics(&r, nil, raw); a != "" {
		e.Annotations = append(e.Annotations, a)
	}
	return p.send(e)
}

// ctDecode unmarshals raw into r, reporting problems. A type mismatch in
// one field keeps the record (the other fields are filled).
func (p *parser) ctDecode(raw []byte, r *ctRecord, rec, line int64) bool {
	if ctUnmarshal(raw, r) {
		return true
	}
	*r = ctRecord{}
	err := json.Unmarshal(raw, r)
	if err == nil {
		return true
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off := min(max(se.Offset-1, 0), int64(len(raw))) // Offset is just past the bad byte
		at := line + int64(bytes.Count(raw[:off], []byte{'\n'}))
		p.warnf(rec, "record", "invalid JSON at line %d: %v: record skipped", at, err)
		return false
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		p.warnf(rec, "record", "line %d: %v: field left empty", line, err)
		return true
	}
	p.warnf(rec, "record", "line %d: %v: record skipped", line, err)
	return false
}

// fillIdentity sets the principal fields from userIdentity (FORMATS.md §2).
func fillIdentity(e *Event, id *ctIdentity) {
	e.PrincipalType = id.Type
	e.AccessKeyID = id.AccessKeyID
	e.UserName = id.UserName
	e.PrincipalID = id.PrincipalID
	e.IdentityARN = id.ARN
	if e.Account == "" {
		e.Account = id.AccountID
	}
	if sc := id.SessionContext; sc != nil && sc.SessionIssuer != nil {
		e.Issuer = sc.SessionIssuer.ARN
	}
	switch id.Type {
	case "Root", "IAMUser", "AssumedRole", "FederatedUser":
		e.Principal = id.ARN
	case "AWSService":
		e.Principal = id.InvokedBy
	case "AWSAccount":
		switch {
		case id.AccountID != "" && id.PrincipalID != "":
			e.Principal = id.AccountID + ":" + id.PrincipalID
		case id.PrincipalID != "":
			e.Principal = id.PrincipalID
		default:
			e.Principal = id.AccountID
		}
	case "SAMLUser", "WebIdentityUser":
		if id.IdentityProvider != "" && id.UserName != "" {
			e.Principal = id.IdentityProvider + ":" + id.UserName
		} else {
			e.Principal = id.UserName
		}
	case "IdentityCenterUser":
		if id.OnBehalfOf != nil {
			e.Principal = id.OnBehalfOf.UserID
		}
	}
	if e.Principal == "" {
		for _, v := range []string{id.ARN, id.PrincipalID, id.UserName, id.InvokedBy, id.AccountID} {
			if v != "" {
				e.Principal = v
				break
			}
		}
	}
}

// AntiForensicsPrefix starts every annotation for an attempt to weaken
// logging or destroy logs.
const AntiForensicsPrefix = "anti-forensics: "

// antiForensics returns the anti-forensics annotation of a record, or "".
// d is nil for event names that need no request details.
func antiForensics(r *ctRecord, d *ctDetail, raw []byte) string {
	var what string
	switch r.EventName {
	case "StopLogging":
		what = "StopLogging stopped a trail's logging"
	case "DeleteTrail":
		what = "DeleteTrail deleted a trail"
	case "PutEventSelectors", "PutInsightSelectors":
		what = r.EventName + " changed what a trail records (may stop logging of some events)"
	case "DeleteFlowLogs":
		what = "DeleteFlowLogs deleted VPC flow logs"
	case "DeleteLogGroup", "DeleteLogStream":
		what = r.EventName + " deleted CloudWatch logs"
	case "UpdateTrail":
		if d != nil && d.RequestParameters.EnableLogFileValidation.isFalse() {
			what = "UpdateTrail turned log file validation off"
		}
	case "ModifyLoadBalancerAttributes":
		if d == nil {
			break
		}
		for _, a := range d.RequestParameters.Attributes {
			if a.Key == "access_logs.s3.enabled" && a.Value.set && !a.Value.val {
				what = "ModifyLoadBalancerAttributes turned load balancer access logs off"
			}
		}
		if la := d.RequestParameters.LoadBalancerAttributes; la != nil && la.AccessLog != nil && la.AccessLog.Enabled.isFalse() {
			what = "ModifyLoadBalancerAttributes turned load balancer access logs off"
		}
	case "PutBucketLifecycle", "PutBucketLifecycleConfiguration", "DeleteBucketLifecycle", "DeleteBucket", "DeleteObject", "DeleteObjects":
		if d == nil {
			break
		}
		b := d.RequestParameters.BucketName
		if looksLikeLogBucket(b) || bytes.Contains(raw, []byte("AWSLogs/")) {
			what = fmt.Sprintf("%s on log bucket %q", r.EventName, b)
		}
	}
	if what == "" {
		return ""
	}
	switch {
	case r.ErrorCode == "":
		return AntiForensicsPrefix + what + " (succeeded)"
	case strings.Contains(r.ErrorCode, "AccessDenied") || strings.Contains(r.ErrorCode, "Unauthorized"):
		return AntiForensicsPrefix + what + " (denied: " + r.ErrorCode + ")"
	default:
		return AntiForensicsPrefix + what + " (failed: " + r.ErrorCode + ")"
	}
}

// looksLikeLogBucket guesses from its name whether a bucket holds logs.
func looksLikeLogBucket(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"log", "trail", "audit", "flow", "elb", "siem"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}
