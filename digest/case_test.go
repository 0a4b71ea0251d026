package digest_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/trailcase/trailcase/digest"
	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/acquire"
	"github.com/trailcase/trailcase/evidence/custody"
	"github.com/trailcase/trailcase/store"
)

// A corpus directory acquired into a case validates as it does from disk:
// sidecar metadata reaches the objects, and findings name the items.
func TestFromCase(t *testing.T) {
	for _, name := range []string{"digest-rewritten", "log-appended-member"} {
		t.Run(name, func(t *testing.T) {
			st, err := store.Create(filepath.Join(t.TempDir(), "case.db"), evidence.CaseInfo{Name: "t", Examiner: "e"})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			src, err := acquire.OpenLocal(filepath.Join(corpusDir, name, "bucket"), 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := acquire.Acquire(context.Background(), st, acquire.AcquireOptions{Sources: []evidence.Source{src}, Actor: custody.Actor{Examiner: "e"}}); err != nil {
				t.Fatal(err)
			}
			objs, err := digest.FromCase(st)
			if err != nil {
				t.Fatal(err)
			}
			signed := 0
			for _, o := range objs {
				if o.Item == 0 || (o.Kind == evidence.KindCloudTrailDigest && o.Metadata["signature"] == "") {
					t.Errorf("object %+v", o)
				}
				if o.Metadata["signature"] != "" {
					signed++
				}
			}
			if signed != 8 {
				t.Errorf("%d objects with a signature, want 8", signed)
			}
			r, err := digest.Verify(context.Background(), objs, digest.Options{Keys: loadKeys(t)})
			if err != nil {
				t.Fatal(err)
			}
			exp := readExpect(t, name)
			want := slices.Clone(exp.Runs[0].Problems)
			sortFindings(want)
			if got := findings(r); !slices.Equal(got, want) {
				t.Errorf("got %v\nwant %v", got, want)
			}
			for _, p := range r.Problems {
				if p.Item == 0 {
					t.Errorf("finding without item: %+v", p)
				}
			}
		})
	}
}
