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
