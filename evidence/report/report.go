package report

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/acquire"
	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline"
)

// Version is the version of the report's JSON layout. It changes only when
// a field is renamed or removed; new fields keep the version.
const Version = 1

// Options describe the run that produces the report. The caller knows its
// own build and machine; the package never asks the environment.
type Options struct {
	ToolVersion string
	Revision    string
	Host        string
	OS          string
	// GeneratedAt is the report's time; zero means now.
	GeneratedAt time.Time
	// CaseFile is the case file's path as the examiner named it.
	CaseFile string
	// SigningKey is the fingerprint of the key the report is signed with,
	// "" when it is not signed.
	SigningKey string
	// Paper is the page size of the HTML and PDF forms: a4 (default) or
	// letter.
	Paper string
	// Findings says whether the rules and the coverage analysis run over
	// the case's events (FindingsAuto: when it holds at most
	// MaxFindingsEvents).
	Findings FindingsMode
	// Progress, when not nil, is told of the items, custody entries and
	// events read.
	Progress evidence.Progress
}

// Report is everything the chain-of-custody report shows. Its JSON field
// names are part of the product contract.
type Report struct {
	ReportVersion int                     `json:"report_version"`
	Generated     Generated               `json:"generated"`
	Case          Case                    `json:"case"`
	Evidence      []Evidence              `json:"evidence"`
	Custody       []evidence.CustodyEntry `json:"custody"`
	CustodyChain  CustodyChain            `json:"custody_chain"`
	Rechecked     Recheck                 `json:"rechecked"`
	Checks        Checks                  `json:"checks"`
	// DigestGaps are the periods no CloudTrail digest in the evidence
	// covers, from the stored digest verification: chain restarts and
	// stretches of missing digests, each period of a chain once, in time
	// order. Nil (null) when unknown, and DigestGapsNote says why; a note
	// with gaps says what they may lack.
	DigestGaps     []DigestGap       `json:"digest_gaps"`
	DigestGapsNote string            `json:"digest_gaps_note,omitempty"`
	Buckets        []evidence.Bucket `json:"buckets"`
	Events         EventSummary      `json:"events"`
	Acquisitions   []Acquisition     `json:"acquisitions"`
	// Findings are the rule and coverage findings of the case's events.
	Findings *RuleFindings `json:"findings"`
	// Manifest describes the manifest CSV written beside the report; nil
	// when none was written.
	Manifest *Manifest `json:"manifest,omitempty"`

	paper string // Options.Paper
}

// Generated says when, where and with what the report was made.
type Generated struct {
	At          time.Time `json:"at"`
	ToolVersion string    `json:"tool_version"`
	Revision    string    `json:"revision"`
	Host        string    `json:"host"`
	OS          string    `json:"os"`
	CaseFile    string    `json:"case_file,omitempty"`
	SigningKey  string    `json:"signing_key,omitempty"`
}

// Case describes the case and sums up its evidence.
type Case struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Number      string `json:"number"`
	Description string `json:"description"`
	Examiner    string `json:"examiner"`
	// Organisation is the examiner's organisation.
	Organisation string    `json:"organisation,omitempty"`
	Created      time.Time `json:"created"`
	Items        int       `json:"items"`
	Bytes        int64     `json:"bytes"`
	Events       int64     `json:"events"`
	// CustodySeq and CustodyHead identify the newest custody entry: the
	// report describes the case as it was at that entry.
	CustodySeq  uint64          `json:"custody_seq"`
	CustodyHead evidence.SHA256 `json:"custody_head"`
}

