package report

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/acquire"
)

// Acquisition is one acquire run as an imaging report shows it: what was
// read, when, by whom, and what became of every file offered.
type Acquisition struct {
	EvidenceNumber string              `json:"evidence_number"`
	Entry          uint64              `json:"custody_entry"` // the entry that closed the run
	Run            uint64              `json:"run"`           // the entry that opened it
	Sources        []string            `json:"sources"`
	Start          time.Time           `json:"start"`
	End            time.Time           `json:"end"`
	Result         string              `json:"result"`
	Detail         string              `json:"detail,omitempty"`
	Stored         int                 `json:"stored"`
	Bytes          int64               `json:"bytes"`
	AlreadyPresent int                 `json:"already_present"`
	Refused        []evidence.Refusal  `json:"refused"`
	Failed         []acquire.FileError `json:"failed"`
	Containers     []acquire.Container `json:"containers,omitempty"`
	Error          string              `json:"error,omitempty"`
	PublicKeys     int                 `json:"public_keys,omitempty"`
	Examiner       string              `json:"examiner"`
	OSUser         string              `json:"os_user"`
	Host           string              `json:"host"`
	ToolVersion    string              `json:"tool_version"`
	Revision       string              `json:"revision,omitempty"`
}

// runData is the Data an acquire run's closing custody entry carries.
type runData struct {
	Run            uint64              `json:"run"`
	EvidenceNumber string              `json:"evidence_number"`
	Bytes          *int64              `json:"bytes"`
	AlreadyPresent int                 `json:"already_present"`
	Refused        []evidence.Refusal  `json:"refused"`
	Failed         []acquire.FileError `json:"failed"`
	Containers     []acquire.Container `json:"containers"`
	Error          string              `json:"error"`
	PublicKeys     int                 `json:"public_keys"`
}

// acquisitions lists the acquire runs of the custody log in order, and
// sets the evidence number of every item they stored. A run recorded
// without an evidence number gets the one acquire gives by default: E01,
// E02… in the order of the runs.
func acquisitions(log []evidence.CustodyEntry, items []Evidence) []Acquisition {
	size := make(map[uint64]int64, len(items))
	for _, it := range items {
		size[it.ID] = it.Size
	}
	out := []Acquisition{}
	byRun := map[uint64]string{}
	for _, e := range log {
		if e.Action != "acquire" || e.Result == evidence.ResultStarted {
			continue
		}
		var d runData
		_ = json.Unmarshal(e.Data, &d) // an unreadable Data leaves the counts at zero
		a := Acquisition{
			EvidenceNumber: d.EvidenceNumber, Entry: e.Seq, Run: d.Run, Sources: e.Sources,
			Start: e.Start.UTC(), End: e.End.UTC(), Result: e.Result, Detail: e.Detail,
			Stored: len(e.Items), AlreadyPresent: d.AlreadyPresent, Refused: d.Refused, Failed: d.Failed,
			Containers: d.Containers, Error: d.Error, PublicKeys: d.PublicKeys,
			Examiner: e.Examiner, OSUser: e.OSUser, Host: e.Host, ToolVersion: e.ToolVersion, Revision: e.Revision,
		}
		if a.EvidenceNumber == "" {
			a.EvidenceNumber = fmt.Sprintf("E%02d", len(out)+1)
		}
		if d.Bytes != nil {
			a.Bytes = *d.Bytes
		} else {
			for _, id := range e.Items {
				a.Bytes += size[id]
			}
		}
		if a.Refused == nil {
			a.Refused = []evidence.Refusal{}
		}
		if a.Failed == nil {
			a.Failed = []acquire.FileError{}
		}
		if a.Run != 0 {
			byRun[a.Run] = a.EvidenceNumber
		}
		out = append(out, a)
	}
	for i := range items {
		items[i].EvidenceNumber = byRun[items[i].Custody]
	}
	return out
}
