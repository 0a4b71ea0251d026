// Command tcbench generates realistic AWS log corpora and measures
// trailcase against baselines (sha256sum, zcat, jq) on the same files.
//
//	go run ./cmd/tcbench gen -dir /tmp/corpus -ct 500000 -flow 3000000 -alb 500000
//	go build -o /tmp/trailcase ./cmd/trailcase
//	go run ./cmd/tcbench run -dir /tmp/corpus -trailcase /tmp/trailcase
//
// With -duckdb, each round also runs the DuckDB baselines (tcduck, a
// separate module with CGO in ./duckdb, built here when -duckdb names
// its directory): a table built from the same files, queried, and the
// same query over the gzip files:
//
//	go run ./cmd/tcbench run -dir /tmp/corpus -trailcase /tmp/trailcase -duckdb cmd/tcbench/duckdb
//
// tcbench digest builds a week of signed CloudTrail digests and times
// trailcase's offline validation against `aws cloudtrail validate-logs`
// reading the same objects from a local moto_server:
//
//	go run ./cmd/tcbench digest -trailcase /tmp/trailcase -hours 168 -logs-per-hour 12
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/klauspost/compress/gzip"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: tcbench gen|run|digest|size [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "run":
		err = runBench(os.Args[2:])
	case "digest":
		err = digestBench(os.Args[2:])
	case "size":
		err = sizeBench(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tcbench:", err)
		os.Exit(1)
	}
}

const account = "111122223333"

// ---- corpus generation ----

type genOpts struct {
	dir                 string
	ct, flow, alb       int
	perCT, perFlow, per int
	seed                int64
}

func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	var o genOpts
	fs.StringVar(&o.dir, "dir", "", "output directory")
	fs.IntVar(&o.ct, "ct", 200000, "CloudTrail events")
	fs.IntVar(&o.flow, "flow", 1000000, "VPC flow records")
	fs.IntVar(&o.alb, "alb", 200000, "ALB log lines")
	fs.IntVar(&o.perCT, "ct-per-file", 250, "CloudTrail events per file")
	fs.IntVar(&o.perFlow, "flow-per-file", 20000, "flow records per file")
	fs.IntVar(&o.per, "alb-per-file", 5000, "ALB lines per file")
	fs.Int64Var(&o.seed, "seed", 1, "random seed")
	fs.Parse(args)
	if o.dir == "" {
		return fmt.Errorf("gen needs -dir")
	}
	r := rand.New(rand.NewSource(o.seed))
	ctSeq = 0
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	if err := genCloudTrail(r, o, t0); err != nil {
		return err
	}
	if err := genFlow(r, o, t0); err != nil {
		return err
	}
	return genALB(r, o, t0)
}

var userKeys = func() map[string][2]string {
	r := rand.New(rand.NewSource(7))
	m := map[string][2]string{}
	for _, u := range users {
		m[u] = [2]string{"AKIA" + strings.ToUpper(hexs(r, 16)), "AKIA" + strings.ToUpper(hexs(r, 16))}
	}
	m[incidentUser] = [2]string{"AKIA" + strings.ToUpper(hexs(r, 16)), "AKIA" + strings.ToUpper(hexs(r, 16))}
	return m
}()

// userIPs gives each user a handful of usual addresses and, rarely, a new one.
func userIPs(r *rand.Rand, user string) string {
	if r.Intn(50) == 0 {
		return randIP(r)
	}
	h := 0
	for _, c := range user {
		h = h*31 + int(c)
	}
	return externalIPs[(h+r.Intn(5))%len(externalIPs)]
}

var (
	users  = []string{"alice", "bob", "ci-deploy", "carol", "svc-backup", "dave"}
	agents = []string{"aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22", "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.1", "console.amazonaws.com", "aws-sdk-go-v2/1.26.0 os/linux lang/go#1.22.1"}
)

