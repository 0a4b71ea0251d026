package digest

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/trailcase/trailcase/evidence"
)

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
				v.add(problem(DigestInvalid, o.Key, o.Item, "cannot read the digest: "+err.Error()))
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
		v.add(problem(TrailingData, o.Key, o.Item, trailingDetail(c)))
	}
	if s.ok && !sameLocation(o.Bucket, o.Key, s.bucket, s.object) {
		where := o.Key
		if o.Bucket != "" {
			where = "s3://" + o.Bucket + "/" + o.Key
		}
		v.add(problem(DigestMoved, o.Key, o.Item, fmt.Sprintf("found at %s; it says it was delivered to s3://%s/%s", where, s.bucket, s.object)))
	}
	for _, e := range queued {
		cands := v.candidates(e.Key)
		for _, k := range cands {
			v.listed[k].Store(true)
		}
		if len(cands) == 0 {
			v.add(problem(LogMissing, e.Key, 0, fmt.Sprintf("listed in digest %s; not in the evidence", o.Key)))
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
	var c content
	if keep == nil {
		c, err = h.hash(rc, nil, limit)
	} else {
		c, err = h.hash(rc, keep, limit)
	}
	v.opts.Progress.Advance(evidence.PhaseDigest, c.Size)
	v.opts.Progress.End(evidence.PhaseDigest)
	return c, err
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
			v.add(problem(LogHashMismatch, o.Key, o.Item, fmt.Sprintf("cannot be hashed: %v (listed in digest %s)", err, j.d.found)))
			continue
		}
		v.logsChecked.Add(1)
		if !c.Gzip && strings.HasSuffix(o.Key, ".gz") {
			v.notice("%s: log is not gzip-compressed under its .gz name (probably decompressed by a download tool; aws-cli fails it as invalid format); its JSON was hashed as found", o.Key)
		}
		if c.Trailing > 0 {
			v.add(problem(TrailingData, o.Key, o.Item, trailingDetail(c)))
		}
		if !j.entry.SumOK {
			continue // reported as DIGEST_INVALID
		}
		if c.Sum != j.entry.Sum {
			v.add(problem(LogHashMismatch, o.Key, o.Item, fmt.Sprintf("SHA-256 %x; digest %s records %x", c.Sum, j.d.found, j.entry.Sum)))
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
