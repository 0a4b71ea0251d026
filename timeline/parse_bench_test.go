package timeline

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/trailcase/trailcase/evidence"
)

// benchCloudTrail builds a {"Records":[…]} file of n varied records.
func benchCloudTrail(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"Records":[`)
	names := []string{"DescribeInstances", "AssumeRole", "GetObject", "ConsoleLogin", "PutObject", "ListBuckets"}
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		name := names[i%len(names)]
		fmt.Fprintf(&b, `{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:session-%d","arn":"arn:aws:sts::123456789012:assumed-role/app/session-%d","accountId":"123456789012","accessKeyId":"ASIAEXAMPLE%08d","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::123456789012:role/app","accountId":"123456789012","userName":"app"},"attributes":{"creationDate":"2024-05-01T09:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"2024-05-01T10:%02d:%02dZ","eventSource":"ec2.amazonaws.com","eventName":"%s","awsRegion":"eu-west-1","sourceIPAddress":"198.51.%d.%d","userAgent":"aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64","requestParameters":{"instancesSet":{"items":[{"instanceId":"i-0123456789abcdef0"}]},"filterSet":{}},"responseElements":%s,"requestID":"%08d-1111-2222-3333-444455556666","eventID":"%08d-aaaa-bbbb-cccc-ddddeeeeffff","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"ec2.eu-west-1.amazonaws.com"}}`,
			i, i, i, (i/60)%60, i%60, name, (i/256)%256, i%256,
			map[bool]string{true: `{"credentials":{"accessKeyId":"ASIANEW","sessionToken":"x","expiration":"Jan 1, 2025"},"assumedRoleUser":{"arn":"arn:aws:sts::123456789012:assumed-role/x/y","assumedRoleId":"AROA:y"}}`, false: "null"}[name == "AssumeRole"],
			i, i)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

func benchVPC(n int) []byte {
	var b bytes.Buffer
	b.WriteString("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "2 123456789012 eni-0123456789abcdef0 10.0.%d.%d 203.0.113.%d %d 443 6 %d %d %d %d %s OK\n",
			(i/256)%256, i%256, i%256, 32768+i%20000, 1+i%50, 100+i%9000, 1700000000+i, 1700000060+i, []string{"ACCEPT", "REJECT"}[i%2])
	}
	return b.Bytes()
}

func benchALB(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `https 2024-05-01T10:00:%02d.123456Z app/web/50dc6c495c0c9188 203.0.%d.%d:%d 10.0.1.%d:8080 0.001 0.020 0.000 200 200 %d 3400 "GET https://shop.example.com:443/product/%d?ref=home HTTP/1.1" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "shop.example.com" "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2024-05-01T10:00:%02d.100000Z "forward" "-" "-" "10.0.1.%d:8080" "200" "-" "-" TID_%d`+"\n",
			i%60, (i/256)%256, i%256, 30000+i%30000, i%256, 100+i%900, i, i%60, i%256, i)
	}
	return b.Bytes()
}

// benchParse parses data (records events) b.N times. Besides the wall
// time it reports the process's CPU time (user + system, the garbage
// collector's workers included) per inflated byte: on a shared machine
// that is the figure to compare parsers by.
func benchParse(b *testing.B, kind string, data []byte, records int) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		n := 0
		err := Parse(context.Background(), kind, bytes.NewReader(data), ParseOptions{Name: "bench"},
			func(e *Event) error { n++; return nil }, func(w Warning) { b.Fatal(w.Message) })
		if err != nil || n != records {
			b.Fatalf("%d events, err %v", n, err)
		}
	}
	b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/float64(len(data)), "cpu-ns/B")
}

func BenchmarkParseCloudTrail(b *testing.B) {
	benchParse(b, evidence.KindCloudTrail, benchCloudTrail(10000), 10000)
}

// BenchmarkCloudTrailIndexing adds what indexing needs per event: terms,
// dedup key and content hash.
func BenchmarkCloudTrailIndexing(b *testing.B) {
	data := benchCloudTrail(10000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		err := Parse(context.Background(), evidence.KindCloudTrail, bytes.NewReader(data), ParseOptions{},
			func(e *Event) error { _ = e.Terms(); _ = e.DedupKey(); _ = e.ContentHash(); return nil }, nil)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/float64(len(data)), "cpu-ns/B")
}

func BenchmarkParseVPC(b *testing.B) {
	benchParse(b, evidence.KindVPCFlow, benchVPC(50000), 50000)
}

func BenchmarkParseALB(b *testing.B) {
	benchParse(b, evidence.KindELBALB, benchALB(20000), 20000)
}
