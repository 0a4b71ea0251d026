package acquire

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"
	"github.com/trailcase/trailcase/evidence"
)

// SidecarSuffix marks a saved `aws s3api head-object` output next to the
// object it describes.
const SidecarSuffix = ".head.json"

// maxSidecar bounds how much of a sidecar file is read.
const maxSidecar = 1 << 20

// DefaultMaxArchiveBytes bounds how many bytes one archive may expand to.
const DefaultMaxArchiveBytes int64 = 64 << 30

// bombRatio and bombMin: a zip entry expanding more than bombRatio times
// to more than bombMin bytes is refused as a suspected archive bomb.
const (
	bombRatio = 1000
	bombMin   = 256 << 20
)

// OpenLocal returns the source for a local path: a directory, an archive
// (.zip, .tar, .tar.gz, .tgz) or a single file.
func OpenLocal(p string, maxArchive int64) (evidence.Source, error) {
	if maxArchive <= 0 {
		maxArchive = DefaultMaxArchiveBytes
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, fmt.Errorf("source %q: %w", p, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("source %q: %w", p, err)
	}
	if fi.IsDir() {
		return &dirSource{local{root: p, abs: abs}}, nil
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("source %q: not a regular file or directory", p)
	}
	lower := strings.ToLower(abs)
	switch {
	case strings.HasSuffix(lower, ".zip"):
		return &zipSource{root: p, abs: abs, max: maxArchive}, nil
	case strings.HasSuffix(lower, ".tar"):
		return &tarSource{root: p, abs: abs, max: maxArchive}, nil
	case strings.HasSuffix(lower, ".tar.gz"), strings.HasSuffix(lower, ".tgz"):
		return &tarSource{root: p, abs: abs, gz: true, max: maxArchive}, nil
	}
	return &fileSource{local{root: p, abs: abs}}, nil
}

// CleanName makes a file name safe to record: invalid UTF-8 bytes become
// \xNN escapes (and a literal backslash-x is left alone), so the recorded
// path never silently changes when encoded as JSON.
func CleanName(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			fmt.Fprintf(&b, `\x%02X`, s[i])
			i++
			continue
		}
		b.WriteString(s[i : i+n])
		i += n
	}
	return b.String()
}

func openFile(abs string) func(context.Context) (io.ReadCloser, error) {
	return func(context.Context) (io.ReadCloser, error) { return os.Open(abs) }
}

// ---- local files ----

// local is a source on the local file system. It never offers the case
// file being written (caseAware).
type local struct {
	root, abs string
	caseFile  fs.FileInfo
}

func (s *local) Root() string { return s.root }

// caseAware is a source that can lie around the case file: it skips it.
type caseAware interface {
	skipCaseFile(fs.FileInfo)
}

func (s *local) skipCaseFile(fi fs.FileInfo) { s.caseFile = fi }

func (s *local) sourceError(err error) error { return fmt.Errorf("source %q: %w", s.root, err) }

// isCaseFile reports whether fi is the case file; it refuses it as rel.
func (s *local) isCaseFile(fi fs.FileInfo, rel string, refuse func(evidence.Refusal)) bool {
	if s.caseFile == nil || !os.SameFile(fi, s.caseFile) {
		return false
	}
	refuse(evidence.Refusal{Path: CleanName(rel), Reason: "the case file this acquisition writes to: not acquired"})
	return true
}

// sizeOf counts what walk offers and include/exclude select, reading no
// file: the Sizer of local sources.
func sizeOf(ctx context.Context, walk func(context.Context, func(evidence.Entry) error, func(evidence.Refusal)) error, include, exclude []string) (files, bytes int64, err error) {
	err = walk(ctx, func(e evidence.Entry) error {
		if evidence.Selected(e.Path, include, exclude) {
			files, bytes = files+1, bytes+max(e.Size, 0)
		}
		return nil
	}, func(evidence.Refusal) {})
	return files, bytes, err
}

// ---- a single file ----

type fileSource struct {
	local
}

func (s *fileSource) Size(ctx context.Context, include, exclude []string) (int64, int64, error) {
	return sizeOf(ctx, s.Walk, include, exclude)
}

