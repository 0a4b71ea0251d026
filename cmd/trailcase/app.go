package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/evidence/custody"
	"github.com/trailcase/trailcase/store"
)

// env carries the writers of one run of the app. Commands are built from
// it so tests can run the real app against buffers.
type env struct {
	stdout, stderr io.Writer
}

// commandBuilders is filled by each command's file (register in init), so
// a command lives in one file of its own.
var commandBuilders = map[string]func(*env) *cli.Command{}

// commandOrder is the order commands are listed in help.
var commandOrder = []string{"init", "acquire", "index", "ls", "custody", "verify", "digest", "objectlock", "timeline", "report", "export", "keys", "demo", "completion"}

func register(name string, build func(*env) *cli.Command) { commandBuilders[name] = build }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := newApp(stdout, stderr)
	err := app.RunContext(ctx, flagsFirst(app, args))
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	return exitCode(err, stderr)
}

func newApp(stdout, stderr io.Writer) *cli.App {
	e := &env{stdout: stdout, stderr: stderr}
	ver, rev := buildInfo()
	app := &cli.App{
		Name:      "trailcase",
		Usage:     "offline forensic evidence toolkit for AWS logs",
		Version:   ver + " (" + rev + ")",
		Writer:    stdout,
		ErrWriter: stderr,
		Flags:     globalFlags(),
		// Errors come back to run, which maps them to exit codes.
		ExitErrHandler:       func(*cli.Context, error) {},
		EnableBashCompletion: true,
		Description: `trailcase acquires CloudTrail, VPC Flow Log and ELB log archives into a single-file
case store with a hash-chained chain of custody, validates CloudTrail digest chains offline,
checks S3 Object Lock, and merges everything into one timeline per IP address or principal.

` + exitCodesHelp,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error { return usageError{err.Error()} },
	}
	names := make([]string, 0, len(commandBuilders))
	for n := range commandBuilders {
		names = append(names, n)
	}
	rank := map[string]int{}
	for i, n := range commandOrder {
		rank[n] = i + 1
	}
	sort.Slice(names, func(i, j int) bool {
		ri, rj := rank[names[i]], rank[names[j]]
		if ri == 0 {
			ri = 1000
		}
		if rj == 0 {
			rj = 1000
		}
		if ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	for _, n := range names {
		cmd := commandBuilders[n](e)
		if cmd.OnUsageError == nil {
			cmd.OnUsageError = func(_ *cli.Context, err error, _ bool) error { return usageError{err.Error()} }
		}
		app.Commands = append(app.Commands, cmd)
	}
	return app
}

// globalFlags are accepted before the command and by every command.
func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "case", Usage: "case file `PATH`", EnvVars: []string{"TRAILCASE_CASE"}},
		&cli.BoolFlag{Name: "json", Usage: "machine-readable output on stdout"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only results and errors"},
		&cli.StringFlag{Name: "examiner", Usage: "examiner `NAME` recorded in the custody log (default: the case's examiner)", EnvVars: []string{"TRAILCASE_EXAMINER"}},
	}
}

// withGlobal returns a command's flags followed by the global ones, so
// they may be given after the command name too.
func withGlobal(flags ...cli.Flag) []cli.Flag {
	return append(flags, globalFlags()...)
}

// flagSet finds the innermost context in which name was set.
func flagCtx(c *cli.Context, name string) *cli.Context {
	for _, x := range c.Lineage() {
		if x.Command == nil && x.App == nil {
			continue
		}
		if x.IsSet(name) {
			return x
		}
	}
	return nil
}

func gString(c *cli.Context, name string) string {
	if x := flagCtx(c, name); x != nil {
		return x.String(name)
	}
	return c.String(name)
}

func gBool(c *cli.Context, name string) bool {
	if x := flagCtx(c, name); x != nil {
		return x.Bool(name)
	}
	return false
}

func jsonOut(c *cli.Context) bool { return gBool(c, "json") }
func quiet(c *cli.Context) bool   { return gBool(c, "quiet") }

// casePath returns the --case value or a usage error.
func casePath(c *cli.Context) (string, error) {
	p := gString(c, "case")
	if p == "" {
		return "", usagef("no case file: give --case PATH or set TRAILCASE_CASE")
	}
	return p, nil
}

// openCase opens the case named by --case.
func (e *env) openCase(c *cli.Context, readOnly bool) (*store.Store, error) {
	p, err := casePath(c)
	if err != nil {
		return nil, err
	}
	return store.Open(p, store.Options{ReadOnly: readOnly})
}

