package digest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/finding"
)

// maxDigestSize bounds a decompressed digest file.
const maxDigestSize = 256 << 20

// edgeMargin is how far a log's key time may lie from the period of the
// digest that lists it: log keys carry the minute a file was written,
// digests the time it was delivered.
const edgeMargin = 15 * time.Minute

// continuityTolerance is the slack allowed between the end of a digest
// and the start of the next.
const continuityTolerance = 2 * time.Second

// Verify validates the CloudTrail digest chains found among objs and
// every log they list. It returns every problem found; an error only
// when evidence could not be read or ctx was cancelled.
func Verify(ctx context.Context, objs []Object, opts Options) (*Result, error) {
	v := &verifier{ctx: ctx, objs: objs, opts: opts, ring: newKeyRing(opts.Keys)}
	return v.run()
}

type verifier struct {
	ctx  context.Context
	objs []Object
	opts Options
	ring keyRing

	byName map[string][]int // file name -> indexes of objects that are not digests
	listed []atomic.Bool    // object listed by some digest

	mu       sync.Mutex
	sums     []*summary
	problems []finding.Finding
	notices  []string
	ioErr    error

	digestsDone, logsDone atomic.Int64
	logsChecked           atomic.Int64
}

func (v *verifier) add(f finding.Finding) {
	v.mu.Lock()
	v.problems = append(v.problems, f)
	v.mu.Unlock()
}

func (v *verifier) notice(format string, args ...any) {
	v.mu.Lock()
	v.notices = append(v.notices, fmt.Sprintf(format, args...))
	v.mu.Unlock()
}

func (v *verifier) fail(err error) {
	v.mu.Lock()
	if v.ioErr == nil {
		v.ioErr = err
	}
	v.mu.Unlock()
}

func (v *verifier) progress() {
	if v.opts.Progress != nil {
		v.opts.Progress(v.digestsDone.Load(), v.logsDone.Load())
	}
}

// inRange reports whether the period [start, end] overlaps the options' range.
func (v *verifier) inRange(start, end time.Time) bool {
	if !v.opts.From.IsZero() && !end.IsZero() && !end.After(v.opts.From) {
		return false
	}
	if !v.opts.To.IsZero() && !start.IsZero() && !start.Before(v.opts.To) {
		return false
	}
	return true
}

// timeInRange reports whether t lies in the options' range.
func (v *verifier) timeInRange(t time.Time) bool {
	return (v.opts.From.IsZero() || !t.Before(v.opts.From)) && (v.opts.To.IsZero() || t.Before(v.opts.To))
}

type logJob struct {
	d     *summary
	entry listedLog
	cands []int
}

