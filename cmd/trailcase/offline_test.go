//go:build linux

package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// offlineStep is one offline command and what it must print and return.
type offlineStep struct {
	args []string // after the program name; $I is the incident, $W the work directory
	code int
	out  string // regexp stdout must match
	file string // a file or directory the command must create in $W
}

// offlineSteps run, in order, every command that works on local data:
// init, acquire (directory, .tgz, .zip, single file, public keys),
// index, ls, custody, verify, digest verify, objectlock --case,
// timeline, report, export, demo, completion. The online commands
// (acquire s3://, objectlock s3://, keys fetch) are not among them.
var offlineSteps = []offlineStep{
	{args: []string{"--version"}, out: `trailcase version`},
	{args: []string{"init", "--case", "case.tcase", "--name", "Offline", "--examiner", "Dana"}, out: `created case "Offline"`},
	{args: []string{"acquire", "--case", "case.tcase", "--public-keys", "$I/public-keys.json", "$I"}, out: `stored 167 item\(s\)`},
	{args: []string{"acquire", "--case", "case.tcase", "--no-index", "$W/arc/trail.tgz", "$W/arc/network.zip", "$W/arc/single.json.gz"}, out: `stored [1-9][0-9]* item\(s\).*0 failed`},
	{args: []string{"index", "--case", "case.tcase"}, out: `indexed [1-9][0-9]* event\(s\) from [1-9][0-9]* item\(s\)`},
	{args: []string{"ls", "--case", "case.tcase", "--json"}, out: `"sha256": "[0-9a-f]{64}"`},
	{args: []string{"custody", "--case", "case.tcase"}, out: `acquire +ok`},
	{args: []string{"verify", "--case", "case.tcase"}, out: `all intact`},
	{args: []string{"digest", "verify", "--case", "case.tcase", "--require-signatures"}, out: `digests +42`},
	{args: []string{"digest", "verify", "--case", "case.tcase", "--public-keys", "$I/public-keys.json", "--json"}, out: `"valid": true`},
	{args: []string{"objectlock", "--case", "case.tcase"}, code: 3, out: `NO_S3_METADATA`}, // the case holds local files without sidecars
	{args: []string{"objectlock", "--case", "case.tcase", "--report-only"}, out: `COMPLIANCE`},
	{args: []string{"objectlock", "--case", "case.tcase", "--require-mode", "COMPLIANCE"}, code: 3, out: `MODE_NOT_MET`},
	{args: []string{"timeline", "--case", "case.tcase", "--ip", "203.0.113.66"}, out: `203\.0\.113\.66`},
	{args: []string{"timeline", "--case", "case.tcase", "--principal", "ci-deployer", "--format", "csv"}, out: `user/ci-deployer`},
	{args: []string{"timeline", "--case", "case.tcase", "--all", "--format", "jsonl"}, out: `"source":"vpcflow"`},
	{args: []string{"timeline", "--case", "case.tcase", "--all", "--source", "cloudtrail", "--format", "timesketch"}, out: `"timestamp_desc"`},
	{args: []string{"report", "--case", "case.tcase", "-o", "report.html"}, file: "report.html"},
	{args: []string{"report", "--case", "case.tcase", "--format", "md", "-o", "report.md"}, file: "report.md"},
	{args: []string{"report", "--case", "case.tcase", "--format", "json"}, out: `"custody"`},
	{args: []string{"export", "--case", "case.tcase", "--format", "jsonl", "-o", "events.jsonl"}, out: `exported [1-9][0-9]* event\(s\)`, file: "events.jsonl"},
	{args: []string{"export", "--case", "case.tcase", "--format", "csv", "-o", "events.csv"}, file: "events.csv"},
	{args: []string{"export", "--case", "case.tcase", "--format", "parquet", "-o", "parquet"}, out: `as parquet`, file: "parquet"},
	{args: []string{"demo", "--dir", "$W/demo"}, out: `leaked CI access key`, file: "demo/report.html"},
	{args: []string{"completion", "bash"}, out: `complete`},
	{args: []string{"completion", "zsh"}, out: `compdef`},
	{args: []string{"completion", "fish"}, out: `complete -c trailcase`},
}

