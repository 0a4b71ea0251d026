package timeline

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"

	"github.com/trailcase/trailcase/evidence"
)

// SourceGuardDuty is the source of GuardDuty finding events.
const SourceGuardDuty = "guardduty"

// gdFinding is the part of a GuardDuty finding the timeline uses.
type gdFinding struct {
	SchemaVersion string      `json:"schemaVersion"`
	AccountID     string      `json:"accountId"`
	Region        string      `json:"region"`
	ID            string      `json:"id"`
	Type          string      `json:"type"`
	Severity      json.Number `json:"severity"`
	Title         string      `json:"title"`
	CreatedAt     string      `json:"createdAt"`
	UpdatedAt     string      `json:"updatedAt"`
	Resource      gdResource  `json:"resource"`
	Service       gdService   `json:"service"`
}

type gdResource struct {
	ResourceType    string `json:"resourceType"`
	S3BucketDetails []struct {
		ARN  string `json:"arn"`
		Name string `json:"name"`
	} `json:"s3BucketDetails"`
	AccessKeyDetails *struct {
		AccessKeyID string `json:"accessKeyId"`
		PrincipalID string `json:"principalId"`
		UserName    string `json:"userName"`
		UserType    string `json:"userType"`
	} `json:"accessKeyDetails"`
	InstanceDetails *struct {
		InstanceID        string `json:"instanceId"`
		NetworkInterfaces []struct {
			PrivateIPAddress string `json:"privateIpAddress"`
			PublicIP         string `json:"publicIp"`
		} `json:"networkInterfaces"`
	} `json:"instanceDetails"`
}

type gdIPDetails struct {
	IPAddressV4 string `json:"ipAddressV4"`
	IPAddressV6 string `json:"ipAddressV6"`
}

func (d *gdIPDetails) ip() string {
	if d == nil {
		return ""
	}
	if d.IPAddressV4 != "" {
		return d.IPAddressV4
	}
	return d.IPAddressV6
}

type gdPort struct {
	Port int `json:"port"`
}

type gdService struct {
	Action *struct {
		ActionType              string `json:"actionType"`
		NetworkConnectionAction *struct {
			ConnectionDirection string       `json:"connectionDirection"`
			Protocol            string       `json:"protocol"`
			Blocked             bool         `json:"blocked"`
			RemoteIPDetails     *gdIPDetails `json:"remoteIpDetails"`
			LocalIPDetails      *gdIPDetails `json:"localIpDetails"`
			RemotePortDetails   *gdPort      `json:"remotePortDetails"`
			LocalPortDetails    *gdPort      `json:"localPortDetails"`
		} `json:"networkConnectionAction"`
		AWSAPICallAction *struct {
			API             string       `json:"api"`
			ServiceName     string       `json:"serviceName"`
			CallerType      string       `json:"callerType"`
			RemoteIPDetails *gdIPDetails `json:"remoteIpDetails"`
		} `json:"awsApiCallAction"`
		PortProbeAction *struct {
			PortProbeDetails []struct {
				LocalIPDetails   *gdIPDetails `json:"localIpDetails"`
				RemoteIPDetails  *gdIPDetails `json:"remoteIpDetails"`
				LocalPortDetails *gdPort      `json:"localPortDetails"`
			} `json:"portProbeDetails"`
		} `json:"portProbeAction"`
		DNSRequestAction *struct {
			Domain string `json:"domain"`
		} `json:"dnsRequestAction"`
		KubernetesAPICallAction *struct {
			RemoteIPDetails *gdIPDetails `json:"remoteIpDetails"`
		} `json:"kubernetesApiCallAction"`
	} `json:"action"`
	EventFirstSeen string `json:"eventFirstSeen"`
	EventLastSeen  string `json:"eventLastSeen"`
	Count          int64  `json:"count"`
	Archived       bool   `json:"archived"`
}

