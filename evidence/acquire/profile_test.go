package acquire

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/custody"
	"github.com/trailcase/trailcase/store"
)

// TestProfileAcquire acquires a corpus (from cmd/tcbench gen) into a fresh
// case, for CPU and memory profiles of the whole ingest path:
//
//	TRAILCASE_PROFILE_DIR=/tmp/corpus go test ./evidence -run TestProfileAcquire -v -cpuprofile cpu.out
//
// TRAILCASE_PROFILE_INCLUDE narrows it to one kind, e.g. '**/CloudTrail/**'.
func TestProfileAcquire(t *testing.T) {
	dir := os.Getenv("TRAILCASE_PROFILE_DIR")
	if dir == "" {
		t.Skip("set TRAILCASE_PROFILE_DIR to a corpus directory")
	}
	st, err := store.Create(filepath.Join(t.TempDir(), "c.tcase"), evidence.CaseInfo{Name: "profile", Examiner: "e"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	src, err := OpenLocal(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	var include []string
	if v := os.Getenv("TRAILCASE_PROFILE_INCLUDE"); v != "" {
		include = []string{v}
	}
	rep, err := Acquire(context.Background(), st, AcquireOptions{Sources: []evidence.Source{src}, Actor: custody.Actor{Examiner: "e"}, Include: include})
	if err != nil {
		t.Fatal(err)
	}
	size, _ := st.Stat()
	t.Logf("%d items, %d bytes, %d events, case file %d bytes", len(rep.Stored), rep.Bytes, rep.Index.Events, size)
}
