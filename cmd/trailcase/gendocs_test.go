package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsUpToDate fails when docs/ no longer matches the CLI definition.
func TestDocsUpToDate(t *testing.T) {
	pages, err := referencePages()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range pages {
		p := filepath.Join("..", "..", "docs", name)
		got, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("%s: %v; run 'go generate ./cmd/trailcase'", p, err)
			continue
		}
		if string(got) != want {
			t.Errorf("%s is stale; run 'go generate ./cmd/trailcase'", p)
		}
	}
	if !strings.Contains(pages[docsMarkdown], "## report") || !strings.Contains(pages[docsMarkdown], "## export") {
		t.Error("markdown reference lacks the report and export commands")
	}
	if strings.Contains(pages[docsMarkdown], "gendocs") {
		t.Error("the hidden gendocs command appears in the reference")
	}
}
