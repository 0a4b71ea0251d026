package acquire

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/trailcase/trailcase/evidence"
)

type walked struct {
	paths   []string
	content map[string]string
	sidecar map[string]string
	refused map[string]string
}

func walk(t *testing.T, src evidence.Source) (walked, error) {
	t.Helper()
	w := walked{content: map[string]string{}, sidecar: map[string]string{}, refused: map[string]string{}}
	err := src.Walk(context.Background(), func(e evidence.Entry) error {
		w.paths = append(w.paths, e.Path)
		rc, err := e.Open(context.Background())
		if err != nil {
			w.content[e.Path] = "ERROR: " + err.Error()
			return nil
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			w.content[e.Path] = "ERROR: " + err.Error()
			return nil
		}
		w.content[e.Path] = string(b)
		if e.Sidecar != nil {
			w.sidecar[e.Path] = e.SidecarPath
		}
		return nil
	}, func(r evidence.Refusal) { w.refused[r.Path] = r.Reason })
	return w, err
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDirSource(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	writeFiles(t, root, map[string]string{
		"a/b/log.json.gz":           "gz",
		"a/b/log.json.gz.head.json": `{"VersionId":"v1"}`,
		"a/orphan.head.json":        "{}",
		"top.log":                   "top",
	})
	writeFiles(t, base, map[string]string{"outside.txt": "secret"})
	must(t, os.Symlink(filepath.Join(base, "outside.txt"), filepath.Join(root, "evil")))
	must(t, os.Symlink("top.log", filepath.Join(root, "alias.log")))
	must(t, os.Symlink(base, filepath.Join(root, "loop")))
	src, err := OpenLocal(root, 0)
	if err != nil {
		t.Fatal(err)
	}
	w, err := walk(t, src)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a/b/log.json.gz", "alias.log", "top.log"}
	if strings.Join(w.paths, ",") != strings.Join(want, ",") {
		t.Fatalf("paths = %v, want %v", w.paths, want)
	}
	if w.content["alias.log"] != "top" {
		t.Fatalf("link inside the root: %q", w.content["alias.log"])
	}
	if w.sidecar["a/b/log.json.gz"] != "a/b/log.json.gz.head.json" {
		t.Fatalf("sidecar not paired: %v", w.sidecar)
	}
	if !strings.Contains(w.refused["evil"], "outside the source root") || !strings.Contains(w.refused["loop"], "outside the source root") {
		t.Fatalf("links out of the tree not refused: %v", w.refused)
	}
	if !strings.Contains(w.refused["a/orphan.head.json"], "sidecar without") {
		t.Fatalf("orphan sidecar: %v", w.refused)
	}
}

func TestNonUTF8Names(t *testing.T) {
	root := t.TempDir()
	name := "log-\xff\xfe.json"
	must(t, os.WriteFile(filepath.Join(root, name), []byte("x"), 0o644))
	src, _ := OpenLocal(root, 0)
	w, err := walk(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.paths) != 1 || w.paths[0] != `log-\xFF\xFE.json` {
		t.Fatalf("paths = %q", w.paths)
	}
	if w.content[w.paths[0]] != "x" {
		t.Fatal("file with a non-UTF-8 name not read")
	}
}

func mkTar(t *testing.T, entries []tar.Header, bodies []string) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for i, h := range entries {
		h := h
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(bodies[i]))
		}
		must(t, tw.WriteHeader(&h))
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(bodies[i]))
		}
	}
	must(t, tw.Close())
	return b.Bytes()
}

