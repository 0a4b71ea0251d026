package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailcase/trailcase/digest/digesttest"
	"github.com/trailcase/trailcase/evidence/s3test"
)

// digestOpts configures `tcbench digest`.
type digestOpts struct {
	hours, logsPerHour, eventsPerLog int
	repeat, s3Runs                   int
	trailcase, aws                   string
	work                             string
	bucket, prefix, trail            string
	seed                             int64
	keep                             bool
}

const benchRegion = "us-east-1"

// digestBench builds a chain of hourly signed digests over generated
// CloudTrail logs, serves it from moto_server, and times
// `aws cloudtrail validate-logs` against trailcase (acquire, then
// `digest verify` offline) on the same objects.
//
// aws-cli's validate-logs sends its CloudTrail calls (DescribeTrails,
// ListPublicKeys) to --endpoint-url, which only that client uses; its S3
// clients are built without it and take their endpoint from
// AWS_ENDPOINT_URL_S3. moto has no ListPublicKeys, and its own keys could
// not verify the generated signatures anyway, so the CloudTrail endpoint
// is a small in-process server that answers those two calls with the
// trail's bucket and the test key; S3 is moto.
func digestBench(args []string) error {
	o, cleanup, err := parseDigestOpts(args)
	if err != nil {
		return err
	}
	defer cleanup()
	if v, err := exec.Command(o.aws, "--version").CombinedOutput(); err == nil {
		fmt.Printf("aws: %s", v)
	}
	c, err := buildCorpus(o)
	if err != nil {
		return err
	}

	// ---- servers ----
	moto, err := s3test.Start()
	if err != nil {
		return err
	}
	defer moto.Stop()
	upStart := time.Now()
	if err := upload(moto.URL, o.bucket, c.chain); err != nil {
		return err
	}
	fmt.Printf("moto_server %s: %d objects uploaded in %.1fs\n", moto.URL, len(c.chain.Logs)+len(c.chain.Digests), time.Since(upStart).Seconds())

	trailARN := fmt.Sprintf("arn:aws:cloudtrail:%s:%s:trail/%s", benchRegion, c.chain.Account, o.trail)
	ct, err := startCloudTrailStub(o, trailARN, c.key, c.t0)
	if err != nil {
		return err
	}
	defer ct.close()
	fmt.Printf("CloudTrail API stub: %s\n", ct.url)

	env, err := awsEnv(o.work, moto.URL, ct.url)
	if err != nil {
		return err
	}

	// ---- commands ----
	dc := newDigestCommands(o, c, env, moto.URL, ct.url, trailARN)
	t := &timings{times: map[string][]execResult{}}
	for i := 1; i <= o.repeat; i++ {
		if err := dc.round(i, t); err != nil {
			return err
		}
	}

	// ---- report ----
	printDigestReport(o, t)
	fmt.Printf("\nCloudTrail API stub calls: %s\n", ct.calls())
	if o.keep {
		fmt.Printf("scratch directory kept: %s\n", o.work)
	}
	return nil
}

