package sigma

import (
	"embed"

	"go.yaml.in/yaml/v3"
)

//go:embed rules/*.yml
var builtinFS embed.FS

// Builtin loads the rule pack embedded in trailcase: rules written by the
// project in Sigma format for CloudTrail, VPC Flow and ELB. Each file
// carries its own positive and negative test events under "tests", a key
// the engine ignores.
//
// The rules come from builtinPack, the files' YAML documents as parsed
// nodes without their tests (builtin_pack.go, made from rules/ by
// TestBuiltinPack): parsing the YAML took about 5 ms, most of what a
// one-address timeline query spent on its rules. The same parser then
// reads the nodes as Load reads a file's, so the rules, and the lines
// their errors name, are the same.
func Builtin() ([]*Rule, []*RuleError) {
	var rules []*Rule
	var errs []*RuleError
	for _, f := range builtinPack {
		for _, doc := range f.docs {
			root, rest := unpackNode(doc)
			if root == nil || len(rest) != 0 {
				errs = append(errs, &RuleError{File: f.name, Msg: "the built-in pack is malformed"})
				continue
			}
			rules, errs = addRule(rules, errs, f.name, root)
		}
	}
	return rules, errs
}

// packFile is one rule file of the built-in pack: its documents, each a
// node tree in preorder (a node, then its children).
type packFile struct {
	name string
	docs [][]packNode
}

// packNode is a YAML node with what the rule parser reads of it, and the
// number of its children, which follow it.
type packNode struct {
	kind         yaml.Kind
	tag, value   string
	line, column int
	children     int
}

// unpackNode rebuilds the node tree at the start of ns and returns it and
// what follows it; nil if ns ends before the tree does.
func unpackNode(ns []packNode) (*yaml.Node, []packNode) {
	if len(ns) == 0 {
		return nil, nil
	}
	p := ns[0]
	n := &yaml.Node{Kind: p.kind, Tag: p.tag, Value: p.value, Line: p.line, Column: p.column}
	ns = ns[1:]
	if p.children > 0 {
		n.Content = make([]*yaml.Node, p.children)
		for i := range n.Content {
			var c *yaml.Node
			if c, ns = unpackNode(ns); c == nil {
				return nil, nil
			}
			n.Content[i] = c
		}
	}
	return n, ns
}
