package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/urfave/cli/v2"
)

// hostile is text an attacker can put in an archive entry name, a log
// field or a case field: an OSC 52 clipboard write, a screen clear, a
// newline that would forge a row, a carriage return, DEL, a C1 control
// and a right-to-left override.
const hostile = "ev\x1b]52;c;aGVsbG8\x07il\x1b[2J\r\n7      cloudtrail  forged\x7f\u009b\u202egpj"

// hostileRecord is a CloudTrail record whose strings carry the same
// controls, escaped as JSON holds them.
const hostileRecord = `{"Records":[{"eventVersion":"1.08","eventTime":"2025-03-10T10:00:00Z",` +
	`"eventSource":"iam.amazonaws.com","eventName":"CreateUser\u001b[2J","awsRegion":"us-east-1",` +
	`"sourceIPAddress":"203.0.113.9","userAgent":"ua\u001b]52;c;aGk\u0007\u202e",` +
	`"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ev\u001b[2Jil\n\u202e","accountId":"111122223333","userName":"ev\u0007il","accessKeyId":"AKIAEVIL\u001b[2J"},` +
	`"requestParameters":{"userName":"back\u001bdoor\r\n"},"errorCode":"AccessDenied\u0007","eventID":"e1","recipientAccountId":"111122223333"}]}`

// TestHostileNames runs every offline command of the app, as a user
// would, over a case whose evidence names, log fields and case fields
// hold terminal controls, and checks that no human output carries one:
// only newline and tab, as layout, and no bidi control. JSON output
// carries no raw C0 control.
func TestHostileNames(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every command")
	}
	dir := t.TempDir()
	at := func(name string) string { return filepath.Join(dir, name) }
	cs := at("case.tcase")
	src := at("src" + hostile)
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(p, body string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(src, "dir"+hostile+".json"), hostileRecord)
	if err := os.Symlink("../../outside"+hostile, filepath.Join(src, "link"+hostile)); err != nil {
		t.Fatal(err)
	}
	write(at("evil.tar"), string(hostileTar(t)))
	write(at("evil.zip"), string(hostileZip(t)))

	keyPath := at("key" + hostile)
	if err := os.Mkdir(at("docs"+hostile), 0o755); err != nil {
		t.Fatal(err)
	}
	steps := hostileSteps(at, cs, src, keyPath)
	// Online commands: they need AWS and print what was checked above.
	online := []string{"keys fetch"}
	covered := map[string]bool{}
	for _, args := range steps {
		covered[args[0]] = true
		if len(args) > 1 {
			covered[args[0]+" "+args[1]] = true
		}
	}
	for _, name := range commandNames(commands(&env{}), "") {
		if !covered[name] && !slices.Contains(online, name) {
			t.Errorf("command %q is not run by this test: add it to the steps or to the online list", name)
		}
	}

	ctx := context.Background()
	for i, args := range steps {
		if i == 3 {
			// The key signs the examiner's custody entries under a
			// hostile principal.
			pub, err := os.ReadFile(keyPath + ".pub")
			if err != nil {
				t.Fatal(err)
			}
			f := strings.Fields(string(pub))
			write(at("signers"), "ev\x1b[2Jil\u202e "+f[0]+" "+f[1]+"\n")
		}
		var stdout, stderr bytes.Buffer
		code := run(ctx, append([]string{"trailcase"}, args...), &stdout, &stderr)
		name := strings.Join(args[:min(2, len(args))], " ")
		if slices.Contains(args, "--case") {
			name = strings.Join(slices.DeleteFunc(slices.Clone(args), func(a string) bool { return a == "--case" || a == cs }), " ")
		}
		name = strconv.Quote(name)
		t.Logf("%s: exit %d, %d line(s) out, stderr %q", name, code, strings.Count(stdout.String(), "\n"), stderr.String())
		checkHuman(t, name+" stdout", stdout.Bytes())
		checkHuman(t, name+" stderr", stderr.Bytes())
		if args[0] == "ls" && code == 0 {
			checkRows(t, cs, stdout.String())
		}
		if args[0] == "gendocs" || args[0] == "completion" || args[0] == "help" || args[0] == hostile {
			continue
		}
		stdout.Reset()
		stderr.Reset()
		run(ctx, append([]string{"trailcase", "--json"}, args...), &stdout, &stderr)
		checkJSON(t, name+" --json stdout", stdout.Bytes())
		checkJSON(t, name+" --json stderr", stderr.Bytes())
	}
}

// checkRows fails unless the ls output is a heading and one row per item.
func checkRows(t *testing.T, cs, out string) {
	t.Helper()
	var items bytes.Buffer
	if code := run(context.Background(), []string{"trailcase", "ls", "--json", "--case", cs}, &items, io.Discard); code != 0 {
		t.Fatalf("ls --json: exit %d", code)
	}
	var list []json.RawMessage
	if err := json.Unmarshal(items.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out, "\n"); n != 1+len(list) || len(list) < 5 {
		t.Errorf("ls printed %d line(s) for %d item(s), want a heading and one row each:\n%s", n, len(list), out)
	}
}

