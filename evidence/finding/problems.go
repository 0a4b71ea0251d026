package finding

import "encoding/json"

// Problems is findings printed as the "problems" array of digest verify
// and objectlock: kind, object, detail, and item when there is one. Only
// these fields are written; they decode back into findings.
type Problems []Finding

// problem is one entry of Problems, in its field order.
type problem struct {
	Kind   Kind   `json:"kind"`
	Object string `json:"object"`
	Detail string `json:"detail"`
	Item   uint64 `json:"item,omitempty"`
}

// MarshalJSON writes the problems array; nil stays null.
func (ps Problems) MarshalJSON() ([]byte, error) {
	return marshalRows(ps, func(f Finding) problem { return problem{f.Kind, f.Object, f.Detail, f.Item} })
}

// ItemProblems is findings printed as the "problems" array of verify:
// kind, item when there is one, object when there is one, and detail.
type ItemProblems []Finding

// itemProblem is one entry of ItemProblems, in its field order.
type itemProblem struct {
	Kind   Kind   `json:"kind"`
	Item   uint64 `json:"item,omitempty"`
	Object string `json:"object,omitempty"`
	Detail string `json:"detail"`
}

// MarshalJSON writes the problems array; nil stays null.
func (ps ItemProblems) MarshalJSON() ([]byte, error) {
	return marshalRows(ps, func(f Finding) itemProblem { return itemProblem{f.Kind, f.Item, f.Object, f.Detail} })
}

func marshalRows[R any](fs []Finding, row func(Finding) R) ([]byte, error) {
	if fs == nil {
		return []byte("null"), nil
	}
	rows := make([]R, len(fs))
	for i, f := range fs {
		rows[i] = row(f)
	}
	return json.Marshal(rows)
}
