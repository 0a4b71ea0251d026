package s3

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// Errors an S3 source or check fails with when S3 cannot be used at all.
// Callers branch on them to print a hint.
var (
	// ErrCredentials: the credentials were rejected (expired, unknown key,
	// bad secret) or could not be found.
	ErrCredentials = errors.New("credentials")
	// ErrUnreachable: nothing answered like S3 at the endpoint.
	ErrUnreachable = errors.New("S3 endpoint unreachable")
	// ErrNoBucket: the bucket does not exist.
	ErrNoBucket = errors.New("no such bucket")
	// ErrRegion: the bucket lives in another region than the one asked.
	ErrRegion = errors.New("bucket is in another region")
)

// Error codes from S3, as smithy.APIError.ErrorCode() reports them.
const (
	codeLockConfigNotFound = "ObjectLockConfigurationNotFoundError"
	codeNoLockConfig       = "NoSuchObjectLockConfiguration"
	codeInvalidRequest     = "InvalidRequest"
	codeAccessDenied       = "AccessDenied"
	codeNoSuchKey          = "NoSuchKey"
	codeNoSuchVersion      = "NoSuchVersion"
	codeNoSuchBucket       = "NoSuchBucket"
	codePreconditionFailed = "PreconditionFailed"
)

// s3Code returns the S3 error code of err, or "".
func s3Code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// s3Status returns the HTTP status of the response that produced err, or 0.
func s3Status(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// s3Reason is a short description of an S3 error for reports: the error
// code and the HTTP status when there was a response.
func s3Reason(err error) string {
	code, status := s3Code(err), s3Status(err)
	switch {
	case code != "" && status != 0:
		return fmt.Sprintf("%s, HTTP %d", code, status)
	case code != "":
		return code
	case status != 0:
		return fmt.Sprintf("HTTP %d", status)
	}
	return err.Error()
}

func isCode(err error, codes ...string) bool {
	c := s3Code(err)
	if c == "" {
		return false
	}
	for _, x := range codes {
		if c == x {
			return true
		}
	}
	return false
}

// isGone: the object or version no longer exists. HeadObject answers have
// no body, so the SDK names the code after the status text ("NotFound").
func isGone(err error) bool { return isCode(err, codeNoSuchKey, codeNoSuchVersion, "NotFound") }

// isDenied: the caller may not do this. HeadObject's bodiless answer is
// reported as "Forbidden".
func isDenied(err error) bool {
	return isCode(err, codeAccessDenied, "Forbidden", "AllAccessDisabled")
}

func isCredentials(err error) bool {
	if isCode(err, "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException",
		"TokenRefreshRequired", "InvalidToken", "InvalidClientTokenId", "UnrecognizedClientException") {
		return true
	}
	// Credentials that could not be loaded at all never reach S3.
	var oe *smithy.OperationError
	if errors.As(err, &oe) && s3Status(err) == 0 && s3Code(err) == "" {
		var ue *url.Error
		var ne net.Error
		if !errors.As(err, &ue) && !errors.As(err, &ne) && strings.Contains(strings.ToLower(err.Error()), "credential") {
			return true
		}
	}
	return false
}

func isUnreachable(err error) bool {
	if s3Status(err) != 0 {
		return false
	}
	var ne net.Error
	var ue *url.Error
	var oe *net.OpError
	var de *net.DNSError
	return errors.As(err, &ne) || errors.As(err, &ue) || errors.As(err, &oe) || errors.As(err, &de)
}

// fatalS3 classifies an error that stops all work on a bucket and returns
// it wrapped with a clear message naming the bucket, or nil when err is
// not of that kind (one object or one call failed; the rest may work).
func fatalS3(bucket, endpoint string, err error) error {
	where := "S3"
	if endpoint != "" {
		where = fmt.Sprintf("the endpoint %q", endpoint)
	}
	switch {
	case isCredentials(err) && s3Code(err) == "":
		return fmt.Errorf("bucket %q: no usable AWS %w: give --profile or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (%v)", bucket, ErrCredentials, err)
	case isCredentials(err):
		return fmt.Errorf("bucket %q: %w rejected by S3 (%s): check --profile or the AWS_* variables, and refresh expired session credentials", bucket, ErrCredentials, s3Reason(err))
	case isCode(err, codeNoSuchBucket):
		return fmt.Errorf("bucket %q: %w at %s: %v", bucket, ErrNoBucket, where, err)
	case isCode(err, "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException", "MovedPermanently", "301"):
		region := ""
		var re *awshttp.ResponseError
		if errors.As(err, &re) && re.Response != nil {
			region = re.Response.Header.Get("x-amz-bucket-region")
		}
		if region != "" {
			return fmt.Errorf("bucket %q: %w %q: give --region %s", bucket, ErrRegion, region, region)
		}
		return fmt.Errorf("bucket %q: %w: give its --region (%s)", bucket, ErrRegion, s3Reason(err))
	case isUnreachable(err):
		return fmt.Errorf("bucket %q: %w: no answer from %s: check --endpoint-url and the network: %v", bucket, ErrUnreachable, where, err)
	}
	return nil
}

// redirectRegion returns the region S3 named when a request went to the
// wrong one, or "".
func redirectRegion(err error) string {
	if err == nil {
		return ""
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil && (re.HTTPStatusCode() == 301 || re.HTTPStatusCode() == 400) {
		return re.Response.Header.Get("x-amz-bucket-region")
	}
	return ""
}
