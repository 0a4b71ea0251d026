package main

import (
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/evidence/safe"
	"github.com/trailcase/trailcase/timeline/findings"
	"github.com/trailcase/trailcase/timeline/sigma"
)

// sqlFlags checks the flags that go with --emit-sql: the ones that filter
// or judge a run over a case do not apply.
func sqlFlags(c *cli.Context, dialect string) error {
	ok := false
	for _, d := range sigma.Dialects {
		ok = ok || d == dialect
	}
	if !ok {
		return usagef("--emit-sql: %q is not one of %s", dialect, strings.Join(sigma.Dialects, ", "))
	}
	for _, f := range []string{"level", "fail-on", "from", "to"} {
		if c.IsSet(f) {
			return usagef("--%s applies to a run over a case, not to --emit-sql", f)
		}
	}
	if gBool(c, "json") {
		return usagef("--emit-sql writes SQL, not JSON")
	}
	return nil
}

// runFindingsSQL writes the built-in rules and the --rules as SQL over the
// Parquet export on stdout; what could not be translated is on stderr too.
func runFindingsSQL(o findingsOptions, s *streams) error {
	rules, errs := sigma.Builtin()
	more, lerrs := findings.LoadRules(o.rules)
	rules, errs = append(rules, more...), append(errs, lerrs...)
	warnRules(s, errs)
	sum, err := sigma.WriteSQL(s.stdout, rules, o.sql)
	if err != nil {
		return err
	}
	for _, sk := range sum.Skipped {
		s.info("rule %s (%s) not translated: %s", safe.Text(sk.Rule), safe.Text(sk.File), safe.Text(sk.Reason))
	}
	s.info("%d rule(s) written as %s queries, %d base rule(s) inside correlation queries, %d not translated, %d not loaded",
		len(sum.Queries), o.sql, len(sum.Bases), len(sum.Skipped), len(errs))
	return nil
}
