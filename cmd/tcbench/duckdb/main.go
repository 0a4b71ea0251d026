// Command tcduck runs the DuckDB baselines of `tcbench run -duckdb`: it
// builds a DuckDB table from a `tcbench gen` corpus and queries either
// that table or the gzip files themselves, printing one JSON line per
// step (rows, seconds).
//
//	tcduck ingest -dir CORPUS -db FILE
//	tcduck query-raw -dir CORPUS SELECTOR [-repeat N]
//	tcduck query-table -db FILE SELECTOR [-repeat N]
//
// where SELECTOR is one of -ip IP, -principal P, -event NAME, -resource
// PREFIX and -cidr RANGE (IPv4).
//
// It lives in a Go module of its own so that DuckDB (CGO and a large
// static library) never becomes part of trailcase's build:
//
//	go build -C cmd/tcbench/duckdb -o /tmp/tcduck .
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" driver
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: tcduck ingest|query-raw|query-table [flags]")
		os.Exit(2)
	}
	err := run(context.Background(), os.Args[1], os.Args[2:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "tcduck:", err)
		os.Exit(1)
	}
}

// options are the flags of every subcommand; each uses some of them.
type options struct {
	dir, db, ip, principal string
	event, resource, cidr  string
	repeat                 int
}

func run(ctx context.Context, cmd string, args []string) error {
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	var o options
	fs.StringVar(&o.dir, "dir", "", "corpus directory (from tcbench gen)")
	fs.StringVar(&o.db, "db", "", "DuckDB database file")
	fs.StringVar(&o.ip, "ip", "", "query: events touching this IP address")
	fs.StringVar(&o.principal, "principal", "", "query: CloudTrail events of this principal (user name, ARN, access key id or principal id)")
	fs.StringVar(&o.event, "event", "", "query: CloudTrail events of this name or glob (any case)")
	fs.StringVar(&o.resource, "resource", "", "query: CloudTrail events acting on a resource whose ARN or S3 bucket name starts with this (any case)")
	fs.StringVar(&o.cidr, "cidr", "", "query: events with a source or destination address in this IPv4 range")
	fs.IntVar(&o.repeat, "repeat", 1, "query: run the query this many times in a row on one connection")
	fs.Parse(args)
	switch cmd {
	case "ingest":
		if o.dir == "" || o.db == "" {
			return fmt.Errorf("ingest needs -dir and -db")
		}
		return ingest(ctx, o)
	case "query-raw", "query-table":
		n := 0
		for _, v := range []string{o.ip, o.principal, o.event, o.resource, o.cidr} {
			if v != "" {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("%s needs one of -ip, -principal, -event, -resource and -cidr", cmd)
		}
		if cmd == "query-raw" && o.dir == "" || cmd == "query-table" && o.db == "" {
			return fmt.Errorf("query-raw needs -dir, query-table needs -db")
		}
		return query(ctx, cmd, o)
	}
	return fmt.Errorf("unknown command %q", cmd)
}

// step is one JSON line of output.
type step struct {
	Op      string  `json:"op"`
	DuckDB  string  `json:"duckdb,omitempty"`
	Query   string  `json:"query,omitempty"`
	Run     int     `json:"run,omitempty"`
	Rows    int64   `json:"rows"`
	Seconds float64 `json:"seconds"`
	DBBytes int64   `json:"db_bytes,omitempty"`
}

func emit(s step) {
	b, _ := json.Marshal(s)
	fmt.Println(string(b))
}

func open(path string, readOnly bool) (*sql.DB, string, error) {
	dsn := path
	if readOnly {
		dsn += "?access_mode=read_only"
	}
	db, err := sql.Open("duckdb", dsn)
	if err != nil {
		return nil, "", fmt.Errorf("open %q: %w", path, err)
	}
	var v string
	if err := db.QueryRow("SELECT version()").Scan(&v); err != nil {
		db.Close()
		return nil, "", fmt.Errorf("open %q: %w", path, err)
	}
	return db, v, nil
}

func ingest(ctx context.Context, o options) error {
	os.Remove(o.db)
	os.Remove(o.db + ".wal")
	start := time.Now()
	db, v, err := open(o.db, false)
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE events AS "+allEvents(o.dir)); err != nil {
		db.Close()
		return fmt.Errorf("create table: %w", err)
	}
	var n int64
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM events").Scan(&n); err != nil {
		db.Close()
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}
	s := step{Op: "ingest", DuckDB: v, Rows: n, Seconds: time.Since(start).Seconds()}
	if fi, err := os.Stat(o.db); err == nil {
		s.DBBytes = fi.Size()
	}
	emit(s)
	return nil
}

