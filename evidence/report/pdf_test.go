package report

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// poppler finds pdftotext and pdfinfo. The test is skipped without them,
// except in CI (CI set), where they must be installed.
func poppler(t *testing.T) {
	t.Helper()
	for _, name := range []string{"pdftotext", "pdfinfo"} {
		if _, err := exec.LookPath(name); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed (Debian: apt-get install -y poppler-utils); CI must run the PDF report test", name)
			}
			t.Skipf("%s not installed (Debian: apt-get install -y poppler-utils); skipping", name)
		}
	}
}

// pdfPages reads a PDF's pages as text, one string per page.
func pdfPages(t *testing.T, path string) []string {
	t.Helper()
	out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	pages := strings.Split(string(out), "\f")
	if n := len(pages); n > 0 && strings.TrimSpace(pages[n-1]) == "" {
		pages = pages[:n-1]
	}
	return pages
}

// checkPages checks what every human form must hold on every page.
func checkPages(t *testing.T, form string, pages []string) {
	t.Helper()
	for i, pg := range pages {
		want := "page " + strconv.Itoa(i+1) + " of " + strconv.Itoa(len(pages))
		if !strings.Contains(pg, want) {
			t.Errorf("%s page %d lacks %q", form, i+1, want)
		}
		if !strings.Contains(pg, "IR-2024-017") || !strings.Contains(pg, "Custody head") {
			t.Errorf("%s page %d lacks the running header or footer", form, i+1)
		}
	}
	all := strings.Join(pages, "\n")
	for _, bad := range []string{`{"`, "s3:///"} {
		if strings.Contains(all, bad) {
			t.Errorf("%s shows %q", form, bad)
		}
	}
}

func TestPDF(t *testing.T) {
	poppler(t)
	st := newCase(t, "Operation Tidewater", false)
	putCheck(t, st, "digest", false, "1 problem", `{"valid":false,"chains":[],"digests_checked":2,"logs_checked":1,"problems":[{"kind":"DIGEST_MISSING","object":"AWSLogs/x_20250311T0400Z.json.gz","detail":"no digest in the evidence covers deliveries from 2025-03-11T04:00:00Z to 2025-03-11T10:00:00Z (about 6 digests, named by none; key inferred from the chain's period)"}],"notices":["a notice"],`+
		`"gaps":[{"account":"111122223333","region":"us-east-1","trail":"t","from":"2025-03-11T04:00:00Z","to":"2025-03-11T10:00:00Z","hours":6,"reason":"digests are missing"}]}`, time.Now().Add(time.Hour))
	opts := testOpts
	opts.Paper = "letter"
	r, err := Build(context.Background(), st, opts)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := r.WritePDF(&b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	info, err := exec.Command("pdfinfo", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`Page size:\s+612(\.\d+)? x 792`).Match(info) {
		t.Errorf("not Letter:\n%s", info)
	}
	fonts, _ := exec.Command("pdffonts", path).Output()
	if !bytes.Contains(fonts, []byte("yes")) || bytes.Contains(fonts, []byte("Helvetica")) {
		t.Errorf("fonts not embedded:\n%s", fonts)
	}
	pages := pdfPages(t, path)
	checkPages(t, "pdf", pages)
	text := strings.Join(pages, "\n")
	for _, want := range []string{"Operation Tidewater", "1 CloudTrail digest gap: 6 h, 2025-03-11 04:00–10:00 UTC (digests missing from the evidence)", "DIGEST_MISSING",
		"a notice", "Evidence number E01", "The custody log of 3 entries is unbroken", "Sign-off", r.Case.CustodyHead.String()} {
		if !strings.Contains(strings.Join(strings.Fields(text), " "), want) {
			t.Errorf("pdf lacks %q", want)
		}
	}
	t.Logf("PDF: %d pages, %d bytes", len(pages), b.Len())
}
