package export

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/snappy"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/store"
	"github.com/trailcase/trailcase/timeline"
)

// ParquetRow is one row of a Parquet file. The partition columns source,
// account, region and date are not stored in the files: they are the
// directory names (source=…/account=…/region=…/date=YYYY-MM-DD), as Hive,
// Athena, Spark and DuckDB expect.
type ParquetRow struct {
	SchemaVersion   int32    `parquet:"schema_version"`
	Time            int64    `parquet:"time,timestamp(microsecond)"`
	EndTime         *int64   `parquet:"end_time,optional,timestamp(microsecond)"`
	Kind            string   `parquet:"kind,dict"`
	Evidence        int64    `parquet:"evidence"`
	Record          int64    `parquet:"record"`
	EvidenceSHA256  string   `parquet:"evidence_sha256,dict"`
	EvidenceSource  string   `parquet:"evidence_source,dict"`
	EvidencePath    string   `parquet:"evidence_path,dict"`
	Principal       string   `parquet:"principal,optional,dict"`
	PrincipalType   string   `parquet:"principal_type,optional,dict"`
	AccessKeyID     string   `parquet:"access_key_id,optional,dict"`
	UserName        string   `parquet:"user_name,optional,dict"`
	Issuer          string   `parquet:"issuer,optional,dict"`
	PrincipalID     string   `parquet:"principal_id,optional,dict"`
	IdentityARN     string   `parquet:"identity_arn,optional,dict"`
	SrcIP           string   `parquet:"src_ip,optional,dict"`
	SrcPort         *int32   `parquet:"src_port,optional"`
	DstIP           string   `parquet:"dst_ip,optional,dict"`
	DstPort         *int32   `parquet:"dst_port,optional"`
	OtherIPs        []string `parquet:"other_ips,list"`
	Action          string   `parquet:"action,optional,dict"`
	Outcome         string   `parquet:"outcome,optional,dict"`
	EventID         string   `parquet:"event_id,optional"`
	EventSource     string   `parquet:"event_source,optional,dict"`
	UserAgent       string   `parquet:"user_agent,optional,dict"`
	Protocol        string   `parquet:"protocol,optional,dict"`
	Bytes           *int64   `parquet:"bytes,optional"`
	Packets         *int64   `parquet:"packets,optional"`
	IssuedAccessKey string   `parquet:"issued_access_key,optional"`
	IssuedSession   string   `parquet:"issued_session,optional"`
	Annotations     []string `parquet:"annotations,list"`
	Fields          string   `parquet:"fields,optional"`
	Raw             string   `parquet:"raw,optional"`
	Resources       []string `parquet:"resources,list"`
}

// Metadata keys written into every Parquet file's key-value metadata.
const (
	MetaSchemaVersion = "trailcase.export.schema_version"
	MetaCaseID        = "trailcase.case.id"
	MetaToolVersion   = "trailcase.tool_version"
)

// ManifestName is the file at the root of a Parquet export that describes
// it. Engines skip names starting with '_'.
const ManifestName = "_trailcase_export.json"

// Manifest describes a Parquet export.
type Manifest struct {
	SchemaVersion int       `json:"schema_version"`
	Format        string    `json:"format"`
	CaseID        string    `json:"case_id"`
	CaseName      string    `json:"case_name"`
	ToolVersion   string    `json:"tool_version"`
	Generated     time.Time `json:"generated"`
	Events        int64     `json:"events"`
	Files         []string  `json:"files"`
}

// fastSnappy is the Snappy codec with klauspost/compress/s2's fast Snappy
// encoder. parquet-go's Snappy codec uses the "better" encoder, which
// took two and a half times as long on export text for an export 6%
// smaller (docs/PERFORMANCE.md); the output of both is standard Snappy
// that every reader decodes.
type fastSnappy struct{ snappy.Codec }

func (*fastSnappy) Encode(dst, src []byte) ([]byte, error) { return s2.EncodeSnappy(dst, src), nil }

// Limits of the Parquet writer's memory: at most maxOpen files are open at
// once (the least recently used is closed and a later row of its partition
// starts the next part file), and a file's buffered rows are written out as
// a row group once they hold about rowGroupBytes.
var (
	maxOpen       = 16
	rowGroupBytes = 8 << 20
	rowGroupRows  = 100_000
	writeBatch    = 256
)

type partWriter struct {
	key     string
	path    string
	f       *os.File
	bw      *bufio.Writer
	w       *parquet.GenericWriter[ParquetRow]
	batch   []ParquetRow
	rgBytes int
	rgRows  int
	used    int64
}

