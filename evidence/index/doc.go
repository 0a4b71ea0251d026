// Package index turns stored evidence items into normalised events: it
// reads each item's verbatim bytes from the case, parses them with package
// timeline and writes the events and their index terms through a
// store.Writer, on several workers with byte-bounded queues. Loaded, it
// lets the store compute a stored event's index terms again
// (store.SetEventTerms), so that events are stored without them.
//
// It never reads a source outside the case and never changes an item's
// bytes; parse problems are recorded on the item, never fatal.
package index
