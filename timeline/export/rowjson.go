package export

import (
	"bytes"
	"strconv"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/trailcase/trailcase/timeline"
)

// jsonlScratch writes Rows as JSON Lines: the bytes of timeline's JSON
// Lines encoder (encoding/json, HTML not escaped) without its reflection.
// TestExportsMatchPlainRows* and FuzzExportRow hold the two to the same
// output.
type jsonlScratch struct {
	orders fieldOrders
	c      bytes.Buffer
}

// appendRow appends r as one JSON object and a newline.
func (sc *jsonlScratch) appendRow(b []byte, r *Row) ([]byte, error) {
	b = append(b, `{"schema_version":`...)
	b = strconv.AppendInt(b, int64(r.SchemaVersion), 10)
	var err error
	if b, err = appendTime(append(b, `,"time":`...), r.Time); err != nil {
		return b, err
	}
	b = append(b, `,"end_time":`...)
	if r.EndTime == nil {
		b = append(b, "null"...)
	} else if b, err = appendTime(b, *r.EndTime); err != nil {
		return b, err
	}
	b = sc.str(b, `,"source":`, r.Source)
	b = sc.str(b, `,"kind":`, r.Kind)
	b = strconv.AppendUint(append(b, `,"evidence":`...), r.Evidence, 10)
	b = strconv.AppendInt(append(b, `,"record":`...), r.Record, 10)
	b = sc.str(b, `,"evidence_sha256":`, r.EvidenceSHA256)
	b = sc.str(b, `,"evidence_source":`, r.EvidenceSource)
	b = sc.str(b, `,"evidence_path":`, r.EvidencePath)
	b = sc.str(b, `,"account":`, r.Account)
	b = sc.str(b, `,"region":`, r.Region)
	b = sc.str(b, `,"principal":`, r.Principal)
	b = sc.str(b, `,"principal_type":`, r.PrincipalType)
	b = sc.str(b, `,"access_key_id":`, r.AccessKeyID)
	b = sc.str(b, `,"user_name":`, r.UserName)
	b = sc.str(b, `,"issuer":`, r.Issuer)
	b = sc.str(b, `,"principal_id":`, r.PrincipalID)
	b = sc.str(b, `,"identity_arn":`, r.IdentityARN)
	b = sc.str(b, `,"src_ip":`, r.SrcIP)
	b = strconv.AppendInt(append(b, `,"src_port":`...), int64(r.SrcPort), 10)
	b = sc.str(b, `,"dst_ip":`, r.DstIP)
	b = strconv.AppendInt(append(b, `,"dst_port":`...), int64(r.DstPort), 10)
	b = timeline.AppendJSONStrings(append(b, `,"other_ips":`...), r.OtherIPs, false)
	b = sc.str(b, `,"action":`, r.Action)
	b = sc.str(b, `,"outcome":`, r.Outcome)
	b = sc.str(b, `,"event_id":`, r.EventID)
	b = sc.str(b, `,"event_source":`, r.EventSource)
	b = sc.str(b, `,"user_agent":`, r.UserAgent)
	b = sc.str(b, `,"protocol":`, r.Protocol)
	b = strconv.AppendInt(append(b, `,"bytes":`...), r.Bytes, 10)
	b = strconv.AppendInt(append(b, `,"packets":`...), r.Packets, 10)
	b = sc.str(b, `,"issued_access_key":`, r.IssuedAccessKey)
	b = sc.str(b, `,"issued_session":`, r.IssuedSession)
	b = timeline.AppendJSONStrings(append(b, `,"annotations":`...), r.Annotations, false)
	b = append(b, `,"fields":`...)
	if r.Fields == nil && len(r.fieldNames) == 0 {
		b = append(b, "null"...)
	} else {
		b = sc.orders.appendRowFields(b, r, false)
	}
	b = append(b, `,"raw":`...)
	switch {
	case r.Raw == nil:
		b = append(b, "null"...)
	case func() bool { _, _, ok := simpleJSONString(r.Raw); return ok }():
		b = append(b, r.Raw...) // a JSON string: nothing to compact
	default:
		sc.c.Reset()
		if err := gojson.Compact(&sc.c, r.Raw); err != nil { // encoding/json's bytes (timeline's FuzzRawCompact)
			return b, err
		}
		b = append(b, sc.c.Bytes()...)
	}
	b = timeline.AppendJSONStrings(append(b, `,"resources":`...), r.Resources, false)
	return append(b, "}\n"...), nil
}

func (sc *jsonlScratch) str(b []byte, name, v string) []byte {
	return timeline.AppendJSONString(append(b, name...), v, false)
}

// appendTime appends t as time.Time's MarshalJSON does.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	j, err := t.MarshalJSON()
	if err != nil {
		return b, err
	}
	return append(b, j...), nil
}
