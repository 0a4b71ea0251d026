package findings

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/trailcase/trailcase/evidence/finding"
	"github.com/trailcase/trailcase/timeline"
)

// DefaultGaps is, per source, how long a stream of logs (one account and
// region) may be silent inside the case's span before the silence is a
// coverage finding: a few times the usual delivery interval (CloudTrail
// delivers about every 5 minutes, flow logs aggregate over up to 10
// minutes and are delivered every 5 to 10, ELB every 5 minutes) with
// room for quiet hours.
var DefaultGaps = map[string]time.Duration{
	timeline.SourceCloudTrail: time.Hour,
	timeline.SourceVPCFlow:    time.Hour,
	timeline.SourceELB:        time.Hour,
}

// maxWindows caps the windows kept per kind of coverage finding; further
// ones are counted.
const maxWindows = 200

// window is a time range with no (or degraded) evidence.
type window struct {
	from, to time.Time
	what     string // the stream, interface or trail concerned
	events   []finding.Evidence
}

// stream is the logs of one source in one account and region.
type stream struct {
	source, account, region string
	first, last             time.Time
	gaps                    []window
	more                    int
}

// streamKey names a stream.
type streamKey struct{ source, account, region string }

// seen is a resource named in CloudTrail: when first and by which event.
type seen struct {
	at  time.Time
	ref finding.Evidence
	acc string
}

// coverage watches the events go by for the evidence that is not there.
type coverage struct {
	gaps        map[string]time.Duration
	first, last time.Time
	streams     map[streamKey]*stream
	lastStream  *stream // the stream of the previous event
	order       []*stream

	noData     map[string]*window // open NODATA/SKIPDATA runs per interface
	noDataDone []window
	noDataMore int

	stopped     map[string]*window // open StopLogging windows per trail
	stoppedDone []window

	lbs, vpcs        map[string]seen // named in CloudTrail
	lbLogs, vpcLogs  map[string]bool // with logs in the case
	flowAccounts     map[string]bool // accounts with flow logs
	flowNoVPC        map[string]bool // accounts with flow logs that do not record vpc-id
	digestRestarts   []window        // filled from the digest verification
	digestRestartErr string          // why digest chains were not looked at
}

func newCoverage(gaps map[string]time.Duration) *coverage {
	if gaps == nil {
		gaps = DefaultGaps
	}
	return &coverage{
		gaps: gaps, streams: map[streamKey]*stream{}, noData: map[string]*window{}, stopped: map[string]*window{},
		lbs: map[string]seen{}, vpcs: map[string]seen{}, lbLogs: map[string]bool{}, vpcLogs: map[string]bool{},
		flowAccounts: map[string]bool{}, flowNoVPC: map[string]bool{},
	}
}

// event takes the next event in time order.
func (c *coverage) event(ev *timeline.Event) {
	if c.first.IsZero() {
		c.first = ev.Time
	}
	if ev.Time.After(c.last) {
		c.last = ev.Time
	}
	c.delivery(ev)
	switch ev.Source {
	case timeline.SourceCloudTrail:
		c.cloudTrail(ev)
	case timeline.SourceVPCFlow:
		c.flow(ev)
	case timeline.SourceELB:
		if v, ok := ev.Field("elb"); ok {
			c.lbLogs[lbName(v)] = true
		}
	}
}

// delivery tracks the silence of each stream.
func (c *coverage) delivery(ev *timeline.Event) {
	// Events of one stream often follow each other (a log file is read
	// at a time): the previous event's stream is tried first.
	s := c.lastStream
	if s == nil || s.source != ev.Source || s.account != ev.Account || s.region != ev.Region {
		key := streamKey{ev.Source, ev.Account, ev.Region}
		if s = c.streams[key]; s == nil {
			s = &stream{source: ev.Source, account: ev.Account, region: ev.Region, first: ev.Time, last: ev.Time}
			c.streams[key] = s
			c.order = append(c.order, s)
			c.lastStream = s
			return
		}
		c.lastStream = s
	}
	if max := c.gap(ev.Source); ev.Time.Sub(s.last) > max {
		if len(s.gaps) < maxWindows {
			s.gaps = append(s.gaps, window{from: s.last, to: ev.Time})
		} else {
			s.more++
		}
	}
	if ev.Time.After(s.last) {
		s.last = ev.Time
	}
}

