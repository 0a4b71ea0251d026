package findings

import (
	"math/rand"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/trailcase/trailcase/timeline"
)

// factTermsPlain is the summary facts written the plain way, one string
// at a time: what FactTerms, building them in one buffer, must give.
func factTermsPlain(ev *timeline.Event, terms []string) []string {
	unfit := false
	add := func(prefix, v string) {
		switch {
		case v == "" && prefix != factAddress:
		case len(v) > maxFactValue || strings.IndexByte(v, 0) >= 0:
			unfit = true
		default:
			terms = append(terms, prefix+v)
		}
	}
	if strings.Contains(ev.SrcIP, factSep) {
		unfit = true
	} else {
		add(factAddress, ev.SrcIP+factSep+ev.Source)
	}
	switch ev.Source {
	case timeline.SourceCloudTrail:
		add(factPrincipal, ev.Principal)
		add(factKey, ev.AccessKeyID)
		add(factName, ev.Action)
		add(factAgent, ev.UserAgent)
		if ev.Outcome != "success" {
			add(factError, ev.Outcome)
		}
		if ev.AccessKeyID != "" && ev.SrcIP != "" {
			if strings.ContainsAny(ev.SrcIP+ev.AccessKeyID, "\x00"+factSep) {
				unfit = true
			} else {
				add(factKeyFrom, ev.SrcIP+factSep+ev.AccessKeyID)
			}
		}
		if isDenied(ev) {
			if strings.Contains(ev.Principal+ev.SrcIP, factSep) {
				unfit = true
			} else {
				add(factDenied, ev.Principal+factSep+ev.SrcIP)
			}
		}
		if isChange(ev) {
			terms = append(terms, factChange)
		}
		if ev.IssuedSession != "" {
			terms = append(terms, factRole)
		}
	case timeline.SourceVPCFlow:
		if isEgress(ev) {
			s := strconv.FormatInt(int64(egressClass(ev.Bytes)), 16)
			terms = append(terms, factEgress+strings.Repeat("0", 4-len(s))+s)
		}
	case timeline.SourceELB:
		add(factAgent, ev.UserAgent)
	}
	if unfit {
		terms = append(terms, factUnfit)
	}
	return terms
}

// TestFactTermsPlain compares FactTerms and AddFactTerms after other
// terms with the plain statement of the facts on random events, edge
// values included.
func TestFactTermsPlain(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	pick := func(vals ...string) string { return vals[rng.Intn(len(vals))] }
	long := strings.Repeat("a", maxFactValue)
	for i := range 20000 {
		ev := &timeline.Event{
			Source:        pick(timeline.SourceCloudTrail, timeline.SourceVPCFlow, timeline.SourceELB, "s3access", "guardduty"),
			SrcIP:         pick("", "10.0.0.1", "203.0.113.9", "ec2.amazonaws.com", "a\x1fb", "nul\x00", long),
			DstIP:         pick("", "10.0.0.2", "198.51.100.7", "::1", "2001:db8::1", "bad"),
			Principal:     pick("", "arn:aws:iam::1:user/Alice", "x\x1fy", "n\x00", long+"b"),
			AccessKeyID:   pick("", "AKIAEXAMPLE", "ASIA\x1f", "AK\x00", long),
			Action:        pick("", "ACCEPT", "REJECT", "GetObject", "CreateUser", "DeleteFlowLogs", long+"x"),
			EventSource:   pick("", "iam.amazonaws.com", "s3.amazonaws.com"),
			UserAgent:     pick("", "aws-cli/2", "ua\x00", long),
			Outcome:       pick("", "success", "AccessDenied", "Client.UnauthorizedOperation", "NoSuchKey", "200"),
			IssuedSession: pick("", "arn:aws:sts::1:assumed-role/r/s"),
			Bytes:         []int64{0, 1, 255, 256, 511, 4096, 123456789, 1 << 62}[rng.Intn(8)],
		}
		want := factTermsPlain(ev, []string{"ip:1.2.3.4"})
		if got := FactTerms(ev, []string{"ip:1.2.3.4"}); !slices.Equal(got, want) {
			t.Fatalf("event %d %+v:\nFactTerms %q\nwant      %q", i, ev, got, want)
		}
		var ts timeline.TermSet
		ts.Add("previous")
		ev.AddTerms(&ts)
		AddFactTerms(&ts, ev)
		if got, want := ts.AppendTo(nil), factTermsPlain(ev, append([]string{"previous"}, ev.Terms()...)); !slices.Equal(got, want) {
			t.Fatalf("event %d %+v:\nAddFactTerms %q\nwant         %q", i, ev, got, want)
		}
	}
}
