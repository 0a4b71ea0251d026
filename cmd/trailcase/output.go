package main

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// outputFile is a file written under a temporary name in the directory of
// its final path and renamed into place only when complete, so a failed
// or interrupted command never leaves a partial file.
type outputFile struct {
	final string
	force bool
	f     *os.File // also holds the lock on the temporary file
	h     hash.Hash
	n     int64
}

// refuseExisting returns an error when path exists and force is not set,
// or when it is a directory where a file is wanted.
func refuseExisting(path string, force, wantDir bool) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("output %q: %w", path, err)
	case !wantDir && fi.IsDir():
		return withHint(fmt.Errorf("output %q is a directory", path), "name a file with -o")
	case wantDir && !fi.IsDir():
		return withHint(fmt.Errorf("output %q exists and is not a directory", path), "name a new directory with -o")
	case !force:
		return withHint(fmt.Errorf("output %q already exists", path), "give --force to replace it, or choose another name")
	}
	return nil
}

func notWritable(path string, err error) error {
	return withHint(fmt.Errorf("write %q: %w", path, err), "check that the directory "+fmt.Sprintf("%q", filepath.Dir(path))+" exists and is writable")
}

func createOutput(path string, force bool) (*outputFile, error) {
	if err := refuseExisting(path, force, false); err != nil {
		return nil, err
	}
	start := time.Now()
	f, err := os.CreateTemp(filepath.Dir(path), tempPattern(path))
	if err != nil {
		return nil, notWritable(path, err)
	}
	if err := lockTemp(f); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		// Unlocked, the file would look like a leftover to other runs.
		f.Close()
		os.Remove(f.Name())
		return nil, notWritable(path, err)
	}
	removeStaleTemps(filepath.Dir(path), start)
	return &outputFile{final: path, force: force, f: f, h: sha256.New()}, nil
}

func (o *outputFile) Write(p []byte) (int, error) {
	n, err := o.f.Write(p)
	o.h.Write(p[:n])
	o.n += int64(n)
	return n, err
}

// Commit syncs the file and moves it into place. Without force it never
// replaces a file that appeared meanwhile.
func (o *outputFile) Commit() error {
	tmp := o.f.Name()
	err := o.f.Sync()
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %q: %w", o.final, err)
	}
	if o.force {
		err = os.Rename(tmp, o.final)
	} else if err = os.Link(tmp, o.final); err == nil {
		os.Remove(tmp)
	} else if errors.Is(err, fs.ErrExist) {
		os.Remove(tmp)
		return refuseExisting(o.final, false, false)
	} else if err = refuseExisting(o.final, false, false); err == nil {
		// The file system has no hard links.
		err = os.Rename(tmp, o.final)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %q: %w", o.final, err)
	}
	return nil
}

// Abort removes the temporary file.
func (o *outputFile) Abort() {
	o.f.Close()
	os.Remove(o.f.Name())
}

func (o *outputFile) Sum() string { return fmt.Sprintf("%x", o.h.Sum(nil)) }

// outputDir is a directory built under a temporary name beside its final
// path and renamed into place when complete.
type outputDir struct {
	final, tmp string
	force      bool
	lock       *os.File // holds the lock on the temporary directory
}

// createOutputDir starts a directory output. marker is a file whose
// presence shows an existing directory is a previous export that --force
// may replace.
func createOutputDir(path, marker string, force bool) (*outputDir, error) {
	if err := refuseExisting(path, force, true); err != nil {
		return nil, err
	}
	if force {
		if err := replaceable(path, marker); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	dir := filepath.Dir(filepath.Clean(path))
	tmp, err := os.MkdirTemp(dir, tempPattern(path))
	if err != nil {
		return nil, notWritable(path, err)
	}
	lock, err := openLocked(tmp)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, notWritable(path, err)
	}
	removeStaleTemps(dir, start)
	return &outputDir{final: filepath.Clean(path), tmp: tmp, force: force, lock: lock}, nil
}

// replaceable allows --force to replace only an empty directory or one
// holding marker (a previous export), never an arbitrary tree.
func replaceable(path, marker string) error {
	ents, err := os.ReadDir(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("output %q: %w", path, err)
	}
	if len(ents) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(path, marker)); err == nil {
		return nil
	}
	return withHint(fmt.Errorf("output %q is a directory that is not a trailcase export; not replacing it", path), "choose a new directory name")
}

// Commit moves the finished directory into place, replacing an earlier
// export when force is set.
func (o *outputDir) Commit() error {
	var old string
	if o.force {
		if _, err := os.Lstat(o.final); err == nil {
			old = o.tmp + ".old"
			if err := os.Rename(o.final, old); err != nil {
				o.Abort()
				return fmt.Errorf("replace %q: %w", o.final, err)
			}
		}
	}
	if err := os.Rename(o.tmp, o.final); err != nil {
		if old != "" {
			os.Rename(old, o.final)
		}
		o.Abort()
		if _, serr := os.Lstat(o.final); serr == nil && old == "" {
			return refuseExisting(o.final, false, true)
		}
		return fmt.Errorf("write %q: %w", o.final, err)
	}
	if old != "" {
		os.RemoveAll(old)
	}
	o.lock.Close()
	return nil
}

// Abort removes the temporary directory.
func (o *outputDir) Abort() {
	os.RemoveAll(o.tmp)
	o.lock.Close()
}
