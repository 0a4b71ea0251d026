package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trailcase/trailcase/digest"
	"github.com/trailcase/trailcase/store"
)

// fakeCloudTrail speaks the CloudTrail JSON protocol for ListPublicKeys,
// two pages of keys.
type fakeCloudTrail struct {
	mu       sync.Mutex
	requests []map[string]any
	keys     [][]byte
	badFP    bool
}

func (f *fakeCloudTrail) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	if !strings.HasSuffix(target, ".ListPublicKeys") || !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") {
		http.Error(w, `{"__type":"UnknownOperationException"}`, http.StatusBadRequest)
		return
	}
	var in map[string]any
	body, _ := io.ReadAll(r.Body)
	json.Unmarshal(body, &in)
	f.mu.Lock()
	f.requests = append(f.requests, in)
	f.mu.Unlock()
	page := 0
	if in["NextToken"] == "page-2" {
		page = 1
	}
	der := f.keys[page]
	sum := md5.Sum(der)
	fp := hex.EncodeToString(sum[:])
	if f.badFP {
		fp = "00000000000000000000000000000000"
	}
	out := map[string]any{"PublicKeyList": []map[string]any{{
		"Value":             base64.StdEncoding.EncodeToString(der),
		"ValidityStartTime": 1767225600 + page*2592000,
		"ValidityEndTime":   1767225600 + (page+1)*2592000,
		"Fingerprint":       fp,
	}}}
	if page == 0 {
		out["NextToken"] = "page-2"
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(out)
}

func awsTestEnv(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_PROFILE", "")
}

func TestKeysFetch(t *testing.T) {
	awsTestEnv(t)
	var ders [][]byte
	for range 2 {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		ders = append(ders, x509.MarshalPKCS1PublicKey(&k.PublicKey))
	}
	fake := &fakeCloudTrail{keys: ders}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	dir := t.TempDir()
	out := filepath.Join(dir, "keys.json")
	cs := filepath.Join(dir, "case.tcase")
	var so, se bytes.Buffer
	if code := run(context.Background(), []string{"trailcase", "init", "--case", cs, "--name", "n", "--examiner", "e"}, &so, &se); code != 0 {
		t.Fatalf("init: %d %s", code, se.String())
	}
	so.Reset()
	se.Reset()
	code := run(context.Background(), []string{"trailcase", "keys", "fetch", "--from", "2026-01-01", "--to", "2026-03-01",
		"-o", out, "--endpoint-url", srv.URL, "--case", cs}, &so, &se)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, so.String(), se.String())
	}
	if len(fake.requests) != 2 || fake.requests[0]["StartTime"] == nil || fake.requests[1]["NextToken"] != "page-2" {
		t.Errorf("requests %v", fake.requests)
	}
	if st, ok := fake.requests[0]["StartTime"].(float64); !ok || int64(st) != time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix() {
		t.Errorf("StartTime %v", fake.requests[0]["StartTime"])
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := digest.ParseKeyFile(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || !bytes.Equal(keys[0].Value, ders[0]) || !bytes.Equal(keys[1].Value, ders[1]) ||
		!keys[0].Start.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) || keys[0].Fingerprint != digest.Fingerprint(ders[0]) {
		t.Errorf("keys %+v", keys)
	}
	if !strings.Contains(so.String(), digest.Fingerprint(ders[1])) || !strings.Contains(se.String(), "2 public key(s) of eu-west-1 written to") {
		t.Errorf("output %q %q", so.String(), se.String())
	}
	st, err := store.Open(cs, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := st.Keys()
	st.Close()
	if err != nil || len(stored) != 2 || stored[0].Region != "eu-west-1" {
		t.Errorf("stored keys %+v %v", stored, err)
	}

	// A key whose fingerprint does not match is refused; nothing is written.
	fake.badFP = true
	os.Remove(out)
	so.Reset()
	se.Reset()
	code = run(context.Background(), []string{"trailcase", "keys", "fetch", "-o", out, "--endpoint-url", srv.URL}, &so, &se)
	if code != 1 || !strings.Contains(se.String(), "does not match the key") {
		t.Errorf("bad fingerprint: exit %d %q", code, se.String())
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("file written despite the error: %v", err)
	}

	// No -o and no --case is a usage error.
	se.Reset()
	if code := run(context.Background(), []string{"trailcase", "keys", "fetch", "--endpoint-url", srv.URL}, &so, &se); code != 2 {
		t.Errorf("no output: exit %d %q", code, se.String())
	}
}
