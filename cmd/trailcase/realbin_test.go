package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// buildTrailcase builds the real binary into a temporary directory, the
// program an examiner runs (without the race detector, so its speed is
// the shipped one). Without a go toolchain it falls back to the test
// binary that testscript.Main installed as "trailcase" on PATH. It is
// built static, as the README installs it.
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
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // as the README installs it
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

// TestStaticBinary checks that the binary the README installs needs no C
// library: no dynamic loader, no shared library, so it runs on any Linux
// of its architecture.
func TestStaticBinary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("ELF on Linux only")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go toolchain to build trailcase")
	}
	f, err := elf.Open(buildTrailcase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary names a dynamic loader")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("shared libraries %v (%v)", libs, err)
	}
}