// TestOffline proves that every offline command opens no network
// connection: under strace, no process of the command creates or
// connects an AF_INET or AF_INET6 socket (AF_UNIX and AF_NETLINK, used
// by the C library and the Go runtime for local lookups, are allowed);
// and in a network namespace with no interface but a down loopback, every
// command still does its work. Without strace or unshare (or the
// permission to use them) the part is skipped, unless CI is set.
func TestOffline(t *testing.T) {
	if testing.Short() {
		t.Skip("offline test: skipped with -short")
	}
	incident, err := filepath.Abs("../../testdata/incident")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(incident, "public-keys.json")); err != nil {
		t.Fatalf("the sample incident is missing: %v", err)
	}
	bin := buildTrailcase(t)

	t.Run("strace", func(t *testing.T) {
		strace := offlineTool(t, "strace", []string{"-f", "-qq", "-e", "trace=socket", "-o", os.DevNull, "true"})
		// The tracer must see a socket where there is one: an online
		// command aimed at a closed loopback port is the control.
		w := offlineWork(t, incident)
		log := filepath.Join(w, "control.strace")
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		endpoint := "http://" + l.Addr().String()
		l.Close()
		cmd := exec.Command(strace, "-f", "-qq", "-e", "trace=socket,connect", "-o", log, "--",
			bin, "objectlock", "s3://control-bucket/prefix/", "--endpoint-url", endpoint, "--region", "us-east-1")
		cmd.Dir = w
		cmd.Env = append(offlineEnv(w), "AWS_ACCESS_KEY_ID=AKIAOFFLINETEST", "AWS_SECRET_ACCESS_KEY=secret", "AWS_MAX_ATTEMPTS=1")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("control: an online command against a closed port should fail, got %v\n%s", err, out)
		}
		if inet := inetSockets(t, log); len(inet) == 0 {
			t.Fatalf("control: strace saw no AF_INET socket from an online command; the check would prove nothing\n%s", out)
		}

		for i, st := range offlineSteps {
			log := filepath.Join(w, fmt.Sprintf("step%02d.strace", i))
			args := append([]string{"-f", "-qq", "-e", "trace=socket,connect", "-o", log, "--", bin}, expandStep(st.args, incident, w)...)
			runOfflineStep(t, w, st, strace, args)
			if inet := inetSockets(t, log); len(inet) > 0 {
				t.Errorf("trailcase %s opened network sockets:\n%s", strings.Join(st.args, " "), strings.Join(inet, "\n"))
			}
		}
	})

	t.Run("netns", func(t *testing.T) {
		unshare := offlineTool(t, "unshare", []string{"-n", "true"})
		prefix := []string{"-n", "--"}
		if !toolWorks(unshare, "-n", "true") {
			prefix = []string{"-r", "-n", "--"} // unprivileged: a user namespace makes it allowed
		}
		// The namespace has no interface but loopback, and that one down.
		out, err := exec.Command(unshare, append(prefix, "cat", "/proc/net/dev")...).CombinedOutput()
		if err != nil {
			t.Fatalf("unshare %s cat /proc/net/dev: %v\n%s", strings.Join(prefix, " "), err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			name, _, ok := strings.Cut(line, ":")
			if name = strings.TrimSpace(name); ok && name != "lo" && !strings.Contains(name, "|") {
				t.Fatalf("the network namespace has interface %q:\n%s", name, out)
			}
		}

		w := offlineWork(t, incident)
		for _, st := range offlineSteps {
			args := append(append(prefix[:len(prefix):len(prefix)], bin), expandStep(st.args, incident, w)...)
			runOfflineStep(t, w, st, unshare, args)
		}
	})
}