func (s *fileSource) Walk(ctx context.Context, fn func(evidence.Entry) error, refuse func(evidence.Refusal)) error {
	fi, err := os.Stat(s.abs)
	if err != nil {
		return s.sourceError(err)
	}
	if s.isCaseFile(fi, filepath.Base(s.abs), refuse) {
		return nil
	}
	e := localEntry(s.abs, filepath.Base(s.abs), fi)
	readSidecar(&e, s.abs+SidecarSuffix, filepath.Base(s.abs)+SidecarSuffix)
	return fn(e)
}

// localEntry is the entry of the local file abs, named rel in its source
// and listed as fi (nil: unknown size).
func localEntry(abs, rel string, fi fs.FileInfo) evidence.Entry {
	e := evidence.Entry{Path: CleanName(rel), URI: CleanName(abs), Size: -1, Open: openFile(abs)}
	if fi != nil {
		e.Size, e.ModTime = fi.Size(), fi.ModTime().UTC()
	}
	return e
}

func readSidecar(e *evidence.Entry, abs, rel string) {
	f, err := os.Open(abs)
	if err != nil {
		return
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSidecar+1))
	if err != nil {
		return
	}
	e.Sidecar, e.SidecarPath = b, CleanName(rel)
}

// ---- a directory ----

type dirSource struct {
	local
}

func (s *dirSource) Size(ctx context.Context, include, exclude []string) (int64, int64, error) {
	return sizeOf(ctx, s.Walk, include, exclude)
}

func (s *dirSource) Walk(ctx context.Context, fn func(evidence.Entry) error, refuse func(evidence.Refusal)) error {
	realRoot, err := filepath.EvalSymlinks(s.abs)
	if err != nil {
		return s.sourceError(err)
	}
	return s.walkDir(ctx, realRoot, "", fn, refuse)
}

func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

func (s *dirSource) walkDir(ctx context.Context, realRoot, rel string, fn func(evidence.Entry) error, refuse func(evidence.Refusal)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := filepath.Join(s.abs, filepath.FromSlash(rel))
	ents, err := os.ReadDir(dir)
	if err != nil {
		if rel == "" {
			return s.sourceError(err)
		}
		// An unreadable subdirectory: reported, the rest is still walked.
		return fn(evidence.Entry{Path: CleanName(rel), URI: CleanName(dir), Size: -1, Open: func(context.Context) (io.ReadCloser, error) {
			return nil, fmt.Errorf("read directory %q: %w", dir, err)
		}})
	}
	names := make(map[string]bool, len(ents))
	for _, de := range ents {
		names[de.Name()] = true
	}
	for _, de := range ents {
		name := de.Name()
		relp := path.Join(rel, name)
		abs := filepath.Join(dir, name)
		mode := de.Type()
		if mode&fs.ModeSymlink != 0 {
			target, err := filepath.EvalSymlinks(abs)
			if err != nil {
				refuse(evidence.Refusal{Path: CleanName(relp), Reason: fmt.Sprintf("link cannot be resolved: %v", err)})
				continue
			}
			if !within(realRoot, target) {
				refuse(evidence.Refusal{Path: CleanName(relp), Reason: fmt.Sprintf("link points outside the source root (to %q)", CleanName(target))})
				continue
			}
			fi, err := os.Stat(target)
			if err != nil || !fi.Mode().IsRegular() {
				// Directories inside the root are walked under their own name.
				continue
			}
			mode = 0
		}
		switch {
		case mode.IsDir():
			if err := s.walkDir(ctx, realRoot, relp, fn, refuse); err != nil {
				return err
			}
		case mode.IsRegular() || mode == 0:
			if strings.HasSuffix(name, SidecarSuffix) {
				if !names[strings.TrimSuffix(name, SidecarSuffix)] {
					refuse(evidence.Refusal{Path: CleanName(relp), Reason: "sidecar without the object it describes: not acquired"})
				}
				continue
			}
			fi, err := os.Stat(abs) // on error fi is nil: listed with an unknown size
			if err == nil && s.isCaseFile(fi, relp, refuse) {
				continue
			}
			e := localEntry(abs, relp, fi)
			if names[name+SidecarSuffix] {
				readSidecar(&e, abs+SidecarSuffix, relp+SidecarSuffix)
			}
			if err := fn(e); err != nil {
				return err
			}
		default:
			refuse(evidence.Refusal{Path: CleanName(relp), Reason: "not a regular file (device, socket or pipe): not acquired"})
		}
	}
	return nil
}

// ---- archives ----

