package finding

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Kind names what a check found, e.g. ITEM_HASH_MISMATCH. The names of the
// built-in kinds are part of the product contract.
type Kind string

// Level is how much a finding matters, from informational to critical.
type Level string

// Levels, least to most severe.
const (
	Informational Level = "informational"
	Low           Level = "low"
	Medium        Level = "medium"
	High          Level = "high"
	Critical      Level = "critical"
)

var levels = []Level{Informational, Low, Medium, High, Critical}

// ParseLevel reads a level name (any case).
func ParseLevel(s string) (Level, error) {
	l := Level(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(levels, l) {
		return l, nil
	}
	return "", fmt.Errorf("level %q: want informational, low, medium, high or critical", s)
}

// Rank orders levels: 0 for informational up to 4 for critical, and -1 for
// an unknown or empty level.
func (l Level) Rank() int { return slices.Index(levels, l) }

// AtLeast reports whether l is as severe as min or more.
func (l Level) AtLeast(min Level) bool { return l.Rank() >= min.Rank() }

// Category is what a finding is about.
type Category string

// Categories.
const (
	Integrity Category = "integrity" // evidence changed, missing or unprovable
	Coverage  Category = "coverage"  // evidence that should exist does not cover the time or place
	Behaviour Category = "behaviour" // what principals did, as seen in the events
)

var categories = []Category{Integrity, Coverage, Behaviour}

// ParseCategory reads a category name (any case).
func ParseCategory(s string) (Category, error) {
	c := Category(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(categories, c) {
		return c, nil
	}
	return "", fmt.Errorf("category %q: want integrity, coverage or behaviour", s)
}

// Evidence names one record of one evidence item, as the timeline does:
// the item id and the record (or line) number within it.
type Evidence struct {
	Item   uint64 `json:"evidence"`
	Record int64  `json:"record"`
}

// Finding is one thing a check or a rule found.
//
// Its own JSON is the general shape of a findings list: empty fields are
// left out and times are RFC 3339 UTC with milliseconds. Problems and
// ItemProblems print the older "problems" arrays.
type Finding struct {
	Rule       string     // id of the rule that matched, "" for a built-in check
	Kind       Kind       // what a built-in check found, "" for a rule
	Title      string     // the rule's title
	Level      Level      // how much it matters
	Category   Category   // what it is about
	Techniques []string   // ATT&CK technique tags
	First      time.Time  // earliest time concerned; zero when none
	Last       time.Time  // latest time concerned; zero when none
	Principals []string   // principals concerned
	IPs        []string   // addresses concerned
	Object     string     // the file, S3 key or URI concerned
	Item       uint64     // evidence item holding Object, 0 when none
	Events     []Evidence // the records it rests on
	Count      int        // events a rule matched (Events lists some); 0 for a check
	Detail     string     // what was found, in a sentence
}

// New returns a finding of a built-in kind with the kind's level and category.
func New(kind Kind, object, detail string) Finding {
	return Finding{Kind: kind, Level: kind.Level(), Category: kind.Category(), Object: object, Detail: detail}
}

// Equal reports whether f and g say the same thing.
func (f Finding) Equal(g Finding) bool {
	return f.Rule == g.Rule && f.Kind == g.Kind && f.Title == g.Title && f.Level == g.Level &&
		f.Category == g.Category && f.First.Equal(g.First) && f.Last.Equal(g.Last) &&
		f.Object == g.Object && f.Item == g.Item && f.Detail == g.Detail && f.Count == g.Count &&
		slices.Equal(f.Techniques, g.Techniques) && slices.Equal(f.Principals, g.Principals) &&
		slices.Equal(f.IPs, g.IPs) && slices.Equal(f.Events, g.Events)
}

// Compare orders findings most severe first, then by time, rule or kind,
// object and detail.
func Compare(a, b Finding) int {
	if c := b.Level.Rank() - a.Level.Rank(); c != 0 {
		return c
	}
	if c := a.First.Compare(b.First); c != 0 {
		return c
	}
	if c := strings.Compare(a.Rule, b.Rule); c != 0 {
		return c
	}
	if c := strings.Compare(string(a.Kind), string(b.Kind)); c != 0 {
		return c
	}
	if c := strings.Compare(a.Object, b.Object); c != 0 {
		return c
	}
	return strings.Compare(a.Detail, b.Detail)
}
