package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/custody"
	"github.com/trailcase/trailcase/evidence/safe"
	"github.com/trailcase/trailcase/store"
)

// streams are where one run of a command writes, and how: data on
// stdout, talk on stderr, the global output settings and the progress
// sink.
type streams struct {
	stdout, stderr io.Writer
	json, quiet    bool
	progress       evidence.Progress
	// head is the custody head after the entry this run recorded, ""
	// when it recorded none: --json output carries it as custody_head.
	head string
}

// newStreams returns the streams of a run; progress is drawn on stderr
// only when stderr is a terminal and neither --json nor --quiet is set.
func newStreams(stdout, stderr io.Writer, asJSON, quiet bool) *streams {
	s := &streams{stdout: stdout, stderr: stderr, json: asJSON, quiet: quiet, progress: evidence.NoProgress{}}
	if !asJSON && !quiet && isTerminal(stderr) {
		s.progress = newBars(stderr)
	}
	return s
}

// printJSON writes v as one indented JSON document on stdout.
func (s *streams) printJSON(v any) error {
	if s.head != "" {
		v = withField(v, "custody_head", s.head)
	}
	enc := json.NewEncoder(s.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// info prints a diagnostic line on stderr unless --quiet.
func (s *streams) info(format string, args ...any) {
	if !s.quiet {
		fmt.Fprintf(s.stderr, "trailcase: "+format+"\n", args...)
	}
}

// warn prints a warning on stderr, also with --quiet.
func (s *streams) warn(format string, args ...any) {
	fmt.Fprintf(s.stderr, "trailcase: warning: "+format+"\n", args...)
}

// warnErr prints every line of err as a warning.
func (s *streams) warnErr(err error) {
	for _, line := range errorLines(err) {
		s.warn("%s", line)
	}
}

// out prints human output on stdout.
func (s *streams) out(format string, args ...any) { fmt.Fprintf(s.stdout, format, args...) }

// finishProgress clears a drawn progress line.
func (s *streams) finishProgress() { finishProgress(s.progress) }

// caseOptions are the global options that name the case and who works
// on it, shared by the options of every command that opens a case.
type caseOptions struct {
	path     string   // --case, or TRAILCASE_CASE
	examiner string   // --examiner, or TRAILCASE_EXAMINER
	args     []string // the command line, for the custody log
	sign     signOptions
}

// open opens the case, or says how to name one.
func (o caseOptions) open(readOnly bool) (*store.Store, error) {
	if o.path == "" {
		return nil, usagef("no case file: give --case PATH or set TRAILCASE_CASE")
	}
	st, err := store.Open(o.path, store.Options{ReadOnly: readOnly})
	if readOnly && errors.Is(err, store.ErrLocked) {
		// bbolt's readers and its writer cannot share a file across
		// processes (README, "How evidence is handled").
		return nil, withHint(fmt.Errorf("%w: it is being written (an acquisition, an index or a recorded check) and cannot be read until that ends", err),
			"wait for the acquisition to finish; a copy taken while it writes may be inconsistent, so copy the case file after it ends")
	}
	if err == nil && !readOnly {
		if err = o.sign.signCustody(st); err != nil {
			st.Close()
			return nil, err
		}
	}
	return st, err
}

// openForRecord opens the case writable so a check's result can be
// recorded; when the file cannot be written (read-only media) it falls
// back to read-only and says that the result will not be recorded.
func (o caseOptions) openForRecord(noRecord bool, s *streams) (*store.Store, error) {
	if noRecord {
		return o.open(true)
	}
	st, err := o.open(false)
	if err != nil && errors.Is(err, fs.ErrPermission) {
		st, err = o.open(true)
		if err == nil {
			s.info("case file is not writable: opened read-only, the result will not be recorded")
		}
	}
	return st, err
}

// tool names this build of trailcase.
func tool() custody.Tool {
	ver, rev := buildInfo()
	return custody.Tool{Version: ver, Revision: rev}
}

// actor describes who is running the command; st (may be nil) gives the
// examiner when none is named.
func (o caseOptions) actor(st *store.Store) custody.Actor {
	a := custody.Local(tool(), o.examiner, st)
	if a.OSUser == "" {
		a.OSUser = os.Getenv("USER")
	}
	return a
}

// record appends the custody entry of a run that began at start, when
// the case is open and writable; a failure to record is a warning.
func (o caseOptions) record(st *store.Store, s *streams, action string, start time.Time, result, detail string) {
	if st == nil || st.ReadOnly() {
		return
	}
	e, err := custody.Record(st, o.actor(st), action, o.args, start, result, detail)
	if err != nil {
		s.warn("could not record the custody entry: %s", safe.Text(err.Error()))
		return
	}
	s.head = e.Hash.String()
}

// recordCheck stores a check's result with its custody entry, when the
// case is open and writable; a failure to record is a warning.
func (o caseOptions) recordCheck(st *store.Store, s *streams, c custody.Check) {
	if st == nil {
		return
	}
	c.Args = o.args
	e, err := custody.RecordCheck(st, o.actor(st), c)
	if err != nil {
		s.warnErr(err)
	}
	if !e.Hash.IsZero() {
		s.head = e.Hash.String()
	}
}
