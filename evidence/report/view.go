package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/timeline"
)

// view is what the HTML and Markdown templates render: the report plus
// decoded check details and the chart's geometry.
type view struct {
	*Report
	Verify, Digest, ObjectLock checkView
	Chart                      chart
	Problems                   int // custody breaks plus problems of failed checks
}

type checkView struct {
	Title    string
	Ran      bool
	C        *Check
	Status   string // PASS, FAIL, NOT RUN
	Facts    []fact
	Problems []problem
}

type fact struct{ Key, Value string }

type problem struct {
	Kind   string `json:"kind"`
	Item   uint64 `json:"item"`
	Object string `json:"object"`
	Detail string `json:"detail"`
}

func (r *Report) view() *view {
	v := &view{Report: r}
	v.Verify = newCheckView("Evidence verification (trailcase verify)", r.Checks.Verify)
	v.Digest = newCheckView("CloudTrail digest validation (trailcase digest verify)", r.Checks.Digest)
	v.ObjectLock = newCheckView("S3 Object Lock (trailcase objectlock)", r.Checks.ObjectLock)
	v.Chart = newChart(r.Events)
	v.Problems = len(r.CustodyChain.Problems)
	shown(reflect.ValueOf(v).Elem())
	return v
}

func newCheckView(title string, c *Check) checkView {
	cv := checkView{Title: title, C: c, Status: "NOT RUN"}
	if c == nil {
		return cv
	}
	cv.Ran = true
	switch {
	case !c.OK:
		cv.Status = "FAIL"
	case c.Stale: // never a plain PASS for a result the case has outgrown
		cv.Status = "STALE"
	default:
		cv.Status = "PASS"
	}
	cv.Facts, cv.Problems = decodeResult(c.Result)
	return cv
}

// maxFact bounds how much of a nested value a fact shows.
const maxFact = 300

// decodeResult lists the top-level fields of a check's JSON result in their
// order, and its "problems" array when it has the usual shape.
func decodeResult(raw json.RawMessage) ([]fact, []problem) {
	var facts []fact
	var problems []problem
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return []fact{{"result", clip(string(raw))}}, nil
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			break
		}
		key, _ := kt.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			break
		}
		if key == "problems" {
			if json.Unmarshal(val, &problems) == nil {
				facts = append(facts, fact{key, strconv.Itoa(len(problems))})
				continue
			}
		}
		facts = append(facts, fact{key, factValue(val)})
	}
	return facts, problems
}

func factValue(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return clip(s)
	}
	var c bytes.Buffer
	if json.Compact(&c, v) == nil {
		return clip(c.String())
	}
	return clip(string(v))
}

