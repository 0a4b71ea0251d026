package incident

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/incident from the generator")

// goldenDir is the committed copy of the incident.
const goldenDir = "../../testdata/incident"

func TestGeneratorReproducesTestdata(t *testing.T) {
	files, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.RemoveAll(goldenDir); err != nil {
			t.Fatal(err)
		}
		if err := Write(goldenDir); err != nil {
			t.Fatal(err)
		}
	}
	var onDisk []string
	err = filepath.WalkDir(goldenDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(goldenDir, p)
		onDisk = append(onDisk, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatalf("%v (run go test ./timeline/incident -update)", err)
	}
	slices.Sort(onDisk)
	names := Names(files)
	if !slices.Equal(onDisk, names) {
		t.Fatalf("testdata/incident holds %d files, the generator makes %d (run go test ./timeline/incident -update)", len(onDisk), len(names))
	}
	total := 0
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(goldenDir, filepath.FromSlash(n)))
		if err != nil {
			t.Fatal(err)
		}
		total += len(b)
		if !bytes.Equal(b, files[n]) {
			t.Errorf("%s differs from the generator's output (run go test ./timeline/incident -update)", n)
		}
	}
	if total > 1<<20 {
		t.Errorf("incident is %d bytes, want under 1 MiB", total)
	}
}

func TestFilesDeterministic(t *testing.T) {
	a, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Files()
	for n, x := range a {
		if !bytes.Equal(x, b[n]) {
			t.Errorf("%s differs between runs", n)
		}
	}
}
