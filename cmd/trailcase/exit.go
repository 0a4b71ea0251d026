package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/store"
)

// Exit codes, part of the product contract.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitProblems    = 3
	exitInterrupted = 130
)

const exitCodesHelp = `EXIT CODES:
   0    ok
   1    the command failed (I/O, input it could not process)
   2    usage error
   3    the command ran and found integrity or verification problems
   130  interrupted`

// usageError marks a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// problemsError means the command ran and found problems; its message has
// been printed already (or is a one-line summary).
type problemsError struct{ summary string }

func (e problemsError) Error() string { return e.summary }

// hintError carries a hint printed after the error.
type hintError struct {
	err  error
	hint string
}

func (e hintError) Error() string { return e.err.Error() }
func (e hintError) Unwrap() error { return e.err }

func withHint(err error, hint string) error { return hintError{err, hint} }

// exitCode prints err on stderr and returns the exit code for it.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var pe problemsError
	if errors.As(err, &pe) {
		if pe.summary != "" {
			fmt.Fprintf(stderr, "trailcase: %s\n", pe.summary)
		}
		return exitProblems
	}
	code := exitFailed
	var ue usageError
	switch {
	case errors.As(err, &ue), isCLIUsage(err):
		code = exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "trailcase: interrupted; what was complete is kept in the case, run the same command again to finish")
		return exitInterrupted
	}
	fmt.Fprintf(stderr, "trailcase: error: %v\n", err)
	var he hintError
	switch {
	case errors.As(err, &he):
		fmt.Fprintf(stderr, "trailcase: hint: %s\n", he.hint)
	case errors.Is(err, store.ErrLocked):
		fmt.Fprintln(stderr, "trailcase: hint: another trailcase command is writing this case; wait for it to finish")
	case errors.Is(err, store.ErrNoCase):
		fmt.Fprintln(stderr, "trailcase: hint: create it with 'trailcase init --case FILE --name NAME --examiner NAME'")
	case errors.Is(err, store.ErrNewer):
		fmt.Fprintln(stderr, "trailcase: hint: this case needs a newer trailcase; nothing was changed")
	case code == exitUsage:
		fmt.Fprintln(stderr, "trailcase: hint: see 'trailcase help' or 'trailcase COMMAND --help'")
	}
	return code
}

// isCLIUsage recognises the usage errors urfave/cli returns itself.
func isCLIUsage(err error) bool {
	msg := err.Error()
	for _, s := range []string{"flag provided but not defined", "Required flag", "Required flags", "invalid value", "flag needs an argument", "No help topic"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	var ec cli.ExitCoder
	return errors.As(err, &ec) && ec.ExitCode() == exitUsage
}