// entryName validates an archive entry name and returns it cleaned, or an
// error when it would escape the archive root.
func entryName(name string) (string, error) {
	n := strings.ReplaceAll(name, "\\", "/")
	if strings.HasPrefix(n, "/") || filepath.IsAbs(name) || (len(n) > 1 && n[1] == ':') {
		return "", errors.New("absolute path in archive")
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "", errors.New("path escapes the archive root")
		}
	}
	c := path.Clean(n)
	if c == "." || c == "" {
		return "", errors.New("empty name")
	}
	return c, nil
}

// hashingFile reads a file while hashing it, for the container's SHA-256.
type containerSum struct {
	sum  evidence.SHA256
	size int64
	ok   bool
}

func (c *containerSum) Container() (evidence.SHA256, int64, bool) { return c.sum, c.size, c.ok }

func (c *containerSum) hashFile(abs string) {
	f, err := os.Open(abs)
	if err != nil {
		return
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return
	}
	h.Sum(c.sum[:0])
	c.size, c.ok = n, true
}

type zipSource struct {
	containerSum
	root, abs string
	max       int64
}

func (s *zipSource) Root() string { return s.root }

// Size reads the archive's central directory, no entry's content: its
// entries and their declared sizes, as Walk offers them.
func (s *zipSource) Size(ctx context.Context, include, exclude []string) (files, bytes int64, err error) {
	zr, err := zip.OpenReader(s.abs)
	if err != nil {
		return 0, 0, fmt.Errorf("archive %q: %w", s.root, err)
	}
	defer zr.Close()
	err = s.plan(ctx, &zr.Reader, func(evidence.Refusal) {}, func(name string, _, _ *zip.File, size int64) error {
		if evidence.Selected(CleanName(name), include, exclude) {
			files, bytes = files+1, bytes+size
		}
		return nil
	})
	return files, bytes, err
}

func (s *zipSource) Walk(ctx context.Context, fn func(evidence.Entry) error, refuse func(evidence.Refusal)) error {
	s.hashFile(s.abs)
	zr, err := zip.OpenReader(s.abs)
	if err != nil {
		return fmt.Errorf("archive %q: %w", s.root, err)
	}
	defer zr.Close()
	return s.plan(ctx, &zr.Reader, refuse, func(name string, f, sc *zip.File, size int64) error {
		e := evidence.Entry{
			Path:    CleanName(name),
			URI:     CleanName(s.abs) + "!/" + CleanName(name),
			Size:    size,
			ModTime: f.Modified.UTC(),
			Open: func(context.Context) (io.ReadCloser, error) {
				rc, err := f.Open()
				if err != nil {
					return nil, err
				}
				return struct {
					io.Reader
					io.Closer
				}{io.LimitReader(rc, size+1), rc}, nil
			},
		}
		if sc != nil {
			if rc, err := sc.Open(); err == nil {
				b, err := io.ReadAll(io.LimitReader(rc, maxSidecar+1))
				rc.Close()
				if err == nil {
					e.Sidecar, e.SidecarPath = b, CleanName(name+SidecarSuffix)
				}
			}
		}
		return fn(e)
	})
}

// plan decides, from the central directory alone, what Walk offers: the
// regular files in name order with their declared sizes, up to the
// expansion limit. offer hears each, with its sidecar (nil when it has
// none); refuse hears the rest.
func (s *zipSource) plan(ctx context.Context, zr *zip.Reader, refuse func(evidence.Refusal), offer func(name string, f, sidecar *zip.File, size int64) error) error {
	files := map[string]*zip.File{}
	var order []string
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		name, err := entryName(f.Name)
		if err != nil {
			refuse(evidence.Refusal{Path: CleanName(f.Name), Reason: err.Error()})
			continue
		}
		if f.Mode()&fs.ModeSymlink != 0 {
			refuse(evidence.Refusal{Path: CleanName(name), Reason: "symbolic link inside archive: not followed"})
			continue
		}
		if !f.Mode().IsRegular() {
			refuse(evidence.Refusal{Path: CleanName(name), Reason: "not a regular file inside archive"})
			continue
		}
		if _, dup := files[name]; dup {
			refuse(evidence.Refusal{Path: CleanName(name), Reason: "archive holds this name twice; only the first is acquired"})
			continue
		}
		files[name] = f
		order = append(order, name)
	}
	sort.Strings(order)
	var total int64
	for _, name := range order {
		if err := ctx.Err(); err != nil {
			return err
		}
		f := files[name]
		if strings.HasSuffix(name, SidecarSuffix) {
			if files[strings.TrimSuffix(name, SidecarSuffix)] == nil {
				refuse(evidence.Refusal{Path: CleanName(name), Reason: "sidecar without the object it describes: not acquired"})
			}
			continue
		}
		if f.UncompressedSize64 > math.MaxInt64 {
			refuse(evidence.Refusal{Path: CleanName(name), Reason: fmt.Sprintf("entry declares %d bytes, more than any file holds: not acquired", f.UncompressedSize64)})
			continue
		}
		size := int64(f.UncompressedSize64)
		if size > bombMin && f.CompressedSize64 > 0 && size/int64(f.CompressedSize64) > bombRatio {
			refuse(evidence.Refusal{Path: CleanName(name), Reason: fmt.Sprintf("suspected archive bomb: %d bytes compressed to %d", size, f.CompressedSize64)})
			continue
		}
		if size > s.max-total { // not total+size: that can overflow
			refuse(evidence.Refusal{Path: CleanName(name), Reason: fmt.Sprintf("archive expands past the limit of %d bytes: this and later entries not acquired", s.max)})
			return nil
		}
		total += size
		if err := offer(name, f, files[name+SidecarSuffix], size); err != nil {
			return err
		}
	}
	return nil
}