// hostileSteps are the command lines TestHostileNames runs, in order,
// on the case cs, with the source directory src and the signing key.
func hostileSteps(at func(string) string, cs, src, keyPath string) [][]string {
	return [][]string{
		{"init", "--case", cs, "--name", hostile, "--examiner", hostile, "--number", hostile, "--description", hostile, "--organisation", hostile},
		{"key", "generate", "-o", keyPath, "--comment", hostile},
		{"acquire", "--case", cs, "--sign-key", keyPath, at("evil.tar")},
		{"acquire", "--case", cs, "--examiner", hostile, at("evil.zip"), src},
		{"acquire", "--case", cs, at("missing" + hostile)},
		{"index", "--case", cs},
		{"index", "--case", cs, "--rebuild"},
		{"ls", "--case", cs},
		{"custody", "--case", cs},
		{"verify", "--case", cs},
		{"verify", "--case", cs, "--deep", "--allowed-signers", at("signers")},
		{"digest", "verify", "--case", cs},
		{"objectlock", "--case", cs},
		{"objectlock", "--case", cs, "--objects"},
		{"timeline", "--case", cs, "--all"},
		{"timeline", "--case", cs, "--all", "--format", "csv"},
		{"timeline", "--case", cs, "--principal", "ev\x1b[2Jil"},
		{"findings", "--case", cs},
		{"summary", "--case", cs},
		{"report", "--case", cs, "--format", "md"},
		{"report", "--case", cs, "--format", "html", "-o", at("report" + hostile + ".html")},
		{"export", "--case", cs, "--format", "csv", "-o", "-"},
		{"export", "--case", cs, "--format", "jsonl", "-o", at("export" + hostile + ".jsonl")},
		{"salvage", cs, "-o", at("salvaged" + hostile + ".tcase")},
		{"gendocs", "--dir", at("docs" + hostile)},
		{"demo", "--dir", at("demo" + hostile), "--examiner", hostile},
		{"completion", "bash"},
		{"version"},
		{"help"},
		{"ls", "--case", at("none" + hostile)},
		{hostile},
	}
}

// commandNames lists the leaf commands, "digest verify" for a sub-command.
func commandNames(cmds []*cli.Command, prefix string) []string {
	var names []string
	for _, c := range cmds {
		name := strings.TrimSpace(prefix + " " + c.Name)
		if len(c.Subcommands) > 0 {
			names = append(names, commandNames(c.Subcommands, name)...)
			continue
		}
		names = append(names, name)
	}
	return names
}

// forged is a line a newline in a hostile name would start.
var forged = regexp.MustCompile(`(?m)^\d+ +cloudtrail  forged`)

// checkHuman fails on any byte of human output that could act on a
// terminal: C0 controls but newline and tab, DEL, C1 controls, bidi
// controls, line separators and invalid UTF-8; and on a line that a
// newline in a name started.
func checkHuman(t *testing.T, what string, b []byte) {
	t.Helper()
	if loc := forged.FindIndex(b); loc != nil {
		t.Errorf("%s: a name starts a line: %q", what, around(b, loc[0]))
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if badRune(r, n) {
			t.Errorf("%s: raw %U at byte %d: %q", what, r, i, around(b, i))
			return
		}
		i += n
	}
}

// badRune reports whether the rune r, n bytes long, may act on a
// terminal: invalid UTF-8, a control but newline and tab, DEL, a C1
// control, a bidi control or a line separator.
func badRune(r rune, n int) bool {
	return r == utf8.RuneError && n == 1 ||
		r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r <= 0x9f ||
		r == 0x061c || r == 0x200e || r == 0x200f || r == 0x2028 || r == 0x2029 ||
		r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// checkJSON fails on a raw C0 control in JSON output, newline and tab
// (layout between values) aside.
func checkJSON(t *testing.T, what string, b []byte) {
	t.Helper()
	for i, c := range b {
		if c < 0x20 && c != '\n' && c != '\t' {
			t.Errorf("%s: raw control %#x at byte %d: %q", what, c, i, around(b, i))
			return
		}
	}
}

func around(b []byte, i int) string {
	return string(b[max(0, i-40):min(len(b), i+40)])
}

func hostileTar(t *testing.T) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(name, body string) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Size: int64(len(body)), Mode: 0o644}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	add("a"+hostile+".json", hostileRecord)
	add("b\x1b[2J\n2      cloudtrail  forged.json", hostileRecord)
	add("../escape"+hostile+".json", hostileRecord)
	add("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2025/03/10/111122223333_CloudTrail-Digest_us-east-1_t"+hostile+"_us-east-1_20250310T110000Z.json.gz", "not a digest")
	if err := tw.WriteHeader(&tar.Header{Name: "link" + hostile, Typeflag: tar.TypeSymlink, Linkname: "../../" + hostile, Mode: 0o777}); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func hostileZip(t *testing.T) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"z" + hostile + ".json", "../zipslip" + hostile + ".json"} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(hostileRecord))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// setq VAR GO-STRING: set VAR to the Go string literal GO-STRING, so a
// story can hold control characters ("a\x1b[2J").
func cmdSetq(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: setq VAR GO-STRING")
	}
	v, err := strconv.Unquote(args[1])
	ts.Check(err)
	ts.Setenv(args[0], v)
}

// nocontrols: the stdout and stderr of the last command hold no raw
// control (C0 but newline and tab, DEL, C1), no bidi control and no NUL,
// CR, ESC or BEL in particular.
func cmdNoControls(ts *testscript.TestScript, neg bool, args []string) {
	for _, name := range []string{"stdout", "stderr"} {
		b := []byte(ts.ReadFile(name))
		for i := 0; i < len(b); {
			r, n := utf8.DecodeRune(b[i:])
			if badRune(r, n) {
				ts.Fatalf("%s: raw %U at byte %d: %q", name, r, i, around(b, i))
			}
			i += n
		}
	}
}
