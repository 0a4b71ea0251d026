package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sync"

	"github.com/urfave/cli/v2"
)

// version is set at release time with -ldflags "-X main.version=…".
var version = ""

// revision may be set with -ldflags "-X main.revision=…" where the build
// has no VCS information.
var revision = ""

// buildTime may be set with -ldflags "-X main.buildTime=…"; else the
// time of the commit built from is shown, when the build recorded it.
var buildTime = ""

// versionInfo is what 'trailcase version' prints.
type versionInfo struct {
	Version  string `json:"version"`
	Revision string `json:"revision"`
	Go       string `json:"go"`
	Built    string `json:"built"`
}

func currentVersion() versionInfo {
	v := versionInfo{Go: runtime.Version(), Built: buildTime}
	v.Version, v.Revision = buildInfo()
	if bi, ok := debug.ReadBuildInfo(); ok && v.Built == "" {
		for _, s := range bi.Settings {
			if s.Key == "vcs.time" {
				v.Built = s.Value + " (commit time)"
			}
		}
	}
	if v.Built == "" {
		v.Built = "unknown"
	}
	return v
}

func versionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "version",
		Usage:       "print the version, revision, Go version and build time",
		UsageText:   "trailcase version [--json]",
		Description: "Prints which trailcase this is; --version prints the same.\n\n" + exitCodesHelp,
		Flags:       withGlobal(),
		Action: func(c *cli.Context) error {
			if err := noArgs(c, "version"); err != nil {
				return err
			}
			return runVersion(c.Context, e.streams(c))
		},
	}
}

func runVersion(_ context.Context, s *streams) error {
	v := currentVersion()
	if s.json {
		return s.printJSON(v)
	}
	s.out("trailcase version %s\nrevision: %s\ngo: %s\nbuilt: %s\n", v.Version, v.Revision, v.Go, v.Built)
	return nil
}

func init() {
	cli.VersionPrinter = func(c *cli.Context) {
		_ = runVersion(c.Context, newStreams(c.App.Writer, c.App.ErrWriter, false, false))
	}
}

// buildInfo returns the tool version and the VCS revision it was built from.
func buildInfo() (ver, rev string) {
	ver, rev = buildStamp()
	if rev == "" {
		// No VCS information (go run, -buildvcs=false): identify the
		// binary itself, which is what a custody record needs.
		rev = "unknown"
		if sum := executableSum(); sum != "" {
			rev = "unknown; binary sha256 " + sum
		}
	}
	return ver, rev
}

// buildStamp returns the tool version and the revision recorded in the
// build ("" when the build recorded none), without reading the binary.
func buildStamp() (ver, rev string) {
	ver, rev = version, revision
	bi, ok := debug.ReadBuildInfo()
	if ok {
		if ver == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			ver = bi.Main.Version
		}
		dirty := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if rev == "" {
					rev = s.Value
				}
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if dirty && rev != "" {
			rev += "+modified"
		}
	}
	if ver == "" {
		ver = "devel"
	}
	return ver, rev
}

var exeSum struct {
	once sync.Once
	sum  string
}

// executableSum returns the SHA-256 of the running executable, or "".
func executableSum() string {
	exeSum.once.Do(func() {
		p, err := os.Executable()
		if err != nil {
			return
		}
		f, err := os.Open(p)
		if err != nil {
			return
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err == nil {
			exeSum.sum = hex.EncodeToString(h.Sum(nil))
		}
	})
	return exeSum.sum
}
