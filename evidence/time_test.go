package evidence

import (
	"testing"
	"time"
)

func TestFormatTime(t *testing.T) {
	at := time.Date(2024, 5, 1, 12, 1, 0, 123456789, time.FixedZone("CEST", 2*3600))
	for _, tc := range []struct{ got, want string }{
		{FormatTime(at), "2024-05-01T10:01:00.123Z"},
		{FormatTime(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)), "2024-05-01T10:00:00.000Z"},
		{FormatTime(time.Time{}), "-"},
		{FormatTimeMicro(at), "2024-05-01T10:01:00.123456Z"},
		{FormatTimeMicro(time.Date(2024, 5, 1, 12, 1, 0, 0, time.UTC)), "2024-05-01T12:01:00.000000Z"},
		{FormatTimeMicro(time.Time{}), ""},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
