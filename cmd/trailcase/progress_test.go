package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/creack/pty"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/s3test"
)

// TestProgressInTerminal runs the real binary with stderr on a
// pseudo-terminal and checks what the progress display printed: storing
// and indexing on lines of their own, files counted of the files
// expected, and percentages that only rise and end at 100 %; then the
// same of the events findings reads.
func TestProgressInTerminal(t *testing.T) {
	bin := buildTrailcase(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "logs")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	line := []byte(`{"Records":[{"eventVersion":"1.08","eventTime":"2024-05-01T10:00:00Z","eventName":"GetObject","sourceIPAddress":"203.0.113.7"}]}` + "\n")
	for i := range 24 {
		data := bytes.Repeat(line, 4000+i*500)
		if err := os.WriteFile(filepath.Join(src, fmt.Sprintf("f%02d.json", i)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	kase := filepath.Join(dir, "case.tc")
	if out, err := exec.Command(bin, "init", "--case", kase, "--name", "pty", "--examiner", "tester").CombinedOutput(); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	shown := runInTerminal(t, bin, "acquire", "--case", kase, src)
	checkProgress(t, shown, map[string]string{"storing": "24 of 24 files", "indexing": "24 of 24 files"})
	shown = runInTerminal(t, bin, "verify", "--case", kase)
	checkProgress(t, shown, map[string]string{"verifying": "24 files"})
	if !strings.Contains(shown, "all intact") {
		t.Errorf("verify did not end well:\n%s", shown)
	}
	// 24 files of 4000 to 15500 records: 234000 events, read in time
	// order, the last frame counting every one.
	shown = runInTerminal(t, bin, "findings", "--case", kase)
	checkProgress(t, shown, map[string]string{"events": "234000 of 234000 events"})
	// report --verify draws the checks' progress, then its own.
	shown = runInTerminal(t, bin, "report", "--case", kase, "--verify", "--findings", "--format", "json",
		"--output", filepath.Join(dir, "report.json"))
	checkProgress(t, shown, map[string]string{"verifying": "24 files", "counting": "234000 of 234000 events",
		"events": "234000 of 234000 events"})
	// Archives and S3 prefixes are counted before storing too.
	t.Run("archives", func(t *testing.T) { progressArchives(t, bin) })
	t.Run("s3", func(t *testing.T) { progressS3(t, bin) })
}

// ptyLogs are 24 small CloudTrail files, by name: 1000 to 3300 records
// of about 130 bytes each.
func ptyLogs() map[string][]byte {
	line := []byte(`{"Records":[{"eventVersion":"1.08","eventTime":"2024-05-01T10:00:00Z","eventName":"GetObject","sourceIPAddress":"203.0.113.7"}]}` + "\n")
	logs := map[string][]byte{}
	for i := range 24 {
		logs[fmt.Sprintf("f%02d.json", i)] = bytes.Repeat(line, 1000+i*100)
	}
	return logs
}

// progressArchives acquires the same 24 files from a zip, a tar and a
// tar.gz archive with stderr on a pseudo-terminal: each shows files
// counted of the files in the archive and a percentage that only rises
// and ends at 100 %.
func progressArchives(t *testing.T, bin string) {
	dir := t.TempDir()
	logs := ptyLogs()
	names := slices.Sorted(maps.Keys(logs))
	var zbuf, tbuf, gbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	tw := tar.NewWriter(&tbuf)
	for _, n := range names {
		w, err := zw.Create("logs/" + n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(logs[n])
		if err := tw.WriteHeader(&tar.Header{Name: "logs/" + n, Typeflag: tar.TypeReg, Size: int64(len(logs[n])), Mode: 0o644}); err != nil {
			t.Fatal(err)
		}
		tw.Write(logs[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	gw := gzip.NewWriter(&gbuf)
	gw.Write(tbuf.Bytes())
	if err := gw.Close(); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"logs.zip": zbuf.Bytes(), "logs.tar": tbuf.Bytes(), "logs.tar.gz": gbuf.Bytes()} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			kase := filepath.Join(dir, name+".tc")
			if out, err := exec.Command(bin, "init", "--case", kase, "--name", "pty", "--examiner", "tester").CombinedOutput(); err != nil {
				t.Fatalf("init: %v\n%s", err, out)
			}
			shown := runInTerminal(t, bin, "acquire", "--case", kase, p)
			checkProgress(t, shown, map[string]string{"storing": "24 of 24 files", "indexing": "24 of 24 files"})
		})
	}
}

// progressS3 acquires 24 objects from a local moto_server with stderr
// on a pseudo-terminal: the bucket is counted before it is downloaded, so
// storing shows files of the files listed and a percentage that only
// rises and ends at 100 %. Without moto_server it is skipped, unless CI
// is set.
func progressS3(t *testing.T, bin string) {
	srv := s3test.Moto(t)
	ctx := context.Background()
	client := s3test.Client(srv.URL)
	if _, err := client.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String("pty-logs")}); err != nil {
		t.Fatal(err)
	}
	for n, data := range ptyLogs() {
		if _, err := client.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("pty-logs"), Key: aws.String("AWSLogs/" + n), Body: bytes.NewReader(data)}); err != nil {
			t.Fatal(err)
		}
	}
	// One object outside the prefix, not counted.
	if _, err := client.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("pty-logs"), Key: aws.String("other/x.json"), Body: strings.NewReader("{}")}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	kase := filepath.Join(dir, "case.tc")
	if out, err := exec.Command(bin, "init", "--case", kase, "--name", "pty", "--examiner", "tester").CombinedOutput(); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	env := []string{"AWS_ACCESS_KEY_ID=AKIATESTTESTTESTTEST", "AWS_SECRET_ACCESS_KEY=secret", "AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=" + filepath.Join(dir, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "no-credentials"), "AWS_PROFILE="}
	shown := runInTerminalEnv(t, env, bin, "acquire", "--case", kase, "s3://pty-logs/AWSLogs/", "--endpoint-url", srv.URL)
	checkProgress(t, shown, map[string]string{"storing": "24 of 24 files", "indexing": "24 of 24 files"})
}

