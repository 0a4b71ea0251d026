package timeline

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// ctFast reads the fields of ctRecord from one record in a single pass,
// validating the JSON as it goes and skipping the large nested values the
// timeline does not need (requestParameters, resources, …) without
// decoding them. encoding/json validated and decoded every record in full
// and dominated CloudTrail ingest.
//
// It returns false for anything outside the common shape (invalid JSON, a
// field of an unexpected type, keys that differ only in case, escaped
// keys, deep nesting); the caller then decodes with encoding/json, which
// gives the precise warning.
func ctFast(raw []byte, r *ctRecord) bool {
	w := walker{b: raw}
	w.ws()
	return w.ctFields(r) && w.end()
}

// ctFields reads one record object into r, leaving w just past it.
func (w *walker) ctFields(r *ctRecord) bool {
	return w.fields(func(key []byte) bool { return ctField(w, key, r) })
}

// ctField reads the value of one top-level member.
func ctField(w *walker, key []byte, r *ctRecord) bool {
	var dst *string
	switch string(key) {
	case "eventTime":
		dst = &r.EventTime
	case "eventSource":
		dst = &r.EventSource
	case "eventName":
		dst = &r.EventName
	case "awsRegion":
		dst = &r.AWSRegion
	case "sourceIPAddress":
		dst = &r.SourceIPAddress
	case "userAgent":
		dst = &r.UserAgent
	case "errorCode":
		dst = &r.ErrorCode
	case "eventID":
		dst = &r.EventID
	case "eventType":
		dst = &r.EventType
	case "recipientAccountId":
		dst = &r.RecipientAccountID
	case "userIdentity":
		// A repeated key fills the same value, as encoding/json does.
		return ptrFields(w, &r.UserIdentity, func(id *ctIdentity, key []byte) bool { return ctIdentityField(w, id, key) })
	case "insightDetails":
		return w.object(func(span []byte) bool {
			if r.InsightDetails == nil {
				r.InsightDetails = new(ctInsight)
			}
			return json.Unmarshal(span, r.InsightDetails) == nil
		}, func() { r.InsightDetails = nil })
	case "CloudTrailEvent":
		if w.null() {
			r.CloudTrailEvent = nil
			return true
		}
		s, ok := w.str()
		if ok {
			r.CloudTrailEvent = &s
		}
		return ok
	case "digestStartTime":
		start := w.i
		if !w.value(0) {
			return false
		}
		r.DigestStartTime = json.RawMessage(bytes.Clone(w.b[start:w.i]))
		return true
	default:
		if foldsAny(key, ctKeys) {
			return false // encoding/json would match it case-insensitively
		}
		return w.value(0)
	}
	return w.strInto(dst)
}

// ctKeys are the top-level names ctRecord decodes.
var ctKeys = newCTNameSet("eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent",
	"errorCode", "eventID", "eventType", "recipientAccountId", "userIdentity", "insightDetails",
	"CloudTrailEvent", "digestStartTime")

// The names ctIdentity decodes, level by level.
var (
	ctIdentityKeys = newCTNameSet("type", "principalId", "arn", "accountId", "accessKeyId", "userName",
		"invokedBy", "identityProvider", "onBehalfOf", "sessionContext")
	ctOnBehalfOfKeys = newCTNameSet("userId")
	ctSessionKeys    = newCTNameSet("sessionIssuer")
	ctIssuerKeys     = newCTNameSet("arn", "userName")
)

// The nested parts of ctIdentity.
type (
	ctOnBehalfOf = struct {
		UserID string `json:"userId"`
	}
	ctSessionIssuer = struct {
		ARN      string `json:"arn"`
		UserName string `json:"userName"`
	}
	ctSessionContext = struct {
		SessionIssuer *ctSessionIssuer `json:"sessionIssuer"`
	}
)

// ctNameSet is a list of ASCII field names.
type ctNameSet struct {
	names []string
	lens  uint64 // bit n: a name is n bytes long (n < 64)
}

