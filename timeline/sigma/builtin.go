package sigma

import (
	"embed"
	"io/fs"
)

//go:embed rules/*.yml
var builtinFS embed.FS

// Builtin loads the rule pack embedded in trailcase: rules written by the
// project in Sigma format for CloudTrail, VPC Flow and ELB. Each file
// carries its own positive and negative test events under "tests", a key
// the engine ignores.
func Builtin() ([]*Rule, []*RuleError) {
	sub, err := fs.Sub(builtinFS, "rules")
	if err != nil {
		return nil, []*RuleError{{File: "rules", Msg: err.Error()}}
	}
	return Load(sub, ".")
}
