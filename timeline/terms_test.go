package timeline

import (
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
