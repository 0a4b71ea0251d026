package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The DuckDB baselines of `tcbench run -duckdb`: tcduck (the module in
// ./duckdb, kept out of trailcase's build) builds a table from the same
// gzip files and queries the files or the table; each round runs them
// beside trailcase's commands, trailcase and DuckDB taking turns to go
// first, so a slow spell of the machine falls on both sides of a ratio.

// Names of the results of a DuckDB round.
const (
	duckIngest     = "duckdb CREATE TABLE"
	duckRawIP      = "duckdb read_json/read_csv .gz --ip"
	duckRawP       = "duckdb read_json .gz --principal"
	duckTableIP    = "duckdb table --ip"
	duckTableIP10  = "duckdb table --ip ×10"
	duckTableP     = "duckdb table --principal"
	duckTableP10   = "duckdb table --principal ×10"
	tcIP           = "trailcase timeline --ip"
	tcIP10         = "trailcase timeline --ip ×10"
	tcP            = "trailcase timeline --principal"
	tcP10          = "trailcase timeline --principal ×10"
	tcFirstIP      = "trailcase acquire + timeline --ip"
	tcFirstP       = "trailcase acquire + timeline --principal"
	tcAcquireAll   = "trailcase acquire (all)"
	duckRepeat     = 10
	duckRepeatFlag = "10"
)

// duck is the DuckDB side of a bench: the tcduck binary, its database
// and the query subjects.
type duck struct {
	bin, db, ip, principal string
	// selectors are the further queries timed on both sides (--event,
	// --resource, a CIDR range), when given.
	selectors []duckSelector
	sizes     sizes
}

// duckSelector is a query beside the IP and principal ones: trailcase's
// flag, tcduck's flag and the value, named as in the report.
type duckSelector struct{ name, tcFlag, duckFlag, value string }

// names returns the results of a selector: trailcase and DuckDB, once
// and ×10.
func (s duckSelector) names() (tc, tc10, dk, dk10 string) {
	return "trailcase timeline " + s.name, "trailcase timeline " + s.name + " ×10", "duckdb table " + s.name, "duckdb table " + s.name + " ×10"
}

// duckSelectors returns the selectors given to `tcbench run`.
func duckSelectors(event, resource, cidr string) []duckSelector {
	var out []duckSelector
	for _, s := range []duckSelector{{"--event", "--event", "-event", event}, {"--resource", "--resource", "-resource", resource}, {"cidr", "--ip", "-cidr", cidr}} {
		if s.value != "" {
			s.name += " " + s.value
			out = append(out, s)
		}
	}
	return out
}

// sizes are the bytes on disk of the evidence and of what each tool built.
type sizes struct{ evidence, tcase, duckdb int64 }

// tcduckBinary returns the tcduck binary named by -duckdb: a binary, or
// the directory of its module, built into work.
func tcduckBinary(path, work string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("-duckdb: %w", err)
	}
	if !fi.IsDir() {
		return path, nil
	}
	bin, err := filepath.Abs(filepath.Join(work, "tcduck"))
	if err != nil {
		return "", err
	}
	fmt.Printf("building tcduck from %s (CGO; the first build takes a minute)\n", path)
	if _, err := measure("go build tcduck", ".", nil, "go", "build", "-C", path, "-o", bin, "."); err != nil {
		return "", err
	}
	return bin, nil
}

// duckRound runs round i of the ingest commands with DuckDB's beside
// them (after trailcase's in even rounds, before in odd ones), then each
// query pair, the side that goes first alternating with i.
func (b *bench) duckRound(i int) error {
	d := b.duck
	ingest := func() error {
		return b.round(measure(duckIngest, b.work, nil, d.bin, "ingest", "-dir", b.corpus, "-db", d.db))
	}
	steps := []func() error{b.ingestRound, ingest}
	if i%2 == 1 {
		steps[0], steps[1] = steps[1], steps[0]
	}
	for _, f := range steps {
		if err := f(); err != nil {
			return err
		}
	}
	b.sizeUp()
	pairs := [][2]func() error{
		{b.tcQuery(tcIP, 1, "--ip", d.ip), b.duckQuery(duckTableIP, "query-table", "1", "-ip", d.ip)},
		{b.tcQuery(tcIP10, duckRepeat, "--ip", d.ip), b.duckQuery(duckTableIP10, "query-table", duckRepeatFlag, "-ip", d.ip)},
		{b.tcQuery(tcP, 1, "--principal", d.principal), b.duckQuery(duckTableP, "query-table", "1", "-principal", d.principal)},
		{b.tcQuery(tcP10, duckRepeat, "--principal", d.principal), b.duckQuery(duckTableP10, "query-table", duckRepeatFlag, "-principal", d.principal)},
		{b.duckQuery(duckRawIP, "query-raw", "1", "-ip", d.ip), b.duckQuery(duckRawP, "query-raw", "1", "-principal", d.principal)},
	}
	for _, s := range d.selectors {
		tc, tc10, dk, dk10 := s.names()
		pairs = append(pairs,
			[2]func() error{b.tcQuery(tc, 1, s.tcFlag, s.value), b.duckQuery(dk, "query-table", "1", s.duckFlag, s.value)},
			[2]func() error{b.tcQuery(tc10, duckRepeat, s.tcFlag, s.value), b.duckQuery(dk10, "query-table", duckRepeatFlag, s.duckFlag, s.value)})
	}
	for _, p := range pairs {
		first, second := p[0], p[1]
		if i%2 == 1 {
			first, second = second, first
		}
		if err := first(); err != nil {
			return err
		}
		if err := second(); err != nil {
			return err
		}
	}
	// The first answer from scratch: this round's full acquire and query.
	acq := b.rounds[tcAcquireAll][i]
	b.rounds[tcFirstIP] = append(b.rounds[tcFirstIP], result{name: tcFirstIP, wall: acq.wall + b.rounds[tcIP][i].wall})
	b.rounds[tcFirstP] = append(b.rounds[tcFirstP], result{name: tcFirstP, wall: acq.wall + b.rounds[tcP][i].wall})
	return nil
}

