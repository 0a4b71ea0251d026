package codec

import (
	"fmt"
	"testing"
)

// TestKeyFilter: no key added is ever reported absent, through several
// layers; few absent keys are reported present; a full filter says so.
func TestKeyFilter(t *testing.T) {
	f := NewKeyFilter()
	const n = 2_000_000 // past the first layers
	for i := range n {
		if !f.Add(fmt.Appendf(nil, "cloudtrail:%08d", i)) {
			t.Fatalf("full after %d keys (%d bytes)", i, f.size())
		}
	}
	if len(f.layers) < 3 {
		t.Fatalf("%d layers for %d keys", len(f.layers), n)
	}
	for i := range n {
		if !f.Has(fmt.Appendf(nil, "cloudtrail:%08d", i)) {
			t.Fatalf("key %d added, reported absent", i)
		}
	}
	fp := 0
	const probes = 200_000
	for i := range probes {
		if f.Has(fmt.Appendf(nil, "absent:%08d", i)) {
			fp++
		}
	}
	if rate := float64(fp) / probes; rate > 0.03 {
		t.Fatalf("false positives: %.2f %%", 100*rate)
	}

	defer func(m int) { maxFilterBytes = m }(maxFilterBytes)
	maxFilterBytes = filterFirstBits / 8 * 3 // the first two layers
	g := NewKeyFilter()
	added := 0
	for ; added < 10_000_000; added++ {
		if !g.Add(fmt.Appendf(nil, "k%d", added)) {
			break
		}
	}
	if added != filterFirstBits/10*3 || g.size() > maxFilterBytes {
		t.Fatalf("a filter capped at %d bytes took %d keys and holds %d bytes", maxFilterBytes, added, g.size())
	}
}
