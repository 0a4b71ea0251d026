package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
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

// TestGenResources checks that the generated calls act on what a real
// account has: a small set of buckets, instances, roles and secrets used
// again and again, object keys that keep changing, and each event name
// with its own service. The same seed gives the same corpus.
func TestGenResources(t *testing.T) {
	dirs := [2]string{t.TempDir(), t.TempDir()}
	for _, d := range dirs {
		if err := gen([]string{"-dir", d, "-ct", "3000", "-flow", "0", "-alb", "0"}); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dirs[0], "AWSLogs", "*", "CloudTrail", "*", "*", "*", "*", "*.json.gz"))
	if len(files) == 0 {
		t.Fatal("no CloudTrail files")
	}
	names := map[string]map[string]bool{} // kind → distinct values
	count := map[string]int{}
	add := func(kind, v string) {
		if v == "" {
			return
		}
		if names[kind] == nil {
			names[kind] = map[string]bool{}
		}
		names[kind][v] = true
		count[kind]++
	}
	sourceOf := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		other, err := os.ReadFile(filepath.Join(dirs[1], strings.TrimPrefix(f, dirs[0])))
		if err != nil || !bytes.Equal(b, other) {
			t.Fatalf("%s differs between two runs with the same seed (%v)", f, err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Records []struct {
				EventName   string `json:"eventName"`
				EventSource string `json:"eventSource"`
				Params      struct {
					BucketName   string `json:"bucketName"`
					Key          string `json:"key"`
					RoleARN      string `json:"roleArn"`
					SecretID     string `json:"secretId"`
					InstancesSet struct {
						Items []struct {
							InstanceID string `json:"instanceId"`
						} `json:"items"`
					} `json:"instancesSet"`
				} `json:"requestParameters"`
				Resources []struct {
					ARN string `json:"ARN"`
				} `json:"resources"`
			} `json:"Records"`
		}
		if err := json.NewDecoder(zr).Decode(&doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, r := range doc.Records {
			if s, ok := sourceOf[r.EventName]; ok && s != r.EventSource {
				t.Fatalf("%s from %s and %s", r.EventName, s, r.EventSource)
			}
			sourceOf[r.EventName] = r.EventSource
			add("bucket", r.Params.BucketName)
			add("key", r.Params.Key)
			add("role", r.Params.RoleARN)
			add("secret", r.Params.SecretID)
			for _, it := range r.Params.InstancesSet.Items {
				add("instance", it.InstanceID)
			}
			if r.Params.BucketName != "" && (len(r.Resources) == 0 || r.Resources[0].ARN != "arn:aws:s3:::"+r.Params.BucketName+"/"+r.Params.Key) {
				t.Fatalf("%s of %s/%s: resources %v", r.EventName, r.Params.BucketName, r.Params.Key, r.Resources)
			}
		}
	}
	for kind, most := range map[string]int{"bucket": 16, "role": 10, "secret": 10, "instance": 40} {
		if n := len(names[kind]); n < 2 || n > most || count[kind] < 5*n {
			t.Errorf("%d distinct %s names in %d calls: want a few (at most %d), each used often", n, kind, count[kind], most)
		}
	}
	if n := len(names["key"]); n < count["key"]*9/10 {
		t.Errorf("%d distinct object keys in %d S3 calls: want nearly all different", n, count["key"])
	}
}
