package digest

import (
	"path"
	"strings"
	"time"
)

// digestStamp is the time format in digest file names.
const digestStamp = "20060102T150405Z"

// logStamp is the time format in CloudTrail log file names.
const logStamp = "20060102T1504Z"

// location is what an S3 key (or a local path) says about a CloudTrail
// file: everything is optional except what the file name itself holds.
type location struct {
	Root       string // whatever precedes "AWSLogs/" (the trail's prefix or local folders)
	Org        string // "o-…" for organization trails
	Account    string
	Region     string // delivering region
	Trail      string // digests only
	HomeRegion string // digests only
	Time       time.Time
	Backfill   bool
}

// parseDigestName reads a digest key or path:
// [P/]AWSLogs/[o-ORG/]A/CloudTrail-Digest/R/YYYY/MM/DD/A_CloudTrail-Digest_R_<trail>_<homeR>_YYYYMMDDTHHMMSSZ[_backfill].json.gz
// Only the file name is required. Trail names may contain '_', so the name
// is read from both ends.
func parseDigestName(key string) (location, bool) {
	var loc location
	name, ok := jsonBase(key)
	if !ok {
		return loc, false
	}
	name, loc.Backfill = strings.CutSuffix(name, "_backfill")
	acct, rest, ok := strings.Cut(name, "_CloudTrail-Digest_")
	if !ok || acct == "" {
		return loc, false
	}
	i := strings.LastIndexByte(rest, '_')
	if i < 0 {
		return loc, false
	}
	t, err := time.Parse(digestStamp, rest[i+1:])
	if err != nil {
		return loc, false
	}
	rest = rest[:i]
	// rest = R_<trail>_<homeR>; regions hold no '_'.
	region, rest, ok := strings.Cut(rest, "_")
	if !ok {
		return loc, false
	}
	j := strings.LastIndexByte(rest, '_')
	if j <= 0 || j == len(rest)-1 {
		return loc, false
	}
	loc.Account, loc.Region, loc.Trail, loc.HomeRegion, loc.Time = acct, region, rest[:j], rest[j+1:], t
	loc.Root, loc.Org = splitRoot(key, "CloudTrail-Digest")
	return loc, true
}

// parseLogName reads a CloudTrail log key or path:
// [P/]AWSLogs/[o-ORG/]A/CloudTrail/R/YYYY/MM/DD/A_CloudTrail_R_YYYYMMDDTHHmmZ_<rand>.json.gz
func parseLogName(key string) (location, bool) {
	var loc location
	name, ok := jsonBase(key)
	if !ok {
		return loc, false
	}
	acct, rest, ok := strings.Cut(name, "_CloudTrail_")
	if !ok || acct == "" {
		return loc, false
	}
	parts := strings.Split(rest, "_")
	if len(parts) < 3 {
		return loc, false
	}
	t, err := time.Parse(logStamp, parts[len(parts)-2])
	if err != nil {
		return loc, false
	}
	loc.Account, loc.Region, loc.Time = acct, strings.Join(parts[:len(parts)-2], "_"), t
	loc.Root, loc.Org = splitRoot(key, "CloudTrail")
	return loc, true
}

// jsonBase returns the file name of key without its ".json.gz" or ".json"
// extension; ok is false when it has neither.
func jsonBase(key string) (name string, ok bool) {
	base := path.Base(key)
	if name, ok = strings.CutSuffix(base, ".json.gz"); ok {
		return name, true
	}
	return strings.CutSuffix(base, ".json")
}

// splitRoot returns what precedes "AWSLogs/" in key and the organization
// id that may follow it, when the folder below is the expected one.
func splitRoot(key, folder string) (root, org string) {
	i := strings.LastIndex(key, "AWSLogs/")
	if i < 0 || (i > 0 && key[i-1] != '/') {
		return "", ""
	}
	root = key[:i]
	parts := strings.Split(key[i+len("AWSLogs/"):], "/")
	if len(parts) > 2 && strings.HasPrefix(parts[0], "o-") && parts[2] == folder {
		org = parts[0]
	}
	return root, org
}

// guessDigestKey returns key with its time stamp and date folders changed
// to t: the key a digest of the same chain ending at t would have.
func guessDigestKey(key string, t time.Time) string {
	dir, base := path.Split(key)
	loc, ok := parseDigestName(base)
	if !ok {
		return key
	}
	old := loc.Time.UTC().Format(digestStamp)
	base = strings.Replace(base, "_"+old, "_"+t.UTC().Format(digestStamp), 1)
	oldDay := loc.Time.UTC().Format("2006/01/02/")
	if strings.HasSuffix(dir, oldDay) {
		dir = strings.TrimSuffix(dir, oldDay) + t.UTC().Format("2006/01/02/")
	}
	return dir + base
}

// sameLocation reports whether an object found at found (in bucket, ""
// when unknown) is the S3 object bucket/key. With the bucket known the
// key must match exactly. A local copy matches when one path ends with
// the other on a '/' boundary and the shorter one still holds the
// AWSLogs/ layout, or is a bare file name.
func sameLocation(foundBucket, found, bucket, key string) bool {
	if foundBucket != "" {
		return foundBucket == bucket && found == key
	}
	if found == key {
		return true
	}
	short, long := found, key
	if len(short) > len(long) {
		short, long = long, short
	}
	if !suffixOnBoundary(long, short) {
		return false
	}
	return !strings.Contains(short, "/") || strings.HasPrefix(short, "AWSLogs/") || strings.Contains(short, "/AWSLogs/")
}

// suffixOnBoundary reports whether long ends with "/"+short.
func suffixOnBoundary(long, short string) bool {
	return len(long) > len(short) && strings.HasSuffix(long, short) && long[len(long)-len(short)-1] == '/'
}