// parseDigestOpts reads the flags of `tcbench digest`, finds the
// binaries and makes the scratch directory; cleanup removes it unless
// -keep or -work was given.
func parseDigestOpts(args []string) (o digestOpts, cleanup func(), err error) {
	fs := flag.NewFlagSet("digest", flag.ExitOnError)
	fs.IntVar(&o.hours, "hours", 168, "hourly digests in the chain")
	fs.IntVar(&o.logsPerHour, "logs-per-hour", 12, "log files per digest")
	fs.IntVar(&o.eventsPerLog, "events-per-log", 24, "CloudTrail records per log file")
	fs.IntVar(&o.repeat, "repeat", 3, "timed runs of each command (the median is reported)")
	fs.IntVar(&o.s3Runs, "s3-runs", 1, "of those runs, how many also time `acquire s3://` from moto (0: none)")
	fs.StringVar(&o.trailcase, "trailcase", "trailcase", "trailcase binary")
	fs.StringVar(&o.aws, "aws", "aws", "aws CLI binary")
	fs.StringVar(&o.work, "work", "", "scratch directory (default: a temp dir, removed afterwards)")
	fs.StringVar(&o.bucket, "bucket", "bench-trail-bucket", "S3 bucket of the trail")
	fs.StringVar(&o.prefix, "prefix", "", "S3 key prefix of the trail")
	fs.StringVar(&o.trail, "trail", "bench-trail", "trail name")
	fs.Int64Var(&o.seed, "seed", 1, "random seed for the log records")
	fs.BoolVar(&o.keep, "keep", false, "keep the scratch directory")
	fs.Parse(args)
	cleanup = func() {}
	if o.hours < 1 || o.logsPerHour < 0 || o.eventsPerLog < 1 || o.repeat < 1 {
		return o, cleanup, errors.New("digest needs -hours ≥ 1, -logs-per-hour ≥ 0, -events-per-log ≥ 1, -repeat ≥ 1")
	}
	if o.trailcase, err = exec.LookPath(o.trailcase); err != nil {
		return o, cleanup, fmt.Errorf("trailcase binary: %w", err)
	}
	if o.aws, err = exec.LookPath(o.aws); err != nil {
		return o, cleanup, fmt.Errorf("aws CLI: %w", err)
	}
	if o.work != "" {
		o.work, err = filepath.Abs(o.work)
		return o, cleanup, err
	}
	if o.work, err = os.MkdirTemp("", "tcbench-digest-"); err != nil {
		return o, cleanup, err
	}
	if !o.keep {
		work := o.work
		cleanup = func() { os.RemoveAll(work) }
	}
	return o, cleanup, nil
}

// digestCorpus is the generated chain, its signing key, and where the
// chain and the public key file were written.
type digestCorpus struct {
	t0           time.Time
	key          *rsa.PrivateKey
	chain        *digesttest.Chain
	src, keyFile string
}

// buildCorpus generates and writes the chain and prints its size.
func buildCorpus(o digestOpts) (*digestCorpus, error) {
	c := &digestCorpus{t0: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)}
	genStart := time.Now()
	var err error
	if c.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return nil, err
	}
	chain, inflated, events, err := buildChain(o, c.key, c.t0)
	if err != nil {
		return nil, err
	}
	c.chain = chain
	c.src = filepath.Join(o.work, "src", o.bucket)
	if err := chain.WriteDir(c.src); err != nil {
		return nil, err
	}
	c.keyFile = filepath.Join(o.work, "public-keys.json")
	if err := os.WriteFile(c.keyFile, digesttest.KeyFile(c.t0.Add(-24*time.Hour), c.t0.Add(time.Duration(o.hours+24)*time.Hour), &c.key.PublicKey), 0o644); err != nil {
		return nil, err
	}
	var stored int64
	for _, l := range chain.Logs {
		stored += int64(len(l.Body))
	}
	for _, d := range chain.Digests {
		stored += int64(len(d.Body))
	}
	fmt.Printf("corpus: %d digests, %d logs, %d events; %.1f MB stored (gzip), %.1f MB inflated logs; built in %.1fs\n",
		len(chain.Digests), len(chain.Logs), events, float64(stored)/1e6, float64(inflated)/1e6, time.Since(genStart).Seconds())
	return c, nil
}

// digestVariant is one way trailcase acquires the chain before
// `digest verify`.
type digestVariant struct {
	name    string
	acquire func(cs string) []string
	s3      bool // limited to the first -s3-runs runs
}

// digestCommands are the timed commands of a digest benchmark.
type digestCommands struct {
	o                     digestOpts
	env                   []string
	aws                   []string
	variants              []digestVariant
	wantDigests, wantLogs int
	keyFile               string
}