type tarSource struct {
	containerSum
	root, abs string
	gz        bool
	max       int64
	ix        *tarIndex // the first pass, when Size made it
}

func (s *tarSource) Root() string { return s.root }

// open opens the archive for reading from its start. With skip, an
// uncompressed archive is read without a buffer, so that the tar reader
// seeks over the entries' contents instead of reading them.
func (s *tarSource) open(skip bool) (*tar.Reader, io.Closer, error) {
	f, err := os.Open(s.abs)
	if err != nil {
		return nil, nil, err
	}
	if skip && !s.gz {
		return tar.NewReader(f), f, nil
	}
	var r io.Reader = bufio.NewReaderSize(f, 1<<20)
	if s.gz {
		zr, err := gzip.NewReader(r)
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("not gzip: %w", err)
		}
		r = zr
	}
	return tar.NewReader(r), f, nil
}

// tarIndex is what the first pass over a tar archive learns.
type tarIndex struct {
	names    map[string]bool   // the regular files
	sidecars map[string][]byte // the sidecars, each at most 1 MiB
	err      error             // where the archive is corrupt, if it is
	// files and bytes count the entries Walk offers that include and
	// exclude select, with their sizes.
	files, bytes int64
}

// scan reads the archive's names and sidecars, and counts the entries
// Walk offers that include and exclude select. An uncompressed archive's
// contents are skipped by seeking; a compressed one is inflated whole.
func (s *tarSource) scan(include, exclude []string) (*tarIndex, error) {
	tr, c, err := s.open(true)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	ix := &tarIndex{names: map[string]bool{}, sidecars: map[string][]byte{}}
	plan := tarPlan{max: s.max, seen: map[string]bool{}}
	counting := true
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return ix, nil
		}
		if err != nil {
			ix.err = err
			return ix, nil
		}
		if counting {
			name, ok, stop := plan.next(h, nil, func(evidence.Refusal) {})
			counting = !stop
			if ok && evidence.Selected(CleanName(name), include, exclude) {
				ix.files, ix.bytes = ix.files+1, ix.bytes+h.Size
			}
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name, err := entryName(h.Name)
		if err != nil {
			continue
		}
		ix.names[name] = true
		if strings.HasSuffix(name, SidecarSuffix) && h.Size <= maxSidecar {
			b, err := io.ReadAll(io.LimitReader(tr, maxSidecar+1))
			if err == nil {
				ix.sidecars[name] = b
			}
		}
	}
}

// Size makes Walk's first pass over the archive, which Walk then uses:
// the entries and the sizes their headers declare, as Walk offers them.
func (s *tarSource) Size(ctx context.Context, include, exclude []string) (files, bytes int64, err error) {
	ix, err := s.scan(include, exclude)
	if err != nil {
		return 0, 0, fmt.Errorf("archive %q: %w", s.root, err)
	}
	s.ix = ix
	return ix.files, ix.bytes, nil
}

// tarPlan decides, header by header, what Walk offers of a tar archive:
// the first regular file of each name, sidecars aside, up to the
// expansion limit.
type tarPlan struct {
	max, total int64
	seen       map[string]bool
}

