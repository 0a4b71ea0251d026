// Command trailcase is an offline forensic evidence toolkit for AWS logs.
//
// The rules every command here keeps:
//
//   - A command is flags read into an options struct, then one runX(ctx,
//     opts, streams) that calls the library. No business logic lives in
//     this package; the list of commands is the one in app.go.
//   - Data goes to stdout, talk to stderr. With --json, stdout holds one
//     JSON document (or JSON Lines for streams) and nothing else; progress
//     is drawn only on a terminal and never with --json or --quiet.
//   - What the command line says wins over the environment, wherever a
//     flag stands.
//   - Errors are lowercase, name the file, item or record concerned, and
//     are followed by a hint saying what to do next. exit.go is the one
//     place where an error becomes an exit code: 0 ok, 1 failed, 2 usage,
//     3 ran and found problems, 130 interrupted.
//   - Nothing printed trusts the evidence: every string from the evidence
//     or the case (paths, names, case fields, custody details, reasons,
//     findings, and the errors that quote them, in exit.go) goes through
//     safe.Text before it reaches a terminal, and through evidence/safe
//     before a CSV cell or a page, so a name never acts on the terminal
//     nor breaks a row. JSON is the exception, on purpose: it keeps each
//     value exact for the programs that read it. encoding/json writes
//     every C0 control (ESC, BEL, NUL, CR, newline) as a \u escape, so
//     no raw control byte reaches a terminal from JSON; DEL, C1 controls
//     and bidi overrides are left as the value holds them (read JSON on a
//     terminal through jq -a to see them escaped).
//   - No command prompts, except for a key's passphrase on a terminal.
//   - Commands that only read open the case read-only and leave the file
//     byte for byte unchanged.
package main
