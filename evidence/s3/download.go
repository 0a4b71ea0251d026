package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/trailcase/trailcase/evidence"
)

// fetch captures one object's metadata and downloads it (or finds it in
// the case already). An object version costs one GetObject: its answer
// carries the metadata HeadObject would show. Only objects listed without
// a version id in a bucket that may hold versions are asked about with
// HeadObject first, because their version id, and so whether the case
// holds them, is not known otherwise.
func (s *Source) fetch(ctx context.Context, tmp string, j *s3Job) {
	l := j.l
	uri := ObjectURI(s.bucket, l.key, l.versionID)
	j.entry = evidence.Entry{Path: l.key, URI: uri, Size: l.size, ModTime: l.lastModified}
	if ctx.Err() != nil {
		j.fatal = ctx.Err()
		return
	}
	_, versioning := s.bucketState()
	var obj *evidence.S3Object // captured ahead of the download, or nil
	if l.versionKnown || versioning == "" {
		// The listing named the version, or the bucket never had
		// versioning: every object is version "null".
		if s.present(j, uri, l.etag, l.size) {
			return
		}
	} else {
		var err error
		if obj, err = s.capture(ctx, l); err != nil {
			s.fail(j, err)
			return
		}
		uri = ObjectURI(s.bucket, l.key, obj.VersionID)
		j.entry.URI, j.entry.S3, j.entry.Size = uri, obj, obj.Size
		if s.present(j, uri, obj.ETag, obj.Size) {
			return
		}
	}
	size := l.size
	if obj != nil {
		size = obj.Size
	}
	if size > s.opts.PrefetchMax {
		// Too big to hold ahead: stream it when its turn comes.
		s.stream(j, l, obj)
		return
	}
	captured := obj != nil
	var lastErr error
	for attempt := 0; attempt < s3BodyAttempts; attempt++ {
		obj, lastErr = s.download(ctx, tmp, l, obj, j)
		if lastErr == nil || ctx.Err() != nil || s3Code(lastErr) != "" || errors.Is(lastErr, errChecksum) {
			break
		}
	}
	if lastErr != nil {
		if ctx.Err() != nil {
			j.fatal = ctx.Err()
			return
		}
		s.fail(j, lastErr)
		return
	}
	if !captured {
		s.captureLock(ctx, obj)
		uri = ObjectURI(s.bucket, l.key, obj.VersionID)
		j.entry.URI, j.entry.S3, j.entry.Size = uri, obj, obj.Size
	}
	s.count(func(st *Stats) { st.Downloaded++; st.Bytes += obj.Size })
	file, mem, sum := j.file, j.mem, j.sum
	j.entry.Open = func(context.Context) (io.ReadCloser, error) {
		var r io.ReadCloser
		if file != "" {
			f, err := os.Open(file)
			if err != nil {
				return nil, fmt.Errorf("%s: temporary copy: %w", uri, err)
			}
			r = f
		} else {
			r = io.NopCloser(bytes.NewReader(mem))
		}
		return &sumCheckReader{rc: r, h: sha256.New(), want: sum, uri: uri}, nil
	}
}

// fail records that j's object could not be acquired. An error that
// stops all work on the bucket stops the walk; any other makes the entry
// fail. It returns the error to report.
func (s *Source) fail(j *s3Job, err error) error {
	if f := fatalS3(s.bucket, s.opts.Endpoint, err); f != nil {
		j.fatal = f
		return f
	}
	s.count(func(st *Stats) { st.Failed++ })
	j.entry = failEntry(j.entry, err)
	return err
}

// stream makes j's entry download the object when it is opened. obj is
// the object's captured metadata, or nil when the download's answer
// provides it.
func (s *Source) stream(j *s3Job, l listed, obj *evidence.S3Object) {
	captured := obj != nil
	if !captured {
		// Filled in by Open, before the entry's bytes are read.
		obj = &evidence.S3Object{}
		j.entry.S3 = obj
	}
	uri := j.entry.URI
	j.entry.Open = func(ctx context.Context) (io.ReadCloser, error) {
		vid, etag := listedVersion(l), l.etag
		if captured {
			vid, etag = obj.VersionID, obj.ETag
		}
		out, err := s.getObject(ctx, l.key, vid, etag)
		if err != nil {
			if !captured {
				// The object's first request: as when capturing it.
				return nil, s.fail(j, err)
			}
			return nil, err
		}
		if !captured {
			got := s.fromGet(l, out)
			if u := ObjectURI(s.bucket, l.key, got.VersionID); u != uri {
				out.Body.Close()
				return nil, s.fail(j, fmt.Errorf("%s: changed while it was acquired (now %s)", uri, u))
			}
			s.captureLock(ctx, got)
			*obj = *got
		}
		s.count(func(st *Stats) { st.Downloaded++; st.Bytes += obj.Size })
		return &etagCheckReader{rc: out.Body, md5: md5.New(), want: plainMD5(obj), uri: uri}, nil
	}
}

