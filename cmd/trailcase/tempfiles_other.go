//go:build !unix

package main

import (
	"errors"
	"os"
)

// lockTemp cannot tell a live writer from a dead one here: it reports
// every temporary output as in use, so none is removed.
func lockTemp(*os.File) error { return errors.ErrUnsupported }
