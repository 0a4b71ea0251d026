package digest

import (
	"fmt"
	"slices"
	"sort"
	"time"
)

type chainKey struct {
	org, account, region, trail, home string
	backfill                          bool
}

type chain struct {
	key  chainKey
	sums []*summary
	// byObject finds digests by digestS3Object.
	byObject map[string][]*summary
}

// walkChains groups the digests into chains, checks the links between
// them and their signatures, and returns the chains' summaries.
func (v *verifier) walkChains(r *Result) []ChainSummary {
	chains := map[chainKey]*chain{}
	var invalid []*summary
	for _, s := range v.sums {
		if !s.ok {
			invalid = append(invalid, s)
			continue
		}
		k := chainKey{s.loc.Org, s.loc.Account, s.loc.Region, s.loc.Trail, s.loc.HomeRegion, s.loc.Backfill}
		c := chains[k]
		if c == nil {
			c = &chain{key: k, byObject: map[string][]*summary{}}
			chains[k] = c
		}
		c.sums = append(c.sums, s)
	}
	keys := make([]chainKey, 0, len(chains))
	for k := range chains {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		return fmt.Sprint(a) < fmt.Sprint(b)
	})
	missingSigs := 0
	var out []ChainSummary
	for _, k := range keys {
		c := chains[k]
		cs, missing := v.walk(c, invalid)
		missingSigs += missing
		if cs.Digests == 0 {
			continue
		}
		r.SignaturesVerified += cs.SignaturesVerified
		out = append(out, cs)
	}
	r.SignaturesMissing = missingSigs
	if missingSigs > 0 && !v.opts.RequireSignatures {
		var names []string
		for _, s := range v.sums {
			if s.inRange && !s.dup && s.sigState == sigMissing {
				names = append(names, s.found)
			}
		}
		sort.Strings(names)
		v.notices = append(v.notices, fmt.Sprintf("%s had no signature (no S3 metadata and no signed successor): %s; hash chain checked, signature not verified; keep the .head.json sidecar of the newest digest, or use --require-signatures to make this a problem", pluralf(missingSigs, "digest"), listed(names, maxNamed)))
	}
	if out == nil {
		out = []ChainSummary{}
	}
	return out
}

// walk checks one chain. It returns its summary and the number of
// digests in range with no signature.
func (v *verifier) walk(c *chain, invalid []*summary) (ChainSummary, int) {
	list := c.distinct()
	for i, n := range list {
		var p *summary
		if i > 0 {
			p = list[i-1]
		}
		v.link(c, n, p, invalid)
	}
	missing := v.signatures(list)
	return v.chainSummary(c, list), missing
}

// distinct sorts the chain's digests by period and returns them with
// identical copies of one digest (same object, same bytes) counted once.
func (c *chain) distinct() []*summary {
	sort.Slice(c.sums, func(i, j int) bool {
		a, b := c.sums[i], c.sums[j]
		if !a.end.Equal(b.end) {
			return a.end.Before(b.end)
		}
		if !a.start.Equal(b.start) {
			return a.start.Before(b.start)
		}
		if (a.metaSig != "") != (b.metaSig != "") {
			return a.metaSig != ""
		}
		return a.found < b.found
	})
	var list []*summary
	for _, s := range c.sums {
		dupOf := (*summary)(nil)
		for _, o := range c.byObject[s.object] {
			if o.sum == s.sum {
				dupOf = o
				break
			}
		}
		if dupOf != nil {
			s.dup = true
			if dupOf.metaSig == "" {
				dupOf.metaSig, dupOf.metaAlg = s.metaSig, s.metaAlg
			}
			continue
		}
		c.byObject[s.object] = append(c.byObject[s.object], s)
		list = append(list, s)
	}
	return list
}