func clip(s string) string {
	if len(s) <= maxFact {
		return s
	}
	cut := maxFact
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// ---- chart ----

// Chart geometry, in SVG user units.
const (
	chartW      = 700
	chartH      = 230
	plotLeft    = 56
	plotRight   = 690
	plotTop     = 12
	plotBottom  = 180
	maxBuckets  = 240
	legendTop   = 214
	legendWidth = 170
)

type chart struct {
	Empty       bool
	W, H        int
	Bucket      string // "1 hour", "6 hours", "1 day"
	BucketHours int
	From, To    time.Time
	Max         int64
	Rects       []rect
	YTicks      []tick
	XTicks      []tick
	Legend      []legendEntry
	Rows        []chartRow
	Sources     []string
	PlotLeft    int
	PlotRight   int
	PlotTop     int
	PlotBottom  int
}

type rect struct {
	X, Y, W, H float64
	Fill       string
	Title      string
}

type tick struct {
	Pos   float64
	Label string
}

type legendEntry struct {
	X     float64
	Color string
	Label string
}

type chartRow struct {
	Start  time.Time
	Counts []int64 // per chart source
	Total  int64
}

var sourceColors = map[string]string{"cloudtrail": "#1f5fa8", "vpcflow": "#2e8b3a", "elb": "#d9822b"}
var otherColors = []string{"#7b5ea7", "#8c564b", "#5f6b73", "#b5a000"}

func colorOf(i int, src string) string {
	if c, ok := sourceColors[src]; ok {
		return c
	}
	return otherColors[i%len(otherColors)]
}

// bucketSizes are the widths, in hours, the chart may group events by.
var bucketSizes = []int{1, 2, 3, 6, 12, 24, 48, 168, 336, 720, 2160, 8760}

func newChart(ev EventSummary) chart {
	c := chart{W: chartW, H: chartH, PlotLeft: plotLeft, PlotRight: plotRight, PlotTop: plotTop, PlotBottom: plotBottom, Sources: ev.Sources}
	if ev.Total == 0 || len(ev.Hours) == 0 {
		c.Empty = true
		return c
	}
	first, last := ev.Hours[0].Hour, ev.Hours[len(ev.Hours)-1].Hour
	span := int64(last.Sub(first)/time.Hour) + 1
	size := bucketSizes[len(bucketSizes)-1]
	for _, s := range bucketSizes {
		if (span+int64(s)-1)/int64(s) <= maxBuckets {
			size = s
			break
		}
	}
	width := time.Duration(size) * time.Hour
	start := first.Truncate(width)
	n := int(last.Sub(start)/width) + 1
	c.BucketHours = size
	c.Bucket = bucketName(size)
	c.From, c.To = start, start.Add(time.Duration(n)*width)

	idx := map[string]int{}
	for i, s := range ev.Sources {
		idx[s] = i
	}
	counts := make([][]int64, n)
	for _, h := range ev.Hours {
		b := int(h.Hour.Sub(start) / width)
		if b < 0 || b >= n {
			continue
		}
		if counts[b] == nil {
			counts[b] = make([]int64, len(ev.Sources))
		}
		for src, k := range h.Counts {
			counts[b][idx[src]] += k
		}
	}
	for b, cs := range counts {
		if cs == nil {
			continue
		}
		var tot int64
		for _, k := range cs {
			tot += k
		}
		if tot > c.Max {
			c.Max = tot
		}
		c.Rows = append(c.Rows, chartRow{Start: start.Add(time.Duration(b) * width), Counts: cs, Total: tot})
	}
	top := niceCeil(c.Max)
	plotW := float64(plotRight - plotLeft)
	plotH := float64(plotBottom - plotTop)
	bw := plotW / float64(n)
	gap := 0.0
	if bw > 4 {
		gap = bw * 0.15
	}
	for _, row := range c.Rows {
		b := int(row.Start.Sub(start) / width)
		x := plotLeft + float64(b)*bw + gap/2
		y := float64(plotBottom)
		for i, k := range row.Counts {
			if k == 0 {
				continue
			}
			h := float64(k) / float64(top) * plotH
			y -= h
			c.Rects = append(c.Rects, rect{X: round2(x), Y: round2(y), W: round2(math.Max(bw-gap, 0.5)), H: round2(h),
				Fill:  colorOf(i, ev.Sources[i]),
				Title: fmt.Sprintf("%s %s: %d %s event(s)", row.Start.Format(bucketLayout), c.Bucket, k, ev.Sources[i])})
		}
	}
	for i := 0; i <= 4; i++ {
		val := top * int64(i) / 4
		c.YTicks = append(c.YTicks, tick{Pos: round2(float64(plotBottom) - float64(val)/float64(top)*plotH), Label: strconv.FormatInt(val, 10)})
	}
	labels := 4
	if n < labels {
		labels = n
	}
	for i := 0; i <= labels; i++ {
		b := n * i / labels
		t := start.Add(time.Duration(b) * width)
		c.XTicks = append(c.XTicks, tick{Pos: round2(plotLeft + float64(b)*bw), Label: t.Format(bucketLayout)})
	}
	for i, s := range ev.Sources {
		c.Legend = append(c.Legend, legendEntry{X: float64(plotLeft + i*legendWidth), Color: colorOf(i, s),
			Label: fmt.Sprintf("%s (%d)", s, ev.BySource[s])})
	}
	return c
}

func bucketName(hours int) string {
	switch {
	case hours == 1:
		return "hour"
	case hours == 24:
		return "day"
	case hours%24 == 0:
		return strconv.Itoa(hours/24) + " days"
	default:
		return strconv.Itoa(hours) + " hours"
	}
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten, and at least 4
// so the four y ticks are whole numbers.
func niceCeil(v int64) int64 {
	if v <= 4 {
		return 4
	}
	p := int64(1)
	for p*10 <= v {
		p *= 10
	}
	for _, m := range []int64{1, 2, 4, 5, 8, 10} {
		if m*p >= v && (m*p)%4 == 0 {
			return m * p
		}
	}
	return ((v + 3) / 4) * 4
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// ---- formatting shared by the templates ----

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