func (v *verifier) run() (*Result, error) {
	v.byName = map[string][]int{}
	v.listed = make([]atomic.Bool, len(v.objs))
	var digests []int
	for i, o := range v.objs {
		if o.Kind == evidence.KindCloudTrailDigest {
			digests = append(digests, i)
			continue
		}
		name := path.Base(o.Key)
		v.byName[name] = append(v.byName[name], i)
	}

	workers := runtime.GOMAXPROCS(0)
	digestCh := make(chan int)
	logCh := make(chan logJob, 256)
	var dwg, lwg sync.WaitGroup
	for range max(1, min(workers, 4)) {
		dwg.Add(1)
		go func() {
			defer dwg.Done()
			h := newHasher()
			var buf bytes.Buffer
			for i := range digestCh {
				if v.ctx.Err() != nil {
					continue
				}
				v.readDigest(i, h, &buf, logCh)
				v.digestsDone.Add(1)
				v.progress()
			}
		}()
	}
	for range workers {
		lwg.Add(1)
		go func() {
			defer lwg.Done()
			h := newHasher()
			for j := range logCh {
				if v.ctx.Err() != nil {
					continue
				}
				v.checkLog(j, h)
				v.logsDone.Add(1)
				v.progress()
			}
		}()
	}
	for _, i := range digests {
		if v.ctx.Err() != nil {
			break
		}
		digestCh <- i
	}
	close(digestCh)
	dwg.Wait()
	close(logCh)
	lwg.Wait()
	if err := v.ctx.Err(); err != nil {
		return nil, err
	}
	if v.ioErr != nil {
		return nil, v.ioErr
	}

	sort.Strings(v.notices) // collected concurrently
	r := &Result{From: v.opts.From, To: v.opts.To, LogsChecked: int(v.logsChecked.Load())}
	if len(digests) == 0 {
		v.notices = append(v.notices, "no CloudTrail digest files among the evidence: nothing to validate")
	}
	r.Chains = v.walkChains(r)
	v.unlistedLogs()

	for _, s := range v.sums {
		if s.inRange {
			r.DigestsChecked++
		}
	}
	sort.SliceStable(v.problems, func(i, j int) bool {
		a, b := v.problems[i], v.problems[j]
		if a.Object != b.Object {
			return a.Object < b.Object
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Detail < b.Detail
	})
	v.problems = slices.CompactFunc(v.problems, finding.Finding.Equal)
	for i := range v.problems {
		v.problems[i] = v.problems[i].Classified()
	}
	r.Problems = v.problems
	if r.Problems == nil {
		r.Problems = finding.Problems{}
	}
	r.Notices = v.notices
	if r.Notices == nil {
		r.Notices = []string{}
	}
	r.Valid = len(r.Problems) == 0
	return r, nil
}

// readDigest hashes and parses one digest, checks where it was found,
// and queues the logs it lists.
func (v *verifier) readDigest(i int, h *hasher, buf *bytes.Buffer, logCh chan<- logJob) {
	o := v.objs[i]
	s := &summary{obj: i, found: o.Key, item: o.Item}
	if o.Metadata != nil {
		s.metaSig = strings.ToLower(strings.TrimSpace(o.Metadata["signature"]))
		s.metaAlg = o.Metadata["signature-algorithm"]
	}
	if loc, ok := parseDigestName(o.Key); ok {
		s.loc = loc
		s.inRange = v.inRange(loc.Time.Add(-time.Hour), loc.Time)
	} else {
		s.inRange = true
	}
	defer func() {
		v.mu.Lock()
		v.sums = append(v.sums, s)
		v.mu.Unlock()
	}()
	buf.Reset()
	c, err := v.read(o, h, buf, maxDigestSize)
	if err != nil {
		var de errDecode
		if errors.As(err, &de) {
			if s.inRange {
				v.add(finding.Finding{Kind: DigestInvalid, Object: o.Key, Item: o.Item, Detail: "cannot read the digest: " + err.Error()})
			}
			return
		}
		v.fail(fmt.Errorf("read %q: %w", o.Key, err))
		return
	}
	s.sum, s.hashed = c.Sum, true
	var queued []listedLog
	probs := parseDigest(s, buf.Bytes(), func(e listedLog) { queued = append(queued, e) })
	if s.ok {
		s.inRange = v.inRange(s.start, s.end)
	}
	if !s.inRange {
		for _, e := range queued {
			for _, k := range v.candidates(e.Key) {
				v.listed[k].Store(true)
			}
		}
		return
	}
	for _, p := range probs {
		v.add(p)
	}
	if !c.Gzip {
		v.notice("%s: digest is not gzip-compressed (probably decompressed by a download tool); its JSON was hashed as found", o.Key)
	}
	if c.Trailing > 0 {
		v.add(finding.Finding{Kind: TrailingData, Object: o.Key, Item: o.Item, Detail: trailingDetail(c)})
	}
	if s.ok && !sameLocation(o.Bucket, o.Key, s.bucket, s.object) {
		where := o.Key
		if o.Bucket != "" {
			where = "s3://" + o.Bucket + "/" + o.Key
		}
		v.add(finding.Finding{Kind: DigestMoved, Object: o.Key, Item: o.Item,
			Detail: fmt.Sprintf("found at %s; it says it was delivered to s3://%s/%s", where, s.bucket, s.object)})
	}
	for _, e := range queued {
		cands := v.candidates(e.Key)
		for _, k := range cands {
			v.listed[k].Store(true)
		}
		if len(cands) == 0 {
			v.add(finding.Finding{Kind: LogMissing, Object: e.Key,
				Detail: fmt.Sprintf("listed in digest %s; not in the evidence", o.Key)})
			continue
		}
		select {
		case logCh <- logJob{d: s, entry: e, cands: cands}:
		case <-v.ctx.Done():
			return
		}
	}
}

// read hashes object o, keeping its decompressed bytes in keep when given.
func (v *verifier) read(o Object, h *hasher, keep *bytes.Buffer, limit int64) (content, error) {
	if o.Open == nil {
		return content{}, errors.New("no content")
	}
	rc, err := o.Open()
	if err != nil {
		return content{}, err
	}
	defer rc.Close()
	if keep == nil {
		return h.hash(rc, nil, limit)
	}
	return h.hash(rc, keep, limit)
}

// candidates returns the objects that may hold the log at S3 key: the
// same key, or a path ending with it (or it ending with the path) on a
// '/' boundary.
func (v *verifier) candidates(key string) []int {
	var out []int
	for _, i := range v.byName[path.Base(key)] {
		k := v.objs[i].Key
		if k == key || suffixOnBoundary(k, key) || suffixOnBoundary(key, k) {
			out = append(out, i)
		}
	}
	return out
}

// checkLog hashes every copy of a listed log.
func (v *verifier) checkLog(j logJob, h *hasher) {
	for _, i := range j.cands {
		o := v.objs[i]
		c, err := v.read(o, h, nil, 0)
		if err != nil {
			var de errDecode
			if !errors.As(err, &de) {
				v.fail(fmt.Errorf("read %q: %w", o.Key, err))
				return
			}
			v.add(finding.Finding{Kind: LogHashMismatch, Object: o.Key, Item: o.Item,
				Detail: fmt.Sprintf("cannot be hashed: %v (listed in digest %s)", err, j.d.found)})
			continue
		}
		v.logsChecked.Add(1)
		if c.Trailing > 0 {
			v.add(finding.Finding{Kind: TrailingData, Object: o.Key, Item: o.Item, Detail: trailingDetail(c)})
		}
		if !j.entry.SumOK {
			continue // reported as DIGEST_INVALID
		}
		if c.Sum != j.entry.Sum {
			v.add(finding.Finding{Kind: LogHashMismatch, Object: o.Key, Item: o.Item,
				Detail: fmt.Sprintf("SHA-256 %x; digest %s records %x", c.Sum, j.d.found, j.entry.Sum)})
		}
	}
}

func trailingDetail(c content) string {
	what := "bytes"
	if c.TrailingGzip {
		what = "bytes (another gzip member)"
	}
	return fmt.Sprintf("%d %s after the first gzip member: CloudTrail hashed only the first member; the rest is not covered by the digest and is not read", c.Trailing, what)
}

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
		v.notices = append(v.notices, fmt.Sprintf("%s had no signature (no S3 metadata and no signed successor): hash chain checked, signature not verified; keep the .head.json sidecar of the newest digest, or use --require-signatures to make this a problem", pluralf(missingSigs, "digest")))
	}
	if out == nil {
		out = []ChainSummary{}
	}
	return out
}

