package store

// postCache keeps decompressed posting values (see openPost).
type postCache struct{}

func (pc *postCache) get(k, v []byte) ([]byte, bool) { return nil, false }
func (pc *postCache) put(k, v, plain []byte)         {}
