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
//   - Nothing printed trusts the evidence: strings from it go through
//     evidence/safe before they reach a terminal, a CSV cell or a page.
//   - No command prompts, except for a key's passphrase on a terminal.
//   - Commands that only read open the case read-only and leave the file
//     byte for byte unchanged.
package main