// offlineTool finds a tool and checks it can do its job here (ptrace or
// namespaces may be forbidden in a container). Without it the test is
// skipped, or fails when CI is set.
func offlineTool(t *testing.T, name string, probe []string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil && !toolWorks(p, probe...) {
		if name == "unshare" && toolWorks(p, append([]string{"-r"}, probe...)...) {
			return p
		}
		err = fmt.Errorf("%s %s does not work here (no permission?)", name, strings.Join(probe, " "))
	}
	if err != nil {
		pkg := map[string]string{"strace": "strace", "unshare": "util-linux"}[name]
		if os.Getenv("CI") != "" {
			t.Fatalf("%v: CI must install %s (Debian package %q) and allow it", err, name, pkg)
		}
		t.Skipf("%v: skipped (install Debian package %q to run it; with CI set this fails)", err, pkg)
	}
	return p
}

func toolWorks(p string, args ...string) bool {
	return exec.Command(p, args...).Run() == nil
}

var inetRe = regexp.MustCompile(`\bAF_INET6?\b`)

// inetSockets returns the strace lines that create or connect an
// Internet socket.
func inetSockets(t *testing.T, log string) []string {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatalf("strace log: %v", err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if inetRe.MatchString(line) {
			out = append(out, line)
		}
	}
	return out
}

func runOfflineStep(t *testing.T, w string, st offlineStep, prog string, args []string) {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Dir = w
	cmd.Env = offlineEnv(w)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run %s: %v", prog, err)
	}
	name := "trailcase " + strings.Join(st.args, " ")
	if code != st.code {
		t.Fatalf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", name, code, st.code, clip(stdout.Bytes()), stderr.String())
	}
	if st.out != "" && !regexp.MustCompile(st.out).Match(stdout.Bytes()) {
		t.Fatalf("%s: stdout does not match %q\nstdout: %s\nstderr: %s", name, st.out, clip(stdout.Bytes()), stderr.String())
	}
	if st.file != "" {
		fi, err := os.Stat(filepath.Join(w, st.file))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !fi.IsDir() && fi.Size() == 0 {
			t.Fatalf("%s: %s is empty", name, st.file)
		}
	}
}

// offlineEnv is a clean environment: no proxy, no AWS settings, a
// private home and temporary directory.
func offlineEnv(w string) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + w, "TMPDIR=" + w, "USER=examiner", "LANG=C"}
}

func expandStep(args []string, incident, w string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strings.NewReplacer("$I", incident, "$W", w).Replace(a)
	}
	return out
}

// offlineWork makes a work directory with archives built from the
// sample incident: a .tgz of the CloudTrail logs, a .zip of the network
// logs, and one CloudTrail file on its own.
func offlineWork(t *testing.T, incident string) string {
	t.Helper()
	w := t.TempDir()
	arc := filepath.Join(w, "arc")
	if err := os.MkdirAll(arc, 0o755); err != nil {
		t.Fatal(err)
	}
	var tgz bytes.Buffer
	zw := gzip.NewWriter(&tgz)
	tw := tar.NewWriter(zw)
	var zbuf bytes.Buffer
	zipw := zip.NewWriter(&zbuf)
	var single []byte
	err := filepath.WalkDir(incident, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(incident, p)
		rel = filepath.ToSlash(rel)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		switch {
		case strings.HasPrefix(rel, "acme-cloudtrail-logs/"):
			if single == nil && strings.HasSuffix(rel, ".json.gz") && strings.Contains(rel, "/CloudTrail/") {
				single = b
			}
			if err := tw.WriteHeader(&tar.Header{Name: rel, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
				return err
			}
			_, err = tw.Write(b)
			return err
		case strings.HasPrefix(rel, "acme-network-logs/"):
			f, err := zipw.Create(rel)
			if err != nil {
				return err
			}
			_, err = f.Write(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zipw.Close(); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"trail.tgz": tgz.Bytes(), "network.zip": zbuf.Bytes(), "single.json.gz": single} {
		if err := os.WriteFile(filepath.Join(arc, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return w
}
