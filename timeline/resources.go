package timeline

import (
	"encoding/json"
	"strings"
)

// ctResource is one element of a CloudTrail record's resources[].
type ctResource struct {
	ARN ctName `json:"ARN"`
}

// ctParams are the names in a record's requestParameters that say what
// the call acted on, for the common services.
type ctParams struct {
	BucketName   ctName  `json:"bucketName"`   // S3
	Key          ctName  `json:"key"`          // S3
	InstanceID   ctName  `json:"instanceId"`   // EC2
	InstanceIDs  ctNames `json:"instanceIds"`  // EC2, SSM
	InstancesSet ctItems `json:"instancesSet"` // EC2 {"items":[{"instanceId":…}]}
	RoleName     ctName  `json:"roleName"`     // IAM
	UserName     ctName  `json:"userName"`     // IAM
	PolicyArn    ctName  `json:"policyArn"`    // IAM
	FunctionName ctName  `json:"functionName"` // Lambda: a name or an ARN
	SecretID     ctName  `json:"secretId"`     // Secrets Manager: a name or an ARN
	SnapshotID   ctName  `json:"snapshotId"`   // EC2, RDS
	GroupID      ctName  `json:"groupId"`      // EC2 security groups
}

// ctName is a string value; a value of another JSON type is ignored
// rather than failing the record.
type ctName string

func (n *ctName) UnmarshalJSON(d []byte) error {
	if len(d) < 2 || d[0] != '"' {
		return nil
	}
	if !strings.ContainsRune(string(d), '\\') {
		*n = ctName(d[1 : len(d)-1])
		return nil
	}
	var s string
	if json.Unmarshal(d, &s) == nil {
		*n = ctName(s)
	}
	return nil
}

// ctNames is a list of strings; other values are ignored.
type ctNames []string

func (n *ctNames) UnmarshalJSON(d []byte) error {
	var v []ctName
	if ctUnmarshal(d, &v) {
		for _, s := range v {
			*n = append(*n, string(s))
		}
	}
	return nil
}

// ctItems is EC2's {"items":[{"instanceId":…}]} list; other shapes are
// ignored.
type ctItems []string

func (n *ctItems) UnmarshalJSON(d []byte) error {
	if len(d) == 0 || d[0] != '{' {
		return nil
	}
	var v struct {
		Items []struct {
			InstanceID ctName `json:"instanceId"`
		} `json:"items"`
	}
	if ctUnmarshal(d, &v) {
		for _, it := range v.Items {
			*n = append(*n, string(it.InstanceID))
		}
	}
	return nil
}

// ctResources lists what a CloudTrail record acted on: the ARNs of
// resources[], then the names in requestParameters (S3 buckets and
// objects as ARNs), each once.
func ctResources(rs []ctResource, p *ctParams) []string {
	var out []string
	for _, r := range rs {
		out = addResource(out, string(r.ARN))
	}
	if p == nil {
		return out
	}
	if b := string(p.BucketName); b != "" {
		out = addResource(out, "arn:aws:s3:::"+b)
		if p.Key != "" {
			out = addResource(out, "arn:aws:s3:::"+b+"/"+string(p.Key))
		}
	}
	out = addResource(out, string(p.InstanceID))
	for _, s := range p.InstanceIDs {
		out = addResource(out, s)
	}
	for _, s := range p.InstancesSet {
		out = addResource(out, s)
	}
	for _, s := range [...]ctName{p.RoleName, p.UserName, p.PolicyArn, p.FunctionName, p.SecretID, p.SnapshotID, p.GroupID} {
		out = addResource(out, string(s))
	}
	return out
}

// addResource appends r unless it is empty or already listed.
func addResource(rs []string, r string) []string {
	r = strings.TrimSpace(r)
	if r == "" || r == "-" {
		return rs
	}
	for _, have := range rs {
		if have == r {
			return rs
		}
	}
	return append(rs, r)
}

