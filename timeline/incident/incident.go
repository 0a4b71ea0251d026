// Package incident generates the built-in sample incident: two days of
// CloudTrail logs (hourly files, a signed digest chain, head-object
// sidecars with Object Lock fields), VPC Flow Logs (default v2 and a
// custom v5 format) and ALB access logs of a small AWS account whose CI
// access key leaked and was used by an attacker.
//
// The story, in UTC:
//   - 2025-03-10 13:40 an address scans the shop's load balancer
//     (/.env, /.git/config, /actuator/env), over IPv4 and IPv6;
//   - 14:12 the CI user's long-term key is used from that address:
//     GetCallerIdentity, ListBuckets, DescribeInstances, a denied
//     ListAttachedUserPolicies;
//   - 14:19 it assumes DeployAdmin, looks around, pushes an SSH key to an
//     instance and logs in over SSH; an HTTPS probe of a data host gets
//     its reply dropped by a network ACL;
//   - 14:45 it chains into DataLakeReader and downloads customer exports;
//   - 15:20 it creates the user svc-backup with an access key and
//     AdministratorAccess (persistence), used again on day two;
//   - 2025-03-11 02:40 it deletes the flow logs, turns the ALB's access
//     logs off, turns log file validation off, tries to delete CloudTrail
//     logs (denied by Object Lock), shortens their lifecycle and stops
//     the trail;
//   - 09:30 the responder starts logging again, re-enables validation and
//     disables the keys.
//
// Everything is derived from fixed seeds and the demo key in this
// package, so the files are the same on every run.
package incident

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"time"

	"github.com/trailcase/trailcase/digest/digesttest"
)

// demoKeyPEM is the RSA key that signs the incident's digests. It is a
// demonstration key, published with the source: it proves nothing about
// real CloudTrail files.
//
//go:embed demo-key.pem
var demoKeyPEM []byte

// Facts of the incident, for the demo and for tests.
const (
	Account = "123456789012"
	Region  = "us-east-1"
	Trail   = "management-events"

	// CloudTrailBucket and NetworkBucket are the top-level folders of the
	// generated evidence, one per S3 bucket copied.
	CloudTrailBucket = "acme-cloudtrail-logs"
	NetworkBucket    = "acme-network-logs"
	// KeysFile is the CloudTrail public key list (list-public-keys output).
	KeysFile = "public-keys.json"

	AttackerIP   = "203.0.113.66"
	AttackerIPv6 = "2001:db8:6a:1::66"
	// LeakedUser is the CI user whose long-term key leaked.
	LeakedUser = "arn:aws:iam::123456789012:user/ci-deployer"
	LeakedKey  = "AKIA4CIDEPLOYKEY7Q2M"
	// AdminSession is the attacker's first DeployAdmin session.
	AdminSession = "arn:aws:sts::123456789012:assumed-role/DeployAdmin/deploy-20250310"
	// BackdoorUser is the user the attacker created for persistence.
	BackdoorUser = "arn:aws:iam::123456789012:user/svc-backup"
	BackdoorKey  = "AKIA4SVCBACKUP3H7J1K"
)

// Times of the incident.
var (
	Start       = time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	End         = time.Date(2025, 3, 12, 0, 0, 0, 0, time.UTC)
	AttackStart = time.Date(2025, 3, 10, 13, 40, 0, 0, time.UTC)
	AttackEnd   = time.Date(2025, 3, 11, 3, 0, 0, 0, time.UTC)
	// RetainUntil is the COMPLIANCE retention of the CloudTrail objects.
	RetainUntil = time.Date(2032, 3, 10, 0, 0, 0, 0, time.UTC)
	// NetworkRetainUntil is the GOVERNANCE retention of the network logs.
	NetworkRetainUntil = time.Date(2030, 3, 10, 0, 0, 0, 0, time.UTC)
)

// Moments the story turns on.
var (
	flowLogsDeleted = time.Date(2025, 3, 11, 2, 45, 0, 0, time.UTC)
	albLogsOff      = time.Date(2025, 3, 11, 2, 47, 0, 0, time.UTC)
	loggingStopped  = time.Date(2025, 3, 11, 2, 55, 0, 0, time.UTC)
	loggingStarted  = time.Date(2025, 3, 11, 9, 30, 0, 0, time.UTC)
	// lastDigestEnd is the end of the last digest before validation was
	// turned off; digests resume at resumeDigests.
	lastDigestEnd = time.Date(2025, 3, 11, 4, 0, 0, 0, time.UTC)
	resumeDigests = time.Date(2025, 3, 11, 10, 0, 0, 0, time.UTC)
)

