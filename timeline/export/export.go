// Package export writes every normalised event of a case, with its
// provenance (evidence id, record number, evidence SHA-256 and source URI),
// in formats other engines read: JSON Lines, CSV, and Parquet laid out as a
// Hive-partitioned directory tree for Athena, Spark and DuckDB.
//
// The package streams the case's time index and holds only a bounded
// amount of data in memory. It reads the case and writes only to the
// writer or directory it is given; it never prints. The column set is
// versioned by SchemaVersion and documented in docs/export-schema.md.
package export

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline"
)

// SchemaVersion is the version of the exported columns. It changes when a
// column is renamed, removed or changes type; added columns keep it.
const SchemaVersion = 1

// Formats.
const (
	FormatJSONL   = "jsonl"
	FormatCSV     = "csv"
	FormatParquet = "parquet"
)

// Progress receives progress: Begin with the label and -1 (the total is
// not known), Advance with bytes of event data read, End when done.
type Progress interface {
	Begin(label string, total int64)
	Advance(n int64)
	End()
}

type noProgress struct{}

func (noProgress) Begin(string, int64) {}
func (noProgress) Advance(int64)       {}
func (noProgress) End()                {}

// Options control an export.
type Options struct {
	// From and To bound event times to [From, To); zero means unbounded.
	From, To time.Time
	Progress Progress
	// ToolVersion is recorded in Parquet files' metadata.
	ToolVersion string
}

// Stats says what an export wrote.
type Stats struct {
	Events     int64 `json:"events"`
	Files      int   `json:"files"`
	Partitions int   `json:"partitions"`
	// Undecodable counts stored events that could not be decoded; they are
	// exported with provenance and raw data only.
	Undecodable int64 `json:"undecodable"`
}

// Row is one exported event. Its JSON names are the column names of every
// format (see docs/export-schema.md).
type Row struct {
	SchemaVersion   int               `json:"schema_version"`
	Time            time.Time         `json:"time"`
	EndTime         *time.Time        `json:"end_time"`
	Source          string            `json:"source"`
	Kind            string            `json:"kind"`
	Evidence        uint64            `json:"evidence"`
	Record          int64             `json:"record"`
	EvidenceSHA256  string            `json:"evidence_sha256"`
	EvidenceSource  string            `json:"evidence_source"`
	EvidencePath    string            `json:"evidence_path"`
	Account         string            `json:"account"`
	Region          string            `json:"region"`
	Principal       string            `json:"principal"`
	PrincipalType   string            `json:"principal_type"`
	AccessKeyID     string            `json:"access_key_id"`
	UserName        string            `json:"user_name"`
	Issuer          string            `json:"issuer"`
	PrincipalID     string            `json:"principal_id"`
	IdentityARN     string            `json:"identity_arn"`
	SrcIP           string            `json:"src_ip"`
	SrcPort         int               `json:"src_port"`
	DstIP           string            `json:"dst_ip"`
	DstPort         int               `json:"dst_port"`
	OtherIPs        []string          `json:"other_ips"`
	Action          string            `json:"action"`
	Outcome         string            `json:"outcome"`
	EventID         string            `json:"event_id"`
	EventSource     string            `json:"event_source"`
	UserAgent       string            `json:"user_agent"`
	Protocol        string            `json:"protocol"`
	Bytes           int64             `json:"bytes"`
	Packets         int64             `json:"packets"`
	IssuedAccessKey string            `json:"issued_access_key"`
	IssuedSession   string            `json:"issued_session"`
	Annotations     []string          `json:"annotations"`
	Fields          map[string]string `json:"fields"`
	Raw             json.RawMessage   `json:"raw"`
	// Resources was added after the first release: it is the last
	// column, so CSV readers that go by position keep working.
	Resources []string `json:"resources"`

	// fieldNames and fieldValues hold the fields, in place of Fields,
	// of an event decoded with its fields as a list (decodeRow): they are
	// written as Fields would be.
	fieldNames, fieldValues []string
}

// hasFields reports whether the row has fields, in Fields or as a list.
func (r *Row) hasFields() bool { return len(r.Fields) > 0 || len(r.fieldNames) > 0 }

// provenance is what the export adds from the evidence item.
type provenance struct {
	sha256, source, path, kind string
}

// workers is how many goroutines turn stored events into output: the
// case is read on a goroutine of its own and the output is written on the
// calling one, so on two cores decoding, encoding and writing overlap.
var workers = max(2, runtime.GOMAXPROCS(0))

// chunkJob is one chunk of events on its way through scanChunks.
type chunkJob[R any] struct {
	evs         []store.StoredEvent
	out         R
	events      int64
	bytes       int64 // event data read
	undecodable int64
	err         error
	done        chan struct{}
}

// converter turns a chunk of stored events (in time order) into the
// output R of a format, reporting how many could not be decoded. Each
// worker goroutine has one, so it may keep scratch space.
type converter[R any] func(evs []store.StoredEvent) (out R, undecodable int64, err error)