func TestTarSource(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.tar")
	data := mkTar(t, []tar.Header{
		{Name: "logs/one.log", Typeflag: tar.TypeReg},
		{Name: "logs/one.log.head.json", Typeflag: tar.TypeReg},
		{Name: "../../etc/cron.d/x", Typeflag: tar.TypeReg},
		{Name: "/abs", Typeflag: tar.TypeReg},
		{Name: "ln", Typeflag: tar.TypeSymlink, Linkname: "../../../etc/shadow"},
		{Name: "logs/one.log", Typeflag: tar.TypeReg},
	}, []string{"one", `{"ETag":"\"e\""}`, "bad", "bad", "", "dup"})
	must(t, os.WriteFile(p, data, 0o644))
	src, _ := OpenLocal(p, 0)
	w, err := walk(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(w.paths, ",") != "logs/one.log" || w.content["logs/one.log"] != "one" {
		t.Fatalf("walked %v %v", w.paths, w.content)
	}
	if w.sidecar["logs/one.log"] == "" {
		t.Fatal("sidecar in tar not paired")
	}
	for path, reason := range map[string]string{
		"../../etc/cron.d/x": "escapes the archive root",
		"/abs":               "absolute path",
		"ln":                 "points outside",
		"logs/one.log":       "holds this name twice",
	} {
		if !strings.Contains(w.refused[path], reason) {
			t.Errorf("%s: refusal %q, want %q", path, w.refused[path], reason)
		}
	}
	sum, size, ok := src.(evidence.ContainerHasher).Container()
	if !ok || size != int64(len(data)) || sum.IsZero() {
		t.Fatalf("container hash: %v %d %v", sum, size, ok)
	}
}

func TestTruncatedTarGz(t *testing.T) {
	dir := t.TempDir()
	var gz bytes.Buffer
	data := mkTar(t, []tar.Header{{Name: "a.log", Typeflag: tar.TypeReg}, {Name: "b.log", Typeflag: tar.TypeReg}},
		[]string{strings.Repeat("a", 5000), strings.Repeat("b", 5000)})
	zw := newGzip(&gz)
	zw.Write(data)
	zw.Close()
	p := filepath.Join(dir, "t.tgz")
	must(t, os.WriteFile(p, gz.Bytes()[:gz.Len()-40], 0o644))
	src, _ := OpenLocal(p, 0)
	_, err := walk(t, src)
	if err == nil || !strings.Contains(err.Error(), "t.tgz") {
		t.Fatalf("truncated tgz: %v", err)
	}
}

func TestZipSource(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range []struct{ name, body string }{
		{"b.log", "b"}, {"a.log", "a"}, {"a.log.head.json", "{}"}, {"../slip", "x"}, {`C:\win.log`, "x"},
	} {
		w, err := zw.Create(f.name)
		must(t, err)
		w.Write([]byte(f.body))
	}
	must(t, zw.Close())
	p := filepath.Join(dir, "x.zip")
	must(t, os.WriteFile(p, b.Bytes(), 0o644))
	src, _ := OpenLocal(p, 0)
	w, err := walk(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(w.paths, ",") != "a.log,b.log" || w.sidecar["a.log"] != "a.log.head.json" {
		t.Fatalf("paths %v sidecars %v", w.paths, w.sidecar)
	}
	if len(w.refused) != 2 {
		t.Fatalf("refused %v", w.refused)
	}
}

func TestZipBombRefused(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("bomb.log")
	zeros := make([]byte, 1<<20)
	for i := 0; i < 300; i++ { // 300 MiB of zeros, ~300 KiB compressed
		w.Write(zeros)
	}
	w, _ = zw.Create("ok.log")
	w.Write([]byte("ok"))
	must(t, zw.Close())
	p := filepath.Join(dir, "bomb.zip")
	must(t, os.WriteFile(p, b.Bytes(), 0o644))
	src, _ := OpenLocal(p, 0)
	got, err := walk(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.refused["bomb.log"], "suspected archive bomb") || strings.Join(got.paths, ",") != "ok.log" {
		t.Fatalf("refused %v paths %v", got.refused, got.paths)
	}
	// The overall expansion limit stops the walk cleanly.
	src, _ = OpenLocal(p, 1)
	got, _ = walk(t, src)
	keys := make([]string, 0)
	for k := range got.refused {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(got.paths) != 0 {
		t.Fatalf("limit 1 byte: walked %v", got.paths)
	}
}

func TestEntryName(t *testing.T) {
	for in, want := range map[string]string{
		"a/b.log": "a/b.log", "./a//b.log": "a/b.log", `dir\file.log`: "dir/file.log",
		"../x": "", "a/../../x": "", "/etc/passwd": "", `C:\x`: "", "..": "", ".": "",
	} {
		got, err := entryName(in)
		if (err != nil) != (want == "") || got != want {
			t.Errorf("entryName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
