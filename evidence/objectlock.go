package evidence

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/trailcase/trailcase/store"
)

// Object Lock modes.
const (
	LockCompliance = "COMPLIANCE"
	LockGovernance = "GOVERNANCE"
)

// Retention status of one object version, at the time of the check.
const (
	LockStatusCompliance = "compliance" // COMPLIANCE, retain-until in the future: nobody can delete or shorten it
	LockStatusGovernance = "governance" // GOVERNANCE, retain-until in the future: bypassable with s3:BypassGovernanceRetention
	LockStatusExpired    = "expired"    // retention set, retain-until passed: protects nothing
	LockStatusNone       = "none"       // known to have no retention
	LockStatusUnknown    = "unknown"    // could not be established
)

// Problem kinds of an Object Lock check.
const (
	LockProblemUnknown   = "OBJECT_LOCK_UNKNOWN" // retention status could not be established
	LockProblemMode      = "MODE_NOT_MET"        // weaker or no retention than required
	LockProblemUntil     = "RETENTION_TOO_SHORT" // retain-until before the required date
	LockProblemNoObjects = "NO_OBJECTS"          // a requirement, but no S3 object to check
	LockProblemCapture   = "OBJECT_NOT_READABLE" // live: the object's metadata could not be read
)

// LockRequirements are what every object version must satisfy.
type LockRequirements struct {
	Mode  string    `json:"mode,omitempty"` // "", COMPLIANCE or GOVERNANCE (COMPLIANCE satisfies GOVERNANCE)
	Until time.Time `json:"until,omitzero"` // retain-until must be at least this
}

// ParseLockMode checks a --require-mode value (any case).
func ParseLockMode(s string) (string, error) {
	switch m := strings.ToUpper(strings.TrimSpace(s)); m {
	case "", LockCompliance, LockGovernance:
		return m, nil
	}
	return "", fmt.Errorf("object lock mode %q: want COMPLIANCE or GOVERNANCE", s)
}

