package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/evidence/safe"
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

// exitCode prints err on stderr and returns the exit code for it: as
// "trailcase: error: …" and "trailcase: hint: …" lines, or with asJSON
// as one JSON object {"error","hint","exit"}.
func exitCode(err error, stderr io.Writer, asJSON bool) int {
	if err == nil {
		return exitOK
	}
	var pe problemsError
	if errors.As(err, &pe) {
		if pe.summary != "" {
			fmt.Fprintf(stderr, "trailcase: %s\n", safe.Text(pe.summary))
		}
		return exitProblems
	}
	code, msg, hint := explain(err)
	if asJSON {
		b, _ := json.Marshal(struct {
			Error string `json:"error"`
			Hint  string `json:"hint"`
			Exit  int    `json:"exit"`
		}{msg, hint, code})
		fmt.Fprintf(stderr, "%s\n", b)
		return code
	}
	if code == exitInterrupted {
		fmt.Fprintf(stderr, "trailcase: %s\n", msg)
		return code
	}
	fmt.Fprintf(stderr, "trailcase: error: %s\n", strings.Join(errorLines(err), "\n"))
	if hint != "" {
		fmt.Fprintf(stderr, "trailcase: hint: %s\n", safe.Text(hint))
	}
	return code
}

// errorLines are the lines that show err: one per error joined by
// errors.Join, each passed through safe.Text, so a newline inside a
// quoted name never starts a line of its own.
func errorLines(err error) []string {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var lines []string
		for _, e := range j.Unwrap() {
			lines = append(lines, errorLines(e)...)
		}
		return lines
	}
	return []string{safe.Text(err.Error())}
}

// explain returns the exit code, message and hint ("" for none) of err.
func explain(err error) (code int, msg, hint string) {
	if errors.Is(err, context.Canceled) {
		return exitInterrupted, "interrupted; what was complete is kept in the case, run the same command again to finish", ""
	}
	code = exitFailed
	var ue usageError
	if errors.As(err, &ue) || isCLIUsage(err) {
		code = exitUsage
	}
	var he hintError
	switch {
	case errors.As(err, &he):
		hint = he.hint
	case errors.Is(err, store.ErrLocked):
		hint = "another trailcase command is writing this case; wait for it to finish, or copy the case file and read the copy"
	case errors.Is(err, store.ErrNoCase):
		hint = "create it with 'trailcase init --case FILE --name NAME --examiner NAME'"
	case errors.Is(err, store.ErrNewer):
		hint = "this case needs a newer trailcase; nothing was changed"
	case errors.Is(err, store.ErrDamaged):
		hint = "the case file is damaged: keep it as it is and work on a copy; 'trailcase verify --no-record' says what still verifies"
	case code == exitUsage:
		hint = helpHint(commandOf(err))
	}
	return code, err.Error(), hint
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
