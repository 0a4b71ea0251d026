package sigma

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

var updatePack = flag.Bool("update-pack", false, "rewrite builtin.pack from rules/")

// TestBuiltinPack checks that builtin.pack is what rules/ makes, and
// with -update-pack writes it: run
//
//	go test ./timeline/sigma -run TestBuiltinPack -update-pack
//
// after changing a rule file.
func TestBuiltinPack(t *testing.T) {
	pack, err := makePack(builtinFS, "rules")
	if err != nil {
		t.Fatal(err)
	}
	if *updatePack {
		if err := os.WriteFile("builtin.pack", pack, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	have, err := os.ReadFile("builtin.pack")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(have, pack) {
		t.Fatal("builtin.pack is not what rules/ makes: run go test ./timeline/sigma -run TestBuiltinPack -update-pack")
	}
}

// TestBuiltinPackSameRules compares the rules read from the pack with
// those Load reads from the rule files: the same fields, the same
// detection sections, and the same results over every rule's test events.
func TestBuiltinPackSameRules(t *testing.T) {
	sub, err := fs.Sub(builtinFS, "rules")
	if err != nil {
		t.Fatal(err)
	}
	want, werrs := Load(sub, ".")
	have, herrs := Builtin()
	if len(werrs) != 0 || len(herrs) != 0 {
		t.Fatalf("errors: files %v, pack %v", werrs, herrs)
	}
	if len(have) != len(want) || len(have) < 20 {
		t.Fatalf("%d rules from the pack, %d from the files", len(have), len(want))
	}
	for i := range want {
		w, h := *want[i], *have[i]
		if !sameNode(w.detSrc, h.detSrc) || (w.detection == nil) != (h.detection == nil) || (w.correlation == nil) != (h.correlation == nil) {
			t.Errorf("rule %d (%s:%d): the detection or correlation differs", i, w.File, w.Line)
		}
		w.detection, w.correlation, w.detSrc, w.aggBase = nil, nil, nil, nil
		h.detection, h.correlation, h.detSrc, h.aggBase = nil, nil, nil, nil
		if !reflect.DeepEqual(w, h) {
			t.Errorf("rule %d differs:\nfiles %+v\npack  %+v", i, w, h)
		}
	}
	at := testEpoch
	_, evs := allTestEvents(t, builtinFS, "rules", &at)
	results := func(rules []*Rule) []string {
		eng, errs := New(rules, Limits{MaxGroups: 50, MaxEvents: 5})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		var out []string
		keep := func(r Result) {
			out = append(out, fmt.Sprintf("%s %v %v %d %v %v %v", r.Rule.ID, r.First, r.Last, r.Count, r.Group, r.Values, r.Events))
		}
		run := eng.NewRun()
		for _, e := range evs {
			run.Event(e, keep)
		}
		run.Flush(keep)
		return out
	}
	w, h := results(want), results(have)
	if len(w) < 20 || !reflect.DeepEqual(w, h) {
		t.Fatalf("results over %d test events differ:\nfiles %q\npack  %q", len(evs), w, h)
	}
}

// sameNode compares what the rule parser reads of two node trees.
func sameNode(a, b *yaml.Node) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Kind != b.Kind || a.Tag != b.Tag || a.Value != b.Value || a.Line != b.Line || a.Column != b.Column || len(a.Content) != len(b.Content) {
		return false
	}
	for i := range a.Content {
		if !sameNode(a.Content[i], b.Content[i]) {
			return false
		}
	}
	return true
}

// TestReadPackMalformed: a pack cut short, with bytes after it, with a
// node of another kind, or nested past maxPackDepth is refused, never
// read past.
func TestReadPackMalformed(t *testing.T) {
	if _, err := readPack(builtinPack); err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(builtinPack); n += 1 + n/50 {
		if _, err := readPack(builtinPack[:n]); err == nil {
			t.Fatalf("a pack cut at %d of %d bytes was read", n, len(builtinPack))
		}
	}
	if _, err := readPack(append(bytes.Clone(builtinPack), 0)); err == nil {
		t.Fatal("a byte after the pack was read")
	}
	node := func(kind yaml.Kind, children int) []byte {
		return binary.AppendUvarint(append([]byte{byte(kind)}, 0, 0, 1, 1), uint64(children))
	}
	one := append([]byte(packMagic), 1, 1, 'f', 1)
	if _, err := readPack(append(bytes.Clone(one), node(yaml.ScalarNode, 0)...)); err != nil {
		t.Fatalf("a pack of one scalar: %v", err)
	}
	if _, err := readPack(append(bytes.Clone(one), node(yaml.AliasNode, 0)...)); err == nil {
		t.Fatal("an alias node was read")
	}
	deep := bytes.Clone(one)
	for range maxPackDepth + 2 {
		deep = append(deep, node(yaml.SequenceNode, 1)...)
	}
	if _, err := readPack(append(deep, node(yaml.ScalarNode, 0)...)); err == nil {
		t.Fatal("nodes nested too deep were read")
	}
}

// makePack returns the rule pack (see packMagic) of the rule files under
// dir of fsys: each file's documents, in Load's order, without the rules'
// tests.
func makePack(fsys fs.FS, dir string) ([]byte, error) {
	type file struct {
		name string
		docs []*yaml.Node
	}
	var files []file
	err := fs.WalkDir(fsys, dir, func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (path.Ext(name) != ".yml" && path.Ext(name) != ".yaml") {
			return err
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		f := file{name: strings.TrimPrefix(name, dir+"/")}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var doc yaml.Node
			if err := dec.Decode(&doc); err != nil {
				if err.Error() == "EOF" {
					break
				}
				return fmt.Errorf("%s: %w", name, err)
			}
			if len(doc.Content) == 0 || doc.Content[0].Tag == "!!null" {
				continue
			}
			root := doc.Content[0]
			if root.Kind == yaml.MappingNode {
				kept := *root
				kept.Content = nil
				for i := 0; i+1 < len(root.Content); i += 2 {
					if root.Content[i].Value != "tests" {
						kept.Content = append(kept.Content, root.Content[i], root.Content[i+1])
					}
				}
				root = &kept
			}
			f.docs = append(f.docs, root)
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	b := append([]byte(packMagic), nil...)
	b = binary.AppendUvarint(b, uint64(len(files)))
	for _, f := range files {
		b = appendPackStr(b, f.name)
		b = binary.AppendUvarint(b, uint64(len(f.docs)))
		for _, root := range f.docs {
			if b, err = appendPackNode(b, root); err != nil {
				return nil, fmt.Errorf("%s: %w", f.name, err)
			}
		}
	}
	return b, nil
}

func appendPackStr(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendPackNode(b []byte, n *yaml.Node) ([]byte, error) {
	switch n.Kind {
	case yaml.MappingNode, yaml.SequenceNode, yaml.ScalarNode:
	default:
		return nil, errors.New("the built-in rules may hold mappings, sequences and scalars only (no aliases)")
	}
	b = append(b, byte(n.Kind))
	b = appendPackStr(b, n.Tag)
	b = appendPackStr(b, n.Value)
	b = binary.AppendUvarint(b, uint64(n.Line))
	b = binary.AppendUvarint(b, uint64(n.Column))
	b = binary.AppendUvarint(b, uint64(len(n.Content)))
	for _, c := range n.Content {
		var err error
		if b, err = appendPackNode(b, c); err != nil {
			return nil, err
		}
	}
	return b, nil
}
