package sigma

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/timeline"
)

// benchRules are 60 CloudTrail rules in the style of public rule sets:
// mostly an event source and name, some with request parameters or
// identity fields, a few with wildcards and regular expressions.
func benchRules(b *testing.B) []*Rule {
	var sb strings.Builder
	names := []string{"StopLogging", "DeleteTrail", "CreateUser", "AttachUserPolicy", "PutBucketPolicy", "DeleteBucket", "CreateAccessKey", "ConsoleLogin", "RunInstances", "ModifySnapshotAttribute"}
	for i := range 60 {
		name := names[i%len(names)]
		fmt.Fprintf(&sb, "title: bench %d\nid: bench-%d\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName: %s%d\n", i, i, name, i/len(names))
		switch i % 6 {
		case 1:
			sb.WriteString("    requestParameters.bucketName|contains: secret\n")
		case 2:
			sb.WriteString("    userIdentity.type: Root\n")
		case 3:
			sb.WriteString("    userAgent|re: '^(aws-cli|Boto3)/'\n")
		case 4:
			sb.WriteString("    eventSource: '*.amazonaws.com'\n")
		}
		sb.WriteString("  filter:\n    sourceIPAddress|cidr: 10.0.0.0/8\n  condition: sel and not filter\n---\n")
	}
	rules, errs := Parse("bench.yml", []byte(sb.String()))
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	return rules
}

// testdataRules loads a rule file of testdata.
func testdataRules(b *testing.B, name string) []*Rule {
	data, err := os.ReadFile(name)
	if err != nil {
		b.Fatal(err)
	}
	rules, errs := Parse(name, data)
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	return rules
}

func benchEvents(b *testing.B) []*timeline.Event {
	names := []string{"GetObject", "PutObject", "DescribeInstances", "AssumeRole", "ListBuckets", "GetSecretValue", "Decrypt", "StopLogging"}
	var recs []string
	for i := range 1000 {
		recs = append(recs, fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROA:s","arn":"arn:aws:sts::123456789012:assumed-role/app/s","accountId":"123456789012","accessKeyId":"ASIA%04d"},"eventTime":"%s","eventSource":"s3.amazonaws.com","eventName":"%s","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.%d","userAgent":"aws-sdk-go-v2/1.0","requestParameters":{"bucketName":"data","key":"k%d"},"responseElements":null,"eventID":"e%d","eventType":"AwsApiCall","recipientAccountId":"123456789012"}`,
			i, time.Unix(1714557600+int64(i), 0).UTC().Format(time.RFC3339), names[i%len(names)], i%250, i, i))
	}
	var evs []*timeline.Event
	err := timeline.Parse(context.Background(), evidence.KindCloudTrail, strings.NewReader(`{"Records":[`+strings.Join(recs, ",")+`]}`), timeline.ParseOptions{},
		func(e *timeline.Event) error { evs = append(evs, e); return nil }, nil)
	if err != nil {
		b.Fatal(err)
	}
	return evs
}

// BenchmarkCloudTrail runs 60 CloudTrail rules plus the built-in pack over
// CloudTrail events; events/s is the figure to watch.
func BenchmarkCloudTrail(b *testing.B) {
	builtin, _ := Builtin()
	for _, tc := range []struct {
		name  string
		rules []*Rule
	}{{"60rules", benchRules(b)}, {"60rules+builtin", append(benchRules(b), builtin...)},
		{"cloudtrail60+builtin", append(testdataRules(b, "testdata/bench/cloudtrail60.yml"), builtin...)}} {
		b.Run(tc.name, func(b *testing.B) {
			eng, errs := New(tc.rules, Limits{})
			if len(errs) > 0 {
				b.Fatal(errs)
			}
			evs := benchEvents(b)
			run := eng.NewRun()
			matches := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				run.Event(evs[i%len(evs)], func(Result) { matches++ })
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkBuiltin times loading the built-in pack from its parsed nodes
// (what every command does) and from the YAML files.
func BenchmarkBuiltin(b *testing.B) {
	b.Run("pack", func(b *testing.B) {
		for b.Loop() {
			Builtin()
		}
	})
	b.Run("yaml", func(b *testing.B) {
		sub, _ := fs.Sub(builtinFS, "rules")
		for b.Loop() {
			Load(sub, ".")
		}
	})
}
