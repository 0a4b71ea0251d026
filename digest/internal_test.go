package digest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/trailcase/trailcase/digest/digesttest"
)

var gz = digesttest.Gzip

func TestHashFirstMember(t *testing.T) {
	body := []byte(`{"Records":[]}`)
	want := sha256.Sum256(body)
	member := gz(body)
	tests := []struct {
		name         string
		in           []byte
		sum          [32]byte
		gzip         bool
		trailing     int64
		trailingGzip bool
		decodeErr    string
	}{
		{"one member", member, want, true, 0, false, ""},
		{"appended member", append(bytes.Clone(member), gz([]byte(`{"Records":[{"x":1}]}`))...), want, true, int64(len(gz([]byte(`{"Records":[{"x":1}]}`)))), true, ""},
		{"zero padding", append(bytes.Clone(member), 0, 0, 0), want, true, 3, false, ""},
		{"plain json", body, want, false, 0, false, ""},
		{"empty", nil, sha256.Sum256(nil), false, 0, false, ""},
		{"truncated", member[:len(member)-6], [32]byte{}, true, 0, false, "compressed data ends early (truncated)"},
		{"bad header", []byte{0x1f, 0x8b, 0, 0}, [32]byte{}, true, 0, false, "gzip header: "},
	}
	h := newHasher()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var keep bytes.Buffer
			c, err := h.hash(bytes.NewReader(tt.in), &keep, 1<<20)
			if tt.decodeErr != "" {
				var de errDecode
				if !errors.As(err, &de) || !bytes.HasPrefix([]byte(err.Error()), []byte(tt.decodeErr)) {
					t.Fatalf("err = %v, want decode error %q", err, tt.decodeErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Sum != tt.sum || c.Gzip != tt.gzip || c.Trailing != tt.trailing || c.TrailingGzip != tt.trailingGzip {
				t.Errorf("got %x gzip=%v trailing=%d/%v, want %x %v %d/%v", c.Sum, c.Gzip, c.Trailing, c.TrailingGzip, tt.sum, tt.gzip, tt.trailing, tt.trailingGzip)
			}
			if sha256.Sum256(keep.Bytes()) != c.Sum {
				t.Error("kept bytes differ from the hashed ones")
			}
		})
	}
}

func TestHashLimit(t *testing.T) {
	_, err := newHasher().hash(bytes.NewReader(gz(make([]byte, 1000))), io.Discard, 999)
	var de errDecode
	if !errors.As(err, &de) || err.Error() != "larger than 999 bytes decompressed" {
		t.Fatalf("err = %v", err)
	}
}

type failReader struct{}

