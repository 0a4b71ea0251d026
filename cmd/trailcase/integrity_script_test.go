package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/trailcase/trailcase/store"
)

// TestIntegrityScripts runs the stories of derived data, rebuild, salvage,
// custody heads and report freshness: they need a helper that changes
// stored events, which no command of trailcase can do.
func TestIntegrityScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script_integrity",
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"flip":        cmdFlip,
			"status":      cmdStatus,
			"alterevents": cmdAlterEvents,
			"jsonfield":   cmdJSONField,
			"fixturecase": cmdFixtureCase,
		},
		RequireExplicitExec: true,
	})
}

// alterevents CASE ITEM: rewrite the stored events of item ITEM as an
// attacker could: the first one's data changed (its last digit), the
// last one dropped.
// The evidence bytes, and so verify without --deep, are untouched.
func cmdAlterEvents(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: alterevents CASE ITEM")
	}
	id, err := strconv.ParseUint(args[1], 10, 64)
	ts.Check(err)
	st, err := store.Open(ts.MkAbs(args[0]), store.Options{})
	ts.Check(err)
	defer st.Close()
	var evs []store.StoredEvent
	ts.Check(st.ItemEvents(id, func(e store.StoredEvent) error { evs = append(evs, e); return nil }))
	if len(evs) < 2 {
		ts.Fatalf("item %d has %d event(s), want 2 or more", id, len(evs))
	}
	evs = evs[:len(evs)-1]
	evs[0].Data = alterDigit(evs[0].Data)
	w := st.NewWriter(0)
	ts.Check(w.DeleteItemEvents(id))
	for _, e := range evs {
		terms, err := e.IndexTerms()
		ts.Check(err)
		ts.Check(w.PutEvent(store.EventRecord{Item: e.Item, Record: e.Record, Time: e.Time, Terms: terms, Data: e.Data}))
	}
	ts.Check(w.Flush())
}

// alterDigit returns a copy of a stored event with its last digit
// changed: an event that still reads, but says something else.
func alterDigit(data []byte) []byte {
	out := bytes.Clone(data)
	for i := len(out) - 1; i >= 0; i-- {
		if c := out[i]; c >= '0' && c <= '9' {
			out[i] = '0' + (c-'0'+1)%10
			return out
		}
	}
	panic("no digit in a stored event")
}

// jsonfield NAME VAR: set VAR to the string field NAME of the JSON object
// the last command printed on stdout.
func cmdJSONField(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: jsonfield NAME VAR")
	}
	var m map[string]any
	ts.Check(json.Unmarshal([]byte(ts.ReadFile("stdout")), &m))
	v, ok := m[args[0]].(string)
	if !ok {
		ts.Fatalf("no string field %q in stdout", args[0])
	}
	ts.Setenv(args[1], v)
}

// fixturecase NAME FILE: write the case an older trailcase wrote
// (evidence/index/testdata/NAME.tcase.gz: schema5, events stored with
// their index terms; schema6, before flow and ELB records were stored as
// their lines; schema7, before blocks of such records were stored in
// frames; schema8, before posting chunks were) to FILE.
func cmdFixtureCase(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || strings.ContainsAny(args[0], "/.") {
		ts.Fatalf("usage: fixturecase NAME FILE")
	}
	gz, err := os.ReadFile("../../evidence/index/testdata/" + args[0] + ".tcase.gz")
	ts.Check(err)
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	ts.Check(err)
	b, err := io.ReadAll(zr)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), b, 0o600))
}
