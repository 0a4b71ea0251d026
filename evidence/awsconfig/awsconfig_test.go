package awsconfig_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailcase/trailcase/evidence/awsconfig"
)

func TestLoad(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "")
	cfg, err := awsconfig.Load(context.Background(), awsconfig.Options{Region: "eu-west-1"})
	if err != nil || cfg.Region != "eu-west-1" {
		t.Fatalf("region: %q %v", cfg.Region, err)
	}
	_, err = awsconfig.Load(context.Background(), awsconfig.Options{Profile: "missing"})
	var ce *awsconfig.ConfigError
	if !errors.As(err, &ce) || ce.Profile != "missing" || !strings.HasPrefix(err.Error(), `AWS configuration for profile "missing": `) {
		t.Fatalf("unknown profile: %v", err)
	}
}