// ctCalls are the generated API calls: each name with its service, as
// CloudTrail records them.
var ctCalls = []struct{ name, source string }{
	{"GetObject", "s3.amazonaws.com"}, {"PutObject", "s3.amazonaws.com"}, {"ListBuckets", "s3.amazonaws.com"},
	{"DescribeInstances", "ec2.amazonaws.com"}, {"AssumeRole", "sts.amazonaws.com"}, {"GetCallerIdentity", "sts.amazonaws.com"},
	{"Decrypt", "kms.amazonaws.com"}, {"ConsoleLogin", "signin.amazonaws.com"}, {"CreateAccessKey", "iam.amazonaws.com"},
	{"DescribeSecurityGroups", "ec2.amazonaws.com"}, {"GetSecretValue", "secretsmanager.amazonaws.com"}, {"ListRoles", "iam.amazonaws.com"},
}

// Resource pools: an account has a handful of buckets, a few dozen
// instances and security groups, some roles, keys and secrets, and the
// calls act on these again and again; only S3 object keys keep changing.
var (
	buckets = []string{"acme-prod-data", "acme-prod-logs", "acme-backups", "acme-web-assets", "acme-analytics",
		"acme-ci-artifacts", "acme-finance-reports", "acme-tfstate", "acme-ml-datasets", "acme-exports",
		"acme-cloudtrail-archive", "acme-media"}
	keyPrefixes = []string{"reports/", "exports/daily/", "uploads/", "backups/db/", "builds/", "tmp/"}
	roles       = []string{"Admin", "ReadOnly", "service-role/LambdaExec", "DeployRole", "BackupOperator",
		"service-role/EcsTaskRole", "SecurityAudit", "DataScientist"}
	secrets     = []string{"prod/db/password", "prod/api/stripe", "staging/db/password", "ci/github-token", "prod/redis/auth", "prod/jwt-signing-key"}
	instanceIDs = pool(40, func(r *rand.Rand) string { return "i-0" + hexs(r, 16) })
	groupIDs    = pool(24, func(r *rand.Rand) string { return "sg-0" + hexs(r, 16) })
	kmsKeys     = pool(6, func(r *rand.Rand) string { return "arn:aws:kms:us-east-1:" + account + ":key/" + uuid(r) })
)

// Address pools: real logs see a bounded set of internal addresses and a
// long tail of external ones; every event drawing a fresh random address
// would overstate the number of distinct index terms.
var (
	internalIPs = pool(2000, func(r *rand.Rand) string { return fmt.Sprintf("10.0.%d.%d", r.Intn(8), 1+r.Intn(250)) })
	externalIPs = pool(20000, func(r *rand.Rand) string {
		return fmt.Sprintf("%d.%d.%d.%d", 1+r.Intn(223), r.Intn(256), r.Intn(256), 1+r.Intn(254))
	})
)

func pool(n int, f func(*rand.Rand) string) []string {
	r := rand.New(rand.NewSource(int64(n)))
	out := make([]string, n)
	for i := range out {
		out[i] = f(r)
	}
	return out
}

func randIP(r *rand.Rand) string {
	if r.Intn(10) < 6 {
		return internalIPs[r.Intn(len(internalIPs))]
	}
	// A long tail: some external addresses are far more frequent.
	return externalIPs[int(float64(len(externalIPs))*r.Float64()*r.Float64())]
}

func hexs(r *rand.Rand, n int) string {
	const h = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = h[r.Intn(16)]
	}
	return string(b)
}

func uuid(r *rand.Rand) string {
	return hexs(r, 8) + "-" + hexs(r, 4) + "-" + hexs(r, 4) + "-" + hexs(r, 4) + "-" + hexs(r, 12)
}