// tcQuery returns a step that runs `trailcase timeline` n times in a
// row (one process each, as a responder would) as one result.
func (b *bench) tcQuery(name string, n int, args ...string) func() error {
	return func() error {
		argv := append([]string{b.tc, "timeline", "--case", b.caseFull, "--format", "jsonl"}, args...)
		var sum result
		var out countWriter
		for range n {
			out = countWriter{}
			r, err := measure(name, b.work, &out, argv...)
			if err != nil {
				return err
			}
			sum.name, sum.command = r.name, r.command
			sum.wall += r.wall
			sum.maxRSS = max(sum.maxRSS, r.maxRSS)
		}
		if err := b.round(sum, nil); err != nil {
			return err
		}
		fmt.Printf("  (%d events)\n", out.lines)
		return nil
	}
}

// duckQuery returns a step that runs a tcduck query (repeat times in a
// row on one connection) and keeps its wall time and its row count.
func (b *bench) duckQuery(name, cmd, repeat string, args ...string) func() error {
	return func() error {
		src := []string{"-db", b.duck.db}
		if cmd == "query-raw" {
			src = []string{"-dir", b.corpus}
		}
		var out bytes.Buffer
		argv := append(append([]string{b.duck.bin, cmd, "-repeat", repeat}, src...), args...)
		if err := b.round(measure(name, b.work, &out, argv...)); err != nil {
			return err
		}
		var first struct{ Rows int64 }
		line, _, _ := bytes.Cut(out.Bytes(), []byte{'\n'})
		if err := json.Unmarshal(line, &first); err != nil {
			return fmt.Errorf("%s: %q: %w", name, line, err)
		}
		fmt.Printf("  (%d events)\n", first.Rows)
		return nil
	}
}

// sizeUp records the sizes on disk after an ingest round.
func (b *bench) sizeUp() {
	_, ev, _ := files(b.corpus, "")
	b.duck.sizes = sizes{evidence: ev, tcase: fileSize(b.caseFull), duckdb: fileSize(b.duck.db) + fileSize(b.duck.db+".wal")}
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// duckNames are the results of a DuckDB round, in the order reported.
var duckNames = []string{tcAcquireAll, duckIngest, tcFirstIP, duckRawIP, tcFirstP, duckRawP,
	tcIP, duckTableIP, tcIP10, duckTableIP10, tcP, duckTableP, tcP10, duckTableP10}

// printDuck prints the medians of the DuckDB rounds and the ratios of
// trailcase to DuckDB taken within each round.
func (b *bench) printDuck() {
	fmt.Println()
	fmt.Printf("against DuckDB (ip %s, principal %s; medians of %d rounds):\n", b.duck.ip, b.duck.principal, len(b.rounds[duckIngest]))
	names := slices.Clone(duckNames)
	pairs := [][2]string{
		{tcAcquireAll, duckIngest},
		{tcFirstIP, duckRawIP},
		{tcFirstP, duckRawP},
		{tcIP, duckTableIP},
		{tcIP10, duckTableIP10},
		{tcP, duckTableP},
		{tcP10, duckTableP10},
	}
	for _, s := range b.duck.selectors {
		tc, tc10, dk, dk10 := s.names()
		names = append(names, tc, dk, tc10, dk10)
		pairs = append(pairs, [2]string{tc, dk}, [2]string{tc10, dk10})
	}
	for _, n := range names {
		if rs := b.rounds[n]; len(rs) > 0 {
			m := summarize(rs)
			fmt.Printf("  %-42s %8.2fs\n", n, m.wall.Seconds())
		}
	}
	s := b.duck.sizes
	mb := func(n int64) float64 { return float64(n) / 1e6 }
	fmt.Printf("  on disk: evidence %.1f MB gzip, case %.1f MB (%.2f× the evidence), DuckDB database %.1f MB (%.2f×)\n",
		mb(s.evidence), mb(s.tcase), float64(s.tcase)/float64(s.evidence), mb(s.duckdb), float64(s.duckdb)/float64(s.evidence))
	fmt.Println("trailcase / DuckDB (of medians; in brackets, within each round):")
	for _, p := range pairs {
		a, c := b.rounds[p[0]], b.rounds[p[1]]
		if len(a) == 0 || len(c) == 0 {
			continue
		}
		var in []string
		for _, r := range roundRatios(a, c) {
			in = append(in, fmt.Sprintf("%.2f", r))
		}
		med := summarize(a).wall.Seconds() / summarize(c).wall.Seconds()
		fmt.Printf("  %-44s / %-40s %5.2f× [%s]\n", p[0], p[1], med, strings.Join(in, ", "))
	}
}
