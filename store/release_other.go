//go:build !linux

package store

import bolt "go.etcd.io/bbolt"

func (s *Store) releaseMapped() {}

func (s *Store) releaseMappedTx(*bolt.Tx) {}
