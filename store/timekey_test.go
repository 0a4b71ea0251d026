package store

import (
	"testing"
	"time"
)

func TestTimeKeyOrderAndZero(t *testing.T) {
	times := []time.Time{{}, time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Unix(0, 0).UTC(), time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}
	for i := 1; i < len(times); i++ {
		if string(timeKey(times[i-1])) > string(timeKey(times[i])) {
			t.Fatalf("timeKey(%v) sorts after timeKey(%v)", times[i-1], times[i])
		}
	}
	if !keyTime(timeKey(time.Time{})).IsZero() {
		t.Fatal("the zero time does not come back as zero")
	}
	if got := keyTime(timeKey(time.Unix(0, 0))); !got.Equal(time.Unix(0, 0)) || got.IsZero() {
		t.Fatalf("the epoch came back as %v", got)
	}
}