func newCTNameSet(names ...string) ctNameSet {
	k := ctNameSet{names: names}
	for _, n := range names {
		k.lens |= 1 << len(n)
	}
	return k
}

// foldsAny reports whether key equals one of the names under Unicode case
// folding, the way encoding/json matches a key that is not an exact field
// name.
func foldsAny(key []byte, set ctNameSet) bool {
	ascii := true
	for _, c := range key {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	// ASCII text folds only to text of the same length.
	if ascii && (len(key) >= 64 || set.lens&(1<<len(key)) == 0) {
		return false
	}
	for _, k := range set.names {
		if ascii && len(k) != len(key) {
			continue
		}
		if strings.EqualFold(k, string(key)) {
			return true
		}
	}
	return false
}

// ctIdentityField reads one member of a userIdentity object into id,
// which may hold the values of an earlier userIdentity key. Like ctFast it
// returns false for anything encoding/json might read differently.
func ctIdentityField(w *walker, id *ctIdentity, key []byte) bool {
	var dst *string
	switch string(key) {
	case "type":
		dst = &id.Type
	case "principalId":
		dst = &id.PrincipalID
	case "arn":
		dst = &id.ARN
	case "accountId":
		dst = &id.AccountID
	case "accessKeyId":
		dst = &id.AccessKeyID
	case "userName":
		dst = &id.UserName
	case "invokedBy":
		dst = &id.InvokedBy
	case "identityProvider":
		dst = &id.IdentityProvider
	case "onBehalfOf":
		return ptrFields(w, &id.OnBehalfOf, func(ob *ctOnBehalfOf, key []byte) bool {
			if string(key) == "userId" {
				return w.strInto(&ob.UserID)
			}
			return !foldsAny(key, ctOnBehalfOfKeys) && w.value(2)
		})
	case "sessionContext":
		return ptrFields(w, &id.SessionContext, func(sc *ctSessionContext, key []byte) bool {
			if string(key) != "sessionIssuer" {
				return !foldsAny(key, ctSessionKeys) && w.value(2)
			}
			return ptrFields(w, &sc.SessionIssuer, func(si *ctSessionIssuer, key []byte) bool {
				switch string(key) {
				case "arn":
					return w.strInto(&si.ARN)
				case "userName":
					return w.strInto(&si.UserName)
				}
				return !foldsAny(key, ctIssuerKeys) && w.value(3)
			})
		})
	default:
		return !foldsAny(key, ctIdentityKeys) && w.value(1)
	}
	return w.strInto(dst)
}

// walker is a validating JSON reader over one value.
type walker struct {
	b []byte
	i int
}

// maxDepth bounds nesting; deeper values go to encoding/json.
const maxDepth = 512

func (w *walker) ws() {
	for w.i < len(w.b) {
		switch w.b[w.i] {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return
		}
	}
}

func (w *walker) eat(c byte) bool {
	if w.i < len(w.b) && w.b[w.i] == c {
		w.i++
		return true
	}
	return false
}

func (w *walker) end() bool {
	w.ws()
	return w.i == len(w.b)
}

func (w *walker) null() bool {
	if bytes.HasPrefix(w.b[w.i:], []byte("null")) {
		w.i += 4
		return true
	}
	return false
}

// fields reads an object, calling f for each member with w at its value
// (after white space); f must read the value.
func (w *walker) fields(f func(key []byte) bool) bool {
	if !w.eat('{') {
		return false
	}
	w.ws()
	if w.eat('}') {
		return true
	}
	for {
		w.ws()
		key, ok := w.key()
		if !ok {
			return false
		}
		w.ws()
		if !w.eat(':') {
			return false
		}
		w.ws()
		if !f(key) {
			return false
		}
		w.ws()
		if w.eat(',') {
			continue
		}
		return w.eat('}')
	}
}

// strInto reads a string value into dst. A null leaves dst as it is, as
// encoding/json does.
func (w *walker) strInto(dst *string) bool {
	if w.null() {
		return true
	}
	s, ok := w.str()
	if ok {
		*dst = s
	}
	return ok
}

// key reads an object key without escapes.
func (w *walker) key() ([]byte, bool) {
	if !w.eat('"') {
		return nil, false
	}
	start := w.i
	for w.i < len(w.b) {
		c := w.b[w.i]
		switch {
		case c == '"':
			k := w.b[start:w.i]
			w.i++
			return k, true
		case c == '\\' || c < 0x20:
			return nil, false
		}
		w.i++
	}
	return nil, false
}

// skipString validates a string, the opening quote already read. It
// reports whether the string holds escapes or bytes beyond ASCII.
func (w *walker) skipString() (escaped, ascii, ok bool) {
	b := w.b
	i := w.i
	var or byte
	for i < len(b) {
		c := b[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			or |= c
			i++
			continue
		}
		switch c {
		case '"':
			w.i = i + 1
			return escaped, or < utf8.RuneSelf, true
		case '\\':
			escaped = true
			if i+1 >= len(b) {
				return false, false, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return false, false, false
				}
				for _, h := range b[i+2 : i+6] {
					if !isHex(h) {
						return false, false, false
					}
				}
				i += 6
			default:
				return false, false, false
			}
		default: // a control byte
			return false, false, false
		}
	}
	return false, false, false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// str reads a string value.
func (w *walker) str() (string, bool) {
	start := w.i
	if !w.eat('"') {
		return "", false
	}
	escaped, ascii, ok := w.skipString()
	if !ok {
		return "", false
	}
	if !escaped && (ascii || utf8.Valid(w.b[start+1:w.i-1])) {
		return string(w.b[start+1 : w.i-1]), true
	}
	var s string
	if json.Unmarshal(w.b[start:w.i], &s) != nil {
		return "", false
	}
	return s, true
}

// object reads an object value (handing its bytes to decode) or null.
func (w *walker) object(decode func([]byte) bool, setNull func()) bool {
	if w.null() {
		setNull()
		return true
	}
	if w.i >= len(w.b) || w.b[w.i] != '{' {
		return false
	}
	start := w.i
	if !w.value(0) {
		return false
	}
	return decode(w.b[start:w.i])
}

// value validates and skips any JSON value.
func (w *walker) value(depth int) bool {
	if depth > maxDepth || w.i >= len(w.b) {
		return false
	}
	switch c := w.b[w.i]; {
	case c == '"':
		w.i++
		_, _, ok := w.skipString()
		return ok
	case c == '{':
		w.i++
		w.ws()
		if w.eat('}') {
			return true
		}
		for {
			w.ws()
			if !w.eat('"') {
				return false
			}
			if _, _, ok := w.skipString(); !ok {
				return false
			}
			w.ws()
			if !w.eat(':') {
				return false
			}
			w.ws()
			if !w.value(depth + 1) {
				return false
			}
			w.ws()
			if w.eat(',') {
				continue
			}
			return w.eat('}')
		}
	case c == '[':
		w.i++
		w.ws()
		if w.eat(']') {
			return true
		}
		for {
			w.ws()
			if !w.value(depth + 1) {
				return false
			}
			w.ws()
			if w.eat(',') {
				continue
			}
			return w.eat(']')
		}
	case c == 't':
		return w.literal("true")
	case c == 'f':
		return w.literal("false")
	case c == 'n':
		return w.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return w.number()
	}
	return false
}

func (w *walker) literal(s string) bool {
	if bytes.HasPrefix(w.b[w.i:], []byte(s)) {
		w.i += len(s)
		return true
	}
	return false
}

// number validates a JSON number.
func (w *walker) number() bool {
	w.eat('-')
	switch {
	case w.eat('0'):
	case w.i < len(w.b) && '1' <= w.b[w.i] && w.b[w.i] <= '9':
		w.digits()
	default:
		return false
	}
	if w.eat('.') {
		if !w.digits() {
			return false
		}
	}
	if w.i < len(w.b) && (w.b[w.i] == 'e' || w.b[w.i] == 'E') {
		w.i++
		if !w.eat('+') {
			w.eat('-')
		}
		if !w.digits() {
			return false
		}
	}
	return true
}

func (w *walker) digits() bool {
	start := w.i
	for w.i < len(w.b) && '0' <= w.b[w.i] && w.b[w.i] <= '9' {
		w.i++
	}
	return w.i > start
}

// ctDetailFast reads the fields of ctDetail from one record in a single
// pass, as json.Unmarshal(raw, d) would fill a zero d. Like ctFast it
// returns false for anything outside the common shape (invalid JSON, a
// decoded field of an unexpected type, keys that differ only in case,
// escaped keys); d may then be partly filled and the caller decodes again
// with encoding/json.
func ctDetailFast(raw []byte, d *ctDetail) bool {
	w := walker{b: raw}
	w.ws()
	ok := w.fields(func(key []byte) bool {
		switch string(key) {
		case "requestParameters":
			// A null leaves a struct as it is; a repeated key merges.
			return w.null() || ctRequestFast(&w, &d.RequestParameters)
		case "responseElements":
			return w.null() || ctResponseFast(&w, &d.ResponseElements)
		}
		return !foldsAny(key, ctDetailKeys) && w.value(1)
	})
	return ok && w.end()
}

// The names ctDetail decodes, level by level.
var (
	ctDetailKeys    = newCTNameSet("requestParameters", "responseElements")
	ctRequestKeys   = newCTNameSet("enableLogFileValidation", "attributes", "loadBalancerAttributes", "bucketName", "name", "key")
	ctAttributeKeys = newCTNameSet("key", "value")
	ctLBAttrKeys    = newCTNameSet("accessLog")
	ctAccessLogKeys = newCTNameSet("enabled")
	ctResponseKeys  = newCTNameSet("credentials", "assumedRoleUser", "federatedUser", "ConsoleLogin")
	ctCredKeys      = newCTNameSet("accessKeyId")
	ctARNKeys       = newCTNameSet("arn")
)

// The nested parts of ctDetail.
type (
	ctRequest = struct {
		EnableLogFileValidation *flexBool     `json:"enableLogFileValidation"`
		Attributes              []ctAttribute `json:"attributes"`
		LoadBalancerAttributes  *ctLBAttrs    `json:"loadBalancerAttributes"`
		BucketName              string        `json:"bucketName"`
		Name                    string        `json:"name"`
		Key                     string        `json:"key"`
	}
	ctAttribute = struct {
		Key   string   `json:"key"`
		Value flexBool `json:"value"`
	}
	ctLBAttrs = struct {
		AccessLog *ctAccessLog `json:"accessLog"`
	}
	ctAccessLog = struct {
		Enabled *flexBool `json:"enabled"`
	}
	ctResponse = struct {
		Credentials     *ctCredentials `json:"credentials"`
		AssumedRoleUser *ctARN         `json:"assumedRoleUser"`
		FederatedUser   *ctARN         `json:"federatedUser"`
		ConsoleLogin    string         `json:"ConsoleLogin"`
	}
	ctCredentials = struct {
		AccessKeyID string `json:"accessKeyId"`
	}
	ctARN = struct {
		ARN string `json:"arn"`
	}
)

func ctRequestFast(w *walker, rp *ctRequest) bool {
	return w.fields(func(key []byte) bool {
		switch string(key) {
		case "enableLogFileValidation":
			return w.flexPtr(&rp.EnableLogFileValidation, 2)
		case "attributes":
			return ctAttributesFast(w, &rp.Attributes)
		case "loadBalancerAttributes":
			return ptrFields(w, &rp.LoadBalancerAttributes, func(la *ctLBAttrs, key []byte) bool {
				if string(key) != "accessLog" {
					return !foldsAny(key, ctLBAttrKeys) && w.value(3)
				}
				return ptrFields(w, &la.AccessLog, func(al *ctAccessLog, key []byte) bool {
					if string(key) != "enabled" {
						return !foldsAny(key, ctAccessLogKeys) && w.value(4)
					}
					return w.flexPtr(&al.Enabled, 4)
				})
			})
		case "bucketName":
			return w.strInto(&rp.BucketName)
		case "name":
			return w.strInto(&rp.Name)
		case "key":
			return w.strInto(&rp.Key)
		}
		return !foldsAny(key, ctRequestKeys) && w.value(2)
	})
}

// ctAttributesFast reads an array of attributes the way encoding/json
// fills a slice: a null sets it nil, [] makes it empty (not nil), and
// otherwise element i is decoded into what the slice's backing array
// already holds at i, even beyond its length (a repeated key), before the
// length is cut to the array's.
func ctAttributesFast(w *walker, dst *[]ctAttribute) bool {
	if w.null() {
		*dst = nil
		return true
	}
	if !w.eat('[') {
		return false
	}
	s := *dst
	n := 0
	w.ws()
	if !w.eat(']') {
		for {
			w.ws()
			if n < cap(s) {
				s = s[:n+1]
			} else {
				s = append(s[:n], ctAttribute{})
			}
			a := &s[n]
			n++
			// A null element leaves the struct as it is.
			if !w.null() && !w.fields(func(key []byte) bool {
				switch string(key) {
				case "key":
					return w.strInto(&a.Key)
				case "value":
					start := w.i
					if !w.value(4) {
						return false
					}
					return a.Value.UnmarshalJSON(w.b[start:w.i]) == nil
				}
				return !foldsAny(key, ctAttributeKeys) && w.value(4)
			}) {
				return false
			}
			w.ws()
			if w.eat(',') {
				continue
			}
			if !w.eat(']') {
				return false
			}
			break
		}
	}
	if n == 0 {
		s = make([]ctAttribute, 0)
	}
	*dst = s[:n]
	return true
}

func ctResponseFast(w *walker, re *ctResponse) bool {
	return w.fields(func(key []byte) bool {
		switch string(key) {
		case "credentials":
			return ptrFields(w, &re.Credentials, func(c *ctCredentials, key []byte) bool {
				if string(key) == "accessKeyId" {
					return w.strInto(&c.AccessKeyID)
				}
				return !foldsAny(key, ctCredKeys) && w.value(3)
			})
		case "assumedRoleUser":
			return ctARNFast(w, &re.AssumedRoleUser)
		case "federatedUser":
			return ctARNFast(w, &re.FederatedUser)
		case "ConsoleLogin":
			return w.strInto(&re.ConsoleLogin)
		}
		return !foldsAny(key, ctResponseKeys) && w.value(2)
	})
}

func ctARNFast(w *walker, p **ctARN) bool {
	return ptrFields(w, p, func(u *ctARN, key []byte) bool {
		if string(key) == "arn" {
			return w.strInto(&u.ARN)
		}
		return !foldsAny(key, ctARNKeys) && w.value(3)
	})
}

// ptrFields reads an object into *p, allocating it if nil (a repeated key
// fills the same value), or a null, which sets *p to nil.
func ptrFields[T any](w *walker, p **T, f func(v *T, key []byte) bool) bool {
	if w.null() {
		*p = nil
		return true
	}
	if w.i >= len(w.b) || w.b[w.i] != '{' {
		return false
	}
	if *p == nil {
		*p = new(T)
	}
	v := *p
	return w.fields(func(key []byte) bool { return f(v, key) })
}

// flexPtr reads any value into a *flexBool the way encoding/json does: a
// null sets it nil; anything else allocates it if nil and hands the
// value's text to UnmarshalJSON.
func (w *walker) flexPtr(p **flexBool, depth int) bool {
	if w.null() {
		*p = nil
		return true
	}
	start := w.i
	if !w.value(depth) {
		return false
	}
	if *p == nil {
		*p = new(flexBool)
	}
	return (*p).UnmarshalJSON(w.b[start:w.i]) == nil
}