// link checks the link from digest n to the predecessor it names; p is
// the digest found before n in the chain (nil for the first).
func (v *verifier) link(c *chain, n, p *summary, invalid []*summary) {
	if n.prevNull {
		if p != nil && n.inRange {
			v.notices = append(v.notices, fmt.Sprintf("%s starts a new chain (logging or log file validation was off, then restarted): deliveries from %s to %s are covered by no digest; the previous chain ends with %s", n.found, ts(p.end), ts(n.start), p.found))
			if n.start.Sub(p.end) > continuityTolerance {
				v.gaps = append(v.gaps, newGap(c.key, p, n, GapRestarted))
			}
		}
		return
	}
	x := c.byObject[n.prevObject]
	if len(x) == 0 {
		// The predecessor may be there but unreadable.
		if !v.unreadablePredecessor(n, invalid) {
			v.missingPredecessor(c.key, n, p)
		}
		return
	}
	var pred *summary
	for _, s := range x {
		if n.prevSumOK && s.sum == n.prevSum {
			pred = s
			continue
		}
		if n.prevSumOK && (n.inRange || s.inRange) {
			v.predecessorDiffers(s, n)
		}
	}
	if pred == nil {
		pred = x[0]
	}
	if pred.succ == nil {
		pred.succ = n
	}
	if n.prevBucket != pred.bucket && (n.inRange || pred.inRange) {
		v.notices = append(v.notices, fmt.Sprintf("%s names its predecessor in bucket %q; the predecessor says it was delivered to bucket %q", n.found, n.prevBucket, pred.bucket))
	}
	if !n.inRange {
		return
	}
	switch gap := n.start.Sub(pred.end); {
	case gap > continuityTolerance:
		v.add(problem(DigestMissing, n.found, n.item, fmt.Sprintf("no digest covers deliveries from %s to %s, between this digest and its predecessor %s", ts(pred.end), ts(n.start), pred.found)))
		v.gaps = append(v.gaps, newGap(c.key, pred, n, GapMissing))
	case gap < -continuityTolerance:
		v.notices = append(v.notices, fmt.Sprintf("%s starts at %s, before its predecessor %s ends (%s)", n.found, ts(n.start), pred.found, ts(pred.end)))
	}
	if p != nil && p != pred && p.end.After(pred.end) {
		v.notices = append(v.notices, fmt.Sprintf("%s is not referenced by the digest that follows it (%s names %s)", p.found, n.found, pred.found))
	}
}

// unreadablePredecessor looks for n's predecessor among the digests that
// could not be read, reporting a hash that differs; it reports whether
// the predecessor is there.
func (v *verifier) unreadablePredecessor(n *summary, invalid []*summary) bool {
	found := false
	for _, s := range invalid {
		if sameLocation("", s.found, n.prevBucket, n.prevObject) {
			if s.hashed && n.prevSumOK && s.sum != n.prevSum && (n.inRange || s.inRange) {
				v.predecessorDiffers(s, n)
			}
			found = true
		}
	}
	return found
}

// predecessorDiffers reports digest s, whose hash is not the one its
// successor n records.
func (v *verifier) predecessorDiffers(s, n *summary) {
	v.add(problem(DigestHashMismatch, s.found, s.item, fmt.Sprintf("SHA-256 %x; its successor %s records %x", s.sum, n.found, n.prevSum)))
}

// chainSummary sums up the digests of list in range.
func (v *verifier) chainSummary(c *chain, list []*summary) ChainSummary {
	cs := ChainSummary{Account: c.key.account, Organization: c.key.org, Region: c.key.region, Trail: c.key.trail,
		HomeRegion: c.key.home, Backfill: c.key.backfill}
	for _, s := range list {
		if !s.inRange {
			continue
		}
		if cs.Digests == 0 {
			cs.Start, cs.First, cs.Bucket = s.start, s.found, s.bucket
		}
		cs.Digests++
		cs.End, cs.Last = s.end, s.found
		cs.Logs += s.logs
		if s.logs == 0 {
			cs.EmptyDigests++
		}
		if s.sigState == sigVerified {
			cs.SignaturesVerified++
		}
	}
	if cs.Digests > 0 {
		oldest := list[slices.IndexFunc(list, func(s *summary) bool { return s.inRange })]
		if !oldest.prevNull && len(c.byObject[oldest.prevObject]) == 0 && !v.opts.From.IsZero() && oldest.start.After(v.opts.From) {
			v.notices = append(v.notices, fmt.Sprintf("chain %s/%s/%s starts at %s with %s, after --from %s: earlier digests are not in the evidence", cs.Account, cs.Region, cs.Trail, ts(oldest.start), oldest.found, ts(v.opts.From)))
		}
	}
	return cs
}

