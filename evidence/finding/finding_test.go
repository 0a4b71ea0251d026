package finding

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

func TestParseLevel(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Level
		ok   bool
	}{
		{"informational", Informational, true},
		{"LOW", Low, true},
		{" Medium ", Medium, true},
		{"high", High, true},
		{"critical", Critical, true},
		{"", "", false},
		{"info", "", false},
		{"severe", "", false},
	} {
		got, err := ParseLevel(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("ParseLevel(%q) = %q, %v; want %q, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestLevelOrder(t *testing.T) {
	order := []Level{Informational, Low, Medium, High, Critical}
	for i, l := range order {
		if l.Rank() != i {
			t.Errorf("%s: rank %d, want %d", l, l.Rank(), i)
		}
		for j, m := range order {
			if l.AtLeast(m) != (i >= j) {
				t.Errorf("%s.AtLeast(%s) = %v", l, m, l.AtLeast(m))
			}
		}
	}
	if Level("").Rank() != -1 || Level("bogus").AtLeast(Informational) {
		t.Error("an unknown level must rank below informational")
	}
	if !Informational.AtLeast("") {
		t.Error("every level is at least the empty level")
	}
}

func TestParseCategory(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Category
		ok   bool
	}{
		{"integrity", Integrity, true},
		{"Coverage", Coverage, true},
		{"BEHAVIOUR", Behaviour, true},
		{"behavior", "", false},
		{"", "", false},
	} {
		got, err := ParseCategory(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("ParseCategory(%q) = %q, %v; want %q, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestKinds checks that every built-in kind has a level, a category and a
// meaning, and keeps its contract name.
func TestKinds(t *testing.T) {
	names := map[Kind]string{
		ItemHashMismatch: "ITEM_HASH_MISMATCH", LogMissing: "LOG_MISSING", DigestMissing: "DIGEST_MISSING",
		ModeNotMet: "MODE_NOT_MET", CustodyBroken: "CUSTODY_CHAIN_BROKEN", ObjectNotReadable: "OBJECT_NOT_READABLE",
	}
	for k, name := range names {
		if string(k) != name {
			t.Errorf("kind %q, want %q", k, name)
		}
	}
	for k := range kinds {
		if k.Level().Rank() < 0 || k.Category() == "" || k.Meaning() == "" {
			t.Errorf("%s: level %q category %q meaning %q", k, k.Level(), k.Category(), k.Meaning())
		}
	}
	if k := Kind("SOMETHING_ELSE"); k.Level() != "" || k.Meaning() != "" {
		t.Errorf("unknown kind classified: %q %q", k.Level(), k.Meaning())
	}
	f := New(LogHashMismatch, "a.json.gz", "differs")
	if f.Level != Critical || f.Category != Integrity || f.Object != "a.json.gz" {
		t.Errorf("New = %+v", f)
	}
}

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestProblemsJSON pins the "problems" arrays verify, digest verify and
// objectlock have always printed: only kind, object, detail and item, in
// their order, whatever else a finding carries.
func TestProblemsJSON(t *testing.T) {
	full := New(LogMissing, "AWSLogs/x.json.gz", "listed, not found")
	full.Item, full.Techniques, full.Events = 7, []string{"T1070"}, []Evidence{{Item: 7, Record: 3}}
	bare := Finding{Kind: StoreInconsistent, Detail: "page 4: unreachable"}
	for _, tc := range []struct {
		name string
		v    any
		want string
	}{
		{"problems", Problems{full, New(ModeNotMet, "s3://b/k", "none")},
			`[{"kind":"LOG_MISSING","object":"AWSLogs/x.json.gz","detail":"listed, not found","item":7},{"kind":"MODE_NOT_MET","object":"s3://b/k","detail":"none"}]`},
		{"problems, empty object kept", Problems{bare}, `[{"kind":"STORE_INCONSISTENT","object":"","detail":"page 4: unreachable"}]`},
		{"item problems", ItemProblems{full, bare},
			`[{"kind":"LOG_MISSING","item":7,"object":"AWSLogs/x.json.gz","detail":"listed, not found"},{"kind":"STORE_INCONSISTENT","detail":"page 4: unreachable"}]`},
		{"empty", Problems{}, `[]`},
		{"nil", Problems(nil), `null`},
		{"nil item problems", ItemProblems(nil), `null`},
		{"in a struct", struct {
			P Problems `json:"problems"`
		}{Problems{{Kind: DigestMoved, Object: "<k>", Detail: "d"}}}, `{"problems":[{"kind":"DIGEST_MOVED","object":"\u003ck\u003e","detail":"d"}]}`},
	} {
		if got := marshal(t, tc.v); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

// TestStoredProblemsDecode checks that problems arrays kept in existing
// case files (check results) decode into findings.
func TestStoredProblemsDecode(t *testing.T) {
	stored := `{"items":2,"problems":[{"kind":"ITEM_HASH_MISMATCH","item":1,"object":"a.txt","detail":"hash"},{"kind":"ORPHAN_DATA","detail":"blob 3"}]}`
	var v struct {
		Items    int          `json:"items"`
		Problems ItemProblems `json:"problems"`
	}
	if err := json.Unmarshal([]byte(stored), &v); err != nil {
		t.Fatal(err)
	}
	want := ItemProblems{{Kind: ItemHashMismatch, Item: 1, Object: "a.txt", Detail: "hash"}, {Kind: OrphanData, Detail: "blob 3"}}
	if !slices.EqualFunc(v.Problems, want, Finding.Equal) {
		t.Errorf("decoded %+v", v.Problems)
	}
	if got := marshal(t, v); got != stored {
		t.Errorf("round trip:\n got %s\nwant %s", got, stored)
	}
	var ps Problems
	if err := json.Unmarshal([]byte(`[{"kind":"LOG_MISSING","object":"x","detail":"y"}]`), &ps); err != nil || len(ps) != 1 || ps[0].Kind != LogMissing || ps[0].Object != "x" {
		t.Errorf("decoded %+v, %v", ps, err)
	}
}

// TestFindingJSON pins the general shape: the fields of a rule's finding,
// empty ones left out.
func TestFindingJSON(t *testing.T) {
	first := time.Date(2025, 3, 10, 14, 45, 5, 0, time.UTC)
	rule := Finding{Rule: "aws-cloudtrail-stop-logging", Title: "CloudTrail logging stopped", Level: High,
		Category: Behaviour, Techniques: []string{"attack.t1562.008"}, First: first, Last: first.Add(time.Minute),
		Principals: []string{"arn:aws:iam::123456789012:user/ci"}, IPs: []string{"203.0.113.7"},
		Events: []Evidence{{Item: 4, Record: 17}}, Detail: "StopLogging on trail main"}
	want := `{"rule":"aws-cloudtrail-stop-logging","title":"CloudTrail logging stopped","level":"high","category":"behaviour",` +
		`"techniques":["attack.t1562.008"],"first":"2025-03-10T14:45:05.000Z","last":"2025-03-10T14:46:05.000Z",` +
		`"principals":["arn:aws:iam::123456789012:user/ci"],"ips":["203.0.113.7"],"events":[{"evidence":4,"record":17}],` +
		`"detail":"StopLogging on trail main"}`
	if got := marshal(t, rule); got != want {
		t.Errorf("rule finding:\n got %s\nwant %s", got, want)
	}
	check := New(LogMissing, "k", "d")
	checkJSON := `{"kind":"LOG_MISSING","level":"high","category":"integrity","object":"k","detail":"d"}`
	if got := marshal(t, check); got != checkJSON {
		t.Errorf("check finding:\n got %s\nwant %s", got, checkJSON)
	}
	for _, f := range []Finding{check, rule} {
		var back Finding
		if err := json.Unmarshal([]byte(marshal(t, f)), &back); err != nil || !back.Equal(f) {
			t.Errorf("decoded %+v, %v", back, err)
		}
	}
}

func TestCompare(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	fs := []Finding{
		{Level: Low, Kind: NoObjects},
		{Level: Critical, First: t0.Add(time.Hour), Rule: "b"},
		{Level: Critical, First: t0, Rule: "z"},
		{Level: Medium, Kind: LockUnknown, Object: "b"},
		{Level: Medium, Kind: LockUnknown, Object: "a"},
	}
	slices.SortFunc(fs, Compare)
	var got []string
	for _, f := range fs {
		got = append(got, string(f.Level)+"/"+f.Rule+string(f.Kind)+"/"+f.Object)
	}
	want := []string{"critical/z/", "critical/b/", "medium/OBJECT_LOCK_UNKNOWN/a", "medium/OBJECT_LOCK_UNKNOWN/b", "low/NO_OBJECTS/"}
	if !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}