// LockObject is the Object Lock state of one object version.
type LockObject struct {
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

// LockProblem is one object (or the whole check) failing.
type LockProblem struct {
	Kind   string `json:"kind"`
	Object string `json:"object"`
	Detail string `json:"detail"`
}

// LockSummary counts objects by state.
type LockSummary struct {
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
type DeleteMarker struct {
	Key     string    `json:"key"`
	Deleted time.Time `json:"deleted"`
}

// LockReport is the result of an Object Lock check.
type LockReport struct {
	OK           bool             `json:"ok"`
	Source       string           `json:"source"` // "case" or the s3:// URI checked
	CheckedAt    time.Time        `json:"checked_at"`
	Requirements LockRequirements `json:"requirements"`
	Buckets      []store.Bucket   `json:"buckets"`
	Summary      LockSummary      `json:"summary"`
	Objects      []LockObject     `json:"objects"`
	// DeleteMarkers are listed by a live check; versions below them still
	// exist and are not checked.
	DeleteMarkers []DeleteMarker `json:"delete_markers,omitempty"`
	// NotS3 counts evidence items without any S3 metadata (offline).
	NotS3    int           `json:"items_without_s3_metadata,omitempty"`
	Problems []LockProblem `json:"problems"`
}

// lockStatus is the retention status of o at now.
func lockStatus(o *store.S3Object, now time.Time) string {
	switch {
	case !o.LockKnown:
		return LockStatusUnknown
	case o.LockMode == "":
		return LockStatusNone
	case !o.RetainUntil.After(now):
		return LockStatusExpired
	case strings.EqualFold(o.LockMode, LockCompliance):
		return LockStatusCompliance
	case strings.EqualFold(o.LockMode, LockGovernance):
		return LockStatusGovernance
	}
	return LockStatusUnknown
}

// EvaluateLock judges one object version against req at now and returns
// its state and the problems it has.
func EvaluateLock(o *store.S3Object, req LockRequirements, now time.Time) (LockObject, []LockProblem) {
	lo := LockObject{
		Bucket: o.Bucket, Key: o.Key, VersionID: o.VersionID,
		Mode: strings.ToUpper(o.LockMode), RetainUntil: o.RetainUntil, LegalHold: strings.ToUpper(o.LegalHold),
		LockKnown: o.LockKnown, LegalHoldKnown: o.LegalKnown,
		CapturedFrom: o.CapturedFrom, CapturedAt: o.CapturedAt, CaptureErrors: o.CaptureErrors,
	}
	if o.Bucket != "" {
		lo.Source = S3ObjectURI(o.Bucket, o.Key, o.VersionID)
	}
	lo.Status = lockStatus(o, now)
	var probs []LockProblem
	add := func(kind, format string, args ...any) {
		probs = append(probs, LockProblem{Kind: kind, Detail: fmt.Sprintf(format, args...)})
	}
	describe := func() string {
		switch lo.Status {
		case LockStatusNone:
			return "no retention"
		case LockStatusExpired:
			return fmt.Sprintf("%s retention expired %s", lo.Mode, fmtLockTime(lo.RetainUntil))
		}
		return fmt.Sprintf("%s until %s", lo.Mode, fmtLockTime(lo.RetainUntil))
	}
	if lo.Status == LockStatusUnknown {
		why := "no retention header and no readable retention"
		if len(o.CaptureErrors) > 0 {
			why += " (" + strings.Join(o.CaptureErrors, "; ") + ")"
		}
		if o.CapturedFrom == "sidecar" {
			why = "the sidecar has no ObjectLockMode (absent does not mean unlocked)"
		}
		add(LockProblemUnknown, "retention status unknown: %s", why)
	} else {
		switch req.Mode {
		case LockCompliance:
			if lo.Status != LockStatusCompliance {
				add(LockProblemMode, "requires COMPLIANCE retention, has %s", describe())
			}
		case LockGovernance:
			if lo.Status != LockStatusCompliance && lo.Status != LockStatusGovernance {
				add(LockProblemMode, "requires GOVERNANCE or COMPLIANCE retention, has %s", describe())
			}
		}
		if !req.Until.IsZero() && (lo.Mode == "" || lo.RetainUntil.Before(req.Until)) {
			add(LockProblemUntil, "requires retention until at least %s, has %s", fmtLockTime(req.Until), describe())
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
func newLockReport(source string, buckets []store.Bucket, objs []*store.S3Object, items []store.Item, req LockRequirements, now time.Time) *LockReport {
	r := &LockReport{Source: source, CheckedAt: now.UTC(), Requirements: req, Buckets: buckets,
		Objects: []LockObject{}, Problems: []LockProblem{}}
	if r.Buckets == nil {
		r.Buckets = []store.Bucket{}
	}
	for i, o := range objs {
		lo, probs := EvaluateLock(o, req, now)
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
	if len(objs) == 0 && (req.Mode != "" || !req.Until.IsZero()) {
		r.Problems = append(r.Problems, LockProblem{Kind: LockProblemNoObjects, Object: source,
			Detail: "a retention requirement was given but there is no S3 object to check"})
	}
	r.OK = len(r.Problems) == 0
	return r
}

func (r *LockReport) add(lo LockObject) {
	r.Objects = append(r.Objects, lo)
	s := &r.Summary
	s.Objects++
	switch lo.Status {
	case LockStatusCompliance:
		s.Compliance++
	case LockStatusGovernance:
		s.Governance++
	case LockStatusExpired:
		s.Expired++
	case LockStatusNone:
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
func (r *LockReport) SummaryLine() string {
	s := r.Summary
	line := fmt.Sprintf("%d object version(s): %d COMPLIANCE, %d GOVERNANCE, %d expired, %d without retention, %d unknown; %d under legal hold",
		s.Objects, s.Compliance, s.Governance, s.Expired, s.None, s.Unknown, s.LegalHoldOn)
	if s.LegalUnknown > 0 {
		line += fmt.Sprintf(" (%d legal hold unknown)", s.LegalUnknown)
	}
	if r.OK {
		return line + ": ok"
	}
	return line + fmt.Sprintf(": %d problem(s)", len(r.Problems))
}

// ObjectLockFromCase checks the Object Lock state captured in the case:
// every item with S3 metadata (acquired from S3 or read from a sidecar),
// and the captured bucket states. It makes no network connection.
func ObjectLockFromCase(st *store.Store, req LockRequirements, now time.Time) (*LockReport, error) {
	buckets, err := st.Buckets()
	if err != nil {
		return nil, fmt.Errorf("read captured buckets: %w", err)
	}
	var objs []*store.S3Object
	var items []store.Item
	notS3 := 0
	err = st.Items(func(it store.Item) error {
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
	return r, nil
}

// LiveLockOptions configure a live Object Lock check.
type LiveLockOptions struct {
	Include, Exclude []string
	Concurrency      int
	AllVersions      bool
	Endpoint         string
}

// ObjectLockLive checks the Object Lock state of the objects under uri
// (s3://bucket[/prefix]) directly in S3: the bucket's configuration and
// versioning, and each current version's retention and legal hold (every
// version with AllVersions). Nothing is downloaded or changed.
func ObjectLockLive(ctx context.Context, client S3API, uri string, opts LiveLockOptions, req LockRequirements, now time.Time) (*LockReport, error) {
	src, err := NewS3Source(client, uri, S3Options{Include: opts.Include, Exclude: opts.Exclude,
		Concurrency: opts.Concurrency, AllVersions: opts.AllVersions, Endpoint: opts.Endpoint})
	if err != nil {
		return nil, err
	}
	b, err := CaptureBucket(ctx, client, src.bucket, opts.Endpoint)
	if err != nil {
		return nil, err
	}
	src.state, src.region = &b, b.Region

	var all []listed
	var markers []DeleteMarker
	err = src.list(ctx, func(l listed) error { all = append(all, l); return ctx.Err() },
		func(key string, when time.Time) {
			if Selected(key, opts.Include, opts.Exclude) {
				markers = append(markers, DeleteMarker{Key: key, Deleted: when})
			}
		})
	if err != nil {
		if f := fatalS3(src.bucket, opts.Endpoint, err); f != nil {
			return nil, f
		}
		return nil, fmt.Errorf("list %s: %s: %w", uri, s3Reason(err), err)
	}

	objs := make([]*store.S3Object, len(all))
	errs := make([]error, len(all))
	sem := make(chan struct{}, src.opts.Concurrency)
	var wg sync.WaitGroup
	for i, l := range all {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			objs[i], errs[i] = src.capture(ctx, l)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var readable []*store.S3Object
	var unreadable []LockProblem
	var unreadableObjs []LockObject
	for i, o := range objs {
		if errs[i] != nil {
			if f := fatalS3(src.bucket, opts.Endpoint, errs[i]); f != nil {
				return nil, f
			}
			l := all[i]
			u := S3ObjectURI(src.bucket, l.key, l.versionID)
			unreadableObjs = append(unreadableObjs, LockObject{Source: u, Bucket: src.bucket, Key: l.key, VersionID: l.versionID,
				Status: LockStatusUnknown, CapturedFrom: "s3", CaptureErrors: []string{errs[i].Error()}})
			unreadable = append(unreadable, LockProblem{Kind: LockProblemCapture, Object: u, Detail: errs[i].Error()})
			continue
		}
		readable = append(readable, o)
	}
	r := newLockReport(uri, []store.Bucket{b}, readable, nil, req, now)
	if len(all) > 0 && len(readable) == 0 {
		// Every object failed: "no objects" is not the reason.
		r.Problems = r.Problems[:0]
	}
	for _, lo := range unreadableObjs {
		r.add(lo)
	}
	r.Problems = append(r.Problems, unreadable...)
	sort.SliceStable(r.Objects, func(i, j int) bool { return r.Objects[i].Source < r.Objects[j].Source })
	r.DeleteMarkers = markers
	r.Summary.DeleteMarkers = len(markers)
	r.OK = len(r.Problems) == 0
	return r, nil
}
