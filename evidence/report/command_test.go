package report

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

func TestCommandLine(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, ""},
		{[]string{"init", "--case", "c.tcase", "--name", "Breach March 2025"}, "trailcase init --case c.tcase --name 'Breach March 2025'"},
		{[]string{"acquire", "--note", "it's $HOME", "a=b,c:d@e%f+g/h.i_j-k"}, `trailcase acquire --note 'it'\''s $HOME' a=b,c:d@e%f+g/h.i_j-k`},
		{[]string{"acquire", "--note", ""}, "trailcase acquire --note ''"},
		{[]string{"acquire", `say "hi"`, "~/x", "*.gz", "a;b"}, `trailcase acquire 'say "hi"' '~/x' '*.gz' 'a;b'`},
		{[]string{"acquire", "--note", "two\nlines", "it's\x1b[31m red", `back\slash` + "\u202e"}, `trailcase acquire --note $'two\nlines' $'it\'s\x1b[31m red' $'back\\slash\u202e'`},
	} {
		got := CommandLine(tc.args)
		if got != tc.want {
			t.Errorf("CommandLine(%q)\n got %s\nwant %s", tc.args, got, tc.want)
		}
		if strings.ContainsAny(got, "\n\x1b\u202e") {
			t.Errorf("CommandLine(%q) = %q: a control reaches the reader", tc.args, got)
		}
		if len(tc.args) > 0 {
			roundTrip(t, got, tc.args)
		}
	}
}

// roundTrip checks that bash, given the command line, passes exactly the
// recorded arguments.
func roundTrip(t *testing.T, line string, args []string) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		return
	}
	script := "trailcase() { printf '%s\\0' \"$@\"; }; " + line
	out, err := exec.Command(bash, "-c", script).Output()
	if err != nil {
		t.Fatalf("bash %q: %v", line, err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if !bytes.Equal([]byte(strings.Join(got, "\x00")), []byte(strings.Join(args, "\x00"))) {
		t.Errorf("bash reads %q as %q, recorded %q", line, got, args)
	}
}
