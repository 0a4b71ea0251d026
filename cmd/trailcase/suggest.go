package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
	"github.com/xrash/smetrics"
)

// closest returns the name nearest to given, or "" when none is near
// enough to be what was meant (Jaro-Winkler similarity under 0.8).
func closest(names []string, given string) string {
	best, score := "", 0.8
	for _, n := range names {
		if d := smetrics.JaroWinkler(n, given, 0.7, 4); d >= score {
			best, score = n, d
		}
	}
	return best
}

// commandError is an error of a command's run, naming the command so the
// hint can point to its help.
type commandError struct {
	err error
	cmd string // full name, like "digest verify"
}

func (e commandError) Error() string { return e.err.Error() }
func (e commandError) Unwrap() error { return e.err }

// commandOf returns the command an error came from, or "".
func commandOf(err error) string {
	var ce commandError
	if errors.As(err, &ce) {
		return ce.cmd
	}
	return ""
}

// helpHint is the hint of a usage error in cmd ("" for the app).
func helpHint(cmd string) string {
	if cmd == "" {
		return "see 'trailcase help' or 'trailcase COMMAND --help'"
	}
	return "see 'trailcase " + cmd + " --help'"
}

// nameErrors makes every command (and subcommand) name itself in its
// errors, and suggest a flag close to an unknown one.
func nameErrors(cmds []*cli.Command, parent string) {
	for _, c := range cmds {
		name := strings.TrimSpace(parent + " " + c.Name)
		c.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
			return commandError{flagUsage(err, c.Flags, name), name}
		}
		if action := c.Action; action != nil {
			c.Action = func(cx *cli.Context) error {
				if err := action(cx); err != nil {
					return commandError{err, name}
				}
				return nil
			}
		}
		nameErrors(c.Subcommands, name)
	}
}

// flagUsage is the usage error of a bad flag, with the flag meant when
// one is close to the one given.
func flagUsage(err error, flags []cli.Flag, cmd string) error {
	msg := err.Error()
	const undefined = "flag provided but not defined: "
	i := strings.Index(msg, undefined)
	if i < 0 {
		return usageError{msg}
	}
	var names []string
	for _, f := range flags {
		names = append(names, f.Names()...)
	}
	if s := closest(names, strings.TrimLeft(msg[i+len(undefined):], "-")); s != "" {
		dash := "--"
		if len(s) == 1 {
			dash = "-"
		}
		return withHint(usageError{msg}, fmt.Sprintf("did you mean %s%s? %s", dash, s, helpHint(cmd)))
	}
	return withHint(usageError{msg}, helpHint(cmd))
}

// unknownCommand returns a usage error when args name a command (or
// subcommand) that does not exist, suggesting the closest one.
func unknownCommand(app *cli.App, args []string) error {
	flags, cmds, path := app.Flags, app.Commands, ""
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" || a == "--generate-bash-completion" {
			return nil
		}
		if isFlagArg(a) {
			if takesValue(flags, a) {
				i++
			}
			continue
		}
		if path == "" && (a == "help" || a == "h") {
			return nil
		}
		var next *cli.Command
		for _, c := range cmds {
			if c.HasName(a) {
				next = c
			}
		}
		if next == nil {
			if path != "" && len(cmds) == 0 {
				return nil // a positional argument
			}
			err := usagef("unknown command %q", strings.TrimSpace(path+" "+a))
			var names []string
			for _, c := range cmds {
				if !c.Hidden {
					names = append(names, c.Names()...)
				}
			}
			if s := closest(names, a); s != "" {
				return withHint(err, fmt.Sprintf("did you mean 'trailcase %s'? %s", strings.TrimSpace(path+" "+s), helpHint(path)))
			}
			return withHint(err, helpHint(path))
		}
		path = strings.TrimSpace(path + " " + next.Name)
		flags, cmds = next.Flags, next.Subcommands
		if len(cmds) == 0 {
			return nil
		}
	}
	return nil
}
