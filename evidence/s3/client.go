package s3

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailcase/trailcase/evidence/awsconfig"
)

// Client is an S3 client built by NewClient. It implements API.
type Client struct {
	*s3.Client
	// Endpoint is the custom endpoint the client talks to (given or
	// configured), "" for AWS's own; errors name it.
	Endpoint string
}

// NewClient builds an S3 client from the standard credential chain,
// narrowed by o, with the retry policy of retry.go. A custom endpoint is
// addressed path-style, as S3-compatible servers expect. Configuration
// errors are *awsconfig.ConfigError.
func NewClient(ctx context.Context, o awsconfig.Options) (*Client, error) {
	cfg, err := awsconfig.Load(ctx, o, config.WithRetryer(newRetryer))
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		// Any region will do to ask where the bucket lives: the source
		// follows the bucket's own region from there.
		cfg.Region = "us-east-1"
	}
	c := &Client{}
	c.Client = s3.NewFromConfig(cfg, func(so *s3.Options) {
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(o.Endpoint)
		}
		if so.BaseEndpoint != nil {
			so.UsePathStyle = true
			c.Endpoint = *so.BaseEndpoint
		}
		// Integrity is checked against the ETag and by SHA-256; do not
		// depend on the server sending flexible checksums.
		so.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		so.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	})
	return c, nil
}