func writeGz(path string, body []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.DefaultCompression)
	if _, err := zw.Write(body); err != nil {
		f.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func genCloudTrail(r *rand.Rand, o genOpts, t0 time.Time) error {
	var buf bytes.Buffer
	span := 7 * 24 * time.Hour
	for done, file := 0, 0; done < o.ct; file++ {
		n := min(o.perCT, o.ct-done)
		start := t0.Add(time.Duration(int64(span) * int64(done) / int64(o.ct)))
		buf.Reset()
		buf.WriteString(`{"Records":[`)
		for i := 0; i < n; i++ {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeCTRecord(&buf, r, start.Add(time.Duration(i)*time.Second))
		}
		buf.WriteString("]}")
		delivered := start.Add(5 * time.Minute)
		p := filepath.Join(o.dir, "AWSLogs", account, "CloudTrail", "us-east-1", delivered.Format("2006/01/02"),
			fmt.Sprintf("%s_CloudTrail_us-east-1_%s_%s.json.gz", account, delivered.Format("20060102T1504Z"), strings.ToUpper(hexs(r, 16))))
		if err := writeGz(p, buf.Bytes()); err != nil {
			return err
		}
		done += n
	}
	return nil
}

// ctSeq counts the CloudTrail records generated.
var ctSeq int

// incidentUser makes one call in incidentEvery: a principal with an
// ordinary number of events, as the one under investigation usually is
// (the six regular users each make a sixth of all calls). Chosen by
// position, so the rest of the corpus is the same with or without it.
const (
	incidentUser  = "mallory"
	incidentEvery = 997
)

// writeCTRecord appends one realistic CloudTrail record with event time t.
func writeCTRecord(buf *bytes.Buffer, r *rand.Rand, t time.Time) {
	user := users[r.Intn(len(users))]
	if ctSeq++; ctSeq%incidentEvery == 0 {
		user = incidentUser
	}
	call := ctCalls[r.Intn(len(ctCalls))]
	name, src := call.name, call.source
	key := userKeys[user][r.Intn(2)]
	ip := userIPs(r, user)
	if r.Intn(10) < 3 {
		ip = src // AWS services call on the user's behalf
	}
	params, resources, resp := ctRequest(r, name, user, t)
	errPart := ""
	if r.Intn(20) == 0 {
		errPart = `"errorCode":"AccessDenied","errorMessage":"User is not authorized to perform this operation",`
	}
	category, management := "Management", "true"
	if name == "GetObject" || name == "PutObject" {
		category, management = "Data", "false"
	}
	fmt.Fprintf(buf, `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDA%s","arn":"arn:aws:iam::%s:user/%s","accountId":"%s","accessKeyId":"%s","userName":"%s"},"eventTime":"%s","eventSource":"%s","eventName":"%s","awsRegion":"us-east-1","sourceIPAddress":"%s","userAgent":"%s",%s"requestParameters":%s,"responseElements":%s,"additionalEventData":{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"%s","bytesTransferredOut":%d},"requestID":"%s","eventID":"%s","readOnly":true,%s"eventType":"AwsApiCall","managementEvent":%s,"recipientAccountId":"%s","eventCategory":"%s","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"%s"}}`,
		strings.ToUpper(hexs(r, 16)), account, user, account, key, user, t.Format(time.RFC3339), src, name, ip, agents[r.Intn(len(agents))], errPart,
		params, resp, hexs(r, 76), r.Intn(1<<20), strings.ToUpper(hexs(r, 16)), uuid(r), resources, management, account, category,
		strings.Replace(src, ".amazonaws.com", ".us-east-1.amazonaws.com", 1))
}

// ctRequest returns a call's requestParameters, its resources member
// ("" or `"resources":[…],`) and its responseElements.
func ctRequest(r *rand.Rand, name, user string, t time.Time) (params, resources, resp string) {
	params, resp = "null", "null"
	switch name {
	case "GetObject", "PutObject":
		b := buckets[r.Intn(len(buckets))]
		k := keyPrefixes[r.Intn(len(keyPrefixes))] + t.Format("2006/01/02/") + hexs(r, 10) + ".csv"
		params = fmt.Sprintf(`{"bucketName":"%s","key":"%s","Host":"%s.s3.us-east-1.amazonaws.com"}`, b, k, b)
		resources = fmt.Sprintf(`"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::%s/%s"},{"accountId":"%s","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::%s"}],`, b, k, account, b)
	case "ListBuckets":
		params = `{"Host":"s3.us-east-1.amazonaws.com"}`
	case "DescribeInstances":
		params = fmt.Sprintf(`{"instancesSet":{"items":[{"instanceId":"%s"}]},"filterSet":{}}`, instanceIDs[r.Intn(len(instanceIDs))])
	case "DescribeSecurityGroups":
		params = fmt.Sprintf(`{"securityGroupSet":{},"securityGroupIdSet":{"items":[{"groupId":"%s"}]},"filterSet":{}}`, groupIDs[r.Intn(len(groupIDs))])
	case "AssumeRole":
		role := roles[r.Intn(len(roles))]
		roleARN := "arn:aws:iam::" + account + ":role/" + role
		params = fmt.Sprintf(`{"roleArn":"%s","roleSessionName":"%s","durationSeconds":3600}`, roleARN, user)
		resources = fmt.Sprintf(`"resources":[{"accountId":"%s","type":"AWS::IAM::Role","ARN":"%s"}],`, account, roleARN)
		roleName := role[strings.LastIndexByte(role, '/')+1:]
		resp = fmt.Sprintf(`{"credentials":{"accessKeyId":"ASIA%s","sessionToken":"%s","expiration":"%s"},"assumedRoleUser":{"assumedRoleId":"AROA%s:%s","arn":"arn:aws:sts::%s:assumed-role/%s/%s"}}`,
			strings.ToUpper(hexs(r, 16)), hexs(r, 120), t.Add(time.Hour).Format("Jan 2, 2006, 3:04:05 PM"), strings.ToUpper(hexs(r, 16)), user, account, roleName, user)
	case "Decrypt":
		k := kmsKeys[r.Intn(len(kmsKeys))]
		params = fmt.Sprintf(`{"encryptionAlgorithm":"SYMMETRIC_DEFAULT","keyId":"%s"}`, k)
		resources = fmt.Sprintf(`"resources":[{"accountId":"%s","type":"AWS::KMS::Key","ARN":"%s"}],`, account, k)
	case "ConsoleLogin":
		resp = `{"ConsoleLogin":"Success"}`
	case "CreateAccessKey":
		params = fmt.Sprintf(`{"userName":"%s"}`, user)
	case "GetSecretValue":
		params = fmt.Sprintf(`{"secretId":"%s"}`, secrets[r.Intn(len(secrets))])
	case "ListRoles":
		params = `{"maxItems":100}`
	}
	return params, resources, resp
}

func genFlow(r *rand.Rand, o genOpts, t0 time.Time) error {
	var buf bytes.Buffer
	actions := []string{"ACCEPT", "ACCEPT", "ACCEPT", "REJECT"}
	for done, file := 0, 0; done < o.flow; file++ {
		n := min(o.perFlow, o.flow-done)
		start := t0.Add(time.Duration(int64(7*24*time.Hour) * int64(done) / int64(o.flow)))
		buf.Reset()
		buf.WriteString("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n")
		eni := "eni-" + hexs(r, 17)
		for i := 0; i < n; i++ {
			s := start.Unix() + int64(i/50)
			if r.Intn(200) == 0 {
				fmt.Fprintf(&buf, "2 %s %s - - - - - - - %d %d - NODATA\n", account, eni, s, s+60)
				continue
			}
			fmt.Fprintf(&buf, "2 %s %s %s %s %d %d 6 %d %d %d %d %s OK\n", account, eni, randIP(r), randIP(r),
				1024+r.Intn(60000), []int{22, 443, 80, 3306, 5432}[r.Intn(5)], 1+r.Intn(200), 40+r.Intn(200000), s, s+60, actions[r.Intn(4)])
		}
		p := filepath.Join(o.dir, "AWSLogs", account, "vpcflowlogs", "us-east-1", start.Format("2006/01/02"),
			fmt.Sprintf("%s_vpcflowlogs_us-east-1_fl-%s_%s_%s.log.gz", account, hexs(r, 17), start.Format("20060102T1504Z"), hexs(r, 8)))
		if err := writeGz(p, buf.Bytes()); err != nil {
			return err
		}
		done += n
	}
	return nil
}

func genALB(r *rand.Rand, o genOpts, t0 time.Time) error {
	var buf bytes.Buffer
	paths := []string{"/", "/login", "/api/v1/orders?id=", "/static/app.js", "/admin", "/.env", "/wp-login.php"}
	codes := []int{200, 200, 200, 301, 302, 403, 404, 500}
	for done, file := 0, 0; done < o.alb; file++ {
		n := min(o.per, o.alb-done)
		start := t0.Add(time.Duration(int64(7*24*time.Hour) * int64(done) / int64(o.alb)))
		buf.Reset()
		node := fmt.Sprintf("10.0.%d.%d", r.Intn(8), 1+r.Intn(250))
		for i := 0; i < n; i++ {
			t := start.Add(time.Duration(i) * 100 * time.Millisecond)
			client := randIP(r)
			target := fmt.Sprintf("10.0.%d.%d", r.Intn(8), 1+r.Intn(250))
			code := codes[r.Intn(len(codes))]
			path := paths[r.Intn(len(paths))]
			if strings.HasSuffix(path, "=") {
				path += fmt.Sprint(r.Intn(100000))
			}
			fmt.Fprintf(&buf, `https %s app/web/%s %s:%d %s:80 0.000 0.%03d 0.000 %d %d %d %d "GET https://shop.example.com:443%s HTTP/1.1" "%s" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-1:%s:targetgroup/web/%s "Root=1-%s-%s" "shop.example.com" "arn:aws:acm:us-east-1:%s:certificate/%s" 0 %s "forward" "-" "-" "%s:80" "%d" "-" "-" TID_%s`+"\n",
				t.Format("2006-01-02T15:04:05.000000Z"), hexs(r, 16), client, 1024+r.Intn(60000), target, r.Intn(999), code, code, 100+r.Intn(900), 200+r.Intn(50000),
				path, agents[r.Intn(len(agents))], account, hexs(r, 16), hexs(r, 8), hexs(r, 24), account, uuid(r), t.Add(-time.Millisecond).Format("2006-01-02T15:04:05.000000Z"), target, code, hexs(r, 32))
		}
		p := filepath.Join(o.dir, "AWSLogs", account, "elasticloadbalancing", "us-east-1", start.Format("2006/01/02"),
			fmt.Sprintf("%s_elasticloadbalancing_us-east-1_app.web.%s_%s_%s_%s.log.gz", account, hexs(r, 16), start.Format("20060102T1504Z"), node, hexs(r, 8)))
		if err := writeGz(p, buf.Bytes()); err != nil {
			return err
		}
		done += n
	}
	return nil
}

// ---- measurement ----

type result struct {
	name    string
	wall    time.Duration
	maxRSS  int64 // KiB
	command string
}

func measure(name string, dir string, stdout io.Writer, args ...string) (result, error) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	if stdout == nil {
		stdout = io.Discard
	}
	cmd.Stdout = stdout
	var errb bytes.Buffer
	cmd.Stderr = &errb
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	res := result{name: name, wall: wall, command: strings.Join(args, " ")}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			res.maxRSS = ru.Maxrss
		}
	}
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 3 {
			return res, nil // ran and found problems: still a valid timing
		}
		return res, fmt.Errorf("%s: %v: %s", name, err, errb.String())
	}
	return res, nil
}