// newDigestCommands builds the commands and prints them.
func newDigestCommands(o digestOpts, c *digestCorpus, env []string, motoURL, ctURL, trailARN string) *digestCommands {
	end := c.t0.Add(time.Duration(o.hours) * time.Hour)
	dc := &digestCommands{o: o, env: env, wantDigests: len(c.chain.Digests), wantLogs: len(c.chain.Logs), keyFile: c.keyFile}
	dc.aws = []string{o.aws, "cloudtrail", "validate-logs", "--trail-arn", trailARN,
		"--start-time", c.t0.Format(time.RFC3339), "--end-time", end.Format(time.RFC3339),
		"--region", benchRegion, "--endpoint-url", ctURL}
	fmt.Printf("aws command: AWS_ENDPOINT_URL_S3=%s %s\n", motoURL, strings.Join(dc.aws, " "))
	dirAcquire := func(extra ...string) func(string) []string {
		return func(cs string) []string {
			return append(append([]string{o.trailcase, "acquire", "--quiet", "--case", cs}, extra...), c.src)
		}
	}
	s3Source := "s3://" + o.bucket
	if o.prefix != "" {
		s3Source += "/" + strings.Trim(o.prefix, "/")
	}
	dc.variants = []digestVariant{
		{"acquire dir", dirAcquire(), false},
		{"acquire dir --no-index", dirAcquire("--no-index"), false},
		{"acquire s3:// (moto)", func(cs string) []string {
			return []string{o.trailcase, "acquire", "--quiet", "--case", cs, "--endpoint-url", motoURL, "--region", benchRegion, s3Source}
		}, true},
	}
	fmt.Printf("trailcase: %s (then %s)\n", strings.Join(dc.variants[0].acquire("CASE"), " "), strings.Join(dc.verify("CASE"), " "))
	return dc
}

// verify is the trailcase command that checks the chain in case cs.
func (dc *digestCommands) verify(cs string) []string {
	return []string{dc.o.trailcase, "digest", "verify", "--case", cs, "--public-keys", dc.keyFile, "--json", "--no-record"}
}

// timings are the results of each command, in the order first run.
type timings struct {
	order []string
	times map[string][]execResult
}

func (t *timings) add(name string, r execResult) {
	if _, ok := t.times[name]; !ok {
		t.order = append(t.order, name)
	}
	t.times[name] = append(t.times[name], r)
}

// round times run i of aws-cli and of every trailcase variant.
func (dc *digestCommands) round(i int, t *timings) error {
	o := dc.o
	r, err := execTimed(dc.env, dc.aws...)
	if err == nil {
		err = checkValidateLogs(r, dc.wantDigests, dc.wantLogs)
	}
	if err != nil {
		return fmt.Errorf("aws cloudtrail validate-logs (run %d): %w", i, err)
	}
	t.add("aws cloudtrail validate-logs", r)
	fmt.Fprintf(os.Stderr, "run %d/%d: aws cloudtrail validate-logs %.2fs\n", i, o.repeat, r.wall.Seconds())
	if i == 1 {
		fmt.Printf("aws output: %s\n", summaryLine(r.stdout))
	}
	for vi, v := range dc.variants {
		if v.s3 && i > o.s3Runs {
			continue
		}
		if err := dc.runVariant(i, vi, v, t); err != nil {
			return err
		}
	}
	return nil
}

// runVariant times variant v in run i: init a case, acquire, verify.
func (dc *digestCommands) runVariant(i, vi int, v digestVariant, t *timings) error {
	o := dc.o
	cs := filepath.Join(o.work, fmt.Sprintf("run%d-%d.tcase", i, vi))
	os.Remove(cs)
	if r, err := execTimed(dc.env, o.trailcase, "init", "--case", cs, "--name", "digest-bench", "--examiner", "bench"); err != nil || r.code != 0 {
		return fmt.Errorf("trailcase init: %v %s", err, r.stderr)
	}
	ra, err := execTimed(dc.env, v.acquire(cs)...)
	if err == nil && ra.code != 0 {
		err = fmt.Errorf("exit %d: %s", ra.code, ra.stderr)
	}
	if err != nil {
		return fmt.Errorf("trailcase %s (run %d): %w", v.name, i, err)
	}
	rv, err := execTimed(dc.env, dc.verify(cs)...)
	if err == nil {
		err = checkDigestVerify(rv, dc.wantDigests, dc.wantLogs)
	}
	if err != nil {
		return fmt.Errorf("trailcase digest verify after %s (run %d): %w", v.name, i, err)
	}
	if i == 1 && vi == 0 {
		fmt.Printf("trailcase output: %s\n", verifySummary(rv.stdout))
	}
	t.add("trailcase digest verify (after "+v.name+")", rv)
	t.add("trailcase "+v.name, ra)
	t.add("trailcase "+v.name+" + digest verify", execResult{wall: ra.wall + rv.wall, maxRSS: max(ra.maxRSS, rv.maxRSS)})
	fmt.Fprintf(os.Stderr, "run %d/%d: trailcase %s %.2fs + digest verify %.2fs\n", i, o.repeat, v.name, ra.wall.Seconds(), rv.wall.Seconds())
	os.Remove(cs)
	return nil
}

