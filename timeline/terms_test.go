package timeline

import (
	"math/rand"
	"slices"
	"strings"
	"testing"
)

func TestIPTerm(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"10.0.3.17", "ip:10.0.3.17"},
		{"0.0.0.0", "ip:0.0.0.0"},
		{"010.0.3.17", ""}, // leading zeros: not an address
		{"10.0.3", ""},
		{"::ffff:10.0.3.17", "ip:10.0.3.17"},
		{"2001:DB8::1", "ip:2001:db8::1"},
		{"fe80::1%eth0", "ip:fe80::1"},
		{"-", ""},
		{"", ""},
		{"AWS Internal", ""},
	} {
		if got := ipTerm(c.in); got != c.want {
			t.Errorf("ipTerm(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestLowerTerm(t *testing.T) {
	for _, s := range []string{"", "arn:aws:iam::111122223333:user/Alice", "AKIAIOSFODNN7EXAMPLE", "already-lower", "ÄRN:ÉTÉ", "mixed Ünicode Name", "\xff\xfeBAD"} {
		if got, want := lowerTerm(TermPrincipal, s), TermPrincipal+strings.ToLower(s); got != want {
			t.Errorf("lowerTerm(%q) = %q, want %q", s, got, want)
		}
	}
}

// termsPlain is Terms written the plain way, one string at a time: what
// Terms and AddTerms, building them in one buffer, must give.
func termsPlain(e *Event) []string {
	terms := []string{}
	add := func(t string) {
		if !slices.Contains(terms, t) {
			terms = append(terms, t)
		}
	}
	if !e.isGap() {
		for _, s := range append([]string{e.SrcIP, e.DstIP}, e.OtherIPs...) {
			if t := ipTerm(s); t != "" {
				add(t)
			}
		}
	}
	switch e.Source {
	case SourceCloudTrail, SourceS3Access, SourceGuardDuty:
		for _, s := range []string{e.Principal, e.IdentityARN, e.AccessKeyID, e.UserName, e.Issuer, e.PrincipalID} {
			if s != "" && s != "-" && s != hiddenUserName {
				add(TermPrincipal + strings.ToLower(s))
			}
		}
	}
	if e.Source == SourceCloudTrail {
		if e.AccessKeyID != "" {
			add(TermAccessKey + e.AccessKeyID)
		}
		if e.IssuedAccessKey != "" {
			add(TermIssued + e.IssuedAccessKey)
		}
	}
	if indexNamesAndResources {
		if n := e.EventName(); n != "" {
			add(TermEvent + strings.ToLower(n))
		}
		for _, r := range e.Resources {
			resourceTerms(r, add)
		}
	}
	for _, a := range e.Annotations {
		if strings.HasPrefix(a, AntiForensicsPrefix) {
			add(TermAntiForensics)
			break
		}
	}
	return terms
}

// TestTermsPlain compares Terms with termsPlain on random events whose
// values repeat across fields, edge values included.
func TestTermsPlain(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	pick := func(vals ...string) string { return vals[rng.Intn(len(vals))] }
	ips := []string{"", "-", "10.0.0.1", "010.0.0.1", "::ffff:10.0.0.1", "2001:DB8::1", "2001:db8::1", "fe80::1%eth0", "ec2.amazonaws.com"}
	names := []string{"", "-", hiddenUserName, "arn:aws:iam::1:user/Alice", "ARN:AWS:IAM::1:USER/ALICE", "AKIAEXAMPLE", "Ünïcode", "\xff\xfeBAD", "alice"}
	for i := range 20000 {
		e := &Event{
			Source:          pick(SourceCloudTrail, SourceVPCFlow, SourceELB, SourceS3Access, SourceGuardDuty),
			SrcIP:           pick(ips...),
			DstIP:           pick(ips...),
			Principal:       pick(names...),
			IdentityARN:     pick(names...),
			AccessKeyID:     pick(names...),
			UserName:        pick(names...),
			Issuer:          pick(names...),
			PrincipalID:     pick(names...),
			IssuedAccessKey: pick("", "ASIAEXAMPLE", "AKIAEXAMPLE"),
			Action:          pick("", "ACCEPT", "GetObject", "ConsoleLogin", "ÄNDERN"),
			Outcome:         pick("", "OK", "NODATA", "SKIPDATA"),
		}
		for range rng.Intn(3) {
			e.OtherIPs = append(e.OtherIPs, pick(ips...))
		}
		for range rng.Intn(3) {
			e.Resources = append(e.Resources, pick("arn:aws:iam::1:role/path/Admin", "arn:aws:s3:::Bucket/key", "arn:aws:s3:::bucket", "i-0abc", "alice"))
		}
		if rng.Intn(4) == 0 {
			e.Annotations = []string{"note", AntiForensicsPrefix + "x"}
		}
		if got, want := e.Terms(), termsPlain(e); !slices.Equal(got, want) {
			t.Fatalf("event %d %+v:\nTerms %q\nwant  %q", i, e, got, want)
		}
	}
}

// TestTermSet checks that terms are kept apart, in order, and that the
// set is empty again after Reset.
func TestTermSet(t *testing.T) {
	var ts TermSet
	for round := range 2 {
		ts.Reset()
		ts.Add("a", "b")
		ts.addUnique("ab", "")
		ts.addUnique("a", "bc")
		ts.Add()
		ts.addLower(TermPrincipal, "ÄB")
		ts.addLower(TermPrincipal, "äb")
		ts.addIP("::ffff:10.1.2.3")
		ts.addIP("10.1.2.3")
		want := []string{"ab", "abc", "", "p:äb", "ip:10.1.2.3"}
		if got := ts.AppendTo([]string{"x"}); !slices.Equal(got, append([]string{"x"}, want...)) || ts.Len() != len(want) {
			t.Fatalf("round %d: %q (%d terms), want x then %q", round, got, ts.Len(), want)
		}
	}
}
