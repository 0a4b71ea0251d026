package store

import (
	"encoding/json"

	bolt "go.etcd.io/bbolt"
)

type bbtx = bolt.Tx

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
