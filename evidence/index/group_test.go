package index

import (
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline"
)

// TestSinkGroupsCloudTrail: a CloudTrail record is handed to the store
// with its event name as its group (its block is stored grouped by
// name); a record of another source with none.
func TestSinkGroupsCloudTrail(t *testing.T) {
	var got []string
	s := &eventSink{it: &evidence.Item{ID: 7, Kind: "cloudtrail"}, add: func(r *store.EventRecord) error {
		got = append(got, r.Group)
		return nil
	}}
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	evs := []*timeline.Event{
		{Source: timeline.SourceCloudTrail, Kind: "cloudtrail", Record: 1, Time: t0, Action: "GetObject", EventID: "6a1e0c2d-3b4f-4a5e-8c7d-9e0f1a2b3c4d", Raw: []byte(`{"eventName":"GetObject"}`)},
		{Source: timeline.SourceCloudTrail, Kind: "cloudtrail", Record: 2, Time: t0, Action: "AssumeRole", Raw: []byte(`{"eventName":"AssumeRole"}`)},
		{Source: timeline.SourceVPCFlow, Kind: "vpcflow", Record: 3, Time: t0, Action: "ACCEPT", Raw: []byte(`2 111122223333 eni-0a1b2c3d 10.0.1.5 203.0.113.7 443 51515 6 8 4000 1714557600 1714557660 ACCEPT OK`)},
	}
	for _, ev := range evs {
		if err := s.emit(ev); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 3 || got[0] != "GetObject" || got[1] != "AssumeRole" || got[2] != "" {
		t.Fatalf("groups %q", got)
	}
}
