package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// examples are the EXAMPLES section of each command's help, by the
// command's full name.
var examples = map[string][]string{
	"init":          {"trailcase init --case ir-2025-017.tcase --name 'IR-2025-017' --examiner 'J. Doe'"},
	"acquire":       {"trailcase acquire --case ir.tcase ./AWSLogs --note 'copy from the responder laptop'", "trailcase acquire --case ir.tcase s3://org-trail-logs/AWSLogs/ --include '**/CloudTrail/**'", "trailcase acquire --case ir.tcase logs.tar.gz --public-keys keys.json"},
	"index":         {"trailcase index --case ir.tcase"},
	"ls":            {"trailcase ls --case ir.tcase", "trailcase ls --case ir.tcase --kind cloudtrail --json"},
	"custody":       {"trailcase custody --case ir.tcase", "trailcase custody --case ir.tcase --json"},
	"verify":        {"trailcase verify --case ir.tcase", "trailcase verify --case ir.tcase --no-record"},
	"digest":        {"trailcase digest verify --case ir.tcase"},
	"digest verify": {"trailcase digest verify --case ir.tcase", "trailcase digest verify --case ir.tcase --from 2025-03-10 --to 2025-03-12 --require-signatures"},
	"objectlock":    {"trailcase objectlock --case ir.tcase", "trailcase objectlock --case ir.tcase --objects --json", "trailcase objectlock s3://org-trail-logs/AWSLogs/ --require-mode COMPLIANCE --require-until 2026-01-01"},
	"timeline":      {"trailcase timeline --case ir.tcase --ip 203.0.113.66", "trailcase timeline --case ir.tcase --principal arn:aws:iam::111122223333:user/ci --from 2025-03-11", "trailcase timeline --case ir.tcase --all --format csv > timeline.csv", "trailcase timeline --case ir.tcase --all --wide | less -S"},
	"report":        {"trailcase report --case ir.tcase -o report.html", "trailcase report --case ir.tcase --format json"},
	"export":        {"trailcase export --case ir.tcase -o events.jsonl", "trailcase export --case ir.tcase -o events.parquet", "trailcase export --case ir.tcase --format timesketch -o timesketch.jsonl"},
	"keys":          {"trailcase keys fetch --region eu-west-1 -o keys.json"},
	"keys fetch":    {"trailcase keys fetch --region eu-west-1 -o keys.json", "trailcase keys fetch --region eu-west-1 --case ir.tcase"},
	"demo":          {"trailcase demo", "COLUMNS=80 trailcase demo --dir ./demo"},
	"completion":    {"source <(trailcase completion bash)", "trailcase completion zsh > \"${fpath[1]}/_trailcase\""},
	"version":       {"trailcase version", "trailcase version --json"},
}

// addExamples appends each command's examples to its help.
func addExamples(cmds []*cli.Command, parent string) {
	for _, c := range cmds {
		name := strings.TrimSpace(parent + " " + c.Name)
		if ex := examples[name]; len(ex) > 0 {
			c.Description = strings.TrimRight(c.Description, "\n") + "\n\nEXAMPLES:\n   " + strings.Join(ex, "\n   ")
		}
		addExamples(c.Subcommands, name)
	}
}
