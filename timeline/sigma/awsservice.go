package sigma

import (
	"regexp"
	"strings"
)

// A logsource of product aws naming another AWS service (service: ec2, as
// some older SigmaHQ rules write) means that service's CloudTrail
// events: the rule reads CloudTrail records and matches only those whose
// eventSource is <service>.amazonaws.com.
var awsServiceRE = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// impliedEventSource is the eventSource such a logsource requires, or "".
func impliedEventSource(l Logsource) string {
	p, s := strings.ToLower(l.Product), strings.ToLower(l.Service)
	if p != "aws" || !awsServiceRE.MatchString(s) {
		return ""
	}
	switch s {
	case "cloudtrail", "vpcflow", "elb":
		return ""
	}
	return s + ".amazonaws.com"
}

// requireEventSource adds the eventSource test of such a logsource to a
// compiled detection.
func requireEventSource(d *detection, l Logsource) {
	es := impliedEventSource(l)
	if es == "" {
		return
	}
	m, err := stringMatcher(opEq, escapeWild(es), false)
	if err != nil {
		return // a plain name always compiles
	}
	f := &fieldNode{get: cloudTrailField("eventSource"), vals: []*matcher{m}, c: 1}
	d.cond = andNode{f, d.cond}
}
