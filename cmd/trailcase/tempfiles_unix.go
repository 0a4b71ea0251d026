//go:build unix

package main

import (
	"os"
	"syscall"
)

// lockTemp takes an exclusive lock on f without waiting; the lock goes
// with the process, also when it is killed.
func lockTemp(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}
