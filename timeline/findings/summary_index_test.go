package findings_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/acquire"
	"github.com/trailcase/trailcase/evidence/custody"
	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline/findings"
	"github.com/trailcase/trailcase/timeline/incident"
)

// acquireDir acquires dir into a new case.
func acquireDir(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Create(filepath.Join(t.TempDir(), "case.tcase"), evidence.CaseInfo{ID: "c", Name: "summary", Examiner: "e", Created: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	src, err := acquire.OpenLocal(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acquire.Acquire(context.Background(), st, acquire.AcquireOptions{Sources: []evidence.Source{src}, Actor: custody.Actor{Examiner: "e"}}); err != nil {
		t.Fatal(err)
	}
	return st
}

// content is a summary's JSON without the fields that say where its
// parts came from.
func content(t *testing.T, s *findings.Summary) string {
	t.Helper()
	c := *s
	c.CountsFrom, c.Notes, c.FindingsFrom = "", nil, findings.FindingsSource{}
	b, err := json.MarshalIndent(&c, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkSameSummary summarises st from the index and from every event and
// compares them, then checks that stored findings are used while the
// case is unchanged and not once it has changed.
func checkSameSummary(t *testing.T, st *store.Store) *findings.Summary {
	t.Helper()
	ctx := context.Background()
	slow, err := findings.SummariseEvents(ctx, st, findings.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fast, err := findings.Summarise(ctx, st, findings.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if slow.CountsFrom != "events" || fast.CountsFrom != "index" || fast.FindingsFrom.State != "computed" {
		t.Fatalf("counts from %q and %q, findings %q", slow.CountsFrom, fast.CountsFrom, fast.FindingsFrom.State)
	}
	if a, b := content(t, slow), content(t, fast); a != b {
		t.Fatalf("summary from the index differs from the summary of every event:\n%s", lineDiff(a, b))
	}
	if err := findings.StoreFindings(st, fast, findings.Options{}); err != nil {
		t.Fatal(err)
	}
	again, err := findings.Summarise(ctx, st, findings.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if again.FindingsFrom.State != "stored" {
		t.Fatalf("unchanged case: findings %q, want stored", again.FindingsFrom.State)
	}
	if a, b := content(t, fast), content(t, again); a != b {
		t.Fatalf("summary with stored findings differs:\n%s", lineDiff(a, b))
	}
	if _, err := st.AppendCustody(evidence.CustodyEntry{Action: "note", Examiner: "e", Start: time.Now().UTC(), End: time.Now().UTC(), Result: evidence.ResultOK}); err != nil {
		t.Fatal(err)
	}
	changed, err := findings.Summarise(ctx, st, findings.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if changed.FindingsFrom.State != "computed" {
		t.Fatalf("changed case: findings %q, want computed", changed.FindingsFrom.State)
	}
	// Findings computed as the findings command does are kept for the
	// summary of the case they were computed on, and only for that one.
	rep, src, err := findings.Compute(ctx, st, findings.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AppendCustody(evidence.CustodyEntry{Action: "note", Examiner: "e", Start: time.Now().UTC(), End: time.Now().UTC(), Result: evidence.ResultOK}); err != nil {
		t.Fatal(err)
	}
	if err := findings.KeepReport(st, rep, src, findings.Options{}); err != nil {
		t.Fatal(err)
	}
	if s, err := findings.Summarise(ctx, st, findings.Options{}); err != nil {
		t.Fatal(err)
	} else if s.FindingsFrom.State != "computed" {
		t.Fatalf("findings of an older state of the case used: %q", s.FindingsFrom.State)
	}
	if rep, src, err = findings.Compute(ctx, st, findings.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := findings.KeepReport(st, rep, src, findings.Options{}); err != nil {
		t.Fatal(err)
	}
	kept, err := findings.Summarise(ctx, st, findings.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if kept.FindingsFrom.State != "stored" {
		t.Fatalf("findings kept by the findings run not used: %q", kept.FindingsFrom.State)
	}
	if a, b := content(t, changed), content(t, kept); a != b {
		t.Fatalf("summary with the findings run's findings differs:\n%s", lineDiff(a, b))
	}
	return fast
}

func lineDiff(a, b string) string {
	al, bl := bytes.Split([]byte(a), []byte("\n")), bytes.Split([]byte(b), []byte("\n"))
	for i := range min(len(al), len(bl)) {
		if !bytes.Equal(al[i], bl[i]) {
			return fmt.Sprintf("line %d:\n events: %s\n index:  %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d lines", len(al), len(bl))
}

func TestSummaryFromIndexDemo(t *testing.T) {
	dir := t.TempDir()
	if err := incident.Write(dir); err != nil {
		t.Fatal(err)
	}
	s := checkSameSummary(t, acquireDir(t, dir))
	if len(s.Start) == 0 || len(s.Changes) == 0 || len(s.Roles) == 0 {
		t.Fatalf("demo summary without pivots, changes or roles: %+v", s)
	}
}

func TestSummaryFromIndexGenerated(t *testing.T) {
	dir := t.TempDir()
	genCase(t, dir, rand.New(rand.NewSource(3)))
	s := checkSameSummary(t, acquireDir(t, dir))
	if len(s.Denied) == 0 || len(s.Egress) != 10 || len(s.Changes) != 50 || len(s.Roles) != 50 || len(s.Top.ErrorCodes) < 2 {
		t.Fatalf("generated case lacks what it should exercise: %d bursts, %d flows, %d changes, %d roles, %d error codes",
			len(s.Denied), len(s.Egress), len(s.Changes), len(s.Roles), len(s.Top.ErrorCodes))
	}
}

const genAccount = "111122223333"

// genCase writes CloudTrail, flow and ALB logs with what the summary
// shows: denied bursts, IAM and logging changes, role sessions, errors,
// user agents, flows out with equal sizes, events sharing a second.
func genCase(t *testing.T, dir string, r *rand.Rand) {
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	users := []string{"alice", "bob", "carol", "ci", "dave", "eve"}
	agents := []string{"aws-cli/2.15", "Boto3/1.34", "console.amazonaws.com", "curl/8.5"}
	ips := func() string {
		if r.Intn(5) == 0 {
			return "s3.amazonaws.com"
		}
		return fmt.Sprintf("198.51.%d.%d", r.Intn(4), 1+r.Intn(60))
	}
	type call struct{ source, name string }
	calls := []call{{"s3.amazonaws.com", "GetObject"}, {"ec2.amazonaws.com", "DescribeInstances"}, {"sts.amazonaws.com", "AssumeRole"},
		{"iam.amazonaws.com", "CreateAccessKey"}, {"iam.amazonaws.com", "ListUsers"}, {"cloudtrail.amazonaws.com", "StopLogging"},
		{"ec2.amazonaws.com", "DeleteFlowLogs"}, {"kms.amazonaws.com", "Decrypt"}}
	for f := range 4 {
		var buf bytes.Buffer
		buf.WriteString(`{"Records":[`)
		for i := range 800 {
			if i > 0 {
				buf.WriteByte(',')
			}
			tm := t0.Add(time.Duration(f*800+i/2) * time.Second)
			u := users[r.Intn(len(users))]
			c := calls[r.Intn(len(calls))]
			errPart := ""
			switch {
			case u == "eve" && r.Intn(3) > 0:
				errPart = `"errorCode":"AccessDenied","errorMessage":"denied",`
			case r.Intn(40) == 0:
				errPart = `"errorCode":"ThrottlingException",`
			case r.Intn(60) == 0:
				errPart = `"errorCode":"Client.UnauthorizedOperation",`
			}
			resp := "null"
			if c.name == "AssumeRole" && errPart == "" {
				resp = fmt.Sprintf(`{"credentials":{"accessKeyId":"ASIA%012d"},"assumedRoleUser":{"arn":"arn:aws:sts::%s:assumed-role/Admin/%s-%d"}}`, r.Intn(1e9), genAccount, u, i)
			}
			fmt.Fprintf(&buf, `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDA%s","arn":"arn:aws:iam::%s:user/%s","accountId":"%s","accessKeyId":"AKIA%s%d","userName":"%s"},"eventTime":"%s","eventSource":"%s","eventName":"%s","awsRegion":"us-east-1","sourceIPAddress":"%s","userAgent":"%s",%s"requestParameters":null,"responseElements":%s,"eventID":"%08d-0000-0000-0000-%012d","eventType":"AwsApiCall","recipientAccountId":"%s"}`,
				u, genAccount, u, genAccount, u, r.Intn(2), u, tm.Format(time.RFC3339), c.source, c.name, ips(), agents[r.Intn(len(agents))], errPart, resp, f, i, genAccount)
		}
		buf.WriteString("]}")
		writeGz(t, filepath.Join(dir, "AWSLogs", genAccount, "CloudTrail", "us-east-1", "2024", "05", "01",
			fmt.Sprintf("%s_CloudTrail_us-east-1_20240501T10%02dZ_%016X.json.gz", genAccount, f*5, f)), buf.Bytes())
	}
	for f := range 3 {
		var buf bytes.Buffer
		buf.WriteString("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n")
		for i := range 1500 {
			s := t0.Unix() + int64(f*600+i/10)
			dst := fmt.Sprintf("10.0.%d.%d", r.Intn(4), 1+r.Intn(100))
			if r.Intn(2) == 0 {
				dst = fmt.Sprintf("203.0.113.%d", 1+r.Intn(200))
			}
			bytes := []int{1_000_000, 1_000_000, 999_999, 40 + r.Intn(900_000)}[r.Intn(4)]
			fmt.Fprintf(&buf, "2 %s eni-%d 10.0.%d.%d %s %d 443 6 10 %d %d %d %s OK\n", genAccount, f, r.Intn(4), 1+r.Intn(100), dst, 1024+r.Intn(60000), bytes, s, s+60, []string{"ACCEPT", "ACCEPT", "REJECT"}[r.Intn(3)])
		}
		writeGz(t, filepath.Join(dir, "AWSLogs", genAccount, "vpcflowlogs", "us-east-1", "2024", "05", "01",
			fmt.Sprintf("%s_vpcflowlogs_us-east-1_fl-%017d_20240501T10%02dZ_%08d.log.gz", genAccount, f, f*10, f)), buf.Bytes())
	}
	var buf bytes.Buffer
	for i := range 1000 {
		tm := t0.Add(time.Duration(i) * 500 * time.Millisecond)
		fmt.Fprintf(&buf, `https %s app/web/0123456789abcdef 192.0.2.%d:%d 10.0.1.%d:80 0.000 0.001 0.000 %d %d 120 300 "GET https://shop.example.com:443/%d HTTP/1.1" "%s" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-1:%s:targetgroup/web/0123456789abcdef "Root=1-00000000-000000000000000000000000" "shop.example.com" "-" 0 %s "forward" "-" "-" "10.0.1.%d:80" "200" "-" "-" TID_0`+"\n",
			tm.Format("2006-01-02T15:04:05.000000Z"), 1+r.Intn(50), 1024+r.Intn(60000), 1+r.Intn(20), 200, 200, i%7, agents[r.Intn(len(agents))], genAccount, tm.Format("2006-01-02T15:04:05.000000Z"), 1+r.Intn(20))
	}
	writeGz(t, filepath.Join(dir, "AWSLogs", genAccount, "elasticloadbalancing", "us-east-1", "2024", "05", "01",
		fmt.Sprintf("%s_elasticloadbalancing_us-east-1_app.web.0123456789abcdef_20240501T1000Z_10.0.0.1_00000001.log.gz", genAccount)), buf.Bytes())
}

func writeGz(t *testing.T, path string, body []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(body)
	zw.Close()
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