func printResult(r result) {
	fmt.Printf("%-28s %8.2fs  %7.0f MB RSS   %s\n", r.name, r.wall.Seconds(), float64(r.maxRSS)/1024, r.command)
}

// summarize returns the median run of rs (its wall time the median of
// all) with the highest peak RSS of them. rs is left in round order.
func summarize(rs []result) result {
	walls := make([]time.Duration, len(rs))
	for i, r := range rs {
		walls[i] = r.wall
	}
	sorted := slices.SortedFunc(slices.Values(rs), func(a, b result) int { return cmp.Compare(a.wall, b.wall) })
	med := sorted[len(sorted)/2]
	med.wall = median(walls)
	for _, r := range rs {
		med.maxRSS = max(med.maxRSS, r.maxRSS)
	}
	return med
}

// roundRatios returns a[i]/b[i] for each round both ran.
func roundRatios(a, b []result) []float64 {
	var out []float64
	for i := range min(len(a), len(b)) {
		out = append(out, a[i].wall.Seconds()/b[i].wall.Seconds())
	}
	return out
}

// countWriter counts bytes and lines written to it.
type countWriter struct{ n, lines int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	c.lines += int64(bytes.Count(p, []byte{'\n'}))
	return len(p), nil
}

func files(dir, part string) ([]string, int64, error) {
	var out []string
	var total int64
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if fi.Mode().IsRegular() && (part == "" || strings.Contains(p, part)) {
			out = append(out, p)
			total += fi.Size()
		}
		return nil
	})
	sort.Strings(out)
	return out, total, err
}

