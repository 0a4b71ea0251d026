package findings

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/trailcase/trailcase/digest"
	"github.com/trailcase/trailcase/evidence/finding"
	"github.com/trailcase/trailcase/store"
)

// checkNames are the checks whose stored problems are integrity findings.
var checkNames = []string{"verify", "digest", "objectlock"}

// storedCheck is the part of a stored check result findings read.
type storedCheck struct {
	Problems []finding.Finding `json:"problems"`
	Notices  []string          `json:"notices"`
}

// integrityFindings are the problems of the latest verify, digest and
// objectlock results stored in the case; the digest verification's
// chain restarts become coverage findings in cov. When no digest
// verification is stored the chains are verified now (unless NoDigest).
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
		} else if name == "digest" && !o.NoDigest {
			if sc, err = verifyDigests(ctx, st); err != nil {
				return nil, err
			}
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
			cov.digestRestarts = append(cov.digestRestarts, restarts(sc.Notices)...)
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
	return storedCheck{Problems: res.Problems, Notices: res.Notices}, nil
}

// restartNotice is digest verify's notice of a chain restart.
var restartNotice = regexp.MustCompile(`^(.*) starts a new chain \(.*\): deliveries from (\S+) to (\S+) are covered by no digest`)

// restarts reads the chain restarts out of digest verify's notices.
func restarts(notices []string) []window {
	var out []window
	for _, n := range notices {
		m := restartNotice.FindStringSubmatch(n)
		if m == nil {
			continue
		}
		from, err1 := time.Parse(time.RFC3339, m[2])
		to, err2 := time.Parse(time.RFC3339, m[3])
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, window{from: from, to: to, what: m[1]})
	}
	return out
}