func (failReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestHashIOError(t *testing.T) {
	_, err := newHasher().hash(io.MultiReader(bytes.NewReader(gz([]byte("abc"))[:5]), failReader{}), nil, 0)
	var de errDecode
	if err == nil || errors.As(err, &de) || err.Error() != "disk on fire" {
		t.Fatalf("err = %v, want the I/O error", err)
	}
}

func TestParseDigestName(t *testing.T) {
	tests := []struct {
		key  string
		ok   bool
		want location
	}{
		{"AWSLogs/123456789123/CloudTrail-Digest/us-west-2/2020/09/11/123456789123_CloudTrail-Digest_us-west-2_leh-ct-test_us-west-2_20200911T193649Z.json.gz", true,
			location{Account: "123456789123", Region: "us-west-2", Trail: "leh-ct-test", HomeRegion: "us-west-2", Time: time.Date(2020, 9, 11, 19, 36, 49, 0, time.UTC)}},
		{"p/q/AWSLogs/o-abc123/111122223333/CloudTrail-Digest/eu-west-1/2026/01/02/111122223333_CloudTrail-Digest_eu-west-1_my_org_trail.v1_us-east-1_20260102T030405Z_backfill.json.gz", true,
			location{Root: "p/q/", Org: "o-abc123", Account: "111122223333", Region: "eu-west-1", Trail: "my_org_trail.v1", HomeRegion: "us-east-1", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Backfill: true}},
		{"111122223333_CloudTrail-Digest_eu-west-1_t_us-east-1_20260102T030405Z.json.gz", true,
			location{Account: "111122223333", Region: "eu-west-1", Trail: "t", HomeRegion: "us-east-1", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}},
		{"111122223333_CloudTrail-Digest_eu-west-1_us-east-1_20260102T030405Z.json.gz", false, location{}},
		{"111122223333_CloudTrail-Digest_eu-west-1_t_us-east-1_2026010.json.gz", false, location{}},
		{"111122223333_CloudTrail_us-east-1_20260102T0304Z_abcdefgh.json.gz", false, location{}},
		{"x.txt", false, location{}},
	}
	for _, tt := range tests {
		got, ok := parseDigestName(tt.key)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("parseDigestName(%q) = %+v, %v; want %+v, %v", tt.key, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseLogName(t *testing.T) {
	got, ok := parseLogName("ct/AWSLogs/o-x1/111122223333/CloudTrail/us-east-1/2026/03/10/111122223333_CloudTrail_us-east-1_20260310T0556Z_mKdRnNnlIpCqLb0y.json.gz")
	want := location{Root: "ct/", Org: "o-x1", Account: "111122223333", Region: "us-east-1", Time: time.Date(2026, 3, 10, 5, 56, 0, 0, time.UTC)}
	if !ok || got != want {
		t.Fatalf("got %+v %v", got, ok)
	}
	if _, ok := parseLogName("111122223333_CloudTrail-Digest_eu-west-1_t_us-east-1_20260102T030405Z.json.gz"); ok {
		t.Error("a digest name parsed as a log name")
	}
}

func TestSameLocation(t *testing.T) {
	const key = "ct/AWSLogs/1/CloudTrail-Digest/r/2026/01/01/1_CloudTrail-Digest_r_t_r_20260101T000000Z.json.gz"
	tests := []struct {
		bucket, found string
		want          bool
	}{
		{"b", key, true},
		{"other", key, false},
		{"b", "AWSLogs/1/CloudTrail-Digest/r/2026/01/01/1_CloudTrail-Digest_r_t_r_20260101T000000Z.json.gz", false},
		{"", key, true},
		{"", "AWSLogs/1/CloudTrail-Digest/r/2026/01/01/1_CloudTrail-Digest_r_t_r_20260101T000000Z.json.gz", true},
		{"", "case/bucket/" + key, true},
		{"", "1_CloudTrail-Digest_r_t_r_20260101T000000Z.json.gz", true},
		{"", "01/1_CloudTrail-Digest_r_t_r_20260101T000000Z.json.gz", false},
		{"", "AWSLogs/1/CloudTrail-Digest/r/2026/01/02/1_CloudTrail-Digest_r_t_r_20260101T000000Z.json.gz", false},
		{"", "xct/AWSLogs/1/CloudTrail-Digest/r/2026/01/01/1_CloudTrail-Digest_r_t_r_20260101T000000Z.json.gz", false},
	}
	for _, tt := range tests {
		if got := sameLocation(tt.bucket, tt.found, "b", key); got != tt.want {
			t.Errorf("sameLocation(%q, %q) = %v, want %v", tt.bucket, tt.found, got, tt.want)
		}
	}
}

func TestGuessDigestKey(t *testing.T) {
	got := guessDigestKey("ct/AWSLogs/1/CloudTrail-Digest/r/2026/03/10/1_CloudTrail-Digest_r_t_r_20260310T004107Z.json.gz", time.Date(2026, 3, 9, 23, 41, 7, 0, time.UTC))
	want := "ct/AWSLogs/1/CloudTrail-Digest/r/2026/03/09/1_CloudTrail-Digest_r_t_r_20260309T234107Z.json.gz"
	if got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

// FuzzNames: the key parsers never panic and agree with each other.
func FuzzNames(f *testing.F) {
	f.Add("p/AWSLogs/o-abc/111122223333/CloudTrail-Digest/eu-west-1/2026/01/02/111122223333_CloudTrail-Digest_eu-west-1_my_trail_us-east-1_20260102T030405Z_backfill.json.gz")
	f.Add("ct/AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/10/111122223333_CloudTrail_us-east-1_20260310T0556Z_mKdRnNnlIpCqLb0y.json.gz")
	f.Add("AWSLogs/_CloudTrail-Digest___20260102T030405Z.json")
	f.Fuzz(func(t *testing.T, key string) {
		if loc, ok := parseDigestName(key); ok && loc.Time.Year() > 1 {
			g := guessDigestKey(key, loc.Time.Add(-time.Hour))
			if g2, ok := parseDigestName(g); !ok || !g2.Time.Equal(loc.Time.Add(-time.Hour)) {
				t.Fatalf("guess %q from %q: %+v %v", g, key, g2, ok)
			}
		}
		parseLogName(key)
		if !sameLocation("", key, "b", key) {
			t.Fatal("a key is not where it is")
		}
	})
}