// Addresses and names of the account.
const (
	ciIP         = "198.51.100.20"
	officeIP     = "198.51.100.77"
	responderIP  = "198.51.100.10"
	monitoringIP = "3.233.146.22"
	webHost      = "10.0.1.25" // bastion/web instance, SSH target
	dataHost     = "10.0.2.40" // data subnet host behind a strict NACL
	appTarget    = "10.0.3.10" // ALB target
	webENI       = "eni-0a1b2c3d4e5f60718"
	idleENI      = "eni-0f9e8d7c6b5a49382"
	dataENI      = "eni-0d4c3b2a1f0e9d8c7"
	webInstance  = "i-0a1b2c3d4e5f60718"
	dataInstance = "i-0d4c3b2a1f0e9d8c7"
	vpcID        = "vpc-0a9b8c7d6e5f40312"
	dataSubnet   = "subnet-0c1d2e3f4a5b69788"
	flowLogV2    = "fl-0c0ffee1234567890"
	flowLogV5    = "fl-0dada5e1234567891"
	albName      = "app/shop-alb/50dc6c495c0c9188"
	albFileName  = "app.shop-alb.50dc6c495c0c9188"
	albNodeIP    = "10.0.0.17"
	targetGroup  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-web/73e2d6bc24d8a067"
	certARN      = "arn:aws:acm:us-east-1:123456789012:certificate/3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b"
	dataBucket   = "acme-customer-data"

	attackerUA  = "aws-cli/2.15.30 Python/3.11.8 Linux/6.6.9-amd64 exe/x86_64.kali.2024 prompt/off"
	ciUA        = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1016-azure exe/x86_64.ubuntu.22 exec-env/GitHubActions"
	consoleUA   = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15"
	monitorUA   = "Datadog/1.0 aws-sdk-go/1.50.0 (go1.21.6; linux; amd64)"
	responderUA = "aws-cli/2.15.30 Python/3.11.8 Darwin/23.3.0 exe/x86_64 prompt/off"
	scannerUA   = "Mozilla/5.0 zgrab/0.x"
)

// Files returns every file of the incident by slash-separated path: the
// two bucket folders and KeysFile.
func Files() (map[string][]byte, error) {
	key, err := digesttest.ParseKey(demoKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("demo key: %w", err)
	}
	g := &gen{rnd: rand.New(rand.NewPCG(20250310, 4))}
	files := map[string][]byte{}
	if err := g.cloudTrail(files, key); err != nil {
		return nil, err
	}
	g.flowLogs(files)
	g.albLogs(files)
	files[KeysFile] = digesttest.KeyFile(Start.AddDate(0, 0, -20), Start.AddDate(0, 0, 30), &key.PublicKey)
	files["README.md"] = []byte(readme)
	return files, nil
}

// Write writes the incident's files under dir.
func Write(dir string) error {
	files, err := Files()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write incident: %w", err)
	}
	if err := digesttest.WriteFiles(dir, files); err != nil {
		return fmt.Errorf("write incident into %q: %w", dir, err)
	}
	return nil
}

// Names returns the sorted paths of files.
func Names(files map[string][]byte) []string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

const readme = `# Built-in sample incident (trailcase demo)

Generated by package timeline/incident; do not edit by hand.

- acme-cloudtrail-logs/: CloudTrail logs (hourly) and digests, with head-object sidecars
  (Object Lock COMPLIANCE until 2032-03-10). The digests are signed with a DEMO key.
- acme-network-logs/: VPC Flow Logs (default v2 and a custom v5 format) and ALB access logs,
  with sidecars (Object Lock GOVERNANCE until 2030-03-10).
- public-keys.json: the demo public key, in 'aws cloudtrail list-public-keys' form.

A CI access key (user ci-deployer) leaked and was used from 203.0.113.66 on 2025-03-10/11:
recon, role chaining into DeployAdmin and DataLakeReader, downloads from acme-customer-data,
a backdoor user, then flow logs, ALB logs, log file validation and the trail turned off.
`

type gen struct {
	rnd *rand.Rand
}

func (g *gen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.rnd.IntN(16)]
	}
	return string(b)
}

func (g *gen) upper(n int) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[g.rnd.IntN(len(chars))]
	}
	return string(b)
}

func (g *gen) uuid() string {
	return g.hex(8) + "-" + g.hex(4) + "-4" + g.hex(3) + "-a" + g.hex(3) + "-" + g.hex(12)
}

// jitter returns a random duration in [0, d).
func (g *gen) jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(g.rnd.Int64N(int64(d)))
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// sidecar returns head-object JSON for an object with Object Lock fields.
func sidecar(body []byte, metadata map[string]string, lastModified time.Time, versionID, mode string, until time.Time) []byte {
	var v map[string]any
	if err := json.Unmarshal(digesttest.Sidecar(body, metadata, lastModified), &v); err != nil {
		panic(err) // digesttest.Sidecar always returns an object
	}
	v["VersionId"] = versionID
	v["ObjectLockMode"] = mode
	v["ObjectLockRetainUntilDate"] = until.UTC().Format("2006-01-02T15:04:05+00:00")
	v["ObjectLockLegalHoldStatus"] = "OFF"
	b, _ := json.MarshalIndent(v, "", "    ")
	return append(b, '\n')
}

func unix(t time.Time) string { return fmt.Sprint(t.Unix()) }

// hours returns the start of every hour in [from, to).
func hours(from, to time.Time) []time.Time {
	var out []time.Time
	for h := from.Truncate(time.Hour); h.Before(to); h = h.Add(time.Hour) {
		out = append(out, h)
	}
	return out
}