func runBench(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	dir := fs.String("dir", "", "corpus directory (from tcbench gen)")
	tc := fs.String("trailcase", "trailcase", "trailcase binary")
	work := fs.String("work", "", "scratch directory for cases (default: a temp dir)")
	ip := fs.String("ip", "", "IP for the query benchmark (default: one from the corpus)")
	event := fs.String("event", "", "also time `timeline --event` with these names (e.g. 'Delete*,GetObject')")
	resource := fs.String("resource", "", "also time `timeline --resource` with this ARN, name or prefix")
	cidr := fs.String("cidr", "", "also time `timeline --ip` with this CIDR range (e.g. 10.0.0.0/16)")
	runs := fs.Int("runs", 3, "rounds of the ingest commands and their baselines (medians are reported)")
	principal := fs.String("principal", "", "also time principal queries (comma-separated; the generated corpus has "+incidentUser+", with an ordinary number of events, and six users who each make a sixth of all calls)")
	duckdb := fs.String("duckdb", "", "also run the DuckDB baselines in each round: the tcduck binary, or the directory of its module (cmd/tcbench/duckdb) to build it")
	fs.Parse(args)
	if *dir == "" {
		return fmt.Errorf("run needs -dir")
	}
	abs, _ := filepath.Abs(*dir)
	all, total, err := files(abs, "")
	if err != nil {
		return err
	}
	ct, ctBytes, _ := files(abs, "/CloudTrail/")
	if *work == "" {
		*work, _ = os.MkdirTemp("", "tcbench-")
		defer os.RemoveAll(*work)
	} else if err := os.MkdirAll(*work, 0o755); err != nil {
		return err
	}
	listFile := filepath.Join(*work, "files.txt")
	os.WriteFile(listFile, []byte(strings.Join(all, "\n")+"\n"), 0o644)
	ctList := filepath.Join(*work, "ct.txt")
	os.WriteFile(ctList, []byte(strings.Join(ct, "\n")+"\n"), 0o644)
	if *ip == "" {
		*ip = "10.0.3.17"
	}
	fmt.Printf("corpus: %d files, %.1f MB (CloudTrail: %d files, %.1f MB)\n", len(all), float64(total)/1e6, len(ct), float64(ctBytes)/1e6)

	// Warm the page cache so every run reads from memory.
	measure("warm", *work, nil, "sh", "-c", "xargs cat < files.txt > /dev/null")

	b := &bench{tc: *tc, work: *work, corpus: abs, rounds: map[string][]result{}}
	b.caseFull = filepath.Join(b.work, "full.tcase")
	round := func(int) error { return b.ingestRound() }
	if *duckdb != "" {
		bin, err := tcduckBinary(*duckdb, *work)
		if err != nil {
			return err
		}
		b.duck = &duck{bin: bin, db: filepath.Join(*work, "events.duckdb"), ip: *ip, principal: incidentUser, selectors: duckSelectors(*event, *resource, *cidr)}
		if *principal != "" {
			b.duck.principal, _, _ = strings.Cut(*principal, ",")
		}
		round = b.duckRound
	}
	for i := range *runs {
		if *runs > 1 {
			fmt.Printf("round %d of %d\n", i+1, *runs)
		}
		if err := round(i); err != nil {
			return err
		}
	}
	if *runs > 1 {
		fmt.Printf("medians of %d rounds:\n", *runs)
	}
	for _, n := range ingestNames {
		b.add(summarize(b.rounds[n]), nil)
	}
	if err := b.add(measure("trailcase verify", b.work, nil, b.tc, "verify", "--quiet", "--no-record", "--case", b.caseFull)); err != nil {
		return err
	}
	b.query("--ip", *ip)
	var selectors []string
	for _, q := range [][2]string{{"--event", *event}, {"--resource", *resource}, {"--ip", *cidr}} {
		if q[1] != "" {
			b.query(q[0], q[1])
			selectors = append(selectors, q[0]+" "+q[1])
		}
	}
	var principals []string
	if *principal != "" {
		principals = strings.Split(*principal, ",")
	}
	for _, p := range principals {
		b.queryPrincipal(p)
	}
	b.printRatios(principals, selectors)
	if b.duck != nil {
		b.printDuck()
	}
	return nil
}

