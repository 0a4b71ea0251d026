package report

import (
	"crypto/sha256"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/safe"
)

// Manifest describes the manifest CSV written beside the report: the full
// list of evidence items, one row each.
type Manifest struct {
	File   string          `json:"file"`
	Rows   int             `json:"rows"`
	Bytes  int64           `json:"bytes"`
	SHA256 evidence.SHA256 `json:"sha256"`
}

// MaxListed is how many evidence items the report lists one by one; past
// it the report sums items up per source prefix and kind, and the manifest
// CSV lists them all.
const MaxListed = 200

// manifestHeader names the manifest's columns.
var manifestHeader = []string{"id", "evidence number", "path", "source URI", "S3 URI", "size", "SHA-256", "kind",
	"S3 version id", "ETag", "lock mode", "retain-until", "legal hold", "flags"}

// WriteManifest writes every evidence item as one CSV row and returns the
// manifest's row count, size and SHA-256 (File is left for the caller to
// name). Text cells go through safe.CSV, so no cell starts a formula.
func (r *Report) WriteManifest(w io.Writer) (Manifest, error) {
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(w, h)}
	c := csv.NewWriter(cw)
	if err := c.Write(manifestHeader); err != nil {
		return Manifest{}, fmt.Errorf("write manifest: %w", err)
	}
	for _, e := range r.Evidence {
		var mode, until, hold string
		if e.S3 != nil {
			mode, hold = e.S3.LockMode, e.S3.LegalHold
			if !e.S3.RetainUntil.IsZero() {
				until = evidence.FormatTime(e.S3.RetainUntil)
			}
		}
		row := []string{strconv.FormatUint(e.ID, 10), safe.CSV(e.EvidenceNumber), safe.CSV(e.Path), safe.CSV(e.Source), safe.CSV(e.S3URI),
			strconv.FormatInt(e.Size, 10), e.SHA256.String(), safe.CSV(e.Kind), safe.CSV(e.VersionID), safe.CSV(e.ETag),
			safe.CSV(mode), until, safe.CSV(hold), safe.CSV(strings.Join(e.Flags, " "))}
		if err := c.Write(row); err != nil {
			return Manifest{}, fmt.Errorf("write manifest: %w", err)
		}
	}
	c.Flush()
	if err := c.Error(); err != nil {
		return Manifest{}, fmt.Errorf("write manifest: %w", err)
	}
	m := Manifest{Rows: len(r.Evidence), Bytes: cw.n}
	copy(m.SHA256[:], h.Sum(nil))
	return m, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// itemGroup sums up the evidence items of one source prefix and kind.
type itemGroup struct {
	Prefix, Kind   string
	Files          int
	Bytes          int64
	First, Last    time.Time // acquisition times
	EvidenceNumber string    // the numbers of the acquisitions, joined
}

// maxGroups bounds the summary table; the rest is one "other" row.
const maxGroups = 150

// groupItems sums items up per source prefix (the source root and the
// first four folders of the path: AWSLogs/account/service/region) and kind.
func groupItems(items []Evidence) []itemGroup {
	idx := map[[2]string]*itemGroup{}
	nums := map[*itemGroup]map[string]bool{}
	var out []*itemGroup
	for _, e := range items {
		key := [2]string{prefixOf(e), e.Kind}
		if len(out) >= maxGroups && idx[key] == nil {
			key = [2]string{"(other prefixes)", "(several)"}
		}
		g := idx[key]
		if g == nil {
			g = &itemGroup{Prefix: key[0], Kind: key[1]}
			idx[key] = g
			nums[g] = map[string]bool{}
			out = append(out, g)
		}
		g.Files++
		g.Bytes += e.Size
		if g.First.IsZero() || e.AcquiredStart.Before(g.First) {
			g.First = e.AcquiredStart
		}
		if e.AcquiredEnd.After(g.Last) {
			g.Last = e.AcquiredEnd
		}
		nums[g][e.EvidenceNumber] = true
	}
	res := make([]itemGroup, len(out))
	for i, g := range out {
		var ns []string
		for n := range nums[g] {
			ns = append(ns, orDash(n))
		}
		sort.Strings(ns)
		g.EvidenceNumber = strings.Join(ns, ", ")
		res[i] = *g
	}
	sort.SliceStable(res, func(i, j int) bool {
		if res[i].Prefix != res[j].Prefix {
			return res[i].Prefix < res[j].Prefix
		}
		return res[i].Kind < res[j].Kind
	})
	return res
}

func prefixOf(e Evidence) string {
	root, path := strings.TrimSuffix(e.Root, "/")+" : ", e.Path
	if e.S3 != nil && e.S3.Bucket != "" {
		root, path = "s3://"+e.S3.Bucket+"/", e.S3.Key
	}
	parts := strings.Split(path, "/")
	if len(parts) > 5 {
		parts = parts[:5]
	}
	parts = parts[:len(parts)-1] // the folders, not the file
	p := strings.Join(parts, "/")
	if p != "" {
		p += "/"
	}
	return root + p
}