// Evidence is one evidence item as the report shows it.
type Evidence struct {
	ID            uint64          `json:"id"`
	Source        string          `json:"source"`
	Root          string          `json:"root"`
	Path          string          `json:"path"`
	Size          int64           `json:"size"`
	SHA256        evidence.SHA256 `json:"sha256"`
	Kind          string          `json:"kind"`
	Compression   string          `json:"compression,omitempty"`
	AcquiredStart time.Time       `json:"acquired_start"`
	AcquiredEnd   time.Time       `json:"acquired_end"`
	Examiner      string          `json:"examiner"`
	Host          string          `json:"host"`
	ToolVersion   string          `json:"tool_version"`
	Custody       uint64          `json:"custody"`
	// EvidenceNumber is the evidence number of the acquisition that
	// stored the item.
	EvidenceNumber string `json:"evidence_number,omitempty"`
	Note           string `json:"note,omitempty"`
	VersionID      string `json:"s3_version_id,omitempty"`
	ETag           string `json:"etag,omitempty"`
	// S3URI is the object's address, s3://bucket/key?versionId=…, when
	// its bucket is known (acquired from S3, or named by its sidecar or
	// its folder); "" otherwise.
	S3URI        string             `json:"s3_uri,omitempty"`
	LockState    string             `json:"lock_state"`
	S3           *evidence.S3Object `json:"s3,omitempty"`
	Sidecar      *evidence.Sidecar  `json:"sidecar,omitempty"`
	ParseState   string             `json:"parse_state"`
	Events       int64              `json:"events"`
	Warnings     []evidence.Warning `json:"warnings"`
	WarningCount int64              `json:"warning_count"`
	Flags        []string           `json:"flags"`
}

// CustodyChain is the result of walking the custody log's hash chain.
type CustodyChain struct {
	Entries  int                    `json:"entries"`
	Intact   bool                   `json:"intact"`
	Problems []store.CustodyProblem `json:"problems"`
}

// Checks holds the latest stored result of each check; nil means the
// check was never run on this case.
type Checks struct {
	Verify     *Check `json:"verify"`
	Digest     *Check `json:"digest"`
	ObjectLock *Check `json:"objectlock"`
}

// Check is a stored check result.
type Check struct {
	Name    string    `json:"name"`
	Time    time.Time `json:"time"`
	OK      bool      `json:"ok"`
	Summary string    `json:"summary"`
	// Stale is set when evidence was acquired after the check ran, so the
	// check does not cover all of it.
	Stale bool `json:"stale"`
	// Entry is the custody entry that recorded the check, 0 when the log
	// holds none; ChangedBy lists the later entries that added items.
	Entry     uint64   `json:"custody_entry,omitempty"`
	ChangedBy []uint64 `json:"changed_by,omitempty"`
	// ChangesSince says in words what changed after the check ran.
	ChangesSince []string        `json:"changes_since,omitempty"`
	Result       json.RawMessage `json:"result"`
}

// EventSummary counts the case's events per source and per hour.
type EventSummary struct {
	Total    int64            `json:"total"`
	First    time.Time        `json:"first,omitzero"`
	Last     time.Time        `json:"last,omitzero"`
	Sources  []string         `json:"sources"`
	BySource map[string]int64 `json:"by_source"`
	// Hours lists every hour (UTC, start of the hour) that has events.
	Hours []HourCount `json:"hours"`
}

// HourCount is the number of events per source in one hour.
type HourCount struct {
	Hour   time.Time        `json:"hour"`
	Counts map[string]int64 `json:"counts"`
}

