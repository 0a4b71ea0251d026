package findings

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/trailcase/trailcase/digest"
	"github.com/trailcase/trailcase/evidence/finding"
	"github.com/trailcase/trailcase/store"
)

// checkNames are the checks whose stored problems are integrity findings.
var checkNames = []string{"verify", "digest", "objectlock"}

// storedCheck is the part of a stored check result findings read.
type storedCheck struct {
	Problems []finding.Finding `json:"problems"`
	// Gaps are the digest chains' restarts; nil in a result stored
	// before digest verify recorded them.
	Gaps []digest.Gap `json:"gaps"`
}

// integrityFindings are the problems of the latest verify, digest and
// objectlock results stored in the case; the digest verification's
// chain restarts become coverage findings in cov. When no digest
// verification is stored (or one without its gaps) the chains are
// verified now (unless NoDigest).
func integrityFindings(ctx context.Context, st *store.Store, o Options, cov *coverage) ([]finding.Finding, error) {
	var out []finding.Finding
	for _, name := range checkNames {
		rec, ok, err := st.LatestCheck(name)
		if err != nil {
			return nil, fmt.Errorf("read the stored %s result: %w", name, err)
		}
		var sc storedCheck
		if ok {
			if err := json.Unmarshal(rec.Result, &sc); err != nil {
				return nil, fmt.Errorf("read the stored %s result: %w", name, err)
			}
		}
		if name == "digest" && (!ok || sc.Gaps == nil) && !o.NoDigest {
			// None stored, or stored before the gaps were recorded: the
			// chains are verified now; a stored result keeps its problems.
			fresh, err := verifyDigests(ctx, st)
			if err != nil {
				return nil, err
			}
			if !ok {
				sc.Problems = fresh.Problems
			}
			sc.Gaps = fresh.Gaps
		}
		for _, p := range sc.Problems {
			if p.Level == "" {
				p.Level = p.Kind.Level()
			}
			if p.Category == "" {
				p.Category = p.Kind.Category()
			}
			if p.Category == "" {
				p.Category = finding.Integrity
			}
			if p.Title == "" {
				p.Title = p.Kind.Meaning()
			}
			out = append(out, p)
		}
		if name == "digest" {
			cov.digestRestarts = append(cov.digestRestarts, restarts(sc.Gaps)...)
		}
	}
	return append(out, cov.digestFindings()...), nil
}

// verifyDigests runs the digest verification as 'digest verify' does.
func verifyDigests(ctx context.Context, st *store.Store) (storedCheck, error) {
	keys, err := st.Keys()
	if err != nil {
		return storedCheck{}, fmt.Errorf("read public keys from the case: %w", err)
	}
	objs, err := digest.FromCase(st)
	if err != nil {
		return storedCheck{}, fmt.Errorf("read evidence items: %w", err)
	}
	res, err := digest.Verify(ctx, objs, digest.Options{Keys: keys})
	if err != nil {
		return storedCheck{}, fmt.Errorf("verify digest chains: %w", err)
	}
	return storedCheck{Problems: res.Problems, Gaps: res.Gaps}, nil
}

// restarts are the periods the digest chains' restarts leave uncovered,
// each named by the digest that starts the new chain.
func restarts(gaps []digest.Gap) []window {
	var out []window
	for _, g := range gaps {
		if g.Reason != digest.GapRestarted {
			continue
		}
		out = append(out, window{from: g.From, to: g.To, what: g.Before})
	}
	return out
}
