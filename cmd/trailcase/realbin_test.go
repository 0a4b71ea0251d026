package main

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// buildTrailcase builds the real binary into a temporary directory, the
// program an examiner runs (without the race detector, so its speed is
// the shipped one). Without a go toolchain it falls back to the test
// binary that testscript.Main installed as "trailcase" on PATH.
func buildTrailcase(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		p, err := exec.LookPath("trailcase")
		if err != nil {
			t.Fatalf("no go toolchain to build trailcase and no trailcase on PATH: %v", err)
		}
		return p
	}
	out := filepath.Join(t.TempDir(), "trailcase")
	cmd := exec.Command(goTool, "build", "-o", out, ".")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}