func (c *coverage) gap(source string) time.Duration {
	if d, ok := c.gaps[source]; ok && d > 0 {
		return d
	}
	return time.Hour
}

// flow tracks NODATA/SKIPDATA runs and the VPCs flow logs cover.
func (c *coverage) flow(ev *timeline.Event) {
	c.flowAccounts[ev.Account] = true
	if v, ok := ev.Field("vpc-id"); ok && v != "-" && v != "" {
		c.vpcLogs[v] = true
	} else {
		c.flowNoVPC[ev.Account] = true
	}
	if ev.Outcome != "NODATA" && ev.Outcome != "SKIPDATA" {
		return
	}
	iface, _ := ev.Field("interface-id")
	key := ev.Account + " " + ev.Region + " " + iface
	end := ev.End
	if end.IsZero() {
		end = ev.Time
	}
	ref := finding.Evidence{Item: ev.Evidence, Record: ev.Record}
	if w := c.noData[key]; w != nil && !ev.Time.After(w.to.Add(time.Minute)) {
		if end.After(w.to) {
			w.to = end
		}
		if len(w.events) < 10 {
			w.events = append(w.events, ref)
		}
		return
	}
	c.closeNoData(key)
	c.noData[key] = &window{from: ev.Time, to: end, what: strings.Join(strings.Fields(ev.Outcome+" "+key), " "), events: []finding.Evidence{ref}}
}

func (c *coverage) closeNoData(key string) {
	w := c.noData[key]
	if w == nil {
		return
	}
	delete(c.noData, key)
	if len(c.noDataDone) < maxWindows {
		c.noDataDone = append(c.noDataDone, *w)
	} else {
		c.noDataMore++
	}
}

// ctRefs are the parts of a CloudTrail record coverage reads.
type ctRefs struct {
	RequestParameters struct {
		Name             string `json:"name"`
		LoadBalancerName string `json:"loadBalancerName"`
		LoadBalancerArn  string `json:"loadBalancerArn"`
	} `json:"requestParameters"`
	ResponseElements struct {
		LoadBalancers []struct {
			LoadBalancerArn  string `json:"loadBalancerArn"`
			LoadBalancerName string `json:"loadBalancerName"`
		} `json:"loadBalancers"`
	} `json:"responseElements"`
}

var vpcID = regexp.MustCompile(`"vpcId"\s*:\s*"(vpc-[0-9a-f]{8,17})"`)

// cloudTrail tracks logging stops and the load balancers and VPCs named.
func (c *coverage) cloudTrail(ev *timeline.Event) {
	ref := finding.Evidence{Item: ev.Evidence, Record: ev.Record}
	if bytes.Contains(ev.Raw, []byte(`"vpcId"`)) {
		for _, m := range vpcID.FindAllSubmatch(ev.Raw, 4) {
			if _, ok := c.vpcs[string(m[1])]; !ok && len(c.vpcs) < maxWindows {
				c.vpcs[string(m[1])] = seen{ev.Time, ref, ev.Account}
			}
		}
	}
	isELB := ev.EventSource == "elasticloadbalancing.amazonaws.com"
	isLogging := ev.EventSource == "cloudtrail.amazonaws.com" && (ev.Action == "StopLogging" || ev.Action == "StartLogging")
	if (!isELB && !isLogging) || ev.Outcome != "success" {
		return
	}
	var r ctRefs
	if json.Unmarshal(ev.Raw, &r) != nil {
		return
	}
	if isELB {
		for _, n := range []string{r.RequestParameters.Name, r.RequestParameters.LoadBalancerName, r.RequestParameters.LoadBalancerArn} {
			c.sawLB(n, ev, ref)
		}
		for _, lb := range r.ResponseElements.LoadBalancers {
			c.sawLB(lb.LoadBalancerArn, ev, ref)
			c.sawLB(lb.LoadBalancerName, ev, ref)
		}
		return
	}
	trail := r.RequestParameters.Name
	if ev.Action == "StopLogging" {
		if c.stopped[trail] == nil {
			c.stopped[trail] = &window{from: ev.Time, what: trail, events: []finding.Evidence{ref}}
		}
		return
	}
	if w := c.stopped[trail]; w != nil {
		w.to = ev.Time
		w.events = append(w.events, ref)
		c.stoppedDone = append(c.stoppedDone, *w)
		delete(c.stopped, trail)
	}
}