func query(ctx context.Context, cmd string, o options) error {
	start := time.Now()
	path, from := o.db, "events"
	if cmd == "query-raw" {
		path, from = "", allEvents(o.dir)
		if o.ip == "" && o.cidr == "" {
			from = cloudTrail(o.dir) // only CloudTrail events have principals, names and resources
		}
	}
	q, arg, desc, err := selectQuery(from, o)
	if err != nil {
		return err
	}
	db, v, err := open(path, cmd == "query-table")
	if err != nil {
		return err
	}
	defer db.Close()
	for i := range max(o.repeat, 1) {
		t := time.Now()
		var args []any
		if arg != nil {
			args = append(args, arg)
		}
		n, err := fetchAll(ctx, db, q, args...)
		if err != nil {
			return fmt.Errorf("%s: %w", desc, err)
		}
		emit(step{Op: cmd, DuckDB: v, Query: desc, Run: i + 1, Rows: n, Seconds: time.Since(t).Seconds()})
	}
	emit(step{Op: cmd + " total", DuckDB: v, Query: desc, Seconds: time.Since(start).Seconds()})
	return nil
}

// selectQuery returns the SELECT of the query o asks for over from, its
// argument and a description.
func selectQuery(from string, o options) (q string, arg any, desc string, err error) {
	sel := "SELECT * FROM (" + from + ") WHERE "
	switch {
	case o.ip != "":
		return sel + "src_ip = $1 OR dst_ip = $1 ORDER BY time", o.ip, "ip " + o.ip, nil
	case o.principal != "":
		return sel + "lower(user_name) = $1 OR lower(arn) = $1 OR lower(access_key_id) = $1 OR lower(principal_id) = $1 OR lower(issuer_arn) = $1 ORDER BY time",
			strings.ToLower(strings.TrimSpace(o.principal)), "principal " + o.principal, nil
	case o.event != "":
		// A glob as LIKE pattern: * any text, ? one character.
		like := strings.NewReplacer("%", `\%`, "_", `\_`, "*", "%", "?", "_").Replace(strings.ToLower(o.event))
		return sel + `kind = 'cloudtrail' AND lower(action) LIKE $1 ESCAPE '\' ORDER BY time`, like, "event " + o.event, nil
	case o.resource != "":
		// The bucket of an S3 call, or an ARN the record lists, or the
		// name an S3 ARN starts with.
		p := lit(strings.ToLower(o.resource))
		return sel + `kind = 'cloudtrail' AND (starts_with(lower(request->>'bucketName'), ` + p + `)
			OR len(list_filter(json_extract_string(resources, '$[*].ARN'),
				lambda a: starts_with(lower(a), ` + p + `) OR starts_with(lower(a), 'arn:aws:s3:::' || ` + p + `))) > 0)
			ORDER BY time`, nil, "resource " + o.resource, nil
	case o.cidr != "":
		pr, err := netip.ParsePrefix(o.cidr)
		if err != nil || !pr.Addr().Is4() {
			return "", nil, "", fmt.Errorf("-cidr %q: want an IPv4 range", o.cidr)
		}
		pr = pr.Masked()
		a := pr.Addr().As4()
		lo := uint64(a[0])<<24 | uint64(a[1])<<16 | uint64(a[2])<<8 | uint64(a[3])
		hi := lo + 1<<(32-pr.Bits()) - 1
		in := func(col string) string {
			n := fmt.Sprintf(`(try_cast(split_part(%[1]s, '.', 1) AS BIGINT) * 16777216 + try_cast(split_part(%[1]s, '.', 2) AS BIGINT) * 65536
				+ try_cast(split_part(%[1]s, '.', 3) AS BIGINT) * 256 + try_cast(split_part(%[1]s, '.', 4) AS BIGINT))`, col)
			return fmt.Sprintf("(%s LIKE '%%.%%.%%.%%' AND %s BETWEEN %d AND %d)", col, n, lo, hi)
		}
		return sel + in("src_ip") + " OR " + in("dst_ip") + " ORDER BY time", nil, "cidr " + o.cidr, nil
	}
	return "", nil, "", fmt.Errorf("no query")
}

