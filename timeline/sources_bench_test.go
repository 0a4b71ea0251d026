package timeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailcase/trailcase/evidence"
)

// benchFlowLine is flow record i in the default format.
func benchFlowLine(i int) string {
	return fmt.Sprintf("2 123456789012 eni-0123456789abcdef0 10.0.%d.%d 203.0.113.%d %d 443 6 %d %d %d %d %s OK",
		(i/256)%256, i%256, i%256, 32768+i%20000, 1+i%50, 100+i%9000, 1700000000+i, 1700000060+i, []string{"ACCEPT", "REJECT"}[i%2])
}

func benchCWExport(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "2024-05-01T10:%02d:%02d.000Z %s\n", (i/60)%60, i%60, benchFlowLine(i))
	}
	return b.Bytes()
}

// benchCWSubscription writes payloads of 100 log events each, back to back.
func benchCWSubscription(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i += 100 {
		b.WriteString(`{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"vpc-flow-logs","logStream":"eni-0123456789abcdef0-all","subscriptionFilters":["fh"],"logEvents":[`)
		for j := i; j < i+100 && j < n; j++ {
			if j > i {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":"3787612345678901234567890123456789012345678901%08d","timestamp":%d,"message":"%s"}`, j, 1700000000000+int64(j), benchFlowLine(j))
		}
		b.WriteString("]}")
	}
	return b.Bytes()
}

func benchS3Access(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be example-data [01/May/2024:10:%02d:%02d +0000] 203.0.%d.%d arn:aws:iam::123456789012:user/u%d 3E57427F3E%06d REST.GET.OBJECT data/%d.csv "GET /example-data/data/%d.csv HTTP/1.1" 200 - %d %d 70 10 "-" "aws-cli/2.15.0 Python/3.11" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader example-data.s3.us-east-1.amazonaws.com TLSv1.2 - -`+"\n",
			(i/60)%60, i%60, (i/256)%256, i%256, i%50, i, i, i, 1000+i, 1000+i)
	}
	return b.Bytes()
}

func benchGuardDuty(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `{"schemaVersion":"2.0","accountId":"123456789012","region":"us-east-1","partition":"aws","id":"%032d","arn":"arn:aws:guardduty:us-east-1:123456789012:detector/d/finding/%032d","type":"Recon:EC2/PortProbeUnprotectedPort","resource":{"resourceType":"Instance","instanceDetails":{"instanceId":"i-0123456789abcdef0","instanceType":"t3.micro","networkInterfaces":[{"networkInterfaceId":"eni-0123","privateIpAddress":"10.0.%d.%d","publicIp":"198.51.100.%d","securityGroups":[{"groupId":"sg-1","groupName":"web"}]}],"tags":[{"key":"Name","value":"web"}]}},"service":{"serviceName":"guardduty","detectorId":"d","action":{"actionType":"PORT_PROBE","portProbeAction":{"blocked":false,"portProbeDetails":[{"localPortDetails":{"port":22,"portName":"SSH"},"localIpDetails":{"ipAddressV4":"10.0.%d.%d"},"remoteIpDetails":{"ipAddressV4":"203.0.113.%d","organization":{"asn":"64496","asnOrg":"Example","isp":"Example","org":"Example"},"country":{"countryName":"Example"},"city":{"cityName":"Example"},"geoLocation":{"lat":1.5,"lon":2.5}}}]}},"resourceRole":"TARGET","additionalInfo":{"threatListName":"ProofPoint"},"eventFirstSeen":"2024-05-01T09:55:00.000Z","eventLastSeen":"2024-05-01T09:58:00.000Z","archived":false,"count":%d},"severity":2,"createdAt":"2024-05-01T10:00:00.000Z","updatedAt":"2024-05-01T10:00:00.000Z","title":"Unprotected port on EC2 instance i-0123456789abcdef0 is being probed.","description":"EC2 instance has an unprotected port which is being probed by a known malicious host."}`+"\n",
			i, i, (i/256)%256, i%256, i%256, (i/256)%256, i%256, i%256, 1+i%40)
	}
	return b.Bytes()
}

func benchConfig(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"fileVersion":"1.0","configurationItems":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(benchConfigItem(i))
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// benchConfigItem is item i of benchConfig: items i and i+500 are the
// same security group, whose second rule's ports change.
func benchConfigItem(i int) string {
	return fmt.Sprintf(`{"configurationItemVersion":"1.3","configurationItemCaptureTime":"2024-05-01T10:%02d:%02d.000Z","configurationStateId":%d,"awsAccountId":"123456789012","configurationItemStatus":"OK","resourceType":"AWS::EC2::SecurityGroup","resourceId":"sg-%08d","resourceName":"web","ARN":"arn:aws:ec2:us-east-1:123456789012:security-group/sg-%08d","awsRegion":"us-east-1","availabilityZone":"Not Applicable","tags":{},"relatedEvents":["%08d-aaaa-bbbb-cccc-ddddeeeeffff"],"relationships":[{"resourceId":"vpc-0a1b2c3d","resourceType":"AWS::EC2::VPC","name":"Is contained in Vpc"}],"configuration":{"description":"web","groupName":"web","ipPermissions":[{"fromPort":443,"ipProtocol":"tcp","ipRanges":["0.0.0.0/0"],"toPort":443},{"fromPort":%d,"ipProtocol":"tcp","ipRanges":["10.0.0.0/8"],"toPort":%d}],"ipPermissionsEgress":[{"ipProtocol":"-1","ipRanges":["0.0.0.0/0"]}],"groupId":"sg-%08d","vpcId":"vpc-0a1b2c3d"},"supplementaryConfiguration":{}}`,
		(i/60)%60, i%60, i, i%500, i%500, i, 1000+i%3, 1000+i%3, i%500)
}

func benchCTCSV(n int) []byte {
	ct := benchCloudTrail(n)
	var b bytes.Buffer
	b.WriteString("Event ID,Event time,User name,Event name,Resource type,Resource name,AWS access key,Source IP address,AWS region,Error code,CloudTrail event\n")
	recs := bytes.Split(bytes.TrimSuffix(bytes.TrimPrefix(ct, []byte(`{"Records":[`)), []byte(`]}`)), []byte(`},{"eventVersion"`))
	for i, r := range recs {
		s := string(r)
		if i > 0 {
			s = `{"eventVersion"` + s
		}
		if i < len(recs)-1 {
			s += "}"
		}
		fmt.Fprintf(&b, "%08d-aaaa-bbbb-cccc-ddddeeeeffff,2024-05-01T10:00:00Z,app,DescribeInstances,,,ASIAEXAMPLE,198.51.100.1,eu-west-1,,\"%s\"\n", i, strings.ReplaceAll(s, `"`, `""`))
	}
	return b.Bytes()
}

func BenchmarkParseCloudWatchExport(b *testing.B) {
	benchParse(b, evidence.KindCloudWatchExport, benchCWExport(50000), 50000)
}

func BenchmarkParseCloudWatchSubscription(b *testing.B) {
	benchParse(b, evidence.KindCloudWatchSubscription, benchCWSubscription(50000), 50000)
}

func BenchmarkParseS3Access(b *testing.B) {
	benchParse(b, evidence.KindS3Access, benchS3Access(20000), 20000)
}

func BenchmarkParseGuardDuty(b *testing.B) {
	benchParse(b, evidence.KindGuardDuty, benchGuardDuty(5000), 5000)
}

func BenchmarkParseConfig(b *testing.B) {
	benchParse(b, evidence.KindConfig, benchConfig(5000), 5000)
}

func BenchmarkParseCloudTrailCSV(b *testing.B) {
	benchParse(b, evidence.KindCloudTrailCSV, benchCTCSV(10000), 10000)
}

// benchLake writes CloudTrail Lake query results: half the rows with the
// record in an eventJson column, half with a column per field (userIdentity
// in Lake's {key=value} form).
func benchLake(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"QueryStatus":"FINISHED","QueryStatistics":{"ResultsCount":1,"TotalResultsCount":1,"BytesScanned":1024},"QueryResultRows":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",\n")
		}
		if i%2 == 0 {
			rec := fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/u%d","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE%08d","userName":"u%d"},"eventTime":"2024-05-01T10:%02d:%02dZ","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.%d","userAgent":"aws-cli/2.15.0","requestParameters":{"bucketName":"logs","key":"a/%d.txt"},"responseElements":null,"eventID":"%08d-aaaa-bbbb-cccc-ddddeeeeffff","eventType":"AwsApiCall","recipientAccountId":"111122223333"}`,
				i%50, i, i%50, (i/60)%60, i%60, i%256, i, i)
			q, _ := json.Marshal(rec)
			fmt.Fprintf(&b, `[{"eventJson":%s}]`, q)
			continue
		}
		fmt.Fprintf(&b, `[{"eventID":"%08d-2222-3333-4444-555555555555"},{"eventTime":"2024-05-01 10:%02d:%02d.000"},{"eventSource":"iam.amazonaws.com"},{"eventName":"CreateAccessKey"},{"awsRegion":"us-east-1"},{"sourceIPAddress":"203.0.113.%d"},{"userIdentity":"{type=IAMUser, principalid=AIDAEXAMPLE, arn=arn:aws:iam::111122223333:user/u%d, accountid=111122223333, accesskeyid=AKIAEXAMPLE%08d, username=u%d, sessioncontext=null}"},{"recipientAccountId":"111122223333"}]`,
			i, (i/60)%60, i%60, i%256, i%50, i, i%50)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

