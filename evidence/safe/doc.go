// Package safe shows untrusted text to a human without letting it act on
// the reader: archive entry names, case fields and log fields are attacker
// controlled, and a name holding ESC, a newline or a Unicode bidi override
// could otherwise drive a terminal, break a table row, hide text in a
// report or run as a spreadsheet formula.
//
// [Text] is the one sanitiser for every human output (tables, reports,
// listings); [CSV] is the one cell encoder for CSV. Machine outputs meant to
// keep values exactly (JSON Lines, Parquet) do not use this package.
//
// The package never prints, never reads flags or the environment, and
// imports nothing from the rest of trailcase.
package safe
