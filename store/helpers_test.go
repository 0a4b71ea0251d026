package store

import (
	"encoding/json"

	bolt "go.etcd.io/bbolt"
)

type bbtx = bolt.Tx

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// postForms are the forms of posting values a test writes its batches
// in: "z" as schema 6 does (compressed, sealed), "sealed" as schemas 4
// and 5 did, "fixed" as schema 2 did, and "mixed" the first two items
// fixed, the third sealed and the rest compressed, as in a case written
// across upgrades (see writeForm).
var postForms = []string{"z", "sealed", "fixed", "mixed"}

// writeForm sets how batches are written from now on for mode (see
// postForms) before item is written, and returns a function that
// restores the default. A case of fixed batches is as one written before
// schema 4: not strict.
func writeForm(st *Store, mode string, item uint64) func() {
	switch m := mode; {
	case m == "mixed" && item <= 2, m == "fixed":
		writeDelta, writeZ = false, true
	case m == "mixed" && item == 3, m == "sealed":
		writeDelta, writeZ = true, false
	default:
		writeDelta, writeZ = true, true
	}
	st.strict = mode == "z" || mode == "sealed"
	return func() { writeDelta, writeZ = true, true }
}
