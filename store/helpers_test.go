package store

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

type bbtx = bolt.Tx

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// postForms are the forms of posting values a test writes its batches
// in: "z" as schema 9 does (compressed, sealed, chunks in frames), "z8"
// as schemas 6 to 8 did (chunks in one frame), "sealed" as schemas 4 and
// 5 did, "fixed" as schema 2 did, and "mixed" the first two items fixed,
// the third sealed, the fourth as "z8" and the rest as "z", as in a case
// written across upgrades (see writeForm).
var postForms = []string{"z", "z8", "sealed", "fixed", "mixed"}

// writeForm sets how batches are written from now on for mode (see
// postForms) before item is written, and returns a function that
// restores the default. A case of fixed batches is as one written before
// schema 4: not strict.
func writeForm(st *Store, mode string, item uint64) func() {
	writeChunkFrames = true
	switch m := mode; {
	case m == "mixed" && item <= 2, m == "fixed":
		writeDelta, writeZ = false, true
	case m == "mixed" && item == 3, m == "sealed":
		writeDelta, writeZ = true, false
	case m == "mixed" && item == 4, m == "z8":
		writeDelta, writeZ, writeChunkFrames = true, true, false
	default:
		writeDelta, writeZ = true, true
	}
	st.strict = mode == "z" || mode == "z8" || mode == "sealed"
	return func() { writeDelta, writeZ, writeChunkFrames = true, true, true }
}

// formChanges reports whether mode writes item in another form than the
// item before (so the test flushes before it).
func formChanges(mode string, item uint64) bool { return mode == "mixed" && item >= 3 && item <= 5 }

// termsInData sets, for the test, an event decoder that reads an event's
// terms from its data (as withTerms wrote them): the store then writes
// events without their terms, as it does in trailcase (schema 6).
func termsInData(t *testing.T) {
	SetEventTerms(termsFromData)
	t.Cleanup(func() { SetEventTerms(nil) })
}

// withTerms returns data that carries terms, for termsFromData.
func withTerms(data string, terms []string) []byte {
	return []byte(data + "\nterms:" + strings.Join(terms, "\t"))
}

// dataOnly returns data without the terms withTerms added.
func dataOnly(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\nterms:")
	return s
}

func termsFromData(data []byte, dst []string) ([]string, error) {
	_, terms, ok := strings.Cut(string(data), "\nterms:")
	if !ok {
		return dst, errors.New("no terms in the event")
	}
	if terms == "" {
		return dst, nil
	}
	return append(dst, strings.Split(terms, "\t")...), nil
}
