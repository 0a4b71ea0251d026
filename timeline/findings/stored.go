package findings

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/trailcase/trailcase/evidence/finding"
	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline/sigma"
)

// The findings a summary shows are those of every rule over the whole
// case: a pass over every event. A summary keeps them in the case (as the
// check named findingsCheck) with the custody head they were computed at,
// and the next summary uses them only while the case's custody head is
// the same (nothing acquired, indexed or checked since) and the rules
// are the same: the same trailcase binary (the built-in pack and the
// engine), the same rule files and options. Otherwise it runs the rules
// again: findings are never shown from a case that has changed since.
const findingsCheck = "summary-findings"

// FindingsSource says where a summary's findings come from.
type FindingsSource struct {
	// State is "computed" (by this run, over every event) or "stored"
	// (computed by an earlier run; the case and rules unchanged since).
	State      string    `json:"state"`
	ComputedAt time.Time `json:"computed_at"`
	// CustodyEntries is the length of the custody log they were computed
	// at, CustodyHead its newest entry's hash.
	CustodyEntries uint64 `json:"custody_entries"`
	CustodyHead    string `json:"custody_head"`
	// Stored, for computed findings, says whether they were kept in the
	// case for the next summary (set by the caller that stores them).
	Stored *bool `json:"stored,omitempty"`
}

// storedFindings is the stored form of a Report.
type storedFindings struct {
	Fingerprint    string            `json:"fingerprint"`
	CustodyEntries uint64            `json:"custody_entries"`
	CustodyHead    string            `json:"custody_head"`
	ComputedAt     time.Time         `json:"computed_at"`
	Shown          shown             `json:"shown"`
	High           []finding.Finding `json:"high"` // the high and critical findings
	RulesLoaded    int               `json:"rules_loaded"`
	RulesFailed    []RuleError       `json:"rules_failed"`
	Events         int64             `json:"events"`
	Dropped        int               `json:"dropped"`
	First          time.Time         `json:"first"`
	Last           time.Time         `json:"last"`
}

// custodyState returns the custody log's length and head.
func custodyState(st *store.Store) (uint64, string, error) {
	n, head, err := st.CustodyHead()
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(head[:]), nil
}

// storedReport returns the findings stored for these options when the
// case has not changed since they were computed.
func (o Options) storedReport(st *store.Store) (*Report, shown, FindingsSource, bool, error) {
	c, ok, err := st.LatestCheck(findingsCheck)
	if err != nil || !ok {
		return nil, shown{}, FindingsSource{}, false, err
	}
	var sf storedFindings
	if err := json.Unmarshal(c.Result, &sf); err != nil {
		return nil, shown{}, FindingsSource{}, false, nil // unreadable: computed again
	}
	n, head, err := custodyState(st)
	if err != nil {
		return nil, shown{}, FindingsSource{}, false, err
	}
	fp, err := o.fingerprint()
	if err != nil || sf.Fingerprint != fp || sf.CustodyEntries != n || sf.CustodyHead != head {
		return nil, shown{}, FindingsSource{}, false, nil
	}
	rep := &Report{Findings: sf.High, RulesLoaded: sf.RulesLoaded, Events: sf.Events, Dropped: sf.Dropped, First: sf.First, Last: sf.Last}
	for _, e := range sf.RulesFailed {
		rep.RulesFailed = append(rep.RulesFailed, &sigma.RuleError{File: e.File, Line: e.Line, Msg: e.Error})
	}
	return rep, sf.Shown, FindingsSource{State: "stored", ComputedAt: sf.ComputedAt, CustodyEntries: n, CustodyHead: head}, true, nil
}

// computeReport runs the rules over the case (as ForCase).
func (o Options) computeReport(ctx context.Context, st *store.Store) (*Report, FindingsSource, error) {
	n, head, err := custodyState(st)
	if err != nil {
		return nil, FindingsSource{}, err
	}
	rep, err := ForCase(ctx, st, o)
	if err != nil {
		return nil, FindingsSource{}, err
	}
	return rep, FindingsSource{State: "computed", ComputedAt: time.Now().UTC(), CustodyEntries: n, CustodyHead: head}, nil
}

