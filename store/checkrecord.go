package store

import (
	"encoding/json"
	"time"
)

// CheckRecord is the stored result of a check (verify, digest, objectlock), kept
// so reports can show the latest one.
type CheckRecord struct {
	Name    string          `json:"name"`
	Time    time.Time       `json:"time"`
	OK      bool            `json:"ok"`
	Summary string          `json:"summary"`
	Result  json.RawMessage `json:"result"`
}
