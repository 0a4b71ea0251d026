package objectlock

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/finding"
	"github.com/trailcase/trailcase/evidence/s3"
	"github.com/trailcase/trailcase/store"
)

// Object Lock modes.
const (
	Compliance = "COMPLIANCE"
	Governance = "GOVERNANCE"
)

// Retention status of one object version, at the time of the check.
const (
	StatusCompliance = "compliance" // COMPLIANCE, retain-until in the future: nobody can delete or shorten it
	StatusGovernance = "governance" // GOVERNANCE, retain-until in the future: bypassable with s3:BypassGovernanceRetention
	StatusExpired    = "expired"    // retention set, retain-until passed: protects nothing
	StatusNone       = "none"       // known to have no retention
	StatusUnknown    = "unknown"    // could not be established
)

// Problem kinds of an Object Lock check.
const (
	ProblemUnknown   = finding.LockUnknown       // retention status could not be established
	ProblemMode      = finding.ModeNotMet        // weaker or no retention than required
	ProblemUntil     = finding.RetentionShort    // retain-until before the required date
	ProblemNoObjects = finding.NoObjects         // a requirement, but no S3 object to check
	ProblemCapture   = finding.ObjectNotReadable // live: the object's metadata could not be read
	// Without a requirement: no retention in force and no legal hold.
	ProblemNoRetention = finding.NoRetention
	// Offline: items with no S3 metadata at all, whose state is unknown.
	ProblemNoS3Metadata = finding.NoS3Metadata
)

// Bucket states as presented in a report: captured bucket records leave
// "not configured" and "never enabled" empty.
const (
	LockEnabled         = "Enabled"
	LockNotConfigured   = "not-configured"
	VersioningNever     = "never-enabled"
	BucketStateUnknown  = "unknown"
	VersioningEnabled   = "Enabled"
	VersioningSuspended = "Suspended"
)

// PresentBucket returns b with explicit values where a captured record
// leaves them empty: ObjectLockEnabled "not-configured" and Versioning
// "never-enabled".
func PresentBucket(b evidence.Bucket) evidence.Bucket {
	if b.ObjectLockEnabled == "" {
		b.ObjectLockEnabled = LockNotConfigured
	}
	if b.Versioning == "" {
		b.Versioning = VersioningNever
	}
	return b
}

// Requirements are what every object version must satisfy.
type Requirements struct {
	Mode  string    `json:"mode,omitempty"` // "", COMPLIANCE or GOVERNANCE (COMPLIANCE satisfies GOVERNANCE)
	Until time.Time `json:"until,omitzero"` // retain-until must be at least this
}

// Given reports whether any requirement is set. Without one, every object
// version must be protected somehow: by retention in force or a legal hold.
func (r Requirements) Given() bool { return r.Mode != "" || !r.Until.IsZero() }

// ParseMode checks a --require-mode value (any case).
func ParseMode(s string) (string, error) {
	switch m := strings.ToUpper(strings.TrimSpace(s)); m {
	case "", Compliance, Governance:
		return m, nil
	}
	return "", fmt.Errorf("object lock mode %q: want COMPLIANCE or GOVERNANCE", s)
}

// Object is the Object Lock state of one object version.
type Object struct {
	Item           uint64    `json:"item,omitempty"` // evidence item, offline
	Source         string    `json:"source"`         // s3://bucket/key?versionId=…, or the item's source
	Bucket         string    `json:"bucket,omitempty"`
	Key            string    `json:"key"`
	VersionID      string    `json:"version_id,omitempty"`
	Status         string    `json:"status"`
	Mode           string    `json:"mode,omitempty"`
	RetainUntil    time.Time `json:"retain_until,omitzero"`
	LegalHold      string    `json:"legal_hold,omitempty"` // ON, OFF, "" none
	LockKnown      bool      `json:"lock_known"`
	LegalHoldKnown bool      `json:"legal_hold_known"`
	CapturedFrom   string    `json:"captured_from,omitempty"`
	CapturedAt     time.Time `json:"captured_at,omitzero"`
	CaptureErrors  []string  `json:"capture_errors,omitempty"`
	OK             bool      `json:"ok"`
}

