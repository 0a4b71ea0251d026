package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/timeline"
)

// bucketLayout labels a chart bucket: hour precision is all a bucket has.
const bucketLayout = "2006-01-02 15:04Z"

// fmtTime is evidence.FormatTime, with the report's dash for no time.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return evidence.FormatTime(t)
}

func fmtBytes(n int64) string {
	if n < 1024 {
		return timeline.HumanBytes(n)
	}
	return fmt.Sprintf("%s (%d bytes)", timeline.HumanBytes(n), n)
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}