// runInTerminal runs bin with stdout and stderr on a pseudo-terminal and
// returns what it printed there.
func runInTerminal(t *testing.T, bin string, args ...string) string {
	t.Helper()
	return runInTerminalEnv(t, nil, bin, args...)
}

// runInTerminalEnv is runInTerminal with env added to the environment.
func runInTerminalEnv(t *testing.T, env []string, bin string, args ...string) string {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 160}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = tty, tty
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	var shown bytes.Buffer
	io.Copy(&shown, ptmx) // ends with EIO once the child is gone
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%s: %v\n%s", args[0], err, shown.String())
	}
	return shown.String()
}

var (
	ansi     = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)
	progLine = regexp.MustCompile(`^(storing|indexing|verifying|counting|events)\b.*?(\d+) %`)
)

// checkProgress checks the frames printed for each phase: percentages
// only rise and end at 100 %, and the last frame names the files done.
func checkProgress(t *testing.T, out string, files map[string]string) {
	t.Helper()
	last := map[string]int{}
	lastLine := map[string]string{}
	for _, l := range strings.FieldsFunc(ansi.ReplaceAllString(out, "\n"), func(r rune) bool { return r == '\n' || r == '\r' }) {
		m := progLine.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil {
			continue
		}
		pct, _ := strconv.Atoi(m[2])
		if prev, ok := last[m[1]]; ok && pct < prev {
			t.Errorf("%s: %d %% after %d %%\n%s", m[1], pct, prev, out)
		}
		last[m[1]], lastLine[m[1]] = pct, l
	}
	for phase, want := range files {
		if last[phase] != 100 {
			t.Errorf("%s ended at %d %%, want 100 %%; output:\n%q", phase, last[phase], out)
		}
		if !strings.Contains(lastLine[phase], want) {
			t.Errorf("%s: last frame %q does not say %q", phase, lastLine[phase], want)
		}
	}
}

// TestBarsConcurrent drives the progress display from several goroutines
// at once, as the indexer's workers do.
func TestBarsConcurrent(t *testing.T) {
	var out bytes.Buffer
	b := newBars(&out)
	b.Expect(evidence.PhaseStore, 8, 8*1000)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			b.Begin(evidence.PhaseStore, fmt.Sprint("f", i), 1000)
			for range 10 {
				b.Advance(evidence.PhaseStore, 100)
			}
			b.End(evidence.PhaseStore)
		})
	}
	wg.Wait()
	b.Finish()
	b.Finish() // a second call does nothing
	if s := out.String(); !strings.Contains(s, "8 of 8 files") || !strings.Contains(s, "100 %") {
		t.Errorf("last frame is missing the totals:\n%q", s)
	}
}

// TestBarsCorrectedTotals: a total corrected upwards holds the percentage
// drawn until the work catches up, one corrected downwards completes the
// phase when every file left expected is done.
func TestBarsCorrectedTotals(t *testing.T) {
	var out bytes.Buffer
	b := newBars(&out)
	b.Expect(evidence.PhaseStore, 4, 400)
	pb := b.phase(evidence.PhaseStore)
	for _, step := range []struct {
		current, total int64
		want           string
	}{
		{200, 400, "200 B of 400 B 50 %"},
		{200, 800, "200 B of 800 B 50 %"}, // the total grew: 25 % is not drawn
		{300, 800, "300 B of 800 B 50 %"},
		{700, 800, "700 B of 800 B 87 %"},
		{900, 800, "900 B of 800 B 100 %"}, // never past 100 %
	} {
		if got := pb.bytesDecor(decor.Statistics{Current: step.current, Total: step.total}); got != step.want {
			t.Errorf("%d of %d: %q, want %q", step.current, step.total, got, step.want)
		}
	}
	for range 3 {
		b.Begin(evidence.PhaseStore, "f", 100)
		b.Advance(evidence.PhaseStore, 100)
		b.End(evidence.PhaseStore)
	}
	b.Expect(evidence.PhaseStore, -1, -100) // the fourth file is gone
	b.Finish()
	if s := ansi.ReplaceAllString(out.String(), ""); !strings.Contains(s, "3 of 3 files") || !strings.Contains(s, "300 B of 300 B 100 %") {
		t.Errorf("last frame:\n%q", s)
	}
}
