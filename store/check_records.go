package store

import (
	"fmt"

	"github.com/trailcase/trailcase/store/codec"
	bolt "go.etcd.io/bbolt"
)

// sealedBuckets are the buckets whose every value is a sealed record.
var sealedBuckets = [][]byte{bItems, bItemSrc, bChecks, bKeys, bS3Buckets, bEvBatches}

// unsealed counts the values a check found without a checksum.
type unsealed struct{ records, blocks, postings int }

// checkRecords checks every sealed record against its checksum.
func (s *Store) checkRecords(res *CheckResult, un *unsealed) error {
	return s.db.View(func(tx *bolt.Tx) error {
		check := func(bucket, k, v []byte) {
			_, sealed, err := codec.OpenRecord(k, v)
			switch {
			case err != nil:
				res.add(ProblemRecord, 0, "", fmt.Sprintf("%s: %v", recordName(bucket, k), err))
			case !sealed && s.strict:
				res.add(ProblemRecord, 0, "", fmt.Sprintf("%s: no checksum", recordName(bucket, k)))
			case !sealed:
				un.records++
			}
		}
		check(bMeta, kCase, tx.Bucket(bMeta).Get(kCase))
		for _, name := range sealedBuckets {
			if err := tx.Bucket(name).ForEach(func(k, v []byte) error { check(name, k, v); return nil }); err != nil {
				return err
			}
		}
		return nil
	})
}

// notice says how many values carry no checksum.
func (un unsealed) notice() string {
	n := un.records + un.blocks + un.postings
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d value(s) written before schema 4 carry no checksum (%d record(s), %d event block(s), %d posting list(s) or chunk(s)): damage to them is found only where other checks reach; rebuilding the index seals events and postings", n, un.records, un.blocks, un.postings)
}
