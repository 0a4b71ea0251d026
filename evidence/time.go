package evidence

import "time"

// Times are printed in UTC as RFC 3339 in one of two precisions:
//
//   - TimeLayout (milliseconds) for everything a person reads: tables,
//     listings, reports, messages. CloudTrail records times to the second
//     and Object Lock dates to the millisecond, so nothing shown is lost.
//   - TimeLayoutMicro (microseconds) for data exports (CSV, JSON Lines
//     text, Timesketch): ELB logs record microseconds, and an export keeps
//     every value the source has.
const (
	TimeLayout      = "2006-01-02T15:04:05.000Z07:00"
	TimeLayoutMicro = "2006-01-02T15:04:05.000000Z07:00"
)

// FormatTime prints t for a person: UTC, RFC 3339 with milliseconds, "-"
// when t is zero.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(TimeLayout)
}

// AppendTime appends FormatTime(t) to b.
func AppendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, '-')
	}
	return t.UTC().AppendFormat(b, TimeLayout)
}

// FormatTimeMicro prints t for a data export: UTC, RFC 3339 with
// microseconds, "" when t is zero (an empty cell, no value).
func FormatTimeMicro(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeLayoutMicro)
}
