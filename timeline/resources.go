package timeline

import (
	"bytes"
	"encoding/json"
	"strings"
)

// ctResource is one element of a CloudTrail record's resources[].
type ctResource struct {
	ARN ctName `json:"ARN"`
}

// ctResourceList is a record's resources[], read by ctReadResources
// without decoding. Another value than an array, and an element that is
// not an object, is ignored rather than failing the record (as a value
// of another type in a ctName).
type ctResourceList []ctResource

func (l *ctResourceList) UnmarshalJSON(d []byte) error {
	*l = ctReadResources(d)
	return nil
}

// ctParams are the names in a record's requestParameters that say what
// the call acted on, for the common services. They are read by scanning
// the object (ctParams.UnmarshalJSON); each member is decoded as a field
// of its type would be.
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

// ctParamsFields is ctParams without its UnmarshalJSON method.
type ctParamsFields ctParams

// UnmarshalJSON reads requestParameters: an object's members are
// matched to the fields by name as encoding/json matches them (ASCII
// case folded; a repeated member decoded again) and only those members
// are decoded; an object with an escaped or non-ASCII member name is
// decoded as a plain struct. null, or a value of another type, gives no
// names (it used to fail the record's decoding with a type error).
func (p *ctParams) UnmarshalJSON(d []byte) error {
	switch i := jsonSpace(d, 0); {
	case i < len(d) && d[i] == '{':
		ids, items := len(p.InstanceIDs), len(p.InstancesSet)
		if !ctEachMember(d, p.set) {
			// Decoded again as a whole: the names already set are set
			// again, the lists are appended to again.
			p.InstanceIDs, p.InstancesSet = p.InstanceIDs[:ids], p.InstancesSet[:items]
			ctDecodeAs(d, (*ctParamsFields)(p))
		}
	default:
		*p = ctParams{} // null, or a value of another type: no names
	}
	return nil
}

// ctDecodeAs decodes d into v as the record's decoder would: with
// goccy/go-json, and with encoding/json when that fails (keeping what
// did decode).
func ctDecodeAs[T any](d []byte, v *T) {
	w := *v
	if ctUnmarshal(d, &w) {
		*v = w
		return
	}
	_ = json.Unmarshal(d, v)
}

// set decodes the member key (ASCII case folded) into its field, if it
// is one of them.
func (p *ctParams) set(key, val []byte) bool {
	var f *ctName
	switch len(key) {
	case 3:
		if ctFold(key, "key") {
			f = &p.Key
		}
	case 7:
		if ctFold(key, "groupId") {
			f = &p.GroupID
		}
	case 8:
		switch {
		case ctFold(key, "roleName"):
			f = &p.RoleName
		case ctFold(key, "userName"):
			f = &p.UserName
		case ctFold(key, "secretId"):
			f = &p.SecretID
		}
	case 9:
		if ctFold(key, "policyArn") {
			f = &p.PolicyArn
		}
	case 10:
		switch {
		case ctFold(key, "bucketName"):
			f = &p.BucketName
		case ctFold(key, "instanceId"):
			f = &p.InstanceID
		case ctFold(key, "snapshotId"):
			f = &p.SnapshotID
		}
	case 11:
		if ctFold(key, "instanceIds") {
			_ = p.InstanceIDs.UnmarshalJSON(val)
		}
	case 12:
		switch {
		case ctFold(key, "instancesSet"):
			_ = p.InstancesSet.UnmarshalJSON(val)
		case ctFold(key, "functionName"):
			f = &p.FunctionName
		}
	}
	if f != nil {
		_ = f.UnmarshalJSON(val)
	}
	return true
}

// ctFold reports key equal to name, ASCII case folded (key is ASCII).
func ctFold(key []byte, name string) bool {
	if len(key) != len(name) {
		return false
	}
	for i := range len(key) {
		if key[i]|0x20 != name[i]|0x20 {
			return false
		}
	}
	return true
}