// printDigestReport prints every command's runs, median and peak RSS,
// then the ratios to aws-cli.
func printDigestReport(o digestOpts, t *timings) {
	fmt.Println()
	fmt.Printf("%-56s%s %9s %9s\n", "command", runHeader(o.repeat), "median", "peak RSS")
	med := map[string]time.Duration{}
	for _, name := range t.order {
		rs := t.times[name]
		var walls []string
		var ds []time.Duration
		var rss int64
		for _, r := range rs {
			walls = append(walls, fmt.Sprintf("%9s", fmt.Sprintf("%.2fs", r.wall.Seconds())))
			ds = append(ds, r.wall)
			rss = max(rss, r.maxRSS)
		}
		for range o.repeat - len(rs) {
			walls = append(walls, fmt.Sprintf("%9s", "-"))
		}
		med[name] = median(ds)
		fmt.Printf("%-56s%s %9s %6.0f MB\n", name, strings.Join(walls, ""), fmt.Sprintf("%.2fs", med[name].Seconds()), float64(rss)/1024)
	}
	base := med["aws cloudtrail validate-logs"]
	fmt.Println()
	fmt.Println("ratios to aws cloudtrail validate-logs (medians; target ≤ 0.1×):")
	for _, name := range []string{
		"trailcase digest verify (after acquire dir)",
		"trailcase acquire dir + digest verify",
		"trailcase acquire dir --no-index + digest verify",
		"trailcase acquire s3:// (moto) + digest verify",
	} {
		if _, ok := med[name]; ok {
			fmt.Printf("  %-50s %.3f×\n", name, med[name].Seconds()/base.Seconds())
		}
	}
}

func runHeader(n int) string {
	var h []string
	for i := 1; i <= n; i++ {
		h = append(h, fmt.Sprintf("%9s", "run "+strconv.Itoa(i)))
	}
	return strings.Join(h, "")
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// buildChain generates hours × logsPerHour CloudTrail logs, each
// delivered inside its hour and listed by that hour's digest. It returns
// the chain, the total inflated size of the logs and the record count.
func buildChain(o digestOpts, key *rsa.PrivateKey, t0 time.Time) (*digesttest.Chain, int64, int, error) {
	r := mrand.New(mrand.NewSource(o.seed))
	c := digesttest.NewChain(key, account, benchRegion, o.trail, o.bucket, o.prefix)
	c.Start = t0
	var inflated int64
	events := 0
	var buf bytes.Buffer
	step := 3600 / max(o.logsPerHour, 1)
	for h := 0; h < o.hours; h++ {
		hour := t0.Add(time.Duration(h) * time.Hour)
		var logs []*digesttest.Log
		for i := 0; i < o.logsPerHour; i++ {
			delivered := hour.Add(time.Duration(i*step+r.Intn(max(step, 1))) * time.Second)
			first := delivered.Add(-15 * time.Minute)
			buf.Reset()
			buf.WriteString(`{"Records":[`)
			for e := 0; e < o.eventsPerLog; e++ {
				if e > 0 {
					buf.WriteByte(',')
				}
				writeCTRecord(&buf, r, first.Add(time.Duration(e*600/o.eventsPerLog)*time.Second))
			}
			buf.WriteString("]}")
			inflated += int64(buf.Len())
			events += o.eventsPerLog
			l, err := c.NewRecordsLog(delivered, bytes.Clone(buf.Bytes()))
			if err != nil {
				return nil, 0, 0, err
			}
			logs = append(logs, l)
		}
		if _, err := c.AddDigest(logs...); err != nil {
			return nil, 0, 0, err
		}
	}
	return c, inflated, events, nil
}

// upload creates bucket in moto and puts every log and digest, digests
// with their signature user metadata as CloudTrail writes them.
func upload(endpoint, bucket string, c *digesttest.Chain) error {
	ctx := context.Background()
	cl := s3test.Client(endpoint)
	if _, err := cl.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return fmt.Errorf("create bucket %q: %w", bucket, err)
	}
	type obj struct {
		key  string
		body []byte
		meta map[string]string
	}
	objs := make(chan obj)
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ob := range objs {
				_, err := cl.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(ob.key),
					Body: bytes.NewReader(ob.body), ContentLength: aws.Int64(int64(len(ob.body))), Metadata: ob.meta})
				if err != nil {
					select {
					case errc <- fmt.Errorf("put %q: %w", ob.key, err):
					default:
					}
				}
			}
		}()
	}
	for _, l := range c.Logs {
		objs <- obj{l.Key, l.Body, nil}
	}
	for _, d := range c.Digests {
		objs <- obj{d.Key, d.Body, map[string]string{"signature": d.Signature, "signature-algorithm": "SHA256withRSA"}}
	}
	close(objs)
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

