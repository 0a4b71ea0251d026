package main

import (
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestGenIncidentUser checks that the generated CloudTrail has the
// principal under investigation once per incidentEvery records, on its
// own access keys, and each regular user on many more.
func TestGenIncidentUser(t *testing.T) {
	dir := t.TempDir()
	if err := gen([]string{"-dir", dir, "-ct", "5000", "-flow", "0", "-alb", "0"}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "AWSLogs", "*", "CloudTrail", "*", "*", "*", "*", "*.json.gz"))
	if len(files) != 20 {
		t.Fatalf("%d CloudTrail files, want 20", len(files))
	}
	users := map[string]int{}
	keys := map[string]bool{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(fh)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Records []struct {
				UserIdentity struct {
					UserName    string `json:"userName"`
					AccessKeyID string `json:"accessKeyId"`
				} `json:"userIdentity"`
			} `json:"Records"`
		}
		if err := json.NewDecoder(zr).Decode(&doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		fh.Close()
		for _, r := range doc.Records {
			users[r.UserIdentity.UserName]++
			if r.UserIdentity.UserName == incidentUser {
				keys[r.UserIdentity.AccessKeyID] = true
			}
		}
	}
	if got, want := users[incidentUser], 5000/incidentEvery; got != want {
		t.Fatalf("%s makes %d calls, want %d", incidentUser, got, want)
	}
	for k := range keys {
		if k != userKeys[incidentUser][0] && k != userKeys[incidentUser][1] {
			t.Fatalf("%s used key %s, not its own", incidentUser, k)
		}
	}
	if users["alice"] < 500 {
		t.Fatalf("alice makes %d calls", users["alice"])
	}
}
