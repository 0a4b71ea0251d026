// Package finding owns the one type every check reports with: a Finding,
// its Kind, Level and Category, and the JSON shapes a finding is printed
// in — the general shape of the findings list, and the "problems" arrays
// verify, digest verify and objectlock have always printed.
//
// It knows every kind of problem the checks report, with its default level,
// category and one-line meaning. It never runs a check, never reads a case
// and never prints: checks build findings, commands present them.
package finding
