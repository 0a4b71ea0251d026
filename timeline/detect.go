package timeline

import (
	"bytes"
	"encoding/json"
	"path"
	"strings"

	"github.com/trailcase/trailcase/evidence"
)

// DetectHeadBytes is how much of a file's decompressed start Detect wants.
const DetectHeadBytes = 64 << 10

// Detect returns the evidence kind of a file from head, the first bytes
// (up to DetectHeadBytes) of its decompressed content. The name (path or
// S3 key) is only a hint: it tells Insights files apart, and recognises
// ELB test files. Content that matches no known format is evidence.KindUnknown.
func Detect(name string, head []byte) string {
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	if base == "ELBAccessLogTestFile" {
		return evidence.KindUnknown
	}
	if bytes.HasPrefix(head, []byte("PAR1")) {
		return evidence.KindVPCFlow
	}
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	c, ok := firstNonSpace(head)
	if !ok {
		return evidence.KindUnknown
	}
	if c == '{' || c == '[' {
		return detectJSON(name, head)
	}
	return detectText(name, head)
}

// detectJSON looks at the keys of the first JSON value.
func detectJSON(name string, head []byte) string {
	d := json.NewDecoder(bytes.NewReader(head))
	d.UseNumber()
	if c, _ := firstNonSpace(head); c == '[' {
		// A bare array of records.
		if tok, err := d.Token(); err != nil || tok != json.Delim('[') || !d.More() {
			return evidence.KindUnknown
		}
		return classifyRecordKeys(name, recordKeys(d))
	}
	keys := recordKeys(d)
	switch {
	case keys.has("Records"):
		if keys.insight || strings.Contains(name, "CloudTrail-Insight") {
			return evidence.KindCloudTrailInsight
		}
		return evidence.KindCloudTrail
	case keys.has("digestStartTime") || keys.has("logFiles") && keys.has("digestEndTime"):
		return evidence.KindCloudTrailDigest
	case keys.has("Events"), keys.has("CloudTrailEvent"):
		return evidence.KindCloudTrail
	case keys.has("configurationItems"):
		return evidence.KindConfig
	case keys.has("QueryResultRows") || keys.has("QueryStatus") && keys.has("QueryStatistics"):
		return evidence.KindCloudTrailLake
	case keys.has("Findings"):
		return evidence.KindGuardDuty
	}
	return classifyRecordKeys(name, keys)
}

func classifyRecordKeys(name string, keys keySet) string {
	switch {
	case keys.has("digestStartTime"):
		return evidence.KindCloudTrailDigest
	case keys.has("CloudTrailEvent"):
		return evidence.KindCloudTrail
	case keys.insight && keys.has("eventTime"):
		return evidence.KindCloudTrailInsight
	case keys.has("eventID") || keys.has("eventTime") && keys.has("eventName") || keys.has("eventVersion") && keys.has("eventTime"):
		return evidence.KindCloudTrail
	case keys.has("messageType") && (keys.has("logEvents") || keys.has("logGroup")):
		return evidence.KindCloudWatchSubscription
	case keys.has("schemaVersion") && keys.has("type") && keys.has("severity"):
		return evidence.KindGuardDuty
	}
	return evidence.KindUnknown
}

// keySet is what detection learned about the first JSON object.
type keySet struct {
	keys    []string
	insight bool // a record (top-level or the first in Records) is an Insights record
}

func (k keySet) has(name string) bool {
	for _, s := range k.keys {
		if s == name {
			return true
		}
	}
	return false
}

// recordKeys reads the keys of the object whose '{' is next in d (it reads
// the '{' itself), stopping quietly at the end of head. Inside "Records" it
// checks the first record for eventType AwsCloudTrailInsight.
func recordKeys(d *json.Decoder) keySet {
	var ks keySet
	tok, err := d.Token()
	if err != nil || tok != json.Delim('{') {
		return ks
	}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return ks
		}
		key, ok := tok.(string)
		if !ok {
			return ks
		}
		ks.keys = append(ks.keys, key)
		switch key {
		case "eventType", "eventCategory":
			tok, err := d.Token()
			if err != nil {
				return ks
			}
			if s, _ := tok.(string); s == "AwsCloudTrailInsight" || s == "Insight" {
				ks.insight = true
			}
			continue
		case "insightDetails":
			ks.insight = true
		case "Records":
			tok, err := d.Token()
			if err != nil {
				return ks
			}
			if tok == json.Delim('[') && d.More() {
				inner := recordKeys(d)
				ks.insight = inner.insight
			}
			return ks // enough is known
		}
		if !skipJSONValue(d) {
			return ks
		}
	}
	return ks
}

// skipJSONValue reads one value from d.
func skipJSONValue(d *json.Decoder) bool {
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth <= 0 {
			return true
		}
	}
}

// detectText classifies text logs by their first line that is not an ELB
// control line.
func detectText(name string, head []byte) string {
	var tok []elbToken
	var words []string
	for len(head) > 0 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		s := strings.TrimRight(string(line), "\r")
		if strings.TrimSpace(s) == "" || strings.HasPrefix(s, elbControlPrefix) {
			continue
		}
		words = splitFields(words, s)
		if isFlowHeader(words) {
			return evidence.KindVPCFlow
		}
		if isCTHistoryCSVHeader(s) {
			return evidence.KindCloudTrailCSV
		}
		if isCloudWatchExportLine(s, words) || len(words) > 1 && isISOZ(words[0]) && isExportObjectName(name) {
			return evidence.KindCloudWatchExport
		}
		tok = splitS3Access(tok, s)
		if looksLikeS3Access(tok) {
			return evidence.KindS3Access
		}
		tok = splitELB(tok, s)
		if k := classifyELB(tok); k != "" {
			return k
		}
		if len(words) > 1 && isISOZ(words[0]) {
			// A timestamped line that is no ELB log: a CloudWatch Logs
			// export of some other log group.
			return evidence.KindCloudWatchExport
		}
		if looksLikeHeaderlessFlow(words) {
			return evidence.KindVPCFlow
		}
		return evidence.KindUnknown
	}
	return evidence.KindUnknown
}

// looksLikeHeaderlessFlow reports a default-format (or all-fields) flow
// line: "<version> <account-id|unknown> <eni-…|-> …".
func looksLikeHeaderlessFlow(w []string) bool {
	if len(w) < 14 || !headerlessCounts[len(w)] {
		return false
	}
	if len(w[0]) != 1 || w[0][0] < '2' || w[0][0] > '9' {
		return false
	}
	if !isDigits(w[1]) && w[1] != "unknown" && w[1] != "-" {
		return false
	}
	return strings.HasPrefix(w[2], "eni-") || w[2] == "-"
}

// isCloudWatchExportLine reports an export-task line: an RFC 3339 time,
// then a flow record or a JSON record.
func isCloudWatchExportLine(s string, words []string) bool {
	if len(words) < 2 || !isISOZ(words[0]) {
		return false
	}
	if words[1][0] == '{' {
		return true
	}
	return looksLikeHeaderlessFlow(words[1:])
}

// isExportObjectName reports a name shaped like an export task's objects:
// "…/<task id>/<log stream>/000000.gz" (six digits, .gz optional).
func isExportObjectName(name string) bool {
	base := strings.TrimSuffix(path.Base(strings.ReplaceAll(name, "\\", "/")), ".gz")
	return len(base) == 6 && isDigits(base) && strings.Count(strings.ReplaceAll(name, "\\", "/"), "/") >= 2
}