// StoreFindings keeps the findings of a summary that computed them in
// the case (opened for writing), for the next summary of the unchanged
// case. It does nothing for findings that were stored already.
func StoreFindings(st *store.Store, s *Summary, o Options) error {
	if s.report == nil {
		return nil
	}
	return KeepReport(st, s.report, s.FindingsFrom, o)
}

// Compute runs the rules over the case as ForCase does and says which
// state of the case (its custody head, read before the events) the
// findings are of, for KeepReport.
func Compute(ctx context.Context, st *store.Store, o Options) (*Report, FindingsSource, error) {
	return o.computeReport(ctx, st)
}

// Keepable reports whether findings computed with o are the findings a
// summary shows: every rule of the built-in pack over every event, with
// no other rules and the default limits, gaps and digest checks. Only
// those are worth keeping for the summary; a run with other options would
// replace them with findings no summary can use.
func (o Options) Keepable() bool {
	return !o.NoBuiltin && len(o.Rules) == 0 && o.From.IsZero() && o.To.IsZero() &&
		o.Limits == (sigma.Limits{}) && o.Gaps == nil && !o.NoDigest
}

// KeepReport keeps computed findings in the case (opened for writing)
// for the next summary of the unchanged case. src is what Compute
// returned. It keeps nothing when the case has changed since they were
// computed (they would never be shown) or findings of the same rules for
// the same custody head are kept already.
func KeepReport(st *store.Store, rep *Report, src FindingsSource, o Options) error {
	if src.State != "computed" || rep == nil {
		return nil
	}
	n, head, err := custodyState(st)
	if err != nil {
		return err
	}
	if n != src.CustodyEntries || head != src.CustodyHead {
		return nil // the case changed since: they would never be shown
	}
	if _, _, _, ok, err := o.storedReport(st); err != nil || ok {
		return err // kept already
	}
	fp, err := o.fingerprint()
	if err != nil {
		return err
	}
	sf := storedFindings{Fingerprint: fp, CustodyEntries: src.CustodyEntries, CustodyHead: src.CustodyHead,
		ComputedAt: src.ComputedAt, Shown: shownOf(rep.Findings), RulesLoaded: rep.RulesLoaded, RulesFailed: RuleErrors(rep.RulesFailed),
		Events: rep.Events, Dropped: rep.Dropped, First: rep.First, Last: rep.Last}
	for _, f := range rep.Findings {
		if f.Level.AtLeast(finding.High) {
			sf.High = append(sf.High, f)
		}
	}
	raw, err := json.Marshal(sf)
	if err != nil {
		return err
	}
	return st.PutCheck(store.CheckRecord{Name: findingsCheck, Time: time.Now().UTC(), OK: true,
		Summary: fmt.Sprintf("%d finding(s) at custody entry %d", len(rep.Findings), sf.CustodyEntries), Result: raw})
}

// fingerprint identifies the rules and options findings were computed
// with: this binary (its built-in pack and engine), the rule files given
// (their names and contents) and the options that change findings.
func (o Options) fingerprint() (string, error) {
	self, err := executableHash()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "bin %s\nbuiltin %v\nlimits %+v\ngaps %v\nnodigest %v\nfrom %v\nto %v\n", self, !o.NoBuiltin, o.Limits, o.Gaps, o.NoDigest, o.From, o.To)
	for _, r := range o.Rules {
		fmt.Fprintf(h, "rule %q %d %q\n", r.File, r.Line, r.ID)
		if f, err := os.Open(r.File); err == nil {
			_, err = io.Copy(h, f)
			f.Close()
			if err != nil {
				return "", err
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

var executableHash = sync.OnceValues(func() (string, error) {
	p, err := os.Executable()
	if err != nil {
		return "", err
	}
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
})