// present reports, and prepares the entry for, an object version the case
// holds already with the same ETag and size: its entry names the item, and
// acquisition records it as present without downloading it again.
func (s *Source) present(j *s3Job, uri, etag string, size int64) bool {
	if s.opts.Store == nil || etag == "" {
		return false
	}
	items, err := s.opts.Store.ItemsFromSource(uri)
	if err != nil {
		return false
	}
	for _, it := range items {
		if it.S3 == nil || it.S3.ETag != etag || it.Size != size {
			continue
		}
		s.count(func(st *Stats) { st.Present++ })
		j.entry.S3 = it.S3
		j.entry.Size = it.Size
		j.entry.Present = it.ID
		return true
	}
	return false
}

// objectHeaders are the metadata headers of a HeadObject or GetObject
// answer.
type objectHeaders struct {
	versionID, etag string
	lastModified    time.Time
	size            *int64
	sse, kmsKeyID   string
	storageClass    string
	metadata        map[string]string
	lock            lockHeaders
}

func headHeaders(h *s3.HeadObjectOutput) objectHeaders {
	return objectHeaders{
		versionID: aws.ToString(h.VersionId), etag: aws.ToString(h.ETag), lastModified: aws.ToTime(h.LastModified),
		size: h.ContentLength, sse: string(h.ServerSideEncryption), kmsKeyID: aws.ToString(h.SSEKMSKeyId),
		storageClass: string(h.StorageClass), metadata: h.Metadata,
		lock: lockHeaders{mode: string(h.ObjectLockMode), until: aws.ToTime(h.ObjectLockRetainUntilDate), hold: string(h.ObjectLockLegalHoldStatus)},
	}
}

func getHeaders(g *s3.GetObjectOutput) objectHeaders {
	return objectHeaders{
		versionID: aws.ToString(g.VersionId), etag: aws.ToString(g.ETag), lastModified: aws.ToTime(g.LastModified),
		size: g.ContentLength, sse: string(g.ServerSideEncryption), kmsKeyID: aws.ToString(g.SSEKMSKeyId),
		storageClass: string(g.StorageClass), metadata: g.Metadata,
		lock: lockHeaders{mode: string(g.ObjectLockMode), until: aws.ToTime(g.ObjectLockRetainUntilDate), hold: string(g.ObjectLockLegalHoldStatus)},
	}
}

// newObject records the metadata of listed object l from the headers of
// a request for it; the lock headers are applied, the lock calls are
// left to captureLock.
func (s *Source) newObject(l listed, h objectHeaders) *evidence.S3Object {
	obj := &evidence.S3Object{
		Bucket:       s.bucket,
		Key:          l.key,
		VersionID:    h.versionID,
		ETag:         h.etag,
		LastModified: h.lastModified.UTC(),
		Size:         aws.ToInt64(h.size),
		SSE:          h.sse,
		SSEKMSKeyID:  h.kmsKeyID,
		StorageClass: h.storageClass,
		CapturedFrom: "s3",
		CapturedAt:   time.Now().UTC(),
	}
	if obj.VersionID == "" {
		obj.VersionID = l.versionID
	}
	if obj.VersionID == "" {
		obj.VersionID = "null"
	}
	if obj.StorageClass == "" {
		obj.StorageClass = l.storageClass
	}
	if len(h.metadata) > 0 {
		obj.Metadata = make(map[string]string, len(h.metadata))
		for k, v := range h.metadata {
			obj.Metadata[strings.ToLower(strings.TrimPrefix(strings.ToLower(k), "x-amz-meta-"))] = v
		}
	}
	h.lock.apply(obj)
	return obj
}

// fromGet records the metadata of listed object l from a GetObject
// answer.
func (s *Source) fromGet(l listed, out *s3.GetObjectOutput) *evidence.S3Object {
	obj := s.newObject(l, getHeaders(out))
	if out.ContentLength == nil {
		// No length announced (chunked, by an S3-compatible server): the
		// listing's size is the expected one.
		obj.Size = l.size
	}
	return obj
}

// capture reads one object version's metadata with HeadObject and its
// lock state.
func (s *Source) capture(ctx context.Context, l listed) (*evidence.S3Object, error) {
	in := &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(l.key)}
	if l.versionKnown && l.versionID != "null" {
		in.VersionId = aws.String(l.versionID)
	}
	head, err := s.client.HeadObject(ctx, in, s.regionOpt()...)
	if err != nil {
		return nil, objectError(s.bucket, l, "HeadObject", err)
	}
	obj := s.newObject(l, headHeaders(head))
	s.captureLock(ctx, obj)
	return obj, nil
}

// objectError describes a failed request for one object.
func objectError(bucket string, l listed, op string, err error) error {
	uri := ObjectURI(bucket, l.key, l.versionID)
	switch {
	case isGone(err):
		return fmt.Errorf("%s: deleted after it was listed (%s: %s): %w", uri, op, s3Reason(err), err)
	case isDenied(err):
		return fmt.Errorf("%s: access denied (%s: %s): %w", uri, op, s3Reason(err), err)
	case isCode(err, codePreconditionFailed):
		return fmt.Errorf("%s: changed while it was acquired (ETag no longer matches): %w", uri, err)
	}
	return fmt.Errorf("%s: %s: %w", uri, op, err)
}

