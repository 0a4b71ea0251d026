package main

import (
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/urfave/cli/v2"
)

// awsFlags are the flags of every command that talks to AWS.
func awsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "profile", Usage: "AWS shared-config `PROFILE`", EnvVars: []string{"AWS_PROFILE"}},
		&cli.StringFlag{Name: "region", Usage: "AWS `REGION`"},
		&cli.StringFlag{Name: "endpoint-url", Usage: "S3-compatible endpoint `URL` (path-style addressing)"},
	}
}

// awsConfigOptions turns --profile and --region into SDK config options;
// the rest comes from the standard credential chain.
func awsConfigOptions(c *cli.Context) []func(*config.LoadOptions) error {
	var opts []func(*config.LoadOptions) error
	if p := c.String("profile"); p != "" {
		opts = append(opts, config.WithSharedConfigProfile(p))
	}
	if r := c.String("region"); r != "" {
		opts = append(opts, config.WithRegion(r))
	}
	return opts
}
