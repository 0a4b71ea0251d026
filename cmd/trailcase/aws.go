package main

import (
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/evidence/awsconfig"
)

// awsFlags are the flags of every command that talks to S3.
func awsFlags() []cli.Flag {
	return awsFlagsWith("S3-compatible endpoint `URL` (path-style addressing)")
}

// awsFlagsWith are the flags of a command that talks to AWS, its
// --endpoint-url described by endpointUsage.
func awsFlagsWith(endpointUsage string) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "profile", Usage: "AWS shared-config `PROFILE`", EnvVars: []string{"AWS_PROFILE"}},
		&cli.StringFlag{Name: "region", Usage: "AWS `REGION`"},
		&cli.StringFlag{Name: "endpoint-url", Usage: endpointUsage},
	}
}

// awsOptions reads --profile, --region and --endpoint-url; the rest
// comes from the standard credential chain.
func awsOptions(c *cli.Context) awsconfig.Options {
	return awsconfig.Options{Profile: c.String("profile"), Region: c.String("region"), Endpoint: c.String("endpoint-url")}
}

// awsConfigHint adds the hint for an AWS configuration that could not be
// loaded for a named profile.
func awsConfigHint(err error) error {
	var ce *awsconfig.ConfigError
	if errors.As(err, &ce) && ce.Profile != "" {
		return withHint(err, "check ~/.aws/config and ~/.aws/credentials, or run 'aws configure list --profile "+ce.Profile+"'")
	}
	return err
}