// fetchAll runs q and reads every column of every row (as a client
// printing the events would), returning the number of rows.
func fetchAll(ctx context.Context, db *sql.DB, q string, args ...any) (int64, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// lit quotes s as an SQL string literal.
func lit(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// glob returns the pattern of one kind's gzip files under a
// `tcbench gen` corpus (AWSLogs/<account>/<kind>/<region>/yyyy/mm/dd/).
func glob(dir, kind, ext string) string {
	abs, _ := filepath.Abs(dir)
	return lit(filepath.Join(abs, "AWSLogs", "*", kind, "*", "*", "*", "*", "*"+ext))
}

// The events table: one row per event trailcase indexes, in columns a
// responder would query (the IP and principal queries need src_ip,
// dst_ip and the identity columns) plus the request's details.
// Each source's SELECT names the columns it fills; UNION ALL BY NAME
// leaves the others NULL.

// cloudTrail selects CloudTrail records (the Records array unnested).
// The columns are given, as a responder who knows the format would, and
// format 'unstructured' (one JSON document per file): with format 'auto'
// and given columns DuckDB reads the files about ten times slower.
func cloudTrail(dir string) string {
	const columns = `{Records: 'STRUCT(
		eventTime VARCHAR, eventName VARCHAR, eventSource VARCHAR, awsRegion VARCHAR,
		sourceIPAddress VARCHAR, userAgent VARCHAR, errorCode VARCHAR, errorMessage VARCHAR,
		userIdentity STRUCT(type VARCHAR, principalId VARCHAR, arn VARCHAR, accountId VARCHAR,
			accessKeyId VARCHAR, userName VARCHAR,
			sessionContext STRUCT(sessionIssuer STRUCT(arn VARCHAR))),
		requestParameters JSON, responseElements JSON, resources JSON,
		requestID VARCHAR, eventID VARCHAR, eventType VARCHAR, recipientAccountId VARCHAR)[]'}`
	return `SELECT 'cloudtrail' AS kind, r.eventTime::TIMESTAMPTZ::TIMESTAMP AS time,
		r.eventSource AS service, r.eventName AS action, r.awsRegion AS region,
		r.sourceIPAddress AS src_ip, r.userAgent AS user_agent,
		coalesce(r.errorCode, 'ok') AS outcome, r.errorMessage AS message,
		r.userIdentity.type AS identity_type, r.userIdentity.userName AS user_name,
		r.userIdentity.arn AS arn, r.userIdentity.accessKeyId AS access_key_id,
		r.userIdentity.principalId AS principal_id, r.userIdentity.accountId AS account,
		r.userIdentity.sessionContext.sessionIssuer.arn AS issuer_arn,
		r.requestParameters AS request, r.responseElements AS response, r.resources AS resources,
		r.requestID AS request_id, r.eventID AS record_id, filename AS file
	FROM (SELECT unnest(Records) AS r, filename
		FROM read_json(` + glob(dir, "CloudTrail", ".json.gz") + `, format = 'unstructured', columns = ` + columns + `, filename = true))`
}

// vpcFlow selects VPC flow log records (space-separated, one header line).
func vpcFlow(dir string) string {
	return `SELECT 'vpcflow' AS kind, make_timestamp(try_cast("start" AS BIGINT) * 1000000) AS time,
		make_timestamp(try_cast("end" AS BIGINT) * 1000000) AS end_time,
		"action" AS action, "log-status" AS outcome, "account-id" AS account, "interface-id" AS interface,
		nullif(srcaddr, '-') AS src_ip, nullif(dstaddr, '-') AS dst_ip,
		try_cast(srcport AS INTEGER) AS src_port, try_cast(dstport AS INTEGER) AS dst_port,
		try_cast(protocol AS INTEGER) AS protocol, try_cast(packets AS BIGINT) AS packets,
		try_cast(bytes AS BIGINT) AS bytes, filename AS file
	FROM read_csv(` + glob(dir, "vpcflowlogs", ".log.gz") + `, delim = ' ', header = true, all_varchar = true, filename = true)`
}

// albColumns are the fields of an Application Load Balancer access log line.
var albColumns = []string{"type", "time", "elb", "client_port", "target_port", "request_processing_time",
	"target_processing_time", "response_processing_time", "elb_status_code", "target_status_code",
	"received_bytes", "sent_bytes", "request", "user_agent", "ssl_cipher", "ssl_protocol",
	"target_group_arn", "trace_id", "domain_name", "chosen_cert_arn", "matched_rule_priority",
	"request_creation_time", "actions_executed", "redirect_url", "error_reason", "target_port_list",
	"target_status_code_list", "classification", "classification_reason", "conn_trace_id"}

// alb selects ALB access log lines (space-separated, quoted fields).
func alb(dir string) string {
	cols := make([]string, len(albColumns))
	for i, c := range albColumns {
		cols[i] = c + ": 'VARCHAR'"
	}
	return `SELECT 'alb' AS kind, "time"::TIMESTAMPTZ::TIMESTAMP AS time, elb AS service,
		request AS action, elb_status_code AS outcome, user_agent,
		regexp_extract(client_port, '^(.*):[0-9]+$', 1) AS src_ip,
		try_cast(regexp_extract(client_port, ':([0-9]+)$', 1) AS INTEGER) AS src_port,
		nullif(regexp_extract(target_port, '^(.*):[0-9]+$', 1), '') AS dst_ip,
		try_cast(regexp_extract(target_port, ':([0-9]+)$', 1) AS INTEGER) AS dst_port,
		try_cast(received_bytes AS BIGINT) + try_cast(sent_bytes AS BIGINT) AS bytes,
		domain_name AS domain, trace_id AS record_id, filename AS file
	FROM read_csv(` + glob(dir, "elasticloadbalancing", ".log.gz") + `, delim = ' ', quote = '"', escape = '"',
		header = false, columns = {` + strings.Join(cols, ", ") + `}, filename = true)`
}

// allEvents selects the events of every kind the corpus holds.
func allEvents(dir string) string {
	return cloudTrail(dir) + "\nUNION ALL BY NAME\n" + vpcFlow(dir) + "\nUNION ALL BY NAME\n" + alb(dir)
}
