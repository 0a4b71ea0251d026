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

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/acquire"
	"github.com/trailcase/trailcase/store"
)

// chromium finds a headless-capable Chromium. The test is skipped without
// one, except in CI (CI set), where a missing browser is a failure.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("TRAILCASE_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (Debian: apt-get install -y chromium); CI must run the HTML report test")
	}
	t.Skip("chromium not installed (Debian: apt-get install -y chromium); skipping the headless rendering test")
	return ""
}

func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-default-apps", "--no-first-run", "--no-default-browser-check",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}

// TestHTMLInChromium renders the report of a real case in headless
// Chromium, reads back the DOM it built and prints it to PDF on A4.
func TestHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	st := newCase(t, "Operation Tidewater", false)
	refused := acquireRefused(t, st)
	putCheck(t, st, "verify", true, "4 item(s) re-hashed: all intact", `{"items":4,"bytes":2870,"custody_entries":3,"problems":[]}`, time.Now().Add(time.Hour))
	putCheck(t, st, "digest", false, "1 problem", `{"valid":false,"chains":1,"digests_checked":1,"logs_checked":1,"signatures_verified":0,"problems":[{"kind":"LOG_MISSING","object":"AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/gone.json.gz","detail":"listed in the digest, not in the evidence"}]}`, time.Now().Add(time.Hour))
	r, err := Build(context.Background(), st, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	f, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.WriteHTML(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	url := "file://" + page

	dom := string(runChromium(t, bin, "--dump-dom", url))
	text := domText(dom)
	for _, want := range []string{"Operation Tidewater", "IR-2024-017", "Dana Examiner", "v9.9.9", "abc123",
		"LOG_MISSING", "INTACT", "PASS", "FAIL", "NOT RUN", "Sign-off", "Reviewer / witness", refused, "Evidence number E02"} {
		if !strings.Contains(text, want) {
			t.Errorf("rendered page does not show %q", want)
		}
	}
	for _, e := range r.Evidence {
		if !strings.Contains(text, e.SHA256.String()) {
			t.Errorf("rendered page does not show the SHA-256 of item %d", e.ID)
		}
	}
	for _, c := range r.Custody {
		if !strings.Contains(text, c.Hash.String()) {
			t.Errorf("rendered page does not show custody entry %d", c.Seq)
		}
	}
	if got := strings.Count(dom, `class="item custody-entry"`); got != len(r.Custody) {
		t.Errorf("DOM has %d custody entries, want %d", got, len(r.Custody))
	}
	if !strings.Contains(dom, "<svg") || strings.Count(dom, "<rect") < 5 {
		t.Error("DOM lacks the events chart")
	}

	pdf := filepath.Join(dir, "report.pdf")
	runChromium(t, bin, "--no-pdf-header-footer", "--print-to-pdf="+pdf, url)
	b, err := os.ReadFile(pdf)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", b[:min(len(b), 16)])
	}
	pages := len(regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(b, -1))
	if pages < 2 || pages > 8 {
		t.Errorf("PDF has %d pages; want 2 to 8 for this case", pages)
	}
	if _, err := exec.LookPath("pdftotext"); err == nil || os.Getenv("CI") != "" {
		checkPages(t, "chromium pdf", pdfPages(t, pdf))
	}
	// A4 is 595.28 x 841.89 points; every page must be A4 portrait.
	boxes := regexp.MustCompile(`/MediaBox\s*\[\s*0\s+0\s+([0-9.]+)\s+([0-9.]+)\s*\]`).FindAllSubmatch(b, -1)
	if len(boxes) == 0 {
		t.Fatal("PDF has no MediaBox")
	}
	for _, m := range boxes {
		w, _ := strconv.ParseFloat(string(m[1]), 64)
		h, _ := strconv.ParseFloat(string(m[2]), 64)
		if w < 593 || w > 598 || h < 840 || h > 844 {
			t.Errorf("page size %.2f x %.2f pt, want A4 (595 x 842)", w, h)
		}
	}
	if out := os.Getenv("TRAILCASE_REPORT_ARTIFACTS"); out != "" {
		os.WriteFile(filepath.Join(out, "report.html"), mustRead(t, page), 0o644)
		os.WriteFile(filepath.Join(out, "report.pdf"), b, 0o644)
	}
	t.Logf("PDF: %d pages, %d bytes", pages, len(b))
}

// acquireRefused acquires a folder holding a link out of it, which is
// refused, and returns the refused entry's name.
func acquireRefused(t *testing.T, st *store.Store) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Symlink("/etc/hostname", filepath.Join(dir, "escape-link.log")); err != nil {
		t.Fatal(err)
	}
	src, err := acquire.OpenLocal(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := acquire.Acquire(context.Background(), st, acquire.AcquireOptions{Sources: []evidence.Source{src}, Args: []string{"acquire", dir}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Refused) != 1 || rep.EvidenceNumber != "E02" {
		t.Fatalf("refused %+v, evidence number %q", rep.Refused, rep.EvidenceNumber)
	}
	return "escape-link.log"
}

func mustRead(t *testing.T, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// domText strips tags from a DOM dump, leaving its text.
func domText(dom string) string {
	s := regexp.MustCompile(`(?s)<style.*?</style>|<[^>]*>`).ReplaceAllString(dom, " ")
	s = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "&quot;", `"`, "&#39;", "'").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}
