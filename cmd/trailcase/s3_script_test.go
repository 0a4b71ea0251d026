package main

import (
	"context"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/trailcase/trailcase/evidence/s3test"
)

// TestScriptsS3 runs the stories of testdata/script_s3 against a local
// moto_server filled with s3test.Seed; S3_ENDPOINT names it. Without
// moto_server they are skipped, unless CI is set.
func TestScriptsS3(t *testing.T) {
	srv := s3test.Moto(t)
	if err := s3test.Seed(context.Background(), s3test.Client(srv.URL)); err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script_s3",
		Setup: func(env *testscript.Env) error {
			env.Setenv("S3_ENDPOINT", srv.URL)
			env.Setenv("AWS_ACCESS_KEY_ID", "AKIATESTTESTTESTTEST")
			env.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
			env.Setenv("AWS_REGION", "us-east-1")
			env.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			env.Setenv("AWS_CONFIG_FILE", env.WorkDir+"/no-aws-config")
			env.Setenv("AWS_SHARED_CREDENTIALS_FILE", env.WorkDir+"/no-aws-credentials")
			return nil
		},
		Cmds:                map[string]func(ts *testscript.TestScript, neg bool, args []string){"status": cmdStatus},
		RequireExplicitExec: true,
	})
}