// Build reads everything the report shows from st. It only reads.
func Build(ctx context.Context, st *store.Store, opts Options) (*Report, error) {
	if opts.GeneratedAt.IsZero() {
		opts.GeneratedAt = time.Now()
	}
	if opts.Progress == nil {
		opts.Progress = evidence.NoProgress{}
	}
	prog := opts.Progress
	r := &Report{
		ReportVersion: Version,
		Generated: Generated{
			At: opts.GeneratedAt.UTC(), ToolVersion: opts.ToolVersion, Revision: opts.Revision,
			Host: opts.Host, OS: opts.OS, CaseFile: opts.CaseFile, SigningKey: opts.SigningKey,
		},
		Evidence: []Evidence{},
		Custody:  []evidence.CustodyEntry{},
		Buckets:  []evidence.Bucket{},
		paper:    opts.Paper,
	}
	info, err := st.Info()
	if err != nil {
		return nil, fmt.Errorf("read case description: %w", err)
	}
	r.Case = Case{ID: info.ID, Name: info.Name, Number: info.Number, Description: info.Description,
		Examiner: info.Examiner, Organisation: info.Organisation, Created: info.Created.UTC()}

	err = st.Items(func(it evidence.Item) error {
		r.Evidence = append(r.Evidence, evidenceOf(it))
		r.Case.Items++
		r.Case.Bytes += it.Size
		prog.Advance(evidence.PhaseItems, 1)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read evidence items: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	err = st.Custody(func(e evidence.CustodyEntry) error {
		r.Custody = append(r.Custody, e)
		r.Case.CustodySeq, r.Case.CustodyHead = e.Seq, e.Hash
		prog.Advance(evidence.PhaseCustody, 1)
		return nil
	})
	// A damaged entry must not hide the rest of the report: the entries
	// before it are shown and the chain check below names it.
	custodyErr := err
	n, problems, err := st.CheckCustody()
	if err != nil {
		return nil, fmt.Errorf("check custody log: %w", err)
	}
	if problems == nil {
		problems = []store.CustodyProblem{}
	}
	if custodyErr != nil && len(problems) == 0 {
		problems = append(problems, store.CustodyProblem{Seq: r.Case.CustodySeq + 1, Detail: custodyErr.Error()})
	}
	r.CustodyChain = CustodyChain{Entries: n, Intact: len(problems) == 0, Problems: problems}
	r.recheck(r.Generated.At)

	if err := r.readChecks(st); err != nil {
		return nil, err
	}
	r.DigestGaps, r.DigestGapsNote = readDigestGaps(r.Checks.Digest)
	r.Acquisitions = acquisitions(r.Custody, r.Evidence)

	buckets, err := st.Buckets()
	if err != nil {
		return nil, fmt.Errorf("read s3 buckets: %w", err)
	}
	if buckets != nil {
		r.Buckets = buckets
	}

	r.Events, err = countEvents(ctx, st, prog)
	if err != nil {
		return nil, err
	}
	r.Case.Events = r.Events.Total
	if r.Findings, err = ruleFindings(ctx, st, opts, r.Events.Total); err != nil {
		return nil, err
	}
	return r, nil
}

// checkActions are the custody actions that record each check.
var checkActions = map[string]string{"verify": "verify", "digest": "digest verify", "objectlock": "objectlock"}

// readChecks reads the latest result of each check and says whether the
// case changed since: a check is stale when a later custody entry added
// items (or, when the log holds no entry for it, when an item was
// acquired after it ran).
func (r *Report) readChecks(st *store.Store) error {
	for _, c := range []struct {
		name string
		dst  **Check
	}{{"verify", &r.Checks.Verify}, {"digest", &r.Checks.Digest}, {"objectlock", &r.Checks.ObjectLock}} {
		chk, ok, err := st.LatestCheck(c.name)
		if err != nil {
			return fmt.Errorf("read latest %s result: %w", c.name, err)
		}
		if !ok {
			continue
		}
		res := chk.Result
		if len(res) == 0 || !json.Valid(res) {
			res = json.RawMessage("null")
		}
		out := &Check{Name: chk.Name, Time: chk.Time.UTC(), OK: chk.OK, Summary: chk.Summary,
			Result: res}
		out.Entry = checkEntry(r.Custody, checkActions[c.name], chk.Time)
		if out.Entry != 0 {
			for _, e := range r.Custody {
				if e.Seq > out.Entry && len(e.Items) > 0 {
					out.ChangedBy = append(out.ChangedBy, e.Seq)
				}
			}
			out.Stale = len(out.ChangedBy) > 0
		}
		r.freshness(out)
		*c.dst = out
	}
	return nil
}

// checkEntry finds the custody entry that recorded a check ending at t.
func checkEntry(log []evidence.CustodyEntry, action string, t time.Time) uint64 {
	for i := len(log) - 1; i >= 0; i-- {
		e := log[i]
		if e.Action == action && e.End.Sub(t).Abs() < time.Second {
			return e.Seq
		}
	}
	return 0
}

func evidenceOf(it evidence.Item) Evidence {
	ev := Evidence{
		ID: it.ID, Source: it.Source, Root: it.Root, Path: it.Path, Size: it.Size, SHA256: it.SHA256,
		Kind: it.Kind, Compression: it.Compression,
		AcquiredStart: it.AcquiredStart.UTC(), AcquiredEnd: it.AcquiredEnd.UTC(),
		Examiner: it.Examiner, Host: it.Host, ToolVersion: it.ToolVersion, Custody: it.Custody, Note: it.Note,
		S3: acquire.S3Fields(it), Sidecar: it.Sidecar, ParseState: it.ParseState, Events: it.Events,
		Warnings: it.Warnings, WarningCount: it.WarningCount, Flags: it.Flags,
		LockState: lockState(it.S3),
	}
	if ev.Warnings == nil {
		ev.Warnings = []evidence.Warning{}
	}
	if ev.Flags == nil {
		ev.Flags = []string{}
	}
	if ev.S3 != nil {
		ev.VersionID, ev.ETag, ev.S3URI = ev.S3.VersionID, ev.S3.ETag, acquire.S3URI(ev.S3)
	}
	return ev
}

// lockState sums up an object's Object Lock state in words.
func lockState(s3 *evidence.S3Object) string {
	if s3 == nil {
		return "not captured (not acquired from S3 and no .head.json sidecar)"
	}
	var parts []string
	switch {
	case s3.LockMode != "":
		p := s3.LockMode
		if !s3.RetainUntil.IsZero() {
			p += " until " + s3.RetainUntil.UTC().Format(time.RFC3339)
		}
		parts = append(parts, p)
	case s3.LockKnown || s3.CapturedFrom == "sidecar":
		parts = append(parts, "no retention")
	default:
		parts = append(parts, "retention unknown")
	}
	switch {
	case s3.LegalHold != "":
		parts = append(parts, "legal hold "+s3.LegalHold)
	case s3.LegalKnown:
		parts = append(parts, "no legal hold")
	}
	return strings.Join(parts, "; ")
}

// countEvents streams the time index and counts events per hour and
// source, decoding only the source of each event.
func countEvents(ctx context.Context, st *store.Store, prog evidence.Progress) (EventSummary, error) {
	s := EventSummary{Sources: []string{}, BySource: map[string]int64{}, Hours: []HourCount{}}
	hours := map[int64]map[string]int64{}
	if total, err := st.EventCount(); err == nil {
		prog.Expect(evidence.PhaseCount, 0, int64(total))
	}
	var n int64
	err := st.EventsByTime(time.Time{}, time.Time{}, func(e store.StoredEvent) error {
		n++
		if n%evidence.EventStep == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			prog.Advance(evidence.PhaseCount, evidence.EventStep)
		}
		src := eventSource(e.Data)
		t := e.Time.UTC()
		if s.First.IsZero() || t.Before(s.First) {
			s.First = t
		}
		if t.After(s.Last) {
			s.Last = t
		}
		s.Total++
		s.BySource[src]++
		h := t.Truncate(time.Hour).Unix()
		m := hours[h]
		if m == nil {
			m = map[string]int64{}
			hours[h] = m
		}
		m[src]++
		return nil
	})
	if err != nil {
		return s, fmt.Errorf("count events: %w", err)
	}
	prog.Advance(evidence.PhaseCount, n%evidence.EventStep)
	for src := range s.BySource {
		s.Sources = append(s.Sources, src)
	}
	sortSources(s.Sources)
	keys := make([]int64, 0, len(hours))
	for h := range hours {
		keys = append(keys, h)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, h := range keys {
		s.Hours = append(s.Hours, HourCount{Hour: time.Unix(h, 0).UTC(), Counts: hours[h]})
	}
	return s, nil
}

// sourceOrder is the order sources are listed and stacked in.
var sourceOrder = map[string]int{"cloudtrail": 1, "vpcflow": 2, "elb": 3}

func sortSources(s []string) {
	sort.Slice(s, func(i, j int) bool {
		ri, rj := sourceOrder[s[i]], sourceOrder[s[j]]
		if ri == 0 {
			ri = 100
		}
		if rj == 0 {
			rj = 100
		}
		if ri != rj {
			return ri < rj
		}
		return s[i] < s[j]
	})
}

// eventSource returns the source of a stored event without decoding all
// of it.
func eventSource(data []byte) string {
	if s := timeline.EventSourceOf(data); s != "" {
		return s
	}
	return "unknown"
}

// WriteJSON writes the report as one indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