// s3Resources names an S3 bucket and, when given, an object in it.
func s3Resources(bucket, key string) []string {
	if bucket == "" {
		return nil
	}
	rs := []string{"arn:aws:s3:::" + bucket}
	if key != "" {
		rs = append(rs, "arn:aws:s3:::"+bucket+"/"+key)
	}
	return rs
}

// resourceTerms returns the values under which a resource is indexed
// (lower case, with the TermResource prefix): what a responder pivots on
// and is shared by many events. That is the resource itself and, for an
// ARN, its name (the last part) and, for an IAM ARN with a path, the ARN
// without the path (arn:aws:iam::1:role/service-role/X is also
// arn:aws:iam::1:role/X). An S3 bucket or object is indexed under the
// bucket's name only: nearly every object key is unique, and a query for
// an S3 ARN or object reads the bucket's events and keeps those that have
// it (s3Term, resourceKeys).
func resourceTerms(r string, add func(string)) { resourceKeys(r, false, add) }

// resourceKeys calls add with the values a resource is known by, as
// resourceTerms; with all set also an S3 bucket's or object's ARN and an
// object's bucket/key (what a query's resource prefix is compared with).
func resourceKeys(r string, all bool, add func(string)) {
	resourceNames(r, all, func(n string) bool {
		add(lowerTerm(TermResource, n))
		return true
	})
}

// resourceNames calls yield with the names resourceKeys makes its terms
// of, as they are in r (not lower case, without the prefix), until yield
// returns false; it reports whether none did.
func resourceNames(r string, all bool, yield func(string) bool) bool {
	a, ok := splitARN(r)
	if !ok {
		return yield(r)
	}
	res := a.resource
	if a.service == "s3" {
		bucket, _, isObject := strings.Cut(res, "/")
		if all {
			if !yield(r) || isObject && !yield(res) {
				return false
			}
		}
		return yield(bucket)
	}
	if !yield(r) {
		return false
	}
	name := res[strings.LastIndexAny(res, "/:")+1:]
	if name != "" && name != res && !yield(name) {
		return false
	}
	if a.service == "iam" {
		if i, j := strings.IndexByte(res, '/'), strings.LastIndexByte(res, '/'); i >= 0 && j > i {
			return yield(r[:len(r)-len(res)] + res[:i+1] + name)
		}
	}
	return true
}

// arnParts are the parts of an ARN that resource terms use.
type arnParts struct{ service, resource string }

// splitARN cuts "arn:partition:service:region:account:resource" (the
// resource may hold further colons) without allocating; ok is false for
// anything else or an empty resource.
func splitARN(r string) (a arnParts, ok bool) {
	rest, found := strings.CutPrefix(r, "arn:")
	if !found {
		return a, false
	}
	var parts [4]string // partition, service, region, account
	for i := range parts {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return a, false
		}
		parts[i], rest = rest[:j], rest[j+1:]
	}
	if rest == "" {
		return a, false
	}
	return arnParts{service: parts[1], resource: rest}, true
}

// s3Terms returns what a resource prefix (with the TermResource prefix,
// lower case) is looked up under: the prefix of the terms to list (an S3
// ARN's is that of its bucket name, r:arn:aws:s3:::lo is listed as r:lo)
// and, for an S3 object (an S3 ARN or a name with a "/"), the term of
// its bucket (r:arn:aws:s3:::logs/a/ and r:logs/a/ are under r:logs).
func s3Terms(prefix string) (list, bucket string) {
	list = prefix
	v := strings.TrimPrefix(prefix, TermResource)
	if parts := strings.SplitN(v, ":", 6); len(parts) == 6 && parts[0] == "arn" && parts[2] == "s3" {
		v = parts[5]
		list = TermResource + v
	} else if strings.HasPrefix(v, "arn:") {
		return list, ""
	}
	if i := strings.IndexByte(v, '/'); i > 0 {
		bucket = TermResource + v[:i]
	}
	return list, bucket
}
