// Package salvage rescues what can still be read from a damaged case into
// a new one: the case description, every evidence item whose bytes still
// hash to what was recorded at acquisition (with its sidecar), the public
// keys and S3 bucket states, and every custody entry that still verifies.
// It reads the damaged case read-only, one record per transaction, so
// damage to part of the file costs only what lies in it. The new case's
// custody log ends with an entry saying what was rescued and what was
// lost (items by id and path with the reason, custody entries by number),
// naming the damaged file and its SHA-256; the new case is then indexed
// from the rescued evidence.
//
// It never writes to the damaged case, never prints and never exits.
package salvage
