package store

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
)

// TestPostCache: a kept value is served only for the same stored bytes
// under the same key, the cache stays within its bound dropping the least
// recently used first, and a nil cache keeps nothing.
func TestPostCache(t *testing.T) {
	pc := newPostCache(64 << 10)
	k, v, plain := []byte("k1"), []byte("stored"), []byte("plain")
	pc.put(k, v, plain)
	if got, ok := pc.get(k, v); !ok || !bytes.Equal(got, plain) {
		t.Fatalf("get = %q, %v", got, ok)
	}
	if _, ok := pc.get(k, []byte("stored, rewritten")); ok {
		t.Fatal("a rewritten value is served from the cache")
	}
	if _, ok := pc.get([]byte("k2"), v); ok {
		t.Fatal("a value is served under another key")
	}
	big := make([]byte, 8<<10)
	for i := range 20 {
		pc.put(fmt.Appendf(nil, "b%d", i), []byte{byte(i)}, big)
		pc.get(k, v) // k stays recently used
		if pc.size > pc.max {
			t.Fatalf("after %d puts: %d bytes kept, bound %d", i+1, pc.size, pc.max)
		}
	}
	if _, ok := pc.get(k, v); !ok {
		t.Fatal("the most recently used value was dropped")
	}
	if _, ok := pc.get([]byte("b0"), []byte{0}); ok {
		t.Fatal("the least recently used value was kept past the bound")
	}
	if len(pc.entries) != pc.lru.Len() {
		t.Fatalf("%d entries, %d in the list", len(pc.entries), pc.lru.Len())
	}
	pc.put([]byte("huge"), nil, make([]byte, pc.max))
	if _, ok := pc.get([]byte("huge"), nil); ok {
		t.Fatal("a value larger than a quarter of the bound is kept")
	}
	// Queries share the cache of their Store.
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				k := fmt.Appendf(nil, "g%d-%d", g, i%30)
				if got, ok := pc.get(k, k); ok && len(got) != 4<<10 {
					t.Errorf("%s: %d bytes", k, len(got))
				}
				pc.put(k, k, make([]byte, 4<<10))
			}
		}()
	}
	wg.Wait()
	if pc.size > pc.max || len(pc.entries) != pc.lru.Len() {
		t.Fatalf("after concurrent use: %d bytes (bound %d), %d entries, %d in the list", pc.size, pc.max, len(pc.entries), pc.lru.Len())
	}
	var none *postCache
	none.put(k, v, plain)
	if _, ok := none.get(k, v); ok {
		t.Fatal("a nil cache keeps values")
	}
}