// Parquet writes the events as a Hive-partitioned tree of Parquet files
// under dir, which must exist and should be empty:
// source=S/account=A/region=R/date=YYYY-MM-DD/part-NNNNN.parquet, plus a
// manifest (ManifestName). A caller that wants no partial output writes
// into a temporary directory and renames it when Parquet returns nil.
func Parquet(ctx context.Context, st *store.Store, dir string, opts Options) (Stats, error) {
	var stats Stats
	info, err := st.Info()
	if err != nil {
		return stats, fmt.Errorf("read case description: %w", err)
	}
	x := &parquetExport{dir: dir, open: map[string]*partWriter{}, parts: map[string]int{}, info: info, opts: opts}
	err = scanChunks(ctx, st, opts, &stats, newParquetConverter, x.addChunk)
	if cerr := x.closeAll(); err == nil {
		err = cerr
	}
	if err != nil {
		return stats, err
	}
	sort.Strings(x.files)
	stats.Files = len(x.files)
	stats.Partitions = len(x.parts)
	m := Manifest{SchemaVersion: SchemaVersion, Format: FormatParquet, CaseID: info.ID, CaseName: info.Name,
		ToolVersion: opts.ToolVersion, Generated: time.Now().UTC(), Events: stats.Events, Files: x.files}
	if m.Files == nil {
		m.Files = []string{}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return stats, err
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestName), append(b, '\n'), 0o600); err != nil {
		return stats, fmt.Errorf("write manifest: %w", err)
	}
	return stats, nil
}

type parquetExport struct {
	dir   string
	info  evidence.CaseInfo
	opts  Options
	open  map[string]*partWriter
	parts map[string]int // partition -> part files started
	files []string
	tick  int64
}

// parquetChunk is a chunk of events as Parquet rows, with the partition
// of each row.
type parquetChunk struct {
	rows []ParquetRow
	keys []string
}

// newParquetConverter returns a converter of stored events into Parquet
// rows, with the scratch space of one goroutine.
func newParquetConverter(items map[uint64]provenance) converter[parquetChunk] {
	var row Row
	var ev timeline.Event
	var sc parquetScratch
	return func(evs []store.StoredEvent) (parquetChunk, int64, error) {
		c := parquetChunk{rows: make([]ParquetRow, len(evs)), keys: make([]string, len(evs))}
		var bad int64
		for i := range evs {
			if !decodeRow(&row, &ev, evs[i], items[evs[i].Item]) {
				bad++
			}
			sc.fill(&c.rows[i], &row)
			c.keys[i] = sc.partitionPath(&row)
		}
		return c, bad, nil
	}
}

func (x *parquetExport) addChunk(c parquetChunk) error {
	for i := range c.rows {
		if err := x.add(c.keys[i], &c.rows[i]); err != nil {
			return err
		}
	}
	return nil
}

func (x *parquetExport) add(key string, pr *ParquetRow) error {
	pw := x.open[key]
	if pw == nil {
		var err error
		if pw, err = x.start(key); err != nil {
			return err
		}
	}
	x.tick++
	pw.used = x.tick
	pw.batch = append(pw.batch, *pr)
	pw.rgBytes += len(pr.Raw) + len(pr.Fields) + 256
	pw.rgRows++
	if len(pw.batch) >= writeBatch {
		if err := pw.writeBatch(); err != nil {
			return err
		}
	}
	if pw.rgBytes >= rowGroupBytes || pw.rgRows >= rowGroupRows {
		if err := pw.writeBatch(); err != nil {
			return err
		}
		if err := pw.w.Flush(); err != nil {
			return fmt.Errorf("write %q: %w", pw.path, err)
		}
		pw.rgBytes, pw.rgRows = 0, 0
	}
	return nil
}

func (x *parquetExport) start(key string) (*partWriter, error) {
	if len(x.open) >= maxOpen {
		var lru *partWriter
		for _, pw := range x.open {
			if lru == nil || pw.used < lru.used {
				lru = pw
			}
		}
		if err := x.finish(lru); err != nil {
			return nil, err
		}
	}
	n := x.parts[key]
	x.parts[key] = n + 1
	rel := filepath.Join(key, fmt.Sprintf("part-%05d.parquet", n))
	path := filepath.Join(x.dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create partition directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create %q: %w", path, err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w := parquet.NewGenericWriter[ParquetRow](bw,
		parquet.Compression(&fastSnappy{}),
		parquet.CreatedBy("trailcase", x.opts.ToolVersion, ""),
		parquet.KeyValueMetadata(MetaSchemaVersion, strconv.Itoa(SchemaVersion)),
		parquet.KeyValueMetadata(MetaCaseID, x.info.ID),
		parquet.KeyValueMetadata(MetaToolVersion, x.opts.ToolVersion),
	)
	pw := &partWriter{key: key, path: path, f: f, bw: bw, w: w, batch: make([]ParquetRow, 0, writeBatch)}
	x.open[key] = pw
	x.files = append(x.files, filepath.ToSlash(rel))
	return pw, nil
}

func (pw *partWriter) writeBatch() error {
	if len(pw.batch) == 0 {
		return nil
	}
	if _, err := pw.w.Write(pw.batch); err != nil {
		return fmt.Errorf("write %q: %w", pw.path, err)
	}
	clear(pw.batch)
	pw.batch = pw.batch[:0]
	return nil
}

