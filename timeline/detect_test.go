package timeline

import (
	"encoding/json"
	"testing"

	"github.com/trailcase/trailcase/evidence"
)

func json_valid(b []byte) bool { return json.Valid(b) }

func TestDetect(t *testing.T) {
	tests := []struct {
		name, file, head, want string
	}{
		{"records", "x.json", `{"Records":[{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z"}]}`, evidence.KindCloudTrail},
		{"records pretty", "x.json", "\n  {\n \"Records\" : [ ] }", evidence.KindCloudTrail},
		{"insight records", "x.json", `{"Records":[{"eventVersion":"1.07","eventType":"AwsCloudTrailInsight"}]}`, evidence.KindCloudTrailInsight},
		{"insight by name", "1/CloudTrail-Insight/us-east-1/2024/01/01/x.json", `{"Records":[]}`, evidence.KindCloudTrailInsight},
		{"digest", "d.json", `{"awsAccountId":"1","digestStartTime":"2024-01-01T00:00:00Z","logFiles":[]}`, evidence.KindCloudTrailDigest},
		{"digest late keys", "d.json", `{"awsAccountId":"1","x":{"a":[1]},"digestEndTime":"t","logFiles":[]}`, evidence.KindCloudTrailDigest},
		{"events export", "e.json", `{"Events":[{"EventId":"1","CloudTrailEvent":"{}"}]}`, evidence.KindCloudTrail},
		{"event history line", "e.jsonl", `{"EventId":"1","CloudTrailEvent":"{}"}` + "\n", evidence.KindCloudTrail},
		{"record per line", "r.log", `{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z","eventName":"X"}`, evidence.KindCloudTrail},
		{"bare array", "a.json", `[{"eventID":"1"}]`, evidence.KindCloudTrail},
		{"truncated head", "x.json", `{"Records":[{"eventVersion":"1.0`, evidence.KindCloudTrail},
		{"other json", "x.json", `{"hello":"world"}`, evidence.KindUnknown},
		{"broken json", "x.json", `{"hello"`, evidence.KindUnknown},
		{"alb", "a.log", albLine, evidence.KindELBALB},
		{"alb after control", "a.log", "Enable AccessLog for ELB: app/x/y at 2024-01-01T00:00:00.000Z\n" + albLine, evidence.KindELBALB},
		{"control only", "a.log", "Enable AccessLog for ELB: app/x/y at 2024-01-01T00:00:00.000Z\n", evidence.KindUnknown},
		{"test file", "AWSLogs/1/ELBAccessLogTestFile", "Enable AccessLog for ELB: x", evidence.KindUnknown},
		{"nlb", "n.log", `tls 2.0 2018-12-20T02:59:40 net/n/1 l 72.21.218.154:51341 172.100.100.185:443 5 2 98 246 -`, evidence.KindELBNLB},
		{"clb", "c.log", `2015-05-13T23:39:43.945958Z my-lb 192.168.131.39:2817 10.0.0.1:80 0.1 0.1 0.1 200 200 0 29 "GET http://x/ HTTP/1.1" "-" - -`, evidence.KindELBCLB},
		{"conn", "conn_log_x.log", `2024-10-04T17:05:15.514108Z 192.168.131.39 36280 443 TLSv1.2 X 4.036 "-" - - Success`, evidence.KindELBALBConn},
		{"flow header", "f.log", "version account-id interface-id srcaddr\n", evidence.KindVPCFlow},
		{"tgw header", "f.log", "version resource-type tgw-id srcaddr dstaddr\n", evidence.KindVPCFlow},
		{"flow headerless", "f.log", "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n", evidence.KindVPCFlow},
		{"flow headerless unknown account", "f.log", "2 unknown eni-1 - - - - - - - 1 2 - NODATA", evidence.KindVPCFlow},
		{"parquet", "f.parquet", "PAR1\x15\x04", evidence.KindVPCFlow},
		{"plain text", "notes.txt", "hello there\n", evidence.KindUnknown},
		{"empty", "x", "", evidence.KindUnknown},
		{"gzip left compressed", "x.gz", "\x1f\x8b\x08\x00", evidence.KindUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eq(t, "Detect", Detect(tt.file, []byte(tt.head)), tt.want)
		})
	}
}