// bench is one `tcbench run`: the binary, the scratch directory, the
// corpus and the results so far.
type bench struct {
	tc, work, corpus string
	caseFull         string // the case holding the whole corpus, for verify and queries
	duck             *duck  // the DuckDB baselines, if run

	results []result            // reported results
	rounds  map[string][]result // ingest results by command, one per round
}

// ingestNames are the commands of an ingest round, in the order reported.
var ingestNames = []string{"sha256sum", "zcat", "jq -c .Records[] (CloudTrail)", "trailcase acquire --no-index", "trailcase acquire (CloudTrail)", "trailcase acquire (all)"}

// add reports a result.
func (b *bench) add(r result, err error) error {
	if err != nil {
		return err
	}
	b.results = append(b.results, r)
	printResult(r)
	return nil
}

// round keeps one round's result of an ingest command.
func (b *bench) round(r result, err error) error {
	if err != nil {
		return err
	}
	b.rounds[r.name] = append(b.rounds[r.name], r)
	printResult(r)
	return nil
}

// freshCase initialises an empty case called name in the scratch directory.
func (b *bench) freshCase(name string) (string, error) {
	p := filepath.Join(b.work, name)
	os.Remove(p)
	_, err := measure("init", b.work, nil, b.tc, "init", "--case", p, "--name", "bench", "--examiner", "bench")
	return p, err
}