// walk checks one chain. It returns its summary and the number of
// digests in range with no signature.
func (v *verifier) walk(c *chain, invalid []*summary) (ChainSummary, int) {
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
	// Identical copies of one digest (same object, same bytes) count once.
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

	for i, n := range list {
		var p *summary
		if i > 0 {
			p = list[i-1]
		}
		if n.prevNull {
			if p != nil && n.inRange {
				v.notices = append(v.notices, fmt.Sprintf("%s starts a new chain (logging or log file validation was restarted): deliveries from %s to %s are covered by no digest", n.found, ts(p.end), ts(n.start)))
			}
			continue
		}
		x := c.byObject[n.prevObject]
		if len(x) == 0 {
			// The predecessor may be there but unreadable.
			for _, s := range invalid {
				if sameLocation("", s.found, n.prevBucket, n.prevObject) {
					if s.hashed && n.prevSumOK && s.sum != n.prevSum && (n.inRange || s.inRange) {
						v.problems = append(v.problems, finding.Finding{Kind: DigestHashMismatch, Object: s.found, Item: s.item,
							Detail: fmt.Sprintf("SHA-256 %x; its successor %s records %x", s.sum, n.found, n.prevSum)})
					}
					x = append(x, s)
				}
			}
			if len(x) > 0 {
				continue
			}
			v.missingPredecessor(n, p)
			continue
		}
		var pred *summary
		for _, s := range x {
			if n.prevSumOK && s.sum == n.prevSum {
				pred = s
				continue
			}
			if n.prevSumOK && (n.inRange || s.inRange) {
				v.problems = append(v.problems, finding.Finding{Kind: DigestHashMismatch, Object: s.found, Item: s.item,
					Detail: fmt.Sprintf("SHA-256 %x; its successor %s records %x", s.sum, n.found, n.prevSum)})
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
			continue
		}
		switch gap := n.start.Sub(pred.end); {
		case gap > continuityTolerance:
			v.problems = append(v.problems, finding.Finding{Kind: DigestMissing, Object: n.found, Item: n.item,
				Detail: fmt.Sprintf("no digest covers deliveries from %s to %s, between this digest and its predecessor %s", ts(pred.end), ts(n.start), pred.found)})
		case gap < -continuityTolerance:
			v.notices = append(v.notices, fmt.Sprintf("%s starts at %s, before its predecessor %s ends (%s)", n.found, ts(n.start), pred.found, ts(pred.end)))
		}
		if p != nil && p != pred && p.end.After(pred.end) {
			v.notices = append(v.notices, fmt.Sprintf("%s is not referenced by the digest that follows it (%s names %s)", p.found, n.found, pred.found))
		}
	}

	missing := v.signatures(list)

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
			v.notices = append(v.notices, fmt.Sprintf("chain %s/%s/%s starts at %s, after --from %s: earlier digests are not in the evidence", cs.Account, cs.Region, cs.Trail, ts(oldest.start), ts(v.opts.From)))
		}
	}
	return cs, missing
}

