package main

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"runtime/debug"
	"sync"
)

// version is set at release time with -ldflags "-X main.version=…".
var version = ""

// revision may be set with -ldflags "-X main.revision=…" where the build
// has no VCS information.
var revision = ""

// buildInfo returns the tool version and the VCS revision it was built from.
func buildInfo() (ver, rev string) {
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