// Summary counts objects by state.
type Summary struct {
	Objects       int `json:"objects"`
	Compliance    int `json:"compliance"`
	Governance    int `json:"governance"`
	Expired       int `json:"expired"`
	None          int `json:"none"`
	Unknown       int `json:"unknown"`
	LegalHoldOn   int `json:"legal_hold_on"`
	LegalUnknown  int `json:"legal_hold_unknown"`
	Failing       int `json:"failing"`
	DeleteMarkers int `json:"delete_markers,omitempty"`
}

// DeleteMarker is a key whose current version is a delete marker (live).
type DeleteMarker = s3.DeleteMarker

// Report is the result of an Object Lock check.
type Report struct {
	OK           bool              `json:"ok"`
	Source       string            `json:"source"` // "case" or the s3:// URI checked
	CheckedAt    time.Time         `json:"checked_at"`
	Requirements Requirements      `json:"requirements"`
	Buckets      []evidence.Bucket `json:"buckets"`
	Summary      Summary           `json:"summary"`
	Objects      []Object          `json:"objects"`
	// DeleteMarkers are listed by a live check; versions below them still
	// exist and are not checked.
	DeleteMarkers []DeleteMarker `json:"delete_markers,omitempty"`
	// NotS3 counts evidence items without any S3 metadata (offline).
	NotS3 int `json:"items_without_s3_metadata,omitempty"`
	// ReportOnly marks a listing that is not judged: its problems are
	// listed, and the check does not fail on them.
	ReportOnly bool             `json:"report_only,omitempty"`
	Problems   finding.Problems `json:"problems"` // one per object (or the whole check) failing
}

// lockStatus is the retention status of o at now.
func lockStatus(o *evidence.S3Object, now time.Time) string {
	switch {
	case !o.LockKnown:
		return StatusUnknown
	case o.LockMode == "":
		return StatusNone
	case !o.RetainUntil.After(now):
		return StatusExpired
	case strings.EqualFold(o.LockMode, Compliance):
		return StatusCompliance
	case strings.EqualFold(o.LockMode, Governance):
		return StatusGovernance
	}
	return StatusUnknown
}

// Evaluate judges one object version against req at now and returns
// its state and the problems it has.
func Evaluate(o *evidence.S3Object, req Requirements, now time.Time) (Object, []finding.Finding) {
	lo := Object{
		Bucket: o.Bucket, Key: o.Key, VersionID: o.VersionID,
		Mode: strings.ToUpper(o.LockMode), RetainUntil: o.RetainUntil, LegalHold: strings.ToUpper(o.LegalHold),
		LockKnown: o.LockKnown, LegalHoldKnown: o.LegalKnown,
		CapturedFrom: o.CapturedFrom, CapturedAt: o.CapturedAt, CaptureErrors: o.CaptureErrors,
	}
	if o.Bucket != "" {
		lo.Source = s3.ObjectURI(o.Bucket, o.Key, o.VersionID)
	}
	lo.Status = lockStatus(o, now)
	var probs []finding.Finding
	add := func(kind finding.Kind, format string, args ...any) {
		probs = append(probs, finding.New(kind, "", fmt.Sprintf(format, args...)))
	}
	describe := func() string {
		switch lo.Status {
		case StatusNone:
			return "no retention"
		case StatusExpired:
			return fmt.Sprintf("%s retention expired %s", lo.Mode, fmtLockTime(lo.RetainUntil))
		}
		return fmt.Sprintf("%s until %s", lo.Mode, fmtLockTime(lo.RetainUntil))
	}
	if lo.Status == StatusUnknown {
		why := "no retention header and no readable retention"
		if len(o.CaptureErrors) > 0 {
			why += " (" + strings.Join(o.CaptureErrors, "; ") + ")"
		}
		if o.CapturedFrom == "sidecar" {
			why = "the sidecar has no ObjectLockMode (absent does not mean unlocked)"
		}
		add(ProblemUnknown, "retention status unknown: %s", why)
	} else {
		switch req.Mode {
		case Compliance:
			if lo.Status != StatusCompliance {
				add(ProblemMode, "requires COMPLIANCE retention, has %s", describe())
			}
		case Governance:
			if lo.Status != StatusCompliance && lo.Status != StatusGovernance {
				add(ProblemMode, "requires GOVERNANCE or COMPLIANCE retention, has %s", describe())
			}
		}
		if !req.Until.IsZero() && (lo.Mode == "" || lo.RetainUntil.Before(req.Until)) {
			add(ProblemUntil, "requires retention until at least %s, has %s", fmtLockTime(req.Until), describe())
		}
		if !req.Given() && (lo.Status == StatusNone || lo.Status == StatusExpired) {
			switch {
			case !lo.LegalHoldKnown:
				add(ProblemNoRetention, "%s, and its legal hold is unknown", describe())
			case lo.LegalHold != "ON":
				add(ProblemNoRetention, "%s and no legal hold: it can be deleted or overwritten", describe())
			}
		}
	}
	lo.OK = len(probs) == 0
	return lo, probs
}

func fmtLockTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// newLockReport evaluates objects and fills the summary.
func newLockReport(source string, buckets []evidence.Bucket, objs []*evidence.S3Object, items []evidence.Item, req Requirements, now time.Time) *Report {
	r := &Report{Source: source, CheckedAt: now.UTC(), Requirements: req, Buckets: make([]evidence.Bucket, len(buckets)),
		Objects: []Object{}, Problems: finding.Problems{}}
	for i, b := range buckets {
		r.Buckets[i] = PresentBucket(b)
	}
	for i, o := range objs {
		lo, probs := Evaluate(o, req, now)
		if items != nil {
			lo.Item, lo.Source = items[i].ID, items[i].Source
			if lo.Key == "" {
				lo.Key = items[i].Path
			}
		}
		name := lo.Source
		if lo.Item != 0 {
			name = fmt.Sprintf("item %d %s", lo.Item, lo.Source)
		}
		for _, p := range probs {
			p.Object = name
			r.Problems = append(r.Problems, p)
		}
		r.add(lo)
	}
	if len(objs) == 0 && req.Given() {
		r.Problems = append(r.Problems, finding.New(ProblemNoObjects, source,
			"a retention requirement was given but there is no S3 object to check"))
	}
	r.OK = len(r.Problems) == 0
	return r
}

func (r *Report) add(lo Object) {
	r.Objects = append(r.Objects, lo)
	s := &r.Summary
	s.Objects++
	switch lo.Status {
	case StatusCompliance:
		s.Compliance++
	case StatusGovernance:
		s.Governance++
	case StatusExpired:
		s.Expired++
	case StatusNone:
		s.None++
	default:
		s.Unknown++
	}
	switch {
	case !lo.LegalHoldKnown:
		s.LegalUnknown++
	case lo.LegalHold == "ON":
		s.LegalHoldOn++
	}
	if !lo.OK {
		s.Failing++
	}
}

// SummaryLine is a one-line account of the report.
func (r *Report) SummaryLine() string {
	s := r.Summary
	line := fmt.Sprintf("%d object version(s): %d COMPLIANCE, %d GOVERNANCE, %d expired, %d without retention, %d unknown; %d under legal hold",
		s.Objects, s.Compliance, s.Governance, s.Expired, s.None, s.Unknown, s.LegalHoldOn)
	if s.LegalUnknown > 0 {
		line += fmt.Sprintf(" (%d legal hold unknown)", s.LegalUnknown)
	}
	if r.NotS3 > 0 {
		line += fmt.Sprintf("; %d item(s) without S3 metadata, Object Lock state unknown", r.NotS3)
	}
	switch {
	case r.OK:
		return line + ": ok"
	case r.ReportOnly:
		return line + fmt.Sprintf(": %d problem(s) listed, not judged (report only)", len(r.Problems))
	}
	return line + fmt.Sprintf(": %d problem(s)", len(r.Problems))
}

