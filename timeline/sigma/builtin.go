package sigma

import (
	_ "embed" // builtinPack
	"encoding/binary"
	"errors"

	"go.yaml.in/yaml/v3"
)

// builtinPack is the built-in rule pack, rules/*.yml, parsed (see
// Builtin and packMagic); TestBuiltinPack writes it.
//
//go:embed builtin.pack
var builtinPack []byte

// Builtin loads the rule pack embedded in trailcase: rules written by the
// project in Sigma format for CloudTrail, VPC Flow and ELB. Each file
// carries its own positive and negative test events under "tests", a key
// the engine ignores.
//
// The rules come from builtin.pack, the files' YAML documents as parsed
// nodes without their tests (made from rules/ by TestBuiltinPack):
// parsing the YAML took about 5 ms, most of what a one-address timeline
// query spent on its rules. The same parser then reads the nodes as Load
// reads a file's, so the rules, and the lines their errors name, are the
// same.
func Builtin() ([]*Rule, []*RuleError) {
	files, err := readPack(builtinPack)
	if err != nil {
		return nil, []*RuleError{{File: "builtin.pack", Msg: err.Error()}}
	}
	var rules []*Rule
	var errs []*RuleError
	for _, f := range files {
		for _, root := range f.docs {
			rules, errs = addRule(rules, errs, f.name, root)
		}
	}
	return rules, errs
}

// packMagic starts a rule pack, which then holds
//
//	uvarint files
//	files × (str name, uvarint documents, documents × node)
//	node: kind (1 byte: mapping, sequence or scalar), str tag, str value,
//	      uvarint line, uvarint column, uvarint children, children × node
//	str: uvarint length, bytes
//
// each document a node tree in preorder, with what the rule parser reads
// of a YAML node.
const packMagic = "trailcase sigma pack 1\n"

// maxPackDepth bounds how deep a pack's node trees nest.
const maxPackDepth = 64

var errPack = errors.New("the built-in rule pack is malformed")

// packFile is one rule file of a pack: its documents' root nodes.
type packFile struct {
	name string
	docs []*yaml.Node
}

// readPack reads a rule pack; it fails for a malformed one.
func readPack(data []byte) ([]packFile, error) {
	if len(data) < len(packMagic) || string(data[:len(packMagic)]) != packMagic {
		return nil, errPack
	}
	r := packReader{b: data, s: string(data), at: len(packMagic)}
	files := make([]packFile, r.count())
	for i := range files {
		files[i].name = r.str()
		files[i].docs = make([]*yaml.Node, r.count())
		for j := range files[i].docs {
			files[i].docs[j] = r.node(0)
		}
	}
	if r.bad || r.at != len(r.s) {
		return nil, errPack
	}
	return files, nil
}

// packReader reads a pack's values from b (its strings from s, the same
// bytes as one string, so that they are not copied one by one); bad is
// set at the first value that does not read, and every later read gives
// a zero value.
type packReader struct {
	b   []byte
	s   string
	at  int
	bad bool
}

func (r *packReader) uvarint() uint64 {
	if r.bad {
		return 0
	}
	v, l := binary.Uvarint(r.b[r.at:])
	if l <= 0 {
		r.bad = true
		return 0
	}
	r.at += l
	return v
}

// count reads a number of things, each at least a byte long.
func (r *packReader) count() int {
	n := r.uvarint()
	if n > uint64(len(r.s)-r.at) {
		r.bad = true
		return 0
	}
	return int(n)
}

func (r *packReader) str() string {
	n := r.count()
	if r.bad {
		return ""
	}
	r.at += n
	return r.s[r.at-n : r.at]
}

func (r *packReader) node(depth int) *yaml.Node {
	if r.bad || r.at >= len(r.s) || depth > maxPackDepth {
		r.bad = true
		return &yaml.Node{}
	}
	n := &yaml.Node{Kind: yaml.Kind(r.s[r.at])}
	r.at++
	switch n.Kind {
	case yaml.MappingNode, yaml.SequenceNode, yaml.ScalarNode:
	default:
		r.bad = true
	}
	n.Tag = r.str()
	n.Value = r.str()
	n.Line = int(min(r.uvarint(), 1<<31))
	n.Column = int(min(r.uvarint(), 1<<31))
	if c := r.count(); c > 0 {
		n.Content = make([]*yaml.Node, c)
		for i := range n.Content {
			n.Content[i] = r.node(depth + 1)
		}
	}
	return n
}
