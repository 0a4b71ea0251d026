package sigma

import "embed"

// builtinFS is the built-in pack's source, rules/*.yml, with each rule's
// test events: the tests run them and make builtin.pack from them. The
// binary holds only the pack (Builtin).
//
//go:embed rules/*.yml
var builtinFS embed.FS