// ctReadResources reads resources[] d: the elements that are objects,
// an element with an escaped or non-ASCII member name decoded. null or
// another value than an array gives none.
func ctReadResources(d []byte) ctResourceList {
	var rs ctResourceList
	ok := ctEachElement(d, func(el []byte) bool {
		if el[0] != '{' {
			return true
		}
		var arn ctName
		if !ctEachMember(el, func(key, val []byte) bool {
			if ctFold(key, "arn") {
				_ = arn.UnmarshalJSON(val)
			}
			return true
		}) {
			arn = ctDecodeResource(el).ARN
		}
		rs = append(rs, ctResource{ARN: arn})
		return true
	})
	if !ok {
		return nil
	}
	return rs
}

// ctDecodeResource decodes an element of resources[].
func ctDecodeResource(d []byte) ctResource {
	var r ctResource
	ctDecodeAs(d, &r)
	return r
}

// ctReadItems reads EC2's {"items":[{"instanceId":…}]}: the instance
// ids, "" for an item without one, as ctItems decodes them; ok is false
// for another shape.
func ctReadItems(d []byte) (ids []string, ok bool) {
	ok = ctEachMember(d, func(key, val []byte) bool {
		if !ctFold(key, "items") {
			return true
		}
		ids = ids[:0]
		if ctIsNull(val) {
			return true
		}
		return ctEachElement(val, func(el []byte) bool {
			var id ctName
			if !ctEachMember(el, func(key, val []byte) bool {
				if ctFold(key, "instanceId") {
					_ = id.UnmarshalJSON(val)
				}
				return true
			}) {
				return false
			}
			ids = append(ids, string(id))
			return true
		})
	})
	return ids, ok
}

// ctIsNull reports the JSON null (with white space around it).
func ctIsNull(d []byte) bool { return string(bytes.TrimSpace(d)) == "null" }

// ctEachElement calls fn with each element of the JSON array d (all of
// d); ok is false when d is not an array or fn returns false.
func ctEachElement(d []byte, fn func(el []byte) bool) bool {
	i := jsonSpace(d, 0)
	if i >= len(d) || d[i] != '[' {
		return false
	}
	i = jsonSpace(d, i+1)
	if i < len(d) && d[i] == ']' {
		return jsonSpace(d, i+1) == len(d)
	}
	for {
		end := jsonValueEnd(d, i)
		if end < 0 || !fn(d[i:end]) {
			return false
		}
		i = jsonSpace(d, end)
		if i >= len(d) {
			return false
		}
		switch d[i] {
		case ',':
			i = jsonSpace(d, i+1)
		case ']':
			return jsonSpace(d, i+1) == len(d)
		default:
			return false
		}
	}
}

// ctEachMember calls fn with the name and value of each member of the
// JSON object d (all of d); ok is false when d is not an object, a name
// is escaped or not ASCII, or fn returns false.
func ctEachMember(d []byte, fn func(key, val []byte) bool) bool {
	i := jsonSpace(d, 0)
	if i >= len(d) || d[i] != '{' {
		return false
	}
	i = jsonSpace(d, i+1)
	if i < len(d) && d[i] == '}' {
		return jsonSpace(d, i+1) == len(d)
	}
	for {
		if i >= len(d) || d[i] != '"' {
			return false
		}
		k := i + 1
		for i = k; i < len(d) && d[i] != '"'; i++ {
			if c := d[i]; c == '\\' || c >= 0x80 || c < 0x20 {
				return false
			}
		}
		if i >= len(d) {
			return false
		}
		key := d[k:i]
		i = jsonSpace(d, i+1)
		if i >= len(d) || d[i] != ':' {
			return false
		}
		i = jsonSpace(d, i+1)
		end := jsonValueEnd(d, i)
		if end < 0 || !fn(key, d[i:end]) {
			return false
		}
		i = jsonSpace(d, end)
		if i >= len(d) {
			return false
		}
		switch d[i] {
		case ',':
			i = jsonSpace(d, i+1)
		case '}':
			return jsonSpace(d, i+1) == len(d)
		default:
			return false
		}
	}
}

