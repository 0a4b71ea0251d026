// Package awsconfig loads the AWS configuration that trailcase's
// AWS-facing packages (evidence/s3, evidence/cloudtrail) build their
// clients from: the standard credential chain, narrowed by a
// shared-config profile and a region. Each client adds its own retry
// policy and endpoint handling.
//
// It never talks to AWS itself, never prints and never reads flags.
package awsconfig

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// Options choose the AWS configuration of a client.
type Options struct {
	Profile  string // shared-config profile; "" means the default chain
	Region   string // "" means the configured region
	Endpoint string // custom endpoint URL; "" means the configured one or AWS's own
}

// ConfigError means the AWS configuration could not be loaded (an
// unknown profile, a broken shared config file).
type ConfigError struct {
	Profile string // the profile asked for, or ""
	Err     error
}

func (e *ConfigError) Error() string {
	if e.Profile != "" {
		return fmt.Sprintf("AWS configuration for profile %q: %v", e.Profile, e.Err)
	}
	return fmt.Sprintf("AWS configuration: %v", e.Err)
}

func (e *ConfigError) Unwrap() error { return e.Err }

// Load returns the configuration for o; extra are further SDK load
// options (a client's retry policy). Errors are *ConfigError.
func Load(ctx context.Context, o Options, extra ...func(*config.LoadOptions) error) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if ctx == nil {
		ctx = context.Background()
	}
	cfg, err := config.LoadDefaultConfig(ctx, append(opts, extra...)...)
	if err != nil {
		return cfg, &ConfigError{Profile: o.Profile, Err: err}
	}
	return cfg, nil
}
