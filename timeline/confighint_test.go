package timeline

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/store"
)

// configCaseEvents parses the Config history and flow records of
// testdata/sources as evidence items 1 and 2.
func configCaseEvents(t *testing.T, configFile string) []*Event {
	t.Helper()
	var evs []*Event
	for i, f := range []struct{ kind, name string }{{evidence.KindConfig, configFile}, {evidence.KindVPCFlow, "vpcflow_rejects.log"}} {
		if f.name == "" {
			continue
		}
		b, err := os.ReadFile(filepath.Join("testdata", "sources", f.name))
		if err != nil {
			t.Fatal(err)
		}
		err = Parse(context.Background(), f.kind, bytes.NewReader(b), ParseOptions{Evidence: uint64(i + 1), Name: f.name},
			func(e *Event) error { evs = append(evs, e); return nil },
			func(w Warning) { t.Errorf("%s: %s", f.name, w.Message) })
		if err != nil {
			t.Fatal(err)
		}
	}
	return evs
}

// rejectNotes returns the notes of the REJECTed flow records, by the
// record's time and addresses.
func rejectNotes(t *testing.T, src EventSource, q Query) (map[string]string, *Summary) {
	t.Helper()
	ms, sum := collect(t, src, q)
	notes := map[string]string{}
	for _, m := range ms {
		e := m.Event
		if e.Source == SourceVPCFlow && e.Action == "REJECT" {
			notes[e.Time.Format("15:04")+" "+e.SrcIP+":"+strconv.Itoa(e.SrcPort)+">"+e.DstIP+":"+strconv.Itoa(e.DstPort)] = strings.Join(e.Annotations, " | ")
		}
	}
	return notes, sum
}

func TestConfigRejectHint(t *testing.T) {
	const when = " (configuration recorded 2024-05-01T09:00:00.000Z)"
	want := map[string]string{
		"08:00 203.0.113.7:51200>10.0.1.5:22":   "", // before the Config history
		"09:30 203.0.113.7:51234>10.0.1.5:22":   ConfigHintPrefix + "no security-group rule of sg-0123456789abcdef0 allows inbound tcp/22 from 203.0.113.7" + when,
		"09:31 192.0.2.201:40001>10.0.1.5:443":  ConfigHintPrefix + "network ACL acl-0f1e2d3c4b5a69788 rule 90 denies inbound tcp/443 from 192.0.2.201" + when,
		"09:32 203.0.113.7:40122>10.0.1.5:3389": ConfigHintPrefix + "the default rule * of network ACL acl-0f1e2d3c4b5a69788 denies inbound tcp/3389 from 203.0.113.7" + when,
		"10:10 10.0.1.5:443>203.0.113.7:20480":  ConfigHintPrefix + "the default rule * of network ACL acl-0f1e2d3c4b5a69788 denies outbound tcp/20480 to 203.0.113.7" + when,
		"10:20 10.0.2.40:443>203.0.113.7:50122": NACLHint, // interface not in Config: the heuristic
		// The ACL lets it in (rule 120); whether it opens a connection is
		// unknown, so the (stateful) groups are not blamed.
		"09:40 203.0.113.7:40000>10.0.1.5:50000": "",
	}
	evs := configCaseEvents(t, "config_network.json")
	both := flow(0, "203.0.113.7", 40000, "10.0.1.5", 50000, "REJECT")
	both.Time, both.Evidence, both.Record = evs[0].Time.Add(40*time.Minute), 3, 1
	both.Fields["interface-id"] = "eni-0a1b2c3d4e5f60718"
	st := newTestStore(t, append(evs, both))
	for _, q := range []Query{{All: true}, {IP: "203.0.113.7"}, {All: true, Sources: []string{SourceVPCFlow}}} {
		got, sum := rejectNotes(t, st, q)
		for k, w := range want {
			if q.IP != "" && !strings.Contains(k, q.IP) {
				continue
			}
			if _, ok := got[k]; !ok {
				t.Errorf("%+v: %s: not in the timeline", q, k)
			} else if got[k] != w {
				t.Errorf("%+v: %s: note %q, want %q", q, k, got[k], w)
			}
		}
		if q.IP == "" && (sum.ConfigHints != 4 || sum.NACLHints != 1) {
			t.Errorf("%+v: summary counts %d Config hints, %d NACL hints; want 4, 1", q, sum.ConfigHints, sum.NACLHints)
		}
	}

	// Without the Config history every REJECT is as before.
	got, sum := rejectNotes(t, newTestStore(t, configCaseEvents(t, "")), Query{All: true})
	if sum.ConfigHints != 0 || got["10:10 10.0.1.5:443>203.0.113.7:20480"] != NACLHint {
		t.Errorf("without Config: %d Config hints, notes %q", sum.ConfigHints, got)
	}
}

// countingSource counts the term reads of a query.
type countingSource struct {
	*store.Store
	byTerm int
}

func (c *countingSource) EventsByTerm(term string, from, to time.Time, fn func(store.StoredEvent) error) error {
	c.byTerm++
	return c.Store.EventsByTerm(term, from, to, fn)
}

func TestConfigRejectHintCached(t *testing.T) {
	evs := configCaseEvents(t, "config_network.json")
	// Many rejects on the one interface: its history and its group's are
	// read once.
	for i := range 500 {
		e := flow(0, "203.0.113.7", 40000+i, "10.0.1.5", 3389, "REJECT")
		e.Time = evs[len(evs)-1].Time.Add(time.Duration(i) * time.Second)
		e.Fields["interface-id"] = "eni-0a1b2c3d4e5f60718"
		e.Record = int64(100 + i)
		evs = append(evs, e)
	}
	src := &countingSource{Store: newTestStore(t, evs)}
	_, sum := collect(t, src, Query{All: true})
	if sum.ConfigHints != 504 {
		t.Errorf("%d Config hints, want 504", sum.ConfigHints)
	}
	if src.byTerm > 3 { // the two interfaces and the group
		t.Errorf("%d term reads, want at most 3", src.byTerm)
	}
}