// scanChunks reads the events of the case in time order a chunk at a
// time (store.EventChunksByTime), has newConverter's converters turn the
// chunks into R on `workers` goroutines, and hands the results to write
// in time order on the calling goroutine. At most 2×workers+1 chunks are
// in flight, so memory stays bounded whatever the size of the case.
func scanChunks[R any](ctx context.Context, st *store.Store, opts Options, stats *Stats,
	newConverter func(items map[uint64]provenance) converter[R], write func(R) error) error {
	prog := opts.Progress
	if prog == nil {
		prog = noProgress{}
	}
	items := map[uint64]provenance{}
	err := st.Items(func(it evidence.Item) error {
		items[it.ID] = provenance{sha256: it.SHA256.String(), source: it.Source, path: it.Path, kind: it.Kind}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read evidence items: %w", err)
	}
	prog.Begin("export", -1)
	defer prog.End()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan *chunkJob[R], workers)
	order := make(chan *chunkJob[R], 2*workers)
	var wg sync.WaitGroup
	for range workers {
		conv := newConverter(items)
		wg.Go(func() {
			for j := range jobs {
				j.out, j.undecodable, j.err = conv(j.evs)
				j.evs = nil
				close(j.done)
			}
		})
	}
	written := make(chan error, 1)
	go func() {
		var err error
		for j := range order {
			<-j.done
			if err == nil {
				err = j.err
			}
			if err == nil {
				prog.Advance(j.bytes)
				err = write(j.out)
			}
			if err == nil {
				stats.Events += j.events
				stats.Undecodable += j.undecodable
			} else {
				cancel() // stops the reading; the jobs still queued are drained
			}
		}
		written <- err
	}()
	readErr := st.EventChunksByTime(opts.From, opts.To, func(evs []store.StoredEvent) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		j := &chunkJob[R]{evs: evs, events: int64(len(evs)), done: make(chan struct{})}
		for i := range evs {
			j.bytes += int64(len(evs[i].Data))
		}
		select {
		case order <- j:
		case <-ctx.Done():
			return ctx.Err()
		}
		jobs <- j // the workers never wait on anything: this send ends
		return nil
	})
	close(jobs)
	close(order)
	wg.Wait()
	if err := <-written; err != nil {
		return err
	}
	return readErr
}

// decodeRow fills r from a stored event. An event that cannot be decoded,
// or whose raw record is not JSON (a damaged case), is kept with its
// provenance, time and stored bytes only, and decodeRow returns false.
//
// ev is the caller's to reuse: the row holds its field list until the
// next decode into it.
func decodeRow(r *Row, ev *timeline.Event, se store.StoredEvent, p provenance) bool {
	err := timeline.DecodeEventInto(ev, se.Data, timeline.DecodeOptions{FieldList: true})
	ok := err == nil && (len(ev.Raw) == 0 || validRaw(ev.Raw))
	if !ok {
		*ev = timeline.Event{Time: se.Time, Source: "unknown", Raw: jsonString(se.Data)}
	}
	fillRow(r, ev, se, p)
	return ok
}

func fillRow(r *Row, ev *timeline.Event, se store.StoredEvent, p provenance) {
	*r = Row{
		SchemaVersion: SchemaVersion,
		Time:          ev.Time.UTC(),
		Source:        ev.Source, Kind: ev.Kind,
		Evidence: se.Item, Record: int64(se.Record),
		EvidenceSHA256: p.sha256, EvidenceSource: p.source, EvidencePath: p.path,
		Account: ev.Account, Region: ev.Region,
		Principal: ev.Principal, PrincipalType: ev.PrincipalType, AccessKeyID: ev.AccessKeyID, UserName: ev.UserName,
		Issuer: ev.Issuer, PrincipalID: ev.PrincipalID, IdentityARN: ev.IdentityARN,
		SrcIP: ev.SrcIP, SrcPort: ev.SrcPort, DstIP: ev.DstIP, DstPort: ev.DstPort, OtherIPs: ev.OtherIPs,
		Action: ev.Action, Outcome: ev.Outcome, EventID: ev.EventID, EventSource: ev.EventSource,
		UserAgent: ev.UserAgent, Protocol: ev.Protocol, Bytes: ev.Bytes, Packets: ev.Packets,
		IssuedAccessKey: ev.IssuedAccessKey, IssuedSession: ev.IssuedSession,
		Annotations: ev.Annotations, Fields: ev.Fields, Raw: ev.Raw, Resources: ev.Resources,
	}
	r.fieldNames, r.fieldValues = ev.FieldList()
	if r.Kind == "" {
		r.Kind = p.kind
	}
	if !ev.End.IsZero() {
		end := ev.End.UTC()
		r.EndTime = &end
	}
	if r.Time.IsZero() {
		r.Time = se.Time.UTC()
	}
}

// jsonString returns b as a JSON string value.
func jsonString(b []byte) json.RawMessage {
	s, _ := json.Marshal(string(b))
	return s
}
