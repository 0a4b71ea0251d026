package timeline

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFitColumns(t *testing.T) {
	for _, width := range []int{40, 60, 80, 100, 132, 200} {
		cols := fitColumns(width)
		used := -2
		for _, c := range cols {
			used += c.width + 2
		}
		if used > width {
			t.Errorf("width %d: columns take %d", width, used)
		}
		if len(cols) == 0 || cols[0].name != "TIME" {
			t.Errorf("width %d: time is not the first column: %v", width, cols)
		}
	}
	if n := len(fitColumns(200)); n != len(tableColumns) {
		t.Errorf("width 200 shows %d columns, want all %d", n, len(tableColumns))
	}
}

func TestFitWriterCutsAndWraps(t *testing.T) {
	var b strings.Builder
	tw := NewTableWriter(&b, 80).(*tableWriter)
	if err := tw.Begin(nil); err != nil {
		t.Fatal(err)
	}
	fmtLine := tw.fittedLine([]string{"2025-03-10T14:12:07.000Z", "cloudtrail", strings.Repeat("p", 60), "a → b", strings.Repeat("A", 60), "success"})
	if n := utf8.RuneCountInString(fmtLine); n > 80 || !strings.Contains(fmtLine, "…") {
		t.Errorf("line of %d runes: %q", n, fmtLine)
	}
	for _, l := range wrap(strings.Repeat("word ", 40), 76) {
		if utf8.RuneCountInString(l) > 76 {
			t.Errorf("wrapped line too long: %q", l)
		}
	}
}
