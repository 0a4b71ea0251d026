package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"slices"
	"text/tabwriter"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/trailcase/trailcase/store/codec"
	"github.com/trailcase/trailcase/timeline"
	bolt "go.etcd.io/bbolt"
)

// sizeBench tells where the bytes of a case file go: per bucket, and
// within the event blocks per part of an event (store header, normalised
// fields, field map, raw text), each part compressed on its own per block
// to show what it costs in the case.
//
//	go run ./cmd/tcbench size -case /tmp/case.tc [-parts]
func sizeBench(args []string) error {
	fs := flag.NewFlagSet("size", flag.ExitOnError)
	path := fs.String("case", "", "case file")
	parts := fs.Bool("parts", false, "also break the event blocks down by part (slow: compresses every part twice)")
	fs.Parse(args)
	if *path == "" {
		return fmt.Errorf("size needs -case")
	}
	fi, err := os.Stat(*path)
	if err != nil {
		return err
	}
	db, err := bolt.Open(*path, 0o400, &bolt.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	defer tw.Flush()
	fmt.Fprintf(tw, "case file\t%.1f MB\t\n", mb(fi.Size()))
	return db.View(func(tx *bolt.Tx) error {
		fmt.Fprintf(tw, "bucket\tpages MB\tkeys+values MB\tkeys\t\n")
		var names []string
		tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			names = append(names, string(name))
			return nil
		})
		var inUse int64
		for _, n := range names {
			b := tx.Bucket([]byte(n))
			st := b.Stats()
			var kv int64
			b.ForEach(func(k, v []byte) error { kv += int64(len(k) + len(v)); return nil })
			pages := int64(st.BranchAlloc + st.LeafAlloc)
			inUse += pages
			fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%d\t\n", n, mb(pages), mb(kv), st.KeyN)
		}
		fmt.Fprintf(tw, "free and meta pages\t%.1f\t\t\t\n", mb(fi.Size()-inUse))
		if !*parts {
			return nil
		}
		return eventParts(tw, tx.Bucket([]byte("events")))
	})
}

func mb(n int64) float64 { return float64(n) / 1e6 }

// Parts of an event, in the order eventParts reports them.
const (
	partEntry  = iota // record number and length in the block
	partHeader        // time key, terms, dedup key
	partNorm          // normalised fields of the event codec
	partFields        // the field map
	partRaw           // the raw text
	nParts
)

var partNames = [nParts]string{"entry (record, length)", "store header (time, terms, dedup key)", "normalised fields", "field map", "raw text"}

func eventParts(tw *tabwriter.Writer, evb *bolt.Bucket) error {
	var plain, sz, zs [nParts]int64
	bySource := map[string]*[nParts]int64{}
	var stored, blocks, events int64
	var streams [nParts][]byte
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBetterCompression))
	var zbuf []byte
	err := evb.ForEach(func(k, v []byte) error {
		stored += int64(len(v))
		blocks++
		body, _, err := codec.OpenBlock(k, v)
		if err != nil {
			return fmt.Errorf("block %x: %w", k, err)
		}
		es, err := codec.DecodeBlock(body)
		if err != nil {
			return fmt.Errorf("block %x: %w", k, err)
		}
		for i := range streams {
			streams[i] = streams[i][:0]
		}
		for _, e := range es {
			events++
			h, ok := e.Header()
			if !ok {
				return fmt.Errorf("block %x: bad event %d", k, e.Rec)
			}
			ev, err := timeline.DecodeEvent(h.Rest)
			if err != nil {
				return fmt.Errorf("block %x: event %d: %w", k, e.Rec, err)
			}
			entry := binary.AppendUvarint(nil, e.Rec)
			entry = binary.AppendUvarint(entry, uint64(len(e.Val)))
			hdr := e.Val[:len(e.Val)-len(h.Rest)]
			raw := ev.Raw
			ev.Raw = nil
			withFields := timeline.EncodeEvent(nil, &ev)
			ev.Fields = nil
			norm := timeline.EncodeEvent(nil, &ev)
			// norm ends with the field map's count (0): withFields
			// from there on is the map.
			parts := [nParts][]byte{entry, hdr, norm[:len(norm)-1], withFields[len(norm)-1:], raw}
			src := bySource[ev.Source]
			if src == nil {
				src = new([nParts]int64)
				bySource[ev.Source] = src
			}
			for i, p := range parts {
				plain[i] += int64(len(p))
				src[i] += int64(len(p))
				streams[i] = append(streams[i], p...)
			}
		}
		for i, s := range streams {
			sz[i] += int64(len(s2.Encode(nil, s)))
			zbuf = enc.EncodeAll(s, zbuf[:0])
			zs[i] += int64(len(zbuf))
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(tw, "\n")
	fmt.Fprintf(tw, "event blocks\t%d\tevents\t%d\tstored MB\t%.1f\t\n", blocks, events, mb(stored))
	fmt.Fprintf(tw, "part\tplain MB\ts2 per block MB\tzstd per block MB\t\n")
	var tp, ts, tz int64
	for i := range nParts {
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t\n", partNames[i], mb(plain[i]), mb(sz[i]), mb(zs[i]))
		tp, ts, tz = tp+plain[i], ts+sz[i], tz+zs[i]
	}
	fmt.Fprintf(tw, "all parts\t%.1f\t%.1f\t%.1f\t\n", mb(tp), mb(ts), mb(tz))
	fmt.Fprintf(tw, "\nsource\tplain MB:")
	for i := range nParts {
		fmt.Fprintf(tw, "\t%s", partNames[i])
	}
	fmt.Fprintf(tw, "\t\n")
	var srcs []string
	for s := range bySource {
		srcs = append(srcs, s)
	}
	slices.Sort(srcs)
	for _, s := range srcs {
		fmt.Fprintf(tw, "%s\t", s)
		for i := range nParts {
			fmt.Fprintf(tw, "\t%.1f", mb(bySource[s][i]))
		}
		fmt.Fprintf(tw, "\t\n")
	}
	return nil
}
