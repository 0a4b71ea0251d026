package timeline

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// configBenchEvents builds a case of REJECTed inbound flow records on 50
// interfaces and, with config set, the Config history of those
// interfaces, of their security groups (a change every 2 hours) and of
// their subnets' network ACLs: every REJECT is explained from Config.
func configBenchEvents(n int, config bool) []*Event {
	var evs []*Event
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	item := func(at time.Time, typ, id string, conf string) *Event {
		raw := fmt.Sprintf(`{"configurationItemCaptureTime":%q,"configurationItemStatus":"OK","resourceType":%q,"resourceId":%q,"configuration":%s}`,
			at.Format(time.RFC3339), typ, id, conf)
		return &Event{Time: at, Source: SourceConfig, Kind: "config", Action: typ + " OK", Outcome: "OK",
			Resources: []string{id}, Raw: json.RawMessage(raw), Evidence: 1}
	}
	const enis = 50
	if config {
		for k := range enis {
			evs = append(evs, item(base.Add(-time.Hour), configENI, fmt.Sprintf("eni-%017d", k),
				fmt.Sprintf(`{"groups":[{"groupId":"sg-%017d"}],"subnetId":"subnet-%d","privateIpAddress":"10.0.%d.5"}`, k, k%5, k)))
			for h := 0; h < 48; h += 2 {
				evs = append(evs, item(base.Add(time.Duration(h)*time.Hour-time.Minute), configSG, fmt.Sprintf("sg-%017d", k),
					fmt.Sprintf(`{"ipPermissions":[{"ipProtocol":"tcp","fromPort":443,"toPort":443,"ipRanges":["0.0.0.0/0"]},{"ipProtocol":"tcp","fromPort":%d,"toPort":%d,"ipRanges":["10.0.0.0/8"]}],"ipPermissionsEgress":[{"ipProtocol":"-1","ipRanges":["0.0.0.0/0"]}]}`, 8000+h, 8000+h)))
			}
		}
		for s := range 5 {
			evs = append(evs, item(base.Add(-time.Hour), configNACL, fmt.Sprintf("acl-%d", s),
				fmt.Sprintf(`{"networkAclId":"acl-%d","associations":[{"subnetId":"subnet-%d"}],"entries":[{"ruleNumber":90,"protocol":"-1","ruleAction":"deny","egress":false,"cidrBlock":"192.0.2.0/24"},{"ruleNumber":100,"protocol":"6","ruleAction":"allow","egress":false,"cidrBlock":"0.0.0.0/0","portRange":{"from":22,"to":22}},{"ruleNumber":32767,"protocol":"-1","ruleAction":"deny","egress":false,"cidrBlock":"0.0.0.0/0"}]}`, s, s)))
		}
	}
	for i := range n {
		k := i % enis
		e := flow(0, fmt.Sprintf("203.0.113.%d", i%250), 33000+i%30000, fmt.Sprintf("10.0.%d.5", k), 22, "REJECT")
		e.Time = base.Add(time.Duration(i) * 4 * time.Second)
		e.Fields["interface-id"] = fmt.Sprintf("eni-%017d", k)
		e.Evidence, e.Record = 2, int64(i+1)
		evs = append(evs, e)
	}
	for i, e := range evs {
		if e.Record == 0 {
			e.Record = int64(i + 1)
		}
	}
	return evs
}

// BenchmarkConfigHint reads a case of REJECTs with and without the
// Config history that explains each of them; the difference per event
// is the cost of the explanation.
func BenchmarkConfigHint(b *testing.B) {
	const n = 40000
	for _, config := range []bool{false, true} {
		name := "without-config"
		if config {
			name = "with-config"
		}
		b.Run(name, func(b *testing.B) {
			st := newTestStore(b, configBenchEvents(n, config))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				hinted := 0
				_, err := Correlate(context.Background(), st, Query{All: true, Sources: []string{SourceVPCFlow}}, func(m *Match) error {
					if hasConfigHint(m.Event) {
						hinted++
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				if want := map[bool]int{true: n, false: 0}[config]; hinted != want {
					b.Fatalf("%d hinted, want %d", hinted, want)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/event")
		})
	}
}