// ingestRound runs ingest and its baselines once each: in rounds, a slow
// spell of the machine falls on both sides of a ratio; the report uses
// each command's median and the range of the ratios taken within a round.
func (b *bench) ingestRound() error {
	for _, c := range []struct{ name, script string }{
		{"sha256sum", "xargs sha256sum < files.txt"},
		{"zcat", "xargs zcat < files.txt"},
		{"jq -c .Records[] (CloudTrail)", "xargs zcat < ct.txt | jq -c '.Records[]'"},
	} {
		if err := b.round(measure(c.name, b.work, nil, "sh", "-c", c.script)); err != nil {
			return err
		}
	}
	caseA, err := b.freshCase("store.tcase")
	if err != nil {
		return err
	}
	if err := b.round(measure("trailcase acquire --no-index", b.work, nil, b.tc, "acquire", "--quiet", "--case", caseA, "--no-index", b.corpus)); err != nil {
		return err
	}
	caseCT, err := b.freshCase("ct.tcase")
	if err != nil {
		return err
	}
	if err := b.round(measure("trailcase acquire (CloudTrail)", b.work, nil, b.tc, "acquire", "--quiet", "--case", caseCT, "--include", "**/CloudTrail/**", b.corpus)); err != nil {
		return err
	}
	if _, err := b.freshCase("full.tcase"); err != nil {
		return err
	}
	return b.round(measure("trailcase acquire (all)", b.work, nil, b.tc, "acquire", "--quiet", "--case", b.caseFull, b.corpus))
}