// listedVersion is the version id the listing gave l, or "".
func listedVersion(l listed) string {
	if l.versionKnown {
		return l.versionID
	}
	return ""
}

// getObject starts the download of key's version vid ("" or "null": the
// current version), provided its ETag is still etag (when not "").
func (s *Source) getObject(ctx context.Context, key, vid, etag string) (*s3.GetObjectOutput, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)}
	if vid != "" && vid != "null" {
		in.VersionId = aws.String(vid)
	}
	if etag != "" {
		in.IfMatch = aws.String(etag)
	}
	out, err := s.client.GetObject(ctx, in, s.regionOpt()...)
	if err != nil {
		return nil, objectError(s.bucket, listed{key: key, versionID: vid}, "GetObject", err)
	}
	return out, nil
}

var errChecksum = errors.New("downloaded bytes do not match")

// plainMD5 returns the hex MD5 an ETag stands for, or "" when the ETag is
// not an MD5 of the content (multipart uploads, SSE-KMS, SSE-C).
func plainMD5(o *evidence.S3Object) string {
	e := strings.Trim(o.ETag, `"`)
	if len(e) != 32 || (o.SSE != "" && o.SSE != string(types.ServerSideEncryptionAes256)) {
		return ""
	}
	if _, err := hex.DecodeString(e); err != nil {
		return ""
	}
	return strings.ToLower(e)
}

// download fetches listed object l into memory or a temporary file. obj
// is its metadata when captured already (by HeadObject or an earlier
// attempt): the download then asks for that version and ETag. Otherwise
// it asks for the listed version and ETag, and the answer's headers give
// the returned metadata, also when the body could not be read.
func (s *Source) download(ctx context.Context, tmp string, l listed, obj *evidence.S3Object, j *s3Job) (*evidence.S3Object, error) {
	vid, etag := listedVersion(l), l.etag
	if obj != nil {
		vid, etag = obj.VersionID, obj.ETag
	}
	out, err := s.getObject(ctx, l.key, vid, etag)
	if err != nil {
		return obj, err
	}
	body := out.Body
	defer body.Close()
	if obj == nil {
		obj = s.fromGet(l, out)
	}
	sh, mh := sha256.New(), md5.New()
	var w io.Writer
	var f *os.File
	var buf *bytes.Buffer
	if obj.Size <= s.opts.MemoryMax {
		buf = bytes.NewBuffer(make([]byte, 0, obj.Size))
		w = buf
	} else {
		f, err = os.CreateTemp(tmp, "obj-")
		if err != nil {
			return obj, fmt.Errorf("temporary file: %w", err)
		}
		w = f
	}
	n, err := io.Copy(io.MultiWriter(w, sh, mh), body)
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(f.Name())
		}
	}
	uri := ObjectURI(s.bucket, l.key, obj.VersionID)
	if err != nil {
		return obj, fmt.Errorf("%s: download: %w", uri, err)
	}
	if n != obj.Size {
		if f != nil {
			os.Remove(f.Name())
		}
		return obj, fmt.Errorf("%s: download: read %d bytes, S3 announced %d", uri, n, obj.Size)
	}
	if want := plainMD5(obj); want != "" {
		if got := hex.EncodeToString(mh.Sum(nil)); got != want {
			if f != nil {
				os.Remove(f.Name())
			}
			return obj, fmt.Errorf("%s: %w its ETag (MD5 %s, ETag %s)", uri, errChecksum, got, want)
		}
	}
	sh.Sum(j.sum[:0])
	if f != nil {
		j.file = f.Name()
	} else {
		j.mem = buf.Bytes()
	}
	return obj, nil
}

// sumCheckReader re-checks a downloaded copy's SHA-256 as it is stored.
type sumCheckReader struct {
	rc   io.ReadCloser
	h    hash.Hash
	want evidence.SHA256
	uri  string
	what string // the problem a mismatch means
}

func (r *sumCheckReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	r.h.Write(p[:n])
	if err == io.EOF {
		var got evidence.SHA256
		r.h.Sum(got[:0])
		if got != r.want {
			what := r.what
			if what == "" {
				what = "the temporary copy changed before it was stored"
			}
			return n, fmt.Errorf("%s: %s (sha256 %s, expected %s)", r.uri, what, got, r.want)
		}
	}
	return n, err
}

func (r *sumCheckReader) Close() error { return r.rc.Close() }

// etagCheckReader checks a streamed download against its ETag's MD5.
type etagCheckReader struct {
	rc   io.ReadCloser
	md5  hash.Hash
	want string
	uri  string
}

func (r *etagCheckReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	r.md5.Write(p[:n])
	if err == io.EOF && r.want != "" {
		if got := hex.EncodeToString(r.md5.Sum(nil)); got != r.want {
			return n, fmt.Errorf("%s: %w its ETag (MD5 %s, ETag %s)", r.uri, errChecksum, got, r.want)
		}
	}
	return n, err
}

func (r *etagCheckReader) Close() error { return r.rc.Close() }