func BenchmarkParseCloudTrailLake(b *testing.B) {
	benchParse(b, evidence.KindCloudTrailLake, benchLake(10000), 10000)
}

// BenchmarkParseCloudTrailFiles parses and indexes (terms) up to 200
// gzip CloudTrail files named by the glob $TRAILCASE_BENCH_CT (such as a
// tcbench gen corpus); skipped without it.
func BenchmarkParseCloudTrailFiles(b *testing.B) {
	files, _ := filepath.Glob(os.Getenv("TRAILCASE_BENCH_CT"))
	if len(files) == 0 {
		b.Skip("TRAILCASE_BENCH_CT names no files")
	}
	var datas [][]byte
	total := 0
	for _, f := range files[:min(len(files), 200)] {
		fh, err := os.Open(f)
		if err != nil {
			b.Fatal(err)
		}
		z, err := gzip.NewReader(fh)
		if err != nil {
			b.Fatal(err)
		}
		d, err := io.ReadAll(z)
		fh.Close()
		if err != nil {
			b.Fatal(err)
		}
		datas = append(datas, d)
		total += len(d)
	}
	b.SetBytes(int64(total))
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		for _, d := range datas {
			err := Parse(context.Background(), evidence.KindCloudTrail, bytes.NewReader(d), ParseOptions{},
				func(e *Event) error { _ = e.Terms(); return nil }, nil)
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/float64(total), "cpu-ns/B")
}
