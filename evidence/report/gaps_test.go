package report

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/digest"
	"github.com/trailcase/trailcase/digest/digesttest"
	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/acquire"
	"github.com/trailcase/trailcase/evidence/custody"
	"github.com/trailcase/trailcase/timeline/incident"
)

// TestDigestGaps builds the demo incident, whose digest chain restarts
// (6 h with logging off), with two digests of the first day deleted,
// stores a real digest verification of it and checks that every form of
// the report lists both gaps, each with its kind.
func TestDigestGaps(t *testing.T) {
	files, err := incident.Files()
	if err != nil {
		t.Fatal(err)
	}
	deleted := 0
	for name := range files {
		if strings.Contains(name, "_20250310T150000Z.json.gz") || strings.Contains(name, "_20250310T160000Z.json.gz") {
			if strings.Contains(name, "CloudTrail-Digest") {
				delete(files, name)
				deleted++
			}
		}
	}
	if deleted != 4 { // two digests and their sidecars
		t.Fatalf("deleted %d files", deleted)
	}
	dir := t.TempDir()
	if err := digesttest.WriteFiles(dir, files); err != nil {
		t.Fatal(err)
	}
	st := newCase(t, "Operation Tidewater", true)
	src, err := acquire.OpenLocal(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	actor := custody.Actor{Examiner: "Dana Examiner", OSUser: "dana", Host: "lab-01", ToolVersion: "v9.9.9"}
	if _, err := acquire.Acquire(context.Background(), st, acquire.AcquireOptions{Sources: []evidence.Source{src}, Actor: actor, Args: []string{"acquire", dir}}); err != nil {
		t.Fatal(err)
	}
	objs, err := digest.FromCase(st)
	if err != nil {
		t.Fatal(err)
	}
	res, err := digest.Verify(context.Background(), objs, digest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	putCheck(t, st, "digest", res.Valid, res.Summary(), string(stored), time.Now().Add(time.Hour))

	r, err := Build(context.Background(), st, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		kind, text, why string
	}{
		{GapMissing, "2 h, 2025-03-10 14:00–16:00 UTC", "digests missing from the evidence"},
		{GapRestart, "6 h, 2025-03-11 04:00–10:00 UTC", "chain restarted: logging or log file validation was off"},
	}
	if len(r.DigestGaps) != len(want) || r.DigestGapsNote != "" {
		t.Fatalf("gaps %+v, note %q", r.DigestGaps, r.DigestGapsNote)
	}
	for i, w := range want {
		g := r.DigestGaps[i]
		if g.Kind != w.kind || gapText(g.From, g.To) != w.text || g.Account != incident.Account || g.Trail != incident.Trail {
			t.Errorf("gap %d: %+v, want %s %s", i, g, w.kind, w.text)
		}
	}

	forms := map[string]string{}
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	forms["html"] = b.String()
	b.Reset()
	if err := r.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	forms["markdown"] = b.String()
	checkMarkdownTables(t, forms["markdown"])
	verdict := "2 CloudTrail digest gaps: " + want[0].text + " (" + want[0].why + "); " + want[1].text + " (" + want[1].why + ")."
	for form, text := range forms {
		if !strings.Contains(text, verdict) {
			t.Errorf("%s lacks %q", form, verdict)
		}
		if !strings.Contains(strings.ToLower(text), "chain (account, region, trail)") {
			t.Errorf("%s lacks the gap table", form)
		}
	}
	t.Run("pdf", func(t *testing.T) {
		poppler(t)
		var b bytes.Buffer
		if err := r.WritePDF(&b); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "report.pdf")
		if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		text := strings.Join(strings.Fields(strings.Join(pdfPages(t, path), " ")), " ")
		for _, s := range []string{verdict, "Chain (account, region, trail)", want[0].text, want[1].text} {
			if !strings.Contains(text, s) {
				t.Errorf("pdf lacks %q", s)
			}
		}
	})
	for _, form := range []string{"html", "markdown"} {
		for _, w := range want {
			row := w.text + "</td><td>" + w.why + "</td><td class=\"hash\">" + incident.Account + " " + incident.Region + " " + incident.Trail + "</td>"
			if form == "markdown" {
				row = "| " + w.text + " | " + w.why + " | " + incident.Account + " " + incident.Region + " " + incident.Trail + " |"
			}
			if !strings.Contains(forms[form], row) {
				t.Errorf("%s lacks the row %q", form, row)
			}
		}
	}

	b.Reset()
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Gaps []struct {
			Kind, Reason, Before string
			From, To             time.Time
			Hours                float64
		} `json:"digest_gaps"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Gaps) != 2 || doc.Gaps[0].Kind != "missing" || doc.Gaps[0].Reason != digest.GapMissing || doc.Gaps[0].Hours != 2 ||
		doc.Gaps[1].Kind != "restart" || doc.Gaps[1].Reason != digest.GapRestarted || doc.Gaps[1].Hours != 6 ||
		!strings.HasSuffix(doc.Gaps[1].Before, "_20250311T110000Z.json.gz") {
		t.Errorf("json digest_gaps %+v", doc.Gaps)
	}
}

// TestReadDigestGaps reads gaps from stored results of every age: none
// stored, stored before gaps were recorded, before missing digests gave
// gaps, and now; a period listed twice is listed once.
func TestReadDigestGaps(t *testing.T) {
	const (
		restart = `{"account":"1","region":"r","trail":"t","from":"2025-03-11T04:00:00Z","to":"2025-03-11T10:00:00Z","hours":6,"reason":"logging or validation was off"}`
		missing = `{"account":"1","region":"r","trail":"t","from":"2025-03-10T14:00:00Z","to":"2025-03-10T16:00:00Z","hours":2,"reason":"digests are missing"}`
		problem = `{"kind":"DIGEST_MISSING","object":"k","detail":"d"}`
	)
	for _, tc := range []struct {
		name, result string
		kinds        []string // nil: unknown
		note         string
	}{
		{"not run", "", nil, gapsNotChecked},
		{"stored before gaps", `{"valid":false,"problems":[` + problem + `]}`, nil, gapsNotStored},
		{"gaps null", `{"valid":true,"problems":[],"gaps":null}`, nil, gapsNotStored},
		{"unreadable", `{"gaps":"x"}`, nil, gapsUnread},
		{"none", `{"valid":true,"problems":[],"gaps":[]}`, []string{}, ""},
		{"restarts only, before missing digests gave gaps", `{"problems":[` + problem + `],"gaps":[` + restart + `]}`, []string{GapRestart}, gapsPartial},
		{"restart without problems", `{"problems":[],"gaps":[` + restart + `]}`, []string{GapRestart}, ""},
		{"both, in time order, each once", `{"problems":[` + problem + `],"gaps":[` + restart + `,` + missing + `,` + restart + `]}`, []string{GapMissing, GapRestart}, ""},
		{"unknown reason", `{"problems":[],"gaps":[` + strings.Replace(restart, "logging or validation was off", "later", 1) + `]}`, []string{"other"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c *Check
			if tc.result != "" {
				c = &Check{Name: "digest", Result: json.RawMessage(tc.result)}
			}
			gaps, note := readDigestGaps(c)
			if (gaps == nil) != (tc.kinds == nil) || len(gaps) != len(tc.kinds) || note != tc.note {
				t.Fatalf("gaps %+v, note %q; want %v, %q", gaps, note, tc.kinds, tc.note)
			}
			for i, g := range gaps {
				if g.Kind != tc.kinds[i] {
					t.Errorf("gap %d kind %q, want %q", i, g.Kind, tc.kinds[i])
				}
			}
			// What the report says: the table, or why there is none, and the note.
			r := &Report{Checks: Checks{Digest: c}, DigestGaps: gaps, DigestGapsNote: note}
			var b bytes.Buffer
			if err := r.WriteMarkdown(&b); err != nil {
				t.Fatal(err)
			}
			md := b.String()
			switch {
			case gaps == nil && !strings.Contains(md, tc.note):
				t.Errorf("markdown does not say %q", tc.note)
			case len(gaps) == 0 && gaps != nil && !strings.Contains(md, noGapSentence):
				t.Errorf("markdown does not say %q", noGapSentence)
			case len(gaps) > 0 && strings.Count(md, "| 1 r t |") != len(gaps):
				t.Errorf("markdown gap rows: %d, want %d", strings.Count(md, "| 1 r t |"), len(gaps))
			}
			if tc.note == gapsPartial && !strings.Contains(md, inline(tc.note)) {
				t.Errorf("markdown lacks the note")
			}
		})
	}
}