// next returns the cleaned name of the entry h and ok when Walk offers
// it; other entries are refused through refuse (a sidecar is refused
// when names, the archive's regular files, lacks its object). stop is set
// by the first entry past the expansion limit, which ends the walk.
func (p *tarPlan) next(h *tar.Header, names map[string]bool, refuse func(evidence.Refusal)) (name string, ok, stop bool) {
	name, ok = regularTarEntry(h, refuse)
	if !ok {
		return "", false, false
	}
	if p.seen[name] {
		refuse(evidence.Refusal{Path: CleanName(name), Reason: "archive holds this name twice; only the first is acquired"})
		return "", false, false
	}
	p.seen[name] = true
	if strings.HasSuffix(name, SidecarSuffix) {
		if !names[strings.TrimSuffix(name, SidecarSuffix)] {
			refuse(evidence.Refusal{Path: CleanName(name), Reason: "sidecar without the object it describes: not acquired"})
		}
		return "", false, false
	}
	if h.Size > p.max-p.total { // not total+h.Size: that can overflow
		refuse(evidence.Refusal{Path: CleanName(name), Reason: fmt.Sprintf("archive expands past the limit of %d bytes: this and later entries not acquired", p.max)})
		return "", false, true
	}
	p.total += h.Size
	return name, true, false
}

// Walk reads the archive twice: once for the names and the sidecars (kept
// in memory, each at most 1 MiB; Size may have made this pass already),
// then for the contents, streamed.
func (s *tarSource) Walk(ctx context.Context, fn func(evidence.Entry) error, refuse func(evidence.Refusal)) error {
	s.hashFile(s.abs)
	ix := s.ix
	s.ix = nil
	if ix == nil {
		var err error
		if ix, err = s.scan(nil, nil); err != nil {
			return fmt.Errorf("archive %q: %w", s.root, err)
		}
	}
	tr, c, err := s.open(false)
	if err != nil {
		return fmt.Errorf("archive %q: %w", s.root, err)
	}
	defer c.Close()
	plan := tarPlan{max: s.max, seen: map[string]bool{}}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if ix.err == nil {
				ix.err = err
			}
			return fmt.Errorf("archive %q: corrupt after %d entries: %w", s.root, len(plan.seen), ix.err)
		}
		name, ok, stop := plan.next(h, ix.names, refuse)
		if stop {
			return nil
		}
		if !ok {
			continue
		}
		size := h.Size
		e := evidence.Entry{
			Path:    CleanName(name),
			URI:     CleanName(s.abs) + "!/" + CleanName(name),
			Size:    size,
			ModTime: h.ModTime.UTC(),
			Open: func(context.Context) (io.ReadCloser, error) {
				return io.NopCloser(io.LimitReader(tr, size)), nil
			},
		}
		if b, ok := ix.sidecars[name+SidecarSuffix]; ok {
			e.Sidecar, e.SidecarPath = b, CleanName(name+SidecarSuffix)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
}

// regularTarEntry returns the cleaned name of a regular file entry; any
// other entry is refused (directories silently) and ok is false.
func regularTarEntry(h *tar.Header, refuse func(evidence.Refusal)) (name string, ok bool) {
	raw := h.Name
	name, nerr := entryName(raw)
	switch h.Typeflag {
	case tar.TypeDir:
		return "", false
	case tar.TypeSymlink, tar.TypeLink:
		if nerr != nil {
			refuse(evidence.Refusal{Path: CleanName(raw), Reason: nerr.Error()})
			return "", false
		}
		target := h.Linkname
		if h.Typeflag == tar.TypeSymlink && !strings.HasPrefix(target, "/") {
			target = path.Join(path.Dir(name), target)
		}
		if _, err := entryName(target); err != nil {
			refuse(evidence.Refusal{Path: CleanName(name), Reason: fmt.Sprintf("link inside archive points outside it (to %q)", CleanName(h.Linkname))})
		} else {
			refuse(evidence.Refusal{Path: CleanName(name), Reason: "link inside archive: not followed (its target is acquired under its own name)"})
		}
		return "", false
	case tar.TypeReg:
	default:
		refuse(evidence.Refusal{Path: CleanName(raw), Reason: "not a regular file inside archive"})
		return "", false
	}
	if nerr != nil {
		refuse(evidence.Refusal{Path: CleanName(raw), Reason: nerr.Error()})
		return "", false
	}
	return name, true
}
