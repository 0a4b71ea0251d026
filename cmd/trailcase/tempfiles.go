package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Outputs (export files and directories, report files) are written under
// a temporary name beside their final path: ".trailcase-NAME-RANDOM.tmp".
// The writing process holds a lock on it until it is renamed into place
// or removed. A process killed meanwhile leaves it behind, unlocked; the
// next output written to the same directory removes such leftovers: those
// named so, older than its own start and not locked.
const (
	tempPrefix = ".trailcase-"
	tempSuffix = ".tmp"
)

// tempPattern is the os.CreateTemp pattern of the temporary name of final.
func tempPattern(final string) string {
	return tempPrefix + filepath.Base(filepath.Clean(final)) + "-*" + tempSuffix
}

// removeStaleTemps removes the leftovers of killed runs in dir: temporary
// outputs last changed before start whose lock no process holds. It
// returns the names removed; failures leave a file in place.
func removeStaleTemps(dir string, start time.Time) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, tempPrefix) || !strings.HasSuffix(name, tempSuffix) {
			continue
		}
		p := filepath.Join(dir, name)
		fi, err := os.Lstat(p)
		if err != nil || !fi.ModTime().Before(start) || fi.Mode()&os.ModeSymlink != 0 {
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		if lockTemp(f) == nil && os.RemoveAll(p) == nil {
			removed = append(removed, name)
		}
		f.Close()
	}
	return removed
}

// openLocked opens path (a temporary output just created) and locks it
// for as long as the returned file stays open.
func openLocked(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if err := lockTemp(f); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		f.Close()
		return nil, err
	}
	return f, nil
}