// openCaseForRecord opens the case writable so a check's result can be
// recorded; when the file cannot be written (read-only media) it falls
// back to read-only and says that the result will not be recorded.
func (e *env) openCaseForRecord(c *cli.Context, noRecord bool) (*store.Store, error) {
	if noRecord {
		return e.openCase(c, true)
	}
	st, err := e.openCase(c, false)
	if err != nil && errors.Is(err, fs.ErrPermission) {
		st, err = e.openCase(c, true)
		if err == nil {
			e.info(c, "case file is not writable: opened read-only, the result will not be recorded")
		}
	}
	return st, err
}

// actor describes who is running the command.
func (e *env) actor(c *cli.Context, st *store.Store) custody.Actor {
	ver, rev := buildInfo()
	a := custody.Actor{Examiner: gString(c, "examiner"), ToolVersion: ver, Revision: rev}
	if a.Examiner == "" && st != nil {
		if info, err := st.Info(); err == nil {
			a.Examiner = info.Examiner
		}
	}
	if u, err := user.Current(); err == nil {
		a.OSUser = u.Username
	} else {
		a.OSUser = os.Getenv("USER")
	}
	a.Host, _ = os.Hostname()
	return a
}

// record appends a custody entry for a command that ran against the case
// (when the case is writable) and stores the check result if one is given.
func (e *env) record(c *cli.Context, st *store.Store, action string, start time.Time, result, detail string, check *store.CheckRecord) {
	if st == nil || st.ReadOnly() {
		return
	}
	ent := e.actor(c, st).Entry(action, os.Args[1:])
	ent.Start, ent.End, ent.Result, ent.Detail = start, time.Now().UTC(), result, detail
	if check != nil {
		check.Time = ent.End
		if err := st.PutCheck(*check); err != nil {
			e.warn(c, "could not record the result: %v", err)
		}
	}
	if _, err := st.AppendCustody(ent); err != nil {
		e.warn(c, "could not record the custody entry: %v", err)
	}
}

// printJSON writes v as one indented JSON document on stdout.
func (e *env) printJSON(v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// info prints a diagnostic line on stderr unless --quiet.
func (e *env) info(c *cli.Context, format string, args ...any) {
	if quiet(c) {
		return
	}
	fmt.Fprintf(e.stderr, "trailcase: "+format+"\n", args...)
}

// warn prints a warning on stderr, also with --quiet.
func (e *env) warn(c *cli.Context, format string, args ...any) {
	fmt.Fprintf(e.stderr, "trailcase: warning: "+format+"\n", args...)
}

// out prints human output on stdout unless --json.
func (e *env) out(c *cli.Context, format string, args ...any) {
	fmt.Fprintf(e.stdout, format, args...)
}

// parseTime reads a time flag: RFC 3339, or a date (UTC midnight).
func parseTime(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, usagef("--%s %q: want RFC 3339 (2024-05-01T10:00:00Z) or a date (2024-05-01)", flag, s)
}

// fmtTime prints t as RFC 3339 UTC with milliseconds.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// flagsFirst moves a command's flags in front of its positional arguments,
// so "acquire --case C SOURCE --include X" works: urfave/cli stops reading
// flags at the first positional argument. Everything after "--" is left
// as it is.
func flagsFirst(app *cli.App, args []string) []string {
	if len(args) < 2 || args[len(args)-1] == "--generate-bash-completion" {
		return args
	}
	out := []string{args[0]}
	flags, cmds := app.Flags, app.Commands
	var cmd *cli.Command
	i := 1
	for i < len(args) {
		a := args[i]
		if a == "--" {
			return args
		}
		if isFlagArg(a) {
			out = append(out, a)
			i++
			if takesValue(flags, a) && i < len(args) {
				out = append(out, args[i])
				i++
			}
			continue
		}
		var next *cli.Command
		for _, c := range cmds {
			if c.HasName(a) {
				next = c
			}
		}
		if next == nil {
			break
		}
		out = append(out, a)
		i++
		cmd, flags, cmds = next, next.Flags, next.Subcommands
		if len(cmds) == 0 {
			break
		}
	}
	if cmd == nil {
		return args
	}
	var fl, pos []string
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i:]...)
			break
		}
		if isFlagArg(a) {
			fl = append(fl, a)
			if takesValue(flags, a) && i+1 < len(args) {
				fl = append(fl, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(append(out, fl...), pos...)
}

func isFlagArg(a string) bool { return len(a) > 1 && a[0] == '-' }

// takesValue reports whether flag argument a (like "--case" or "-q") names a
// flag that reads the next argument as its value.
func takesValue(flags []cli.Flag, a string) bool {
	if strings.Contains(a, "=") {
		return false
	}
	name := strings.TrimLeft(a, "-")
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				_, isBool := f.(*cli.BoolFlag)
				return !isBool
			}
		}
	}
	return false
}
