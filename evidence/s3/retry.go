package s3

import (
	"context"
	"errors"
	"net"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The retry policy of S3 requests, in one place: NewClient's retryer
// tries a request MaxAttempts times (throttling, 5xx, dropped
// connections) with exponential backoff and jitter; the lock calls make
// an HTTP 500 final (noRetryOn500); a cut-off body restarts the
// object's download at most s3BodyAttempts times (fetch).

// MaxAttempts is how often NewClient's client tries one S3 request.
const MaxAttempts = 8

// newRetryer is the retryer of NewClient's client.
func newRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = MaxAttempts
		o.MaxBackoff = 20 * time.Second
		// Bulk downloads hit throttling in bursts: back off, but never
		// give up on a request because a client-side quota ran out.
		o.RateLimiter = ratelimit.None
		// A refused connection or an unknown host is a wrong endpoint,
		// not a passing fault: fail at once with a clear message.
		o.Retryables = append([]retry.IsErrorRetryable{retry.IsErrorRetryableFunc(wrongEndpoint)}, o.Retryables...)
	})
}

// wrongEndpoint says "do not retry" for errors that retrying cannot fix.
func wrongEndpoint(err error) aws.Ternary {
	var dns *net.DNSError
	if errors.Is(err, syscall.ECONNREFUSED) || (errors.As(err, &dns) && dns.IsNotFound) {
		return aws.FalseTernary
	}
	return aws.UnknownTernary
}

// noRetryOn500 wraps the client's retryer so an HTTP 500 is final.
func noRetryOn500(o *s3.Options) {
	if o.Retryer != nil {
		o.Retryer = no500Retryer{o.Retryer}
	}
}

type no500Retryer struct{ aws.Retryer }

func (r no500Retryer) IsErrorRetryable(err error) bool {
	if s3Status(err) == 500 {
		return false
	}
	return r.Retryer.IsErrorRetryable(err)
}

func (r no500Retryer) GetAttemptToken(ctx context.Context) (func(error) error, error) {
	if v2, ok := r.Retryer.(aws.RetryerV2); ok {
		return v2.GetAttemptToken(ctx)
	}
	return r.Retryer.GetInitialToken(), nil
}
