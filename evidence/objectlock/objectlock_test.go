package objectlock

import (
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/finding"
)

var now = time.Date(2025, 3, 12, 0, 0, 0, 0, time.UTC)

func TestEvaluateWithoutRequirement(t *testing.T) {
	past, future := now.Add(-24*time.Hour), now.Add(24*time.Hour)
	cases := []struct {
		name   string
		obj    evidence.S3Object
		status string
		kind   finding.Kind // "" for no problem
		detail string
	}{
		{"compliance", evidence.S3Object{LockKnown: true, LockMode: "COMPLIANCE", RetainUntil: future, LegalKnown: true, LegalHold: "OFF"}, StatusCompliance, "", ""},
		{"governance, hold unknown", evidence.S3Object{LockKnown: true, LockMode: "GOVERNANCE", RetainUntil: future}, StatusGovernance, "", ""},
		{"none", evidence.S3Object{LockKnown: true, LegalKnown: true}, StatusNone, ProblemNoRetention, "no retention and no legal hold"},
		{"none, hold OFF", evidence.S3Object{LockKnown: true, LegalKnown: true, LegalHold: "OFF"}, StatusNone, ProblemNoRetention, "no retention and no legal hold"},
		{"none, hold unknown", evidence.S3Object{LockKnown: true}, StatusNone, ProblemNoRetention, "no retention, and its legal hold is unknown"},
		{"none, hold ON", evidence.S3Object{LockKnown: true, LegalKnown: true, LegalHold: "ON"}, StatusNone, "", ""},
		{"expired", evidence.S3Object{LockKnown: true, LockMode: "GOVERNANCE", RetainUntil: past, LegalKnown: true}, StatusExpired, ProblemNoRetention, "GOVERNANCE retention expired"},
		{"expired, hold ON", evidence.S3Object{LockKnown: true, LockMode: "COMPLIANCE", RetainUntil: past, LegalKnown: true, LegalHold: "ON"}, StatusExpired, "", ""},
		{"unknown", evidence.S3Object{}, StatusUnknown, ProblemUnknown, "retention status unknown"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lo, probs := Evaluate(&c.obj, Requirements{}, now)
			if lo.Status != c.status {
				t.Errorf("status %q, want %q", lo.Status, c.status)
			}
			if c.kind == "" {
				if len(probs) != 0 || !lo.OK {
					t.Errorf("problems %v, ok %v; want none", probs, lo.OK)
				}
				return
			}
			if len(probs) != 1 || probs[0].Kind != c.kind || !strings.Contains(probs[0].Detail, c.detail) || lo.OK {
				t.Fatalf("problems %+v; want one %s with %q", probs, c.kind, c.detail)
			}
			if probs[0].Level == "" || probs[0].Category == "" {
				t.Errorf("finding without level or category: %+v", probs[0])
			}
		})
	}
}

// With a requirement, the requirement judges: no NO_RETENTION beside it.
func TestEvaluateRequirementJudges(t *testing.T) {
	o := evidence.S3Object{LockKnown: true, LegalKnown: true}
	_, probs := Evaluate(&o, Requirements{Mode: Governance}, now)
	if len(probs) != 1 || probs[0].Kind != ProblemMode {
		t.Errorf("problems %+v; want one %s", probs, ProblemMode)
	}
}

func TestPresentBucket(t *testing.T) {
	cases := []struct{ lock, versioning, wantLock, wantVersioning string }{
		{"", "", LockNotConfigured, VersioningNever},
		{"Enabled", "Enabled", LockEnabled, VersioningEnabled},
		{"unknown", "Suspended", BucketStateUnknown, VersioningSuspended},
		{"not-configured", "never-enabled", LockNotConfigured, VersioningNever},
	}
	for _, c := range cases {
		b := PresentBucket(evidence.Bucket{Name: "b", ObjectLockEnabled: c.lock, Versioning: c.versioning})
		if b.ObjectLockEnabled != c.wantLock || b.Versioning != c.wantVersioning || b.Name != "b" {
			t.Errorf("%q/%q: got %q/%q", c.lock, c.versioning, b.ObjectLockEnabled, b.Versioning)
		}
	}
	// A stored record with empty states reads with explicit values.
	r := newLockReport("case", []evidence.Bucket{{Name: "old"}}, nil, nil, Requirements{}, now)
	if got := r.Buckets[0]; got.ObjectLockEnabled != LockNotConfigured || got.Versioning != VersioningNever {
		t.Errorf("report bucket %+v", got)
	}
}

func TestSummaryLine(t *testing.T) {
	o := evidence.S3Object{Bucket: "b", Key: "k", LockKnown: true, LegalKnown: true}
	r := newLockReport("s3://b", nil, []*evidence.S3Object{&o}, nil, Requirements{}, now)
	if r.OK || len(r.Problems) != 1 {
		t.Fatalf("ok %v problems %+v", r.OK, r.Problems)
	}
	if got := r.SummaryLine(); !strings.HasSuffix(got, "1 without retention, 0 unknown; 0 under legal hold: 1 problem(s)") {
		t.Errorf("summary %q", got)
	}
	r.ReportOnly = true
	if got := r.SummaryLine(); !strings.HasSuffix(got, ": 1 problem(s) listed, not judged (report only)") {
		t.Errorf("report-only summary %q", got)
	}
	empty := newLockReport("case", nil, nil, nil, Requirements{}, now)
	empty.NotS3 = 354
	if got := empty.SummaryLine(); !strings.Contains(got, "; 354 item(s) without S3 metadata, Object Lock state unknown") {
		t.Errorf("summary %q", got)
	}
}
