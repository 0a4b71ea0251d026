// Package s3test starts a local S3-compatible server (moto_server) for
// tests and fills it with the buckets and objects the S3 tests expect.
// It never talks to AWS.
package s3test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TB is the part of testing.TB the helpers use.
type TB interface {
	Helper()
	Skip(args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
	Logf(format string, args ...any)
}

// Server is a running moto_server.
type Server struct {
	URL string
	cmd *exec.Cmd
	log *os.File
}

// ErrNoMoto is returned by Start when moto_server is not installed.
var ErrNoMoto = errors.New("moto_server not found in PATH")

// Start runs moto_server on a free loopback port and waits until it
// answers. Stop ends it.
func Start() (*Server, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, ErrNoMoto
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	logf, err := os.CreateTemp("", "moto-*.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		os.Remove(logf.Name())
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, log: logf}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return s, nil
		}
		select {
		case <-exited:
			b, _ := os.ReadFile(logf.Name())
			s.Stop()
			return nil, fmt.Errorf("moto_server exited: %s", strings.TrimSpace(string(b)))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("moto_server did not answer on %s within 30 s", s.URL)
		}
	}
}

// Stop ends the server (its own process group only) and removes its log.
func (s *Server) Stop() {
	if s.cmd.Process != nil {
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() {
			for i := 0; i < 50; i++ {
				if syscall.Kill(s.cmd.Process.Pid, 0) != nil {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			close(done)
		}()
		<-done
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	}
	s.log.Close()
	os.Remove(s.log.Name())
}

// Required reports whether S3 tests must run: under CI (the CI variable
// set) a missing moto_server is a failure, elsewhere a skip.
func Required() bool { return os.Getenv("CI") != "" }

// Moto starts moto_server for one test and stops it at cleanup. Without
// moto_server the test is skipped, unless CI is set: then it fails.
func Moto(t TB) *Server {
	t.Helper()
	s, err := Start()
	if errors.Is(err, ErrNoMoto) && !Required() {
		t.Skip("moto_server is not installed: S3 tests skipped (they run, and fail without it, when CI is set)")
	}
	if err != nil {
		t.Fatalf("moto_server: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Client returns an S3 client for endpoint with test credentials,
// path-style addressing and no retries beyond the SDK's default.
func Client(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region:                     "us-east-1",
		BaseEndpoint:               aws.String(endpoint),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider("AKIATESTTESTTESTTEST", "secret", ""),
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
	})
}

// Fixture names.
const (
	LockedBucket = "evidence-locked" // Object Lock, default retention GOVERNANCE 1 day, versioned
	PlainBucket  = "evidence-plain"  // no Object Lock, no versioning

	Account    = "111122223333"
	KeyCompl   = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T1005Z_aaaaaaaaaaaaaaaa.json"
	KeyGov     = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T1010Z_bbbbbbbbbbbbbbbb.json"
	KeyHold    = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T1015Z_cccccccccccccccc.json"
	KeyDefault = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T1020Z_dddddddddddddddd.json"
	KeyDigest  = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/111122223333_CloudTrail-Digest_us-east-1_main_us-east-1_20240501T110000Z.json"
	KeyPlain   = "AWSLogs/111122223333/vpcflowlogs/us-east-1/2024/05/01/flow.log"
	KeyNotes   = "notes/readme.txt"

	Signature = "6f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8"
)

// RetainUntil is the retain-until date of the explicitly locked objects.
var RetainUntil = time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)

// Body returns the content stored under key by Seed.
func Body(key string) string {
	switch key {
	case KeyDigest:
		return `{"awsAccountId":"111122223333","digestStartTime":"2024-05-01T10:00:00Z","digestEndTime":"2024-05-01T11:00:00Z","digestS3Bucket":"evidence-locked","digestS3Object":"` + KeyDigest + `","newestEventTime":null,"oldestEventTime":null,"previousDigestS3Bucket":null,"previousDigestS3Object":null,"previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null,"digestPublicKeyFingerprint":"00","digestSignatureAlgorithm":"SHA256withRSA","logFiles":[]}`
	case KeyPlain:
		return "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n2 111122223333 eni-0a1b2c3d 203.0.113.7 10.0.1.5 51515 443 6 10 840 1714557600 1714557660 ACCEPT OK\n"
	case KeyNotes:
		return "not a log\n"
	}
	return `{"Records":[{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE","userName":"alice"},"eventTime":"2024-05-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","requestParameters":null,"responseElements":null,"eventID":"` + key[len(key)-21:len(key)-5] + `","eventType":"AwsApiCall","recipientAccountId":"111122223333"}]}`
}

// Seed creates the fixture buckets and objects:
//   - LockedBucket: Object Lock with default retention GOVERNANCE 1 day;
//     KeyCompl COMPLIANCE and KeyGov GOVERNANCE until RetainUntil, KeyHold
//     with a legal hold ON, KeyDefault with the default retention only,
//     KeyDigest with signature metadata (x-amz-meta-signature).
//   - PlainBucket: no Object Lock; KeyPlain and KeyNotes.
func Seed(ctx context.Context, c *s3.Client) error {
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(LockedBucket), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		return fmt.Errorf("create %s: %w", LockedBucket, err)
	}
	if _, err := c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{
		Bucket: aws.String(LockedBucket),
		ObjectLockConfiguration: &types.ObjectLockConfiguration{
			ObjectLockEnabled: types.ObjectLockEnabledEnabled,
			Rule:              &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(1)}},
		},
	}); err != nil {
		return fmt.Errorf("lock configuration: %w", err)
	}
	puts := []*s3.PutObjectInput{
		{Key: aws.String(KeyCompl), ObjectLockMode: types.ObjectLockModeCompliance, ObjectLockRetainUntilDate: aws.Time(RetainUntil)},
		{Key: aws.String(KeyGov), ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(RetainUntil)},
		{Key: aws.String(KeyHold), ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn},
		{Key: aws.String(KeyDefault)},
		{Key: aws.String(KeyDigest), Metadata: map[string]string{"signature": Signature, "signature-algorithm": "SHA256withRSA"}},
	}
	for _, in := range puts {
		in.Bucket = aws.String(LockedBucket)
		in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32
		in.Body = strings.NewReader(Body(*in.Key))
		if _, err := c.PutObject(ctx, in); err != nil {
			return fmt.Errorf("put %s: %w", *in.Key, err)
		}
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(PlainBucket)}); err != nil {
		return fmt.Errorf("create %s: %w", PlainBucket, err)
	}
	for _, k := range []string{KeyPlain, KeyNotes} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(PlainBucket), Key: aws.String(k), Body: strings.NewReader(Body(k))}); err != nil {
			return fmt.Errorf("put %s: %w", k, err)
		}
	}
	return nil
}