func (x *parquetExport) finish(pw *partWriter) error {
	delete(x.open, pw.key)
	err := pw.writeBatch()
	if err == nil {
		err = pw.w.Close()
	}
	if err == nil {
		err = pw.bw.Flush()
	}
	if err == nil {
		err = pw.f.Sync()
	}
	if cerr := pw.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %q: %w", pw.path, err)
	}
	return nil
}

func (x *parquetExport) closeAll() error {
	var errs []error
	for _, pw := range x.open {
		errs = append(errs, x.finish(pw))
	}
	return errors.Join(errs...)
}

func toParquet(r *Row) ParquetRow {
	var sc parquetScratch
	var p ParquetRow
	sc.fill(&p, r)
	return p
}

// parquetScratch is the scratch space of one goroutine's Parquet rows.
type parquetScratch struct {
	b      []byte
	orders fieldOrders
	parts  map[partition]string
}

// partition is what the partition directory of a row is made of.
type partition struct {
	source, account, region string
	day                     int64 // days since 1970-01-01, or math.MinInt64 for no time
}

// partitionPath is PartitionPath, remembering the paths it made.
func (sc *parquetScratch) partitionPath(r *Row) string {
	k := partition{source: r.Source, account: r.Account, region: r.Region, day: math.MinInt64}
	if !r.Time.IsZero() {
		k.day = r.Time.Unix() / 86400
		if r.Time.Unix() < 0 && r.Time.Unix()%86400 != 0 {
			k.day-- // round down
		}
	}
	if p, ok := sc.parts[k]; ok {
		return p
	}
	p := PartitionPath(r.Source, r.Account, r.Region, r.Time)
	if sc.parts == nil || len(sc.parts) >= maxCachedPartitions {
		sc.parts = map[partition]string{}
	}
	sc.parts[k] = p
	return p
}

// maxCachedPartitions bounds the partition paths a converter remembers.
const maxCachedPartitions = 4096

// fill sets p to the Parquet row of r. p keeps no reference to r's
// storage but its strings and lists, which decodeRow makes anew for every
// event.
func (sc *parquetScratch) fill(p *ParquetRow, r *Row) {
	*p = ParquetRow{
		SchemaVersion: int32(r.SchemaVersion),
		Time:          micros(r.Time),
		Kind:          r.Kind, Evidence: int64(r.Evidence), Record: r.Record,
		EvidenceSHA256: r.EvidenceSHA256, EvidenceSource: r.EvidenceSource, EvidencePath: r.EvidencePath,
		Principal: r.Principal, PrincipalType: r.PrincipalType, AccessKeyID: r.AccessKeyID, UserName: r.UserName,
		Issuer: r.Issuer, PrincipalID: r.PrincipalID, IdentityARN: r.IdentityARN,
		SrcIP: r.SrcIP, DstIP: r.DstIP, OtherIPs: r.OtherIPs,
		Action: r.Action, Outcome: r.Outcome, EventID: r.EventID, EventSource: r.EventSource,
		UserAgent: r.UserAgent, Protocol: r.Protocol,
		IssuedAccessKey: r.IssuedAccessKey, IssuedSession: r.IssuedSession, Annotations: r.Annotations,
		Raw: rawText(r.Raw), Resources: r.Resources,
	}
	if r.EndTime != nil {
		v := micros(*r.EndTime)
		p.EndTime = &v
	}
	if r.SrcPort != 0 {
		v := int32(r.SrcPort)
		p.SrcPort = &v
	}
	if r.DstPort != 0 {
		v := int32(r.DstPort)
		p.DstPort = &v
	}
	if r.Bytes != 0 {
		v := r.Bytes // r is reused for the next event: copy
		p.Bytes = &v
	}
	if r.Packets != 0 {
		v := r.Packets
		p.Packets = &v
	}
	if r.hasFields() {
		sc.b = sc.orders.appendRowFields(sc.b[:0], r, true)
		p.Fields = string(sc.b)
	}
}

func micros(t time.Time) int64 { return t.UnixMicro() }

// Unknown is the partition value used when an event has no value.
const Unknown = "unknown"

// PartitionPath returns the Hive partition directory of an event:
// source=…/account=…/region=…/date=YYYY-MM-DD. Values are escaped so that
// no value can add a directory level or name a hidden directory.
func PartitionPath(source, account, region string, t time.Time) string {
	date := Unknown
	if !t.IsZero() {
		date = t.UTC().Format("2006-01-02")
	}
	return strings.Join([]string{
		"source=" + PartitionValue(source),
		"account=" + PartitionValue(account),
		"region=" + PartitionValue(region),
		"date=" + date,
	}, "/")
}

// PartitionValue escapes a partition value as Hive does: every byte other
// than ASCII letters, digits, '-', '_' and '.' (a leading '.' too) becomes
// %XX. An empty value becomes Unknown.
func PartitionValue(v string) string {
	if v == "" {
		return Unknown
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			b.WriteByte(c)
		case c == '.' && i > 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
