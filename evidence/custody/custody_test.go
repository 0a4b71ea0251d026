package custody

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/store"
)

func TestRecordCheck(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.tcase")
	st, err := store.Create(p, evidence.CaseInfo{ID: "x", Name: "c", Examiner: "Case Examiner", Created: time.Now().UTC()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := Local(Tool{Version: "v1", Revision: "r1"}, "", st)
	if a.Examiner != "Case Examiner" || a.ToolVersion != "v1" || a.Revision != "r1" {
		t.Fatalf("actor = %+v", a)
	}
	start := time.Now().UTC()
	ent, err := RecordCheck(st, a, Check{Action: "digest verify", Name: "digest", Args: []string{"digest", "verify"},
		Start: start, OK: false, Summary: "2 problems", Result: map[string]int{"n": 2}})
	if err != nil {
		t.Fatal(err)
	}
	if ent.Action != "digest verify" || ent.Result != evidence.ResultProblems || ent.Detail != "2 problems" || !ent.Start.Equal(start) || ent.Seq == 0 {
		t.Errorf("entry = %+v", ent)
	}
	c, ok, err := st.LatestCheck("digest")
	if err != nil {
		t.Fatal(err)
	}
	if !ok || c.OK || c.Summary != "2 problems" || !c.Time.Equal(ent.End) {
		t.Fatalf("stored check = %+v (%v)", c, ok)
	}
	var got map[string]int
	if err := json.Unmarshal(c.Result, &got); err != nil || got["n"] != 2 {
		t.Errorf("stored result %s: %v", c.Result, err)
	}
}
