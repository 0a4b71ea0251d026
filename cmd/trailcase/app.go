package main

import (
	"context"
	"io"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

// env carries the writers of one run of the app. Commands are built from
// it so tests can run the real app against buffers.
type env struct {
	stdout, stderr io.Writer
}

// commands are the app's commands, in the order help lists them.
func commands(e *env) []*cli.Command {
	return []*cli.Command{
		initCommand(e), acquireCommand(e), indexCommand(e), lsCommand(e), custodyCommand(e),
		verifyCommand(e), digestCommand(e), objectlockCommand(e), timelineCommand(e),
		findingsCommand(e),
		summaryCommand(e),
		reportCommand(e), exportCommand(e), keysCommand(e), salvageCommand(e), demoCommand(e), completionCommand(e),
		versionCommand(e), gendocsCommand(e), keyCommand(e),
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 1 && args[1] == "__values" {
		return completeValues(args[2:], stdout)
	}
	app := newApp(stdout, stderr)
	err := unknownCommand(app, args)
	if err == nil {
		err = app.RunContext(ctx, flagsFirst(app, args))
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	return exitCode(err, stderr, wantsJSON(args))
}

// wantsJSON reports whether the command line asks for JSON output, so
// even an error it could not parse is reported as JSON.
func wantsJSON(args []string) bool {
	for _, a := range args[1:] {
		switch a {
		case "--":
			return false
		case "--json", "-json", "--json=true", "-json=true":
			return true
		}
	}
	return false
}

func newApp(stdout, stderr io.Writer) *cli.App {
	e := &env{stdout: stdout, stderr: stderr}
	// The help's version line names the revision the build recorded; a
	// binary without one is identified by 'trailcase version', which
	// hashes it: reading the whole binary is no cost for every command.
	ver, rev := buildStamp()
	if rev == "" {
		rev = "unknown revision: see trailcase version"
	}
	app := &cli.App{
		Name:      "trailcase",
		Usage:     "offline forensic evidence toolkit for AWS logs",
		Version:   ver + " (" + rev + ")",
		Writer:    stdout,
		ErrWriter: stderr,
		Flags:     globalFlags(true),
		// Errors come back to run, which maps them to exit codes.
		ExitErrHandler:       func(*cli.Context, error) {},
		EnableBashCompletion: true,
		Description: `trailcase acquires CloudTrail, VPC Flow Log and ELB log archives into a single-file
case store with a hash-chained chain of custody, validates CloudTrail digest chains offline,
checks S3 Object Lock, and merges everything into one timeline per IP address or principal.

` + exitCodesHelp,
		Commands: commands(e),
	}
	app.OnUsageError = func(_ *cli.Context, err error, _ bool) error { return flagUsage(err, app.Flags, "") }
	addExamples(app.Commands, "")
	nameErrors(app.Commands, "")
	return app
}

// Environment variables read by the global flags.
const (
	envCase     = "TRAILCASE_CASE"
	envExaminer = "TRAILCASE_EXAMINER"
)

// globalFlags are accepted before the command and by every command. Only
// the copy before the command (fromEnv) reads the environment: there the
// command line overrides it, and a copy after the command is set only by
// the command line, so whatever the command line says wins, wherever it
// stands.
func globalFlags(fromEnv bool) []cli.Flag {
	str := func(f *cli.StringFlag, env string) cli.Flag {
		if fromEnv {
			f.EnvVars = []string{env}
			return f
		}
		return &commandLineOnly{StringFlag: f, env: []string{env}}
	}
	return append([]cli.Flag{
		str(&cli.StringFlag{Name: "case", Usage: "case file `PATH`"}, envCase),
		&cli.BoolFlag{Name: "json", Usage: "machine-readable output on stdout"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only results and errors"},
		str(&cli.StringFlag{Name: "examiner", Usage: "examiner `NAME` recorded in the custody log (default: the case's examiner)"}, envExaminer),
	}, signFlags()...)
}

// commandLineOnly is a global string flag repeated on a command: help
// names its environment variable, but it never reads it (the flag before
// the command does).
type commandLineOnly struct {
	*cli.StringFlag
	env []string
}

func (f *commandLineOnly) GetEnvVars() []string { return f.env }
func (f *commandLineOnly) String() string       { return cli.FlagStringer(f) }

// withGlobal returns a command's flags followed by the global ones, so
// they may be given after the command name too.
func withGlobal(flags ...cli.Flag) []cli.Flag {
	return append(flags, globalFlags(false)...)
}

// flagCtx finds the innermost context in which name was set.
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

// caseFlags reads the global options naming the case and the examiner.
func caseFlags(c *cli.Context) caseOptions {
	return caseOptions{path: gString(c, "case"), examiner: gString(c, "examiner"), args: os.Args[1:], sign: signFlagValues(c)}
}

// streams returns the writers and output settings of a command's run.
func (e *env) streams(c *cli.Context) *streams {
	return newStreams(e.stdout, e.stderr, gBool(c, "json"), gBool(c, "quiet"))
}

// noArgs refuses positional arguments for a command that takes none.
func noArgs(c *cli.Context, name string) error {
	if c.NArg() > 0 {
		return usagef("%s takes no arguments (got %q)", name, c.Args().First())
	}
	return nil
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
