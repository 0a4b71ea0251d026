package main

import (
	"runtime/debug"
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
		rev = "unknown"
	}
	return ver, rev
}