// guardDuty reads GuardDuty findings: one per line as exported to S3, a
// JSON array, or {"Findings":[…]} as 'aws guardduty get-findings' prints.
func (p *parser) guardDuty(r io.Reader) error {
	br := newLineReader(r).br
	if head, _ := br.Peek(br.Size()); oneObjectPerLine(head) {
		var n int64
		return p.eachLine(br, func(line int64, b []byte) error {
			n++
			if c, _ := firstNonSpace(b); c != '{' {
				p.warnf(n, "finding", "line %d: not a JSON object: skipped", line)
				return nil
			}
			return p.gdFinding(b, n, line)
		})
	}
	return p.eachJSONObject(br, "finding", func(raw []byte, n, line int64) error {
		if bytes.Contains(raw[:min(len(raw), 64)], []byte(`"Findings"`)) {
			var w struct {
				Findings []json.RawMessage `json:"Findings"`
			}
			if err := json.Unmarshal(raw, &w); err == nil && w.Findings != nil {
				for _, f := range w.Findings {
					if err := p.gdFinding(f, n, line); err != nil {
						return err
					}
				}
				return nil
			}
		}
		return p.gdFinding(raw, n, line)
	})
}

// gdFinding turns one finding into an event.
func (p *parser) gdFinding(raw []byte, n, line int64) error {
	var f gdFinding
	if !ctUnmarshal(raw, &f) {
		// encoding/json gives the precise warning.
		f = gdFinding{}
		if err := json.Unmarshal(raw, &f); err != nil {
			p.warnf(n, "finding", "line %d: %v: skipped", line, err)
			return nil
		}
	}
	if f.Type == "" || f.ID == "" {
		p.warnf(n, "finding", "line %d: not a GuardDuty finding (no type or id): skipped", line)
		return nil
	}
	if !p.opts.BorrowRaw {
		raw = bytes.Clone(raw)
	}
	e := &Event{
		Source: SourceGuardDuty, Kind: evidence.KindGuardDuty, Record: n,
		Account: f.AccountID, Region: f.Region, Action: f.Type, EventID: f.ID,
		Outcome: severityLabel(f.Severity), Raw: raw,
	}
	when := f.Service.EventFirstSeen
	if when == "" {
		when = f.CreatedAt
	}
	if t, ok := parseISOTime(when); ok {
		p.setTime(&e.Time, t, n, "finding", "eventFirstSeen")
	} else {
		p.warnf(n, "finding", "line %d: time %s is not a time: event kept without a time", line, quoteShort(when))
	}
	if t, ok := parseISOTime(f.Service.EventLastSeen); ok {
		p.setTime(&e.End, t, n, "finding", "eventLastSeen")
	}
	if k := f.Resource.AccessKeyDetails; k != nil {
		e.AccessKeyID, e.UserName, e.PrincipalID, e.PrincipalType = k.AccessKeyID, k.UserName, k.PrincipalID, k.UserType
		e.Principal = k.UserName
		if e.Principal == "" {
			e.Principal = k.AccessKeyID
		}
	}
	gdAddresses(e, &f)
	if d := f.Resource.InstanceDetails; d != nil {
		e.Resources = addResource(e.Resources, d.InstanceID)
	}
	for _, b := range f.Resource.S3BucketDetails {
		e.Resources = addResource(e.Resources, b.ARN)
		if b.ARN == "" && b.Name != "" {
			e.Resources = addResource(e.Resources, "arn:aws:s3:::"+b.Name)
		}
	}
	fields := [][2]string{
		{"severity", f.Severity.String()}, {"title", f.Title}, {"resource_type", f.Resource.ResourceType},
		{"count", strconv.FormatInt(f.Service.Count, 10)}, {"updated_at", f.UpdatedAt},
	}
	if a := f.Service.Action; a != nil {
		fields = append(fields, [2]string{"action_type", a.ActionType})
		if c := a.AWSAPICallAction; c != nil {
			fields = append(fields, [2]string{"api", c.API}, [2]string{"service_name", c.ServiceName})
		}
		if d := a.DNSRequestAction; d != nil {
			fields = append(fields, [2]string{"domain", d.Domain})
		}
	}
	if d := f.Resource.InstanceDetails; d != nil {
		fields = append(fields, [2]string{"instance_id", d.InstanceID})
	}
	setFields(e, fields, p.opts.NoFieldMap)
	return p.send(e)
}

