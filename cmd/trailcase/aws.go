package main

import "github.com/urfave/cli/v2"

// awsFlags are the flags of every command that talks to AWS.
func awsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "profile", Usage: "AWS shared-config `PROFILE`", EnvVars: []string{"AWS_PROFILE"}},
		&cli.StringFlag{Name: "region", Usage: "AWS `REGION`"},
		&cli.StringFlag{Name: "endpoint-url", Usage: "S3-compatible endpoint `URL` (path-style addressing)"},
	}
}