func (c *coverage) sawLB(name string, ev *timeline.Event, ref finding.Evidence) {
	if name = lbName(name); name == "" {
		return
	}
	if _, ok := c.lbs[name]; !ok && len(c.lbs) < maxWindows {
		c.lbs[name] = seen{ev.Time, ref, ev.Account}
	}
}

// lbName is the name of a load balancer from its ARN, its log's "elb"
// field (app/NAME/ID) or its name.
func lbName(s string) string {
	if i := strings.Index(s, ":loadbalancer/"); i >= 0 {
		s = s[i+len(":loadbalancer/"):]
	}
	parts := strings.Split(s, "/")
	if len(parts) == 3 {
		return parts[1]
	}
	return s
}

// findings returns the coverage findings once every event went by.
func (c *coverage) findings() []finding.Finding {
	var out []finding.Finding
	out = append(out, c.deliveryFindings()...)
	keys := make([]string, 0, len(c.noData))
	for k := range c.noData {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c.closeNoData(k)
	}
	out = append(out, noDataFindings(c.noDataDone)...)
	if c.noDataMore > 0 {
		out = append(out, more("coverage-flow-nodata", c.noDataMore, "NODATA/SKIPDATA periods"))
	}
	out = append(out, c.stoppedFindings()...)
	out = append(out, c.unloggedFindings()...)
	return out
}

// digestFindings are the periods no digest covers.
func (c *coverage) digestFindings() []finding.Finding {
	var out []finding.Finding
	for _, w := range c.digestRestarts {
		f := coverageFinding("coverage-digest-gap", "CloudTrail digest chain restarted: a period no digest covers", finding.High, w)
		f.Detail = fmt.Sprintf("no digest covers %s to %s (%s): logging or log file validation was off or restarted; logs of that period cannot be proved complete or unaltered (%s)",
			stamp(w.from), stamp(w.to), w.to.Sub(w.from).Round(time.Minute), w.what)
		f.Object = w.what
		out = append(out, f)
	}
	return out
}

// noDataFindings sums the NODATA and SKIPDATA periods up per interface
// and status: SKIPDATA (records lost) is low, NODATA (no traffic, or the
// interface was down) informational.
func noDataFindings(ws []window) []finding.Finding {
	byWhat := map[string]*finding.Finding{}
	var order []string
	count := map[string]int{}
	var total = map[string]time.Duration{}
	for _, w := range ws {
		f := byWhat[w.what]
		if f == nil {
			level := finding.Informational
			if strings.HasPrefix(w.what, "SKIPDATA") {
				level = finding.Low
			}
			nf := coverageFinding("coverage-flow-nodata", "Flow log periods without records", level, w)
			nf.Object = w.what
			f = &nf
			byWhat[w.what] = f
			order = append(order, w.what)
		}
		f.Last = w.to
		if len(f.Events) < 20 {
			f.Events = append(f.Events, w.events...)
		}
		count[w.what]++
		total[w.what] += w.to.Sub(w.from)
	}
	out := make([]finding.Finding, 0, len(order))
	for _, k := range order {
		f := byWhat[k]
		f.Detail = fmt.Sprintf("%s: %d period(s), %s in all, from %s to %s: the interface's traffic then is not in the flow logs",
			k, count[k], total[k].Round(time.Minute), stamp(f.First), stamp(f.Last))
		out = append(out, *f)
	}
	return out
}