// addMedian reports the median of a query's runs, if any ran.
func (b *bench) addMedian(qs []result) {
	if len(qs) > 0 {
		slices.SortFunc(qs, func(a, b result) int { return cmp.Compare(a.wall, b.wall) })
		b.add(qs[len(qs)/2], nil)
	}
}

// query times `timeline FLAG VALUE` (sub-second: the median of three
// runs); `--ip ADDRESS` is named without its value, as before.
func (b *bench) query(flag, value string) {
	name := "trailcase timeline " + flag
	if flag != "--ip" || strings.Contains(value, "/") {
		name += " " + value
	}
	var out bytes.Buffer
	var qs []result
	for i := range 3 {
		out.Reset()
		r, err := measure(name, b.work, &out, b.tc, "timeline", "--case", b.caseFull, flag, value, "--format", "jsonl")
		if err != nil {
			fmt.Println("timeline:", err)
			break
		}
		fmt.Printf("  timeline %s %s run %d: %.2fs\n", flag, value, i+1, r.wall.Seconds())
		qs = append(qs, r)
	}
	b.addMedian(qs)
	lines := 0
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		lines++
	}
	fmt.Printf("  (%d events for %s %s)\n", lines, flag, value)
}

// queryPrincipal times `timeline --principal p`: the median of three,
// unless one run already takes seconds.
func (b *bench) queryPrincipal(p string) {
	name := "trailcase timeline --principal " + p
	var pout countWriter
	var qs []result
	for range 3 {
		pout = countWriter{}
		r, err := measure(name, b.work, &pout, b.tc, "timeline", "--case", b.caseFull, "--principal", p, "--format", "jsonl")
		if err != nil {
			fmt.Println("timeline:", err)
			break
		}
		qs = append(qs, r)
		if r.wall > 5*time.Second {
			break
		}
	}
	b.addMedian(qs)
	fmt.Printf("  (%d events, %.0f MB of JSON Lines for %s)\n", pout.lines, float64(pout.n)/1e6, p)
}

// printRatios prints the ratios of trailcase's medians to the baselines'
// and, for ingest, the ratios within each round.
func (b *bench) printRatios(principals, selectors []string) {
	by := map[string]time.Duration{}
	for _, r := range b.results {
		by[r.name] = r.wall
	}
	ratio := func(a, c string) string {
		if by[c] == 0 || by[a] == 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.2f×", by[a].Seconds()/by[c].Seconds())
	}
	paired := func(a, c string) string {
		var rs []string
		for _, r := range roundRatios(b.rounds[a], b.rounds[c]) {
			rs = append(rs, fmt.Sprintf("%.2f", r))
		}
		return strings.Join(rs, ", ")
	}
	fmt.Println()
	fmt.Println("ratios (of medians; in brackets, within each round):")
	fmt.Println("  acquire --no-index / sha256sum:      ", ratio("trailcase acquire --no-index", "sha256sum"), "["+paired("trailcase acquire --no-index", "sha256sum")+"]")
	fmt.Println("  acquire CloudTrail / jq pass:        ", ratio("trailcase acquire (CloudTrail)", "jq -c .Records[] (CloudTrail)"), "["+paired("trailcase acquire (CloudTrail)", "jq -c .Records[] (CloudTrail)")+"]")
	fmt.Println("  acquire all / zcat:                  ", ratio("trailcase acquire (all)", "zcat"), "["+paired("trailcase acquire (all)", "zcat")+"]")
	fmt.Println("  timeline --ip / zcat:                ", ratio("trailcase timeline --ip", "zcat"))
	for _, p := range principals {
		fmt.Printf("  timeline --principal %s / zcat: %s\n", p, ratio("trailcase timeline --principal "+p, "zcat"))
	}
	for _, q := range selectors {
		fmt.Printf("  timeline %s / zcat: %s\n", q, ratio("trailcase timeline "+q, "zcat"))
	}
}
