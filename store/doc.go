// Package store is the case file: one bbolt database holding the evidence
// bytes, the items that describe them, the custody log, the normalised
// events with their search index, stored check results and public keys.
//
// It is the only package that imports bbolt. It owns the file's layout
// (buckets, keys, schema versions, the single-writer lock) and the
// transactions over it; what the values mean belongs to package evidence,
// how events are parsed to package timeline. It never prints and never
// reads anything but its own file.
package store