// missingPredecessor reports the digest n names as its predecessor,
// which is not in the evidence, and any further digests missing between
// it and p, the digest found before n.
func (v *verifier) missingPredecessor(n, p *summary) {
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
	v.problems = append(v.problems, finding.Finding{Kind: DigestMissing, Object: n.prevObject,
		Detail: fmt.Sprintf("named by %s as its predecessor (deliveries up to %s); not in the evidence", n.found, ts(missEnd))})
	gap := missStart.Sub(p.end)
	if gap <= continuityTolerance+time.Minute || !v.inRange(p.end, missStart) {
		return
	}
	more := int((gap + period/2) / period)
	if more < 1 {
		more = 1
	}
	guess := guessDigestKey(n.prevObject, missStart)
	v.problems = append(v.problems, finding.Finding{Kind: DigestMissing, Object: guess,
		Detail: fmt.Sprintf("no digest in the evidence covers deliveries from %s to %s (about %s, named by none; key inferred from the chain's period)", ts(p.end), ts(missStart), pluralf(more, "digest"))})
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
			v.problems = append(v.problems, finding.Finding{Kind: SignatureInvalid, Object: s.found, Item: s.item,
				Detail: fmt.Sprintf("digestSignatureAlgorithm %q is not %s", s.algorithm, SignatureAlgorithm)})
			s.sigState = sigFailed
			continue
		}
		if s.metaAlg != "" && s.metaAlg != SignatureAlgorithm {
			v.problems = append(v.problems, finding.Finding{Kind: SignatureInvalid, Object: s.found, Item: s.item,
				Detail: fmt.Sprintf("signature-algorithm metadata %q is not %s", s.metaAlg, SignatureAlgorithm)})
			s.sigState = sigFailed
			continue
		}
		if sig == "" {
			s.sigState = sigMissing
			missing++
			if v.opts.RequireSignatures {
				v.problems = append(v.problems, finding.Finding{Kind: SignatureMissing, Object: s.found, Item: s.item,
					Detail: "no signature: no S3 metadata (keep a .head.json sidecar) and no signed successor"})
			}
			continue
		}
		if noKeys {
			if v.opts.RequireSignatures {
				v.problems = append(v.problems, finding.Finding{Kind: PublicKeyUnknown, Object: s.found, Item: s.item,
					Detail: fmt.Sprintf("no public keys given; fingerprint %s", s.fingerprint)})
			}
			continue
		}
		k := v.ring[s.fingerprint]
		if k == nil {
			v.problems = append(v.problems, finding.Finding{Kind: PublicKeyUnknown, Object: s.found, Item: s.item,
				Detail: fmt.Sprintf("no public key with fingerprint %s among %s", s.fingerprint, pluralf(len(v.ring), "key"))})
			s.sigState = sigFailed
			continue
		}
		if k.err != nil {
			v.problems = append(v.problems, finding.Finding{Kind: PublicKeyUnknown, Object: s.found, Item: s.item,
				Detail: fmt.Sprintf("public key %s cannot be used: %v", s.fingerprint, k.err)})
			s.sigState = sigFailed
			continue
		}
		if err := checkSignature(k.pub, s.signed, sig); err != nil {
			v.problems = append(v.problems, finding.Finding{Kind: SignatureInvalid, Object: s.found, Item: s.item,
				Detail: fmt.Sprintf("%v (signature from %s)", err, from)})
			s.sigState = sigFailed
			continue
		}
		s.sigState = sigVerified
		if s.metaSig != "" && vouch != "" && vouch != s.metaSig {
			v.problems = append(v.problems, finding.Finding{Kind: SignatureInvalid, Object: s.succ.found, Item: s.succ.item,
				Detail: fmt.Sprintf("its previousDigestSignature differs from the signature of its predecessor %s", s.found)})
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

type coverKey struct {
	bucket, root, org, account, region string
}

type span struct{ start, end time.Time }

// unlistedLogs reports CloudTrail logs, delivered inside a period the
// digests cover, that no digest lists.
func (v *verifier) unlistedLogs() {
	cover := map[coverKey][]span{}
	for _, s := range v.sums {
		if !s.ok || s.dup || s.loc.Backfill {
			continue
		}
		fl, ok := parseDigestName(s.found)
		if !ok {
			continue
		}
		k := coverKey{v.objs[s.obj].Bucket, fl.Root, fl.Org, fl.Account, fl.Region}
		cover[k] = append(cover[k], span{s.start, s.end})
	}
	for k, spans := range cover {
		sort.Slice(spans, func(i, j int) bool { return spans[i].start.Before(spans[j].start) })
		merged := spans[:1]
		for _, sp := range spans[1:] {
			last := &merged[len(merged)-1]
			if !sp.start.After(last.end.Add(continuityTolerance)) {
				if sp.end.After(last.end) {
					last.end = sp.end
				}
				continue
			}
			merged = append(merged, sp)
		}
		cover[k] = merged
	}
	uncovered := 0
	for i, o := range v.objs {
		if o.Kind != evidence.KindCloudTrail || v.listed[i].Load() {
			continue
		}
		loc, ok := parseLogName(o.Key)
		if !ok || !v.timeInRange(loc.Time) {
			continue
		}
		spans, ok := cover[coverKey{o.Bucket, loc.Root, loc.Org, loc.Account, loc.Region}]
		if !ok {
			continue
		}
		var in *span
		for j := range spans {
			if !loc.Time.Before(spans[j].start.Add(edgeMargin)) && !loc.Time.Add(edgeMargin).After(spans[j].end) {
				in = &spans[j]
				break
			}
		}
		if in == nil {
			uncovered++
			continue
		}
		v.problems = append(v.problems, finding.Finding{Kind: LogNotInDigest, Object: o.Key, Item: o.Item,
			Detail: fmt.Sprintf("written at %s, inside the period %s to %s that the digests cover; no digest lists it", ts(loc.Time), ts(in.start), ts(in.end))})
	}
	if uncovered > 0 {
		v.notices = append(v.notices, fmt.Sprintf("%s lie outside every period the digests cover (near a chain's ends or in a gap): they cannot be validated", pluralf(uncovered, "CloudTrail log")))
	}
}

func ts(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func pluralf(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