// missingPredecessor reports the digest n names as its predecessor,
// which is not in the evidence, and any further digests missing between
// it and p, the digest found before n; the period from p's end to the
// missing predecessor's end is a gap of chain c.
func (v *verifier) missingPredecessor(c chainKey, n, p *summary) {
	if p == nil {
		if n.inRange {
			v.notices = append(v.notices, fmt.Sprintf("%s is the oldest digest of its chain in the evidence; its predecessor %s was not acquired (or was deleted)", n.found, n.prevObject))
		}
		return
	}
	period := n.end.Sub(n.start)
	if period <= 0 {
		period = time.Hour
	}
	missEnd := n.start
	if loc, ok := parseDigestName(n.prevObject); ok {
		missEnd = loc.Time
	}
	missStart := missEnd.Add(-period)
	if !v.inRange(missStart, missEnd) && !n.inRange {
		return
	}
	v.add(problem(DigestMissing, n.prevObject, 0, fmt.Sprintf("named by %s as its predecessor (deliveries up to %s); not in the evidence", n.found, ts(missEnd))))
	if missEnd.Sub(p.end) > continuityTolerance {
		v.gaps = append(v.gaps, gapUntil(c, p, n, missEnd, GapMissing))
	}
	gap := missStart.Sub(p.end)
	if gap <= continuityTolerance+time.Minute || !v.inRange(p.end, missStart) {
		return
	}
	more := int((gap + period/2) / period)
	if more < 1 {
		more = 1
	}
	guess := guessDigestKey(n.prevObject, missStart)
	v.add(problem(DigestMissing, guess, 0, fmt.Sprintf("no digest in the evidence covers deliveries from %s to %s (about %s, named by none; key inferred from the chain's period)", ts(p.end), ts(missStart), pluralf(more, "digest"))))
}

// signatures verifies each digest's signature, taken from its S3
// metadata or else from its successor's previousDigestSignature. It
// returns the number of digests in range with no signature.
func (v *verifier) signatures(list []*summary) int {
	missing := 0
	noKeys := len(v.ring) == 0
	for _, s := range list {
		if !s.inRange || !s.signable {
			continue
		}
		sig, from := s.metaSig, "S3 metadata"
		var vouch string
		if s.succ != nil && s.succ.prevSig != "" {
			vouch = s.succ.prevSig
		}
		if sig == "" && vouch != "" {
			sig, from = vouch, "previousDigestSignature of "+s.succ.found
		}
		if s.algorithm != "" && s.algorithm != SignatureAlgorithm {
			v.add(problem(SignatureInvalid, s.found, s.item, fmt.Sprintf("digestSignatureAlgorithm %q is not %s", s.algorithm, SignatureAlgorithm)))
			s.sigState = sigFailed
			continue
		}
		if s.metaAlg != "" && s.metaAlg != SignatureAlgorithm {
			v.add(problem(SignatureInvalid, s.found, s.item, fmt.Sprintf("signature-algorithm metadata %q is not %s", s.metaAlg, SignatureAlgorithm)))
			s.sigState = sigFailed
			continue
		}
		if sig == "" {
			s.sigState = sigMissing
			missing++
			if v.opts.RequireSignatures {
				v.add(problem(SignatureMissing, s.found, s.item, "no signature: no S3 metadata (keep a .head.json sidecar) and no signed successor"))
			}
			continue
		}
		if noKeys {
			if v.opts.RequireSignatures {
				v.add(problem(PublicKeyUnknown, s.found, s.item, fmt.Sprintf("no public keys given; fingerprint %s", s.fingerprint)))
			}
			continue
		}
		k := v.ring[s.fingerprint]
		if k == nil {
			v.add(problem(PublicKeyUnknown, s.found, s.item, fmt.Sprintf("no public key with fingerprint %s among %s", s.fingerprint, pluralf(len(v.ring), "key"))))
			s.sigState = sigFailed
			continue
		}
		if k.err != nil {
			v.add(problem(PublicKeyUnknown, s.found, s.item, fmt.Sprintf("public key %s cannot be used: %v", s.fingerprint, k.err)))
			s.sigState = sigFailed
			continue
		}
		if err := checkSignature(k.pub, s.signed, sig); err != nil {
			v.add(problem(SignatureInvalid, s.found, s.item, fmt.Sprintf("%v (signature from %s)", err, from)))
			s.sigState = sigFailed
			continue
		}
		s.sigState = sigVerified
		if s.metaSig != "" && vouch != "" && vouch != s.metaSig {
			v.add(problem(SignatureInvalid, s.succ.found, s.succ.item, fmt.Sprintf("its previousDigestSignature differs from the signature of its predecessor %s", s.found)))
		}
		if (!k.key.Start.IsZero() && s.end.Before(k.key.Start)) || (!k.key.End.IsZero() && s.end.After(k.key.End)) {
			v.notices = append(v.notices, fmt.Sprintf("%s ends at %s, outside the validity of key %s (%s to %s)", s.found, ts(s.end), s.fingerprint, ts(k.key.Start), ts(k.key.End)))
		}
	}
	if noKeys && len(list) > 0 && !v.opts.RequireSignatures {
		for _, s := range list {
			if s.inRange && s.sigState == sigUnchecked {
				v.notices = append(v.notices, "no public keys given (--public-keys, acquire --public-keys or keys fetch): signatures were not verified")
				break
			}
		}
	}
	return missing
}
