package timeline

import (
	"io"
	"strconv"
	"time"

	"github.com/trailcase/trailcase/evidence"
)

// SourceS3Access is the source of S3 server access log events.
const SourceS3Access = "s3access"

// s3AccessFields names the fields of an S3 server access log line, in
// order (the time, written "[06/Feb/2019:00:00:38 +0000]", is one field).
// AWS appends new fields; more are kept as field_<n>.
var s3AccessFields = []string{
	"bucket_owner", "bucket", "time", "remote_ip", "requester", "request_id", "operation", "key",
	"request_uri", "http_status", "error_code", "bytes_sent", "object_size", "total_time",
	"turn_around_time", "referer", "user_agent", "version_id", "host_id", "signature_version",
	"cipher_suite", "authentication_type", "host_header", "tls_version", "access_point_arn",
	"acl_required", "source_region",
}

// s3AccessMinFields is how many fields a line needs: up to the user agent.
const s3AccessMinFields = 17

// s3Access reads an S3 server access log.
func (p *parser) s3Access(r io.Reader) error {
	var tok []elbToken
	return p.eachLine(r, func(n int64, b []byte) error {
		s := string(b)
		tok = splitS3Access(tok, s)
		if len(tok) < s3AccessMinFields {
			p.warnf(n, "line", "%d fields, an S3 access log line has at least %d: skipped", len(tok), s3AccessMinFields)
			return nil
		}
		t, ok := parseS3Time(tok[2].v)
		if !ok {
			p.warnf(n, "line", "time %s is not an S3 access log time: skipped", quoteShort(tok[2].raw))
			return nil
		}
		e := &Event{
			Source:    SourceS3Access,
			Kind:      evidence.KindS3Access,
			Record:    n,
			Principal: dash(tok[4].v),
			SrcIP:     dash(tok[3].v),
			Action:    dash(tok[6].v),
			UserAgent: dash(tok[16].v),
			Outcome:   dash(tok[9].v),
			Raw:       jsonString(b),
		}
		p.setTime(&e.Time, t, n, "line", "time")
		e.Resources = s3Resources(dash(tok[1].v), dash(tok[7].v))
		if code := dash(tok[10].v); code != "" {
			e.Outcome += " " + code
		}
		if v := dash(tok[11].v); v != "" {
			e.Bytes, _ = atoi(v)
		}
		if e.SrcIP != "" && !isIP(e.SrcIP) {
			p.warnf(n, "line", "remote IP %s is not an IP address: kept as text", quoteShort(e.SrcIP))
		}
		if len(tok) > 24 {
			e.Region, e.Account = arnRegionAccount(dash(tok[24].v))
		}
		names := s3AccessFields
		if len(tok) > len(names) {
			names = s3AccessNames(len(tok))
		}
		e.fieldNames = names[:len(tok)]
		e.fieldValues = make([]string, len(tok))
		for i := range tok {
			e.fieldValues[i] = tok[i].v
		}
		if !p.opts.NoFieldMap {
			e.Fields = make(map[string]string, len(tok))
			for i := range tok {
				e.Fields[names[i]] = tok[i].v
			}
		}
		return p.send(e)
	})
}

// s3AccessNames returns the field names of a line with n fields.
func s3AccessNames(n int) []string {
	names := append([]string(nil), s3AccessFields...)
	for i := len(names); i < n; i++ {
		names = append(names, "field_"+strconv.Itoa(i+1))
	}
	return names
}

// splitS3Access tokenises a line as ELB lines are, then joins the two
// halves of the bracketed time.
func splitS3Access(dst []elbToken, s string) []elbToken {
	dst = splitELB(dst, s)
	if len(dst) > 3 && len(dst[2].v) > 0 && dst[2].v[0] == '[' && len(dst[3].v) > 0 && dst[3].v[len(dst[3].v)-1] == ']' {
		raw := dst[2].v + " " + dst[3].v
		dst[2] = elbToken{v: raw[1 : len(raw)-1], raw: raw}
		dst = append(dst[:3], dst[4:]...)
	}
	return dst
}

// parseS3Time reads "06/Feb/2019:00:00:38 +0000".
func parseS3Time(s string) (time.Time, bool) {
	t, err := time.Parse("02/Jan/2006:15:04:05 -0700", s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// looksLikeS3Access reports whether tokens (splitS3Access) are an S3
// server access log line.
func looksLikeS3Access(tok []elbToken) bool {
	if len(tok) < s3AccessMinFields || !tok[8].quoted || !tok[16].quoted {
		return false
	}
	if _, ok := parseS3Time(tok[2].v); !ok {
		return false
	}
	op := tok[6].v
	return len(op) > 5 && (op[:5] == "REST." || op[:5] == "SOAP." || op[:5] == "BATCH" || len(op) > 8 && op[:8] == "WEBSITE.")
}
