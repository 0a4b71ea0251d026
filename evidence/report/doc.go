// Package report builds the chain-of-custody report of a case: the case
// and its examiner, every evidence item with its hashes and acquisition
// times, the whole custody log with its chain check, the latest
// verification, digest-validation and Object Lock results, and event
// counts per hour and source. It renders the report as one self-contained
// HTML file (printable on A4, no network fetches), as Markdown or as JSON.
//
// The package only reads the case: it never writes to the store, never
// prints and never touches files other than the writer it is given.
package report