func coverageFinding(rule, title string, level finding.Level, w window) finding.Finding {
	return finding.Finding{Rule: rule, Title: title, Level: level, Category: finding.Coverage, First: w.from, Last: w.to, Events: w.events}
}

func more(rule string, n int, what string) finding.Finding {
	return finding.Finding{Rule: rule, Title: "More coverage findings", Level: finding.Informational, Category: finding.Coverage,
		Detail: fmt.Sprintf("%d further %s not listed", n, what)}
}

// deliveryFindings are the silences inside the case's span, at the start
// and end of each stream too.
func (c *coverage) deliveryFindings() []finding.Finding {
	var out []finding.Finding
	for _, s := range c.order {
		max := c.gap(s.source)
		gaps := s.gaps
		if s.first.Sub(c.first) > max {
			gaps = append([]window{{from: c.first, to: s.first}}, gaps...)
		}
		if c.last.Sub(s.last) > max {
			gaps = append(gaps, window{from: s.last, to: c.last})
		}
		name := strings.TrimSpace(s.source + " " + s.account + " " + s.region)
		for _, w := range gaps {
			f := coverageFinding("coverage-delivery-gap", "No "+s.source+" logs delivered for a period", finding.Low, w)
			if w.to.Sub(w.from) >= 4*time.Hour {
				f.Level = finding.Medium
			}
			f.Object = name
			f.Detail = fmt.Sprintf("%s: no events from %s to %s (%s) inside the case's span %s to %s",
				name, stamp(w.from), stamp(w.to), w.to.Sub(w.from).Round(time.Minute), stamp(c.first), stamp(c.last))
			out = append(out, f)
		}
		if s.more > 0 {
			out = append(out, more("coverage-delivery-gap", s.more, name+" silences"))
		}
	}
	return out
}

func (c *coverage) stoppedFindings() []finding.Finding {
	for trail, w := range c.stopped {
		w.to = c.last
		w.what = trail + " (not restarted in the case)"
		c.stoppedDone = append(c.stoppedDone, *w)
	}
	c.stopped = map[string]*window{}
	sort.Slice(c.stoppedDone, func(i, j int) bool { return c.stoppedDone[i].from.Before(c.stoppedDone[j].from) })
	var out []finding.Finding
	for _, w := range c.stoppedDone {
		f := coverageFinding("coverage-logging-stopped", "CloudTrail logging stopped", finding.High, w)
		f.Object = w.what
		f.Detail = fmt.Sprintf("trail %s stopped logging from %s to %s (%s): API activity in that period was not recorded",
			w.what, stamp(w.from), stamp(w.to), w.to.Sub(w.from).Round(time.Minute))
		out = append(out, f)
	}
	return out
}

// unloggedFindings are load balancers and VPCs named in CloudTrail with
// no logs of them in the case.
func (c *coverage) unloggedFindings() []finding.Finding {
	var out []finding.Finding
	for _, name := range sortedKeys(c.lbs) {
		if c.lbLogs[name] {
			continue
		}
		s := c.lbs[name]
		out = append(out, finding.Finding{Rule: "coverage-lb-unlogged", Title: "Load balancer with no access logs in the case",
			Level: finding.Low, Category: finding.Coverage, First: s.at, Last: s.at, Object: name, Events: []finding.Evidence{s.ref},
			Detail: fmt.Sprintf("load balancer %s appears in CloudTrail (account %s) but the case holds none of its access logs", name, s.acc)})
	}
	for _, id := range sortedKeys(c.vpcs) {
		s := c.vpcs[id]
		if c.vpcLogs[id] || (c.flowAccounts[s.acc] && c.flowNoVPC[s.acc]) {
			continue // covered, or the account's flow logs do not say which VPC they cover
		}
		out = append(out, finding.Finding{Rule: "coverage-vpc-unlogged", Title: "VPC with no flow logs in the case",
			Level: finding.Low, Category: finding.Coverage, First: s.at, Last: s.at, Object: id, Events: []finding.Evidence{s.ref},
			Detail: fmt.Sprintf("VPC %s appears in CloudTrail (account %s) but the case holds no flow logs of it", id, s.acc)})
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