// gdAddresses sets the remote address as the source, the local one as the
// destination, and the instance's addresses as others.
func gdAddresses(e *Event, f *gdFinding) {
	if a := f.Service.Action; a != nil {
		if c := a.NetworkConnectionAction; c != nil {
			e.SrcIP, e.DstIP, e.Protocol = c.RemoteIPDetails.ip(), c.LocalIPDetails.ip(), c.Protocol
			if c.RemotePortDetails != nil {
				e.SrcPort = c.RemotePortDetails.Port
			}
			if c.LocalPortDetails != nil {
				e.DstPort = c.LocalPortDetails.Port
			}
			if c.ConnectionDirection == "OUTBOUND" {
				e.SrcIP, e.DstIP, e.SrcPort, e.DstPort = e.DstIP, e.SrcIP, e.DstPort, e.SrcPort
			}
		}
		if c := a.AWSAPICallAction; c != nil {
			e.SrcIP = c.RemoteIPDetails.ip()
		}
		if c := a.KubernetesAPICallAction; c != nil {
			e.SrcIP = c.RemoteIPDetails.ip()
		}
		if c := a.PortProbeAction; c != nil {
			for i, d := range c.PortProbeDetails {
				if i == 0 {
					e.SrcIP, e.DstIP = d.RemoteIPDetails.ip(), d.LocalIPDetails.ip()
					if d.LocalPortDetails != nil {
						e.DstPort = d.LocalPortDetails.Port
					}
					continue
				}
				e.OtherIPs = appendNew(e, e.OtherIPs, d.RemoteIPDetails.ip(), d.LocalIPDetails.ip())
			}
		}
	}
	if d := f.Resource.InstanceDetails; d != nil {
		for _, ni := range d.NetworkInterfaces {
			e.OtherIPs = appendNew(e, e.OtherIPs, ni.PrivateIPAddress, ni.PublicIP)
		}
	}
}

// appendNew appends the addresses not empty and not yet on e.
func appendNew(e *Event, list []string, addrs ...string) []string {
	for _, a := range addrs {
		if a == "" || a == e.SrcIP || a == e.DstIP {
			continue
		}
		dup := false
		for _, h := range list {
			dup = dup || h == a
		}
		if !dup {
			list = append(list, a)
		}
	}
	return list
}

// severityLabel names a GuardDuty severity as the console does.
func severityLabel(n json.Number) string {
	v, err := n.Float64()
	switch {
	case err != nil:
		return "severity " + n.String()
	case v >= 9:
		return "Critical"
	case v >= 7:
		return "High"
	case v >= 4:
		return "Medium"
	}
	return "Low"
}

// setFields sets e's fields in the given order, leaving out empty values;
// the map only when the caller wants it.
func setFields(e *Event, fields [][2]string, noMap bool) {
	for _, f := range fields {
		if f[1] == "" {
			continue
		}
		e.fieldNames = append(e.fieldNames, f[0])
		e.fieldValues = append(e.fieldValues, f[1])
	}
	if !noMap {
		e.Fields = make(map[string]string, len(e.fieldNames))
		for i, k := range e.fieldNames {
			e.Fields[k] = e.fieldValues[i]
		}
	}
}

// oneObjectPerLine reports whether head starts with a line that is a
// whole JSON object (JSON Lines).
func oneObjectPerLine(head []byte) bool {
	i := bytes.IndexByte(head, '\n')
	if i < 0 {
		return false
	}
	first := bytes.TrimSpace(head[:i])
	return len(first) > 1 && first[0] == '{' && json.Valid(first)
}
