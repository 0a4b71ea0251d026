package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"sync"
	"unicode"

	"github.com/trailcase/trailcase/evidence"
)

//go:embed report.html.tmpl
var htmlSource string

var funcs = map[string]any{
	"fmtTime":       fmtTime,
	"fmtBytes":      fmtBytes,
	"orDash":        orDash,
	"cssString":     cssString,
	"join":          strings.Join,
	"hasSuffix":     strings.HasSuffix,
	"maxListed":     func() int { return MaxListed },
	"firstWarnings": firstWarnings,
	"statusClass":   func(s string) string { return strings.ReplaceAll(s, " ", "-") },
	"add":           func(a, b int) int { return a + b },
	"sub":           func(a, b int) int { return a - b },
	"add14":         func(a float64) float64 { return a + 14 },
	"legendY":       func() int { return legendTop },
	"freshness":     freshnessNote,
	"recheck":       recheckWords,
	"anchor": func(i, n int) string {
		switch i {
		case 0:
			return "start"
		case n - 1:
			return "end"
		}
		return "middle"
	},
	"itemRange": itemRange,
}

// htmlTemplate is parsed when a report is first written, not when the
// program starts: every other command would pay for it.
var htmlTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report.html").Funcs(funcs).Parse(htmlSource))
})

// WriteHTML writes the report as one self-contained HTML document: inline
// CSS and SVG, no scripts, nothing fetched from anywhere, laid out for A4
// or Letter with CSS paged media: every printed page has a running header
// (case, generation time), a footer (custody head, signing key) and
// "page X of Y".
func (r *Report) WriteHTML(w io.Writer) error {
	if err := htmlTemplate().Execute(w, r.view()); err != nil {
		return fmt.Errorf("render html report: %w", err)
	}
	return nil
}

// firstWarnings is the first three warnings of an item.
func firstWarnings(w []evidence.Warning) []evidence.Warning { return w[:min(len(w), 3)] }

// itemRange shows a list of item ids compactly: "1–5, 7, 9–10".
func itemRange(ids []uint64) string {
	var b strings.Builder
	for i := 0; i < len(ids); {
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		if j > i {
			fmt.Fprintf(&b, "%d–%d", ids[i], ids[j])
		} else {
			fmt.Fprintf(&b, "%d", ids[i])
		}
		i = j + 1
	}
	return b.String()
}

// cssString writes s as a quoted CSS string for the running header, every
// rune but letters, digits and spaces as a CSS escape. html/template would
// otherwise take a value like "demo: leaked key" in a CSS string for a URL
// with an unknown scheme and print #ZgotmplZ instead.
func cssString(s string) template.CSS {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if r == ' ' || unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			continue
		}
		fmt.Fprintf(&b, "\\%x ", r)
	}
	b.WriteByte('"')
	return template.CSS(b.String())
}
