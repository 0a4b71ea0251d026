package finding

import (
	"encoding/json"
	"time"
)

// record is the JSON of a Finding, in the order of the findings list.
type record struct {
	Rule       string     `json:"rule,omitempty"`
	Kind       Kind       `json:"kind,omitempty"`
	Title      string     `json:"title,omitempty"`
	Level      Level      `json:"level,omitempty"`
	Category   Category   `json:"category,omitempty"`
	Techniques []string   `json:"techniques,omitempty"`
	First      stamp      `json:"first,omitzero"`
	Last       stamp      `json:"last,omitzero"`
	Principals []string   `json:"principals,omitempty"`
	IPs        []string   `json:"ips,omitempty"`
	Object     string     `json:"object,omitempty"`
	Item       uint64     `json:"item,omitempty"`
	Events     []Evidence `json:"events,omitempty"`
	Detail     string     `json:"detail"`
}

// MarshalJSON writes the general shape of a finding.
func (f Finding) MarshalJSON() ([]byte, error) {
	return json.Marshal(record{
		Rule: f.Rule, Kind: f.Kind, Title: f.Title, Level: f.Level, Category: f.Category,
		Techniques: f.Techniques, First: stamp(f.First), Last: stamp(f.Last),
		Principals: f.Principals, IPs: f.IPs, Object: f.Object, Item: f.Item, Events: f.Events, Detail: f.Detail,
	})
}

// UnmarshalJSON reads the general shape, and the older problems' entries
// (kind, item, object, detail).
func (f *Finding) UnmarshalJSON(b []byte) error {
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return err
	}
	*f = Finding{
		Rule: r.Rule, Kind: r.Kind, Title: r.Title, Level: r.Level, Category: r.Category,
		Techniques: r.Techniques, First: time.Time(r.First), Last: time.Time(r.Last),
		Principals: r.Principals, IPs: r.IPs, Object: r.Object, Item: r.Item, Events: r.Events, Detail: r.Detail,
	}
	return nil
}

// stamp is a time printed as the CLI prints times: RFC 3339, UTC, with
// milliseconds.
type stamp time.Time

func (t stamp) IsZero() bool { return time.Time(t).IsZero() }

func (t stamp) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Time(t).UTC().Format("2006-01-02T15:04:05.000Z07:00"))
}

func (t *stamp) UnmarshalJSON(b []byte) error { return (*time.Time)(t).UnmarshalJSON(b) }