// cloudTrailStub answers the CloudTrail JSON API calls validate-logs
// makes: DescribeTrails (the trail's bucket and prefix) and
// ListPublicKeys (the test key). Anything else is refused and counted.
type cloudTrailStub struct {
	url string
	srv *http.Server
	mu  sync.Mutex
	n   map[string]int
}

func startCloudTrailStub(o digestOpts, trailARN string, key *rsa.PrivateKey, t0 time.Time) (*cloudTrailStub, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	der := x509.MarshalPKCS1PublicKey(&key.PublicKey)
	trail := map[string]any{
		"Name": o.trail, "S3BucketName": o.bucket, "IncludeGlobalServiceEvents": true, "IsMultiRegionTrail": false,
		"HomeRegion": benchRegion, "TrailARN": trailARN, "LogFileValidationEnabled": true,
		"HasCustomEventSelectors": false, "HasInsightSelectors": false, "IsOrganizationTrail": false,
	}
	if o.prefix != "" {
		trail["S3KeyPrefix"] = strings.Trim(o.prefix, "/")
	}
	describe, _ := json.Marshal(map[string]any{"trailList": []any{trail}})
	// JSON-protocol blobs travel base64-encoded; timestamps as epoch seconds.
	keys, _ := json.Marshal(map[string]any{"PublicKeyList": []any{map[string]any{
		"Value":             base64.StdEncoding.EncodeToString(der),
		"ValidityStartTime": t0.Add(-24 * time.Hour).Unix(),
		"ValidityEndTime":   t0.Add(time.Duration(o.hours+24) * time.Hour).Unix(),
		"Fingerprint":       digesttest.KeyFingerprint(&key.PublicKey),
	}}})
	s := &cloudTrailStub{url: "http://" + l.Addr().String(), n: map[string]int{}}
	s.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		target := r.Header.Get("X-Amz-Target")
		op := target[strings.LastIndexByte(target, '.')+1:]
		if op == "" {
			op = r.Method + " " + r.URL.Path
		}
		s.mu.Lock()
		s.n[op]++
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		switch {
		case strings.HasPrefix(target, "com.amazonaws.cloudtrail.") && op == "DescribeTrails":
			w.Write(describe)
		case strings.HasPrefix(target, "com.amazonaws.cloudtrail.") && op == "ListPublicKeys":
			w.Write(keys)
		default:
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"__type":"UnknownOperationException","message":"the benchmark stub does not answer %s"}`, op)
		}
	})}
	go s.srv.Serve(l)
	return s, nil
}

func (s *cloudTrailStub) close() { s.srv.Close() }

func (s *cloudTrailStub) calls() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var parts []string
	for op, n := range s.n {
		parts = append(parts, fmt.Sprintf("%s=%d", op, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// awsEnv isolates the aws CLI (and trailcase's S3 client) from any real
// configuration: fixed test credentials, config files under work, S3
// addressed path-style at moto, everything else at the stub.
func awsEnv(work, motoURL, stubURL string) ([]string, error) {
	cfg := filepath.Join(work, "aws-config")
	creds := filepath.Join(work, "aws-credentials")
	if err := os.WriteFile(cfg, []byte("[default]\nregion = us-east-1\noutput = json\ns3 =\n    addressing_style = path\n"), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(creds, []byte("[default]\naws_access_key_id = AKIATESTTESTTESTTEST\naws_secret_access_key = secret\n"), 0o600); err != nil {
		return nil, err
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"AWS_CONFIG_FILE="+cfg, "AWS_SHARED_CREDENTIALS_FILE="+creds,
		"AWS_ACCESS_KEY_ID=AKIATESTTESTTESTTEST", "AWS_SECRET_ACCESS_KEY=secret",
		"AWS_DEFAULT_REGION=us-east-1", "AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=",
		// A service without its own endpoint (should validate-logs call one)
		// reaches the stub, which refuses and counts it, never AWS.
		"AWS_ENDPOINT_URL="+stubURL,
		"AWS_ENDPOINT_URL_S3="+motoURL,
	), nil
}

type execResult struct {
	wall           time.Duration
	maxRSS         int64 // KiB
	code           int
	stdout, stderr []byte
}

// execTimed runs args with env and returns its wall time, peak RSS, exit
// code and output. A non-zero exit is not an error; failing to start is.
func execTimed(env []string, args ...string) (execResult, error) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := execResult{wall: time.Since(start), stdout: out.Bytes(), stderr: errb.Bytes()}
	if cmd.ProcessState != nil {
		r.code = cmd.ProcessState.ExitCode()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.maxRSS = ru.Maxrss
		}
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return r, err
	}
	return r, nil
}

var (
	validDigestsRE = regexp.MustCompile(`(?m)^(\d+)/(\d+) digest files valid$`)
	validLogsRE    = regexp.MustCompile(`(?m)^(\d+)/(\d+) log files valid$`)
)

// checkValidateLogs requires validate-logs to have exited 0, reported
// every digest and log valid, and nothing INVALID.
func checkValidateLogs(r execResult, digests, logs int) error {
	out := string(r.stdout)
	if r.code != 0 || strings.Contains(out, "INVALID") || strings.Contains(string(r.stderr), "INVALID") {
		return fmt.Errorf("exit %d, not all valid:\n%s%s", r.code, tail(out), tail(string(r.stderr)))
	}
	want := func(re *regexp.Regexp, n int, what string) error {
		m := re.FindStringSubmatch(out)
		if m == nil || m[1] != strconv.Itoa(n) || m[2] != strconv.Itoa(n) {
			return fmt.Errorf("want %d/%d %s files valid:\n%s%s", n, n, what, tail(out), tail(string(r.stderr)))
		}
		return nil
	}
	if err := want(validDigestsRE, digests, "digest"); err != nil {
		return err
	}
	if logs == 0 {
		return nil
	}
	return want(validLogsRE, logs, "log")
}

// checkDigestVerify requires `trailcase digest verify --json` to have
// exited 0 and reported a valid result covering every digest and log with
// every signature verified.
func checkDigestVerify(r execResult, digests, logs int) error {
	var v struct {
		Valid              bool              `json:"valid"`
		Chains             json.RawMessage   `json:"chains"`
		DigestsChecked     int               `json:"digests_checked"`
		LogsChecked        int               `json:"logs_checked"`
		SignaturesVerified int               `json:"signatures_verified"`
		Problems           []json.RawMessage `json:"problems"`
	}
	if err := json.Unmarshal(r.stdout, &v); err != nil {
		return fmt.Errorf("exit %d, output is not JSON (%v):\n%s%s", r.code, err, tail(string(r.stdout)), tail(string(r.stderr)))
	}
	if r.code != 0 || !v.Valid || len(v.Problems) != 0 || v.DigestsChecked != digests || v.LogsChecked != logs || v.SignaturesVerified != digests {
		return fmt.Errorf("exit %d, valid=%v, digests %d/%d, logs %d/%d, signatures %d/%d, %d problems:\n%s",
			r.code, v.Valid, v.DigestsChecked, digests, v.LogsChecked, logs, v.SignaturesVerified, digests, len(v.Problems), tail(string(r.stdout)))
	}
	return nil
}

func verifySummary(b []byte) string {
	var v struct {
		Valid              bool `json:"valid"`
		DigestsChecked     int  `json:"digests_checked"`
		LogsChecked        int  `json:"logs_checked"`
		SignaturesVerified int  `json:"signatures_verified"`
	}
	json.Unmarshal(b, &v)
	return fmt.Sprintf("valid=%v digests_checked=%d logs_checked=%d signatures_verified=%d", v.Valid, v.DigestsChecked, v.LogsChecked, v.SignaturesVerified)
}

// summaryLine condenses validate-logs' summary onto one line.
func summaryLine(b []byte) string {
	var parts []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "Validating") {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, " | ")
}

func tail(s string) string {
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	return s
}
