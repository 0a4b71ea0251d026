package sigma

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/trailcase/trailcase/timeline"
	"github.com/trailcase/trailcase/timeline/export"
)

// TestSQLDuckDB runs the DuckDB translation of every rule that carries
// tests (the built-in pack and testdata/rules) over the rule's test events
// written as a Parquet export, and compares with the engine: a detection
// rule's query returns one row per event the engine matched, a
// correlation's query returns rows exactly when the engine reports a
// result.
//
// DuckDB is not a dependency of trailcase, so this runs only when
// TRAILCASE_DUCKDB names a command that reads SQL statements on stdin and
// prints the last one's rows as a JSON array, such as "duckdb -json".
func TestSQLDuckDB(t *testing.T) {
	cmd := strings.Fields(os.Getenv("TRAILCASE_DUCKDB"))
	if len(cmd) == 0 {
		t.Skip("TRAILCASE_DUCKDB is not set (e.g. TRAILCASE_DUCKDB='duckdb -json')")
	}
	type sqlCase struct {
		what        string
		q, dir      string
		want        int
		correlation bool
	}
	var cases []sqlCase
	skipped := 0
	for _, root := range []struct {
		fsys fs.FS
		dir  string
	}{{builtinFS, "rules"}, {os.DirFS("testdata"), "rules"}} {
		err := fs.WalkDir(root.fsys, root.dir, func(name string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(name, ".yml") {
				return err
			}
			data, err := fs.ReadFile(root.fsys, name)
			if err != nil {
				return err
			}
			rules, _ := Parse(name, data)
			eng, _ := New(rules, Limits{})
			bases := map[string]*Rule{}
			for _, r := range rules {
				if r.detection != nil {
					bases[r.ID], bases[r.Name] = r, r
				}
			}
			tests := ruleTests(t, data)
			tr := &sqlT{d: DialectDuckDB}
			for _, r := range rules {
				if len(tests[r.ID]) == 0 {
					continue
				}
				var q string
				if r.correlation != nil {
					q, err = tr.correlationQuery(r, bases)
				} else {
					q, err = tr.detectionQuery(r)
				}
				if err != nil {
					t.Logf("%s %s: not translated: %v", name, r.ID, err)
					skipped++
					continue
				}
				for i, tc := range tests[r.ID] {
					evs := buildEvents(t, tc.Events)
					dir := t.TempDir()
					writeExport(t, dir, evs)
					cases = append(cases, sqlCase{what: fmt.Sprintf("%s %s test %d", name, r.ID, i), q: q, dir: dir,
						want: len(runEvents(eng, evs, r.ID)), correlation: r.correlation != nil})
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// One statement for every case: starting DuckDB once is most of the time.
	var sql strings.Builder
	for i, c := range cases {
		if i > 0 {
			sql.WriteString("\nUNION ALL\n")
		}
		from := "read_parquet(" + quote(c.dir+"/**/*.parquet") + ", hive_partitioning = true, hive_types_autocast = false)"
		q := strings.ReplaceAll(strings.TrimSuffix(strings.TrimSpace(c.q), ";"), "FROM "+SQLTable, "FROM "+from)
		fmt.Fprintf(&sql, "SELECT %d AS k, (SELECT count(*) FROM (\n%s\n) AS q) AS n", i, q)
	}
	sql.WriteString(";\n")
	got := duckCounts(t, cmd, sql.String())
	for i, c := range cases {
		n, ok := got[i]
		switch {
		case !ok:
			t.Errorf("%s: no count", c.what)
		case c.correlation && (n > 0) != (c.want > 0):
			t.Errorf("%s: SQL %d group(s), engine %d result(s)\n%s", c.what, n, c.want, c.q)
		case !c.correlation && n != c.want:
			t.Errorf("%s: SQL %d row(s), engine %d\n%s", c.what, n, c.want, c.q)
		}
	}
	t.Logf("%d rule tests compared with DuckDB, %d rules not translated", len(cases), skipped)
}

// duckCounts runs sql and reads its rows of k and n.
func duckCounts(t *testing.T, cmd []string, sql string) map[int]int {
	t.Helper()
	c := exec.Command(cmd[0], cmd[1:]...)
	c.Stdin = strings.NewReader(sql)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		t.Fatalf("%v: %v\n%s", cmd, err, stderr.String())
	}
	var rows []map[string]any
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("%v: output is not a JSON array of rows: %v\n%s", cmd, err, out)
	}
	got := map[int]int{}
	for _, r := range rows {
		k, _ := strconv.Atoi(fmt.Sprint(r["k"]))
		n, _ := strconv.Atoi(fmt.Sprint(r["n"]))
		got[k] = n
	}
	return got
}

// writeExport writes events as trailcase export --format parquet lays
// them out: the same row type, the same partition directories. Events go
// through the store's encoding first, as an export reads them.
func writeExport(t *testing.T, dir string, evs []*timeline.Event) {
	t.Helper()
	parts := map[string][]export.ParquetRow{}
	for i, e := range evs {
		ev, err := timeline.DecodeEvent(timeline.EncodeEvent(nil, e))
		if err != nil {
			t.Fatal(err)
		}
		p := export.ParquetRow{
			SchemaVersion: 1, Time: ev.Time.UnixMicro(), Kind: ev.Kind, Evidence: int64(ev.Evidence), Record: int64(i + 1),
			Principal: ev.Principal, PrincipalType: ev.PrincipalType, AccessKeyID: ev.AccessKeyID, UserName: ev.UserName,
			Issuer: ev.Issuer, PrincipalID: ev.PrincipalID, IdentityARN: ev.IdentityARN,
			SrcIP: ev.SrcIP, DstIP: ev.DstIP, OtherIPs: ev.OtherIPs,
			Action: ev.Action, Outcome: ev.Outcome, EventID: ev.EventID, EventSource: ev.EventSource,
			UserAgent: ev.UserAgent, Protocol: ev.Protocol, IssuedAccessKey: ev.IssuedAccessKey,
			IssuedSession: ev.IssuedSession, Annotations: ev.Annotations, Raw: timeline.RawText(ev.Raw), Resources: ev.Resources,
		}
		if ev.SrcPort != 0 {
			v := int32(ev.SrcPort)
			p.SrcPort = &v
		}
		if ev.DstPort != 0 {
			v := int32(ev.DstPort)
			p.DstPort = &v
		}
		if ev.Bytes != 0 {
			v := ev.Bytes
			p.Bytes = &v
		}
		if ev.Packets != 0 {
			v := ev.Packets
			p.Packets = &v
		}
		if len(ev.Fields) > 0 {
			b, _ := json.Marshal(ev.Fields)
			p.Fields = string(b)
		}
		key := export.PartitionPath(ev.Source, ev.Account, ev.Region, ev.Time)
		parts[key] = append(parts[key], p)
	}
	for key, rows := range parts {
		path := filepath.Join(dir, filepath.FromSlash(key), "part-00000.parquet")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := parquet.WriteFile(path, rows); err != nil {
			t.Fatal(err)
		}
	}
}