// FromCase checks the Object Lock state captured in the case:
// every item with S3 metadata (acquired from S3 or read from a sidecar),
// and the captured bucket states. It makes no network connection.
func FromCase(st *store.Store, req Requirements, now time.Time) (*Report, error) {
	buckets, err := st.Buckets()
	if err != nil {
		return nil, fmt.Errorf("read captured buckets: %w", err)
	}
	var objs []*evidence.S3Object
	var items []evidence.Item
	notS3 := 0
	err = st.Items(func(it evidence.Item) error {
		if it.S3 == nil {
			notS3++
			return nil
		}
		o := *it.S3
		if o.Key == "" {
			o.Key = it.Path
		}
		objs = append(objs, &o)
		it.S3 = nil
		it.Warnings = nil
		items = append(items, it)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read items: %w", err)
	}
	r := newLockReport("case", buckets, objs, items, req, now)
	r.NotS3 = notS3
	if notS3 > 0 {
		r.Problems = append(r.Problems, finding.New(ProblemNoS3Metadata, "case", fmt.Sprintf(
			"%d item(s) have no S3 metadata (acquired from local files without a .head.json sidecar): their Object Lock state is unknown", notS3)))
		r.OK = false
	}
	return r, nil
}

// LiveOptions configure a live Object Lock check.
type LiveOptions struct {
	Include, Exclude []string
	Concurrency      int
	AllVersions      bool
	Endpoint         string
}

// Live checks the Object Lock state of the objects under uri
// (s3://bucket[/prefix]) directly in S3: the bucket's configuration and
// versioning, and each current version's retention and legal hold (every
// version with AllVersions). Nothing is downloaded or changed.
func Live(ctx context.Context, client s3.API, uri string, opts LiveOptions, req Requirements, now time.Time) (*Report, error) {
	src, err := s3.NewSource(client, uri, s3.Options{Include: opts.Include, Exclude: opts.Exclude,
		Concurrency: opts.Concurrency, AllVersions: opts.AllVersions, Endpoint: opts.Endpoint})
	if err != nil {
		return nil, err
	}
	sv, err := src.Survey(ctx)
	if err != nil {
		return nil, err
	}
	b := sv.Bucket
	var readable []*evidence.S3Object
	var unreadable []finding.Finding
	var unreadableObjs []Object
	for _, o := range sv.Objects {
		if o.Err != nil {
			u := s3.ObjectURI(b.Name, o.Key, o.VersionID)
			unreadableObjs = append(unreadableObjs, Object{Source: u, Bucket: b.Name, Key: o.Key, VersionID: o.VersionID,
				Status: StatusUnknown, CapturedFrom: "s3", CaptureErrors: []string{o.Err.Error()}})
			unreadable = append(unreadable, finding.New(ProblemCapture, u, o.Err.Error()))
			continue
		}
		readable = append(readable, o.Object)
	}
	r := newLockReport(uri, []evidence.Bucket{b}, readable, nil, req, now)
	if len(sv.Objects) > 0 && len(readable) == 0 {
		// Every object failed: "no objects" is not the reason.
		r.Problems = r.Problems[:0]
	}
	for _, lo := range unreadableObjs {
		r.add(lo)
	}
	r.Problems = append(r.Problems, unreadable...)
	sort.SliceStable(r.Objects, func(i, j int) bool { return r.Objects[i].Source < r.Objects[j].Source })
	r.DeleteMarkers = sv.DeleteMarkers
	r.Summary.DeleteMarkers = len(sv.DeleteMarkers)
	r.OK = len(r.Problems) == 0
	return r, nil
}