// jsonSpace returns the index of the first byte from i that is not JSON
// white space.
func jsonSpace(d []byte, i int) int {
	for i < len(d) && (d[i] == ' ' || d[i] == '\n' || d[i] == '\r' || d[i] == '\t') {
		i++
	}
	return i
}

// jsonValueEnd returns where the JSON value at d[i] ends, or -1 when it
// is cut short or does not start like a value. Brackets are matched by
// kind; the value's insides are otherwise not checked (the record's
// decoder has).
func jsonValueEnd(d []byte, i int) int {
	if i >= len(d) {
		return -1
	}
	switch d[i] {
	case '"':
		return jsonStringEnd(d, i)
	case '{', '[':
		var stack [32]byte
		open := stack[:0]
		for i < len(d) {
			switch c := d[i]; c {
			case '"':
				if i = jsonStringEnd(d, i); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				open = append(open, c+2) // '}' and ']'
			case '}', ']':
				if len(open) == 0 || open[len(open)-1] != c {
					return -1
				}
				if open = open[:len(open)-1]; len(open) == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	}
	j := i
	for j < len(d) {
		c := d[j]
		if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '"' || c == '{' || c == '[' || c == ':' {
			break
		}
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// jsonStringEnd returns the index after the string starting at d[i]
// ('"'), or -1.
func jsonStringEnd(d []byte, i int) int {
	for i++; i < len(d); i++ {
		switch d[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
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
	if j := jsonSpace(d, 0); j < len(d) && d[j] == '[' {
		// Each element as a ctName: "" for a value of another type.
		var list []string
		if ctEachElement(d, func(el []byte) bool {
			var s ctName
			_ = s.UnmarshalJSON(el)
			list = append(list, string(s))
			return true
		}) {
			*n = append(*n, list...)
			return nil
		}
	}
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
	if ids, ok := ctReadItems(d); ok {
		if *n == nil {
			*n = ids
		} else {
			*n = append(*n, ids...)
		}
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
	if len(rs) == 0 && (p == nil || p.empty()) {
		return nil
	}
	out := make([]string, 0, len(rs)+3)
	for _, r := range rs {
		out = addResource(out, string(r.ARN))
	}
	if p == nil {
		p = &ctParams{}
	}
	if b := string(p.BucketName); b != "" {
		if p.Key != "" {
			// One string for the object's ARN and, its prefix, the bucket's.
			obj := "arn:aws:s3:::" + b + "/" + string(p.Key)
			out = addResource(out, obj[:len("arn:aws:s3:::")+len(b)])
			out = addResource(out, obj)
		} else {
			out = addResource(out, "arn:aws:s3:::"+b)
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
	if len(out) == 0 {
		return nil
	}
	return out
}

// empty reports no name given.
func (p *ctParams) empty() bool {
	return p.BucketName == "" && p.InstanceID == "" && len(p.InstanceIDs) == 0 && len(p.InstancesSet) == 0 &&
		p.RoleName == "" && p.UserName == "" && p.PolicyArn == "" && p.FunctionName == "" && p.SecretID == "" && p.SnapshotID == "" && p.GroupID == ""
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
	a, ok := splitARN(r)
	if !ok {
		add(lowerTerm(TermResource, r))
		return
	}
	res := a.resource
	if a.service == "s3" {
		bucket, _, isObject := strings.Cut(res, "/")
		if all {
			add(lowerTerm(TermResource, r))
			if isObject {
				add(lowerTerm(TermResource, res))
			}
		}
		add(lowerTerm(TermResource, bucket))
		return
	}
	add(lowerTerm(TermResource, r))
	name := res[strings.LastIndexAny(res, "/:")+1:]
	if name != "" && name != res {
		add(lowerTerm(TermResource, name))
	}
	if a.service == "iam" {
		if i, j := strings.IndexByte(res, '/'), strings.LastIndexByte(res, '/'); i >= 0 && j > i {
			add(lowerTerm(TermResource, r[:len(r)-len(res)]+res[:i+1]+name))
		}
	}
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
