package cloudtrail

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsct "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/trailcase/trailcase/digest"
)

// pagedKeys answers ListPublicKeys with one page per key.
type pagedKeys struct {
	keys []types.PublicKey
	ins  []*awsct.ListPublicKeysInput
}

func (p *pagedKeys) ListPublicKeys(_ context.Context, in *awsct.ListPublicKeysInput, _ ...func(*awsct.Options)) (*awsct.ListPublicKeysOutput, error) {
	p.ins = append(p.ins, in)
	i := len(p.ins) - 1
	out := &awsct.ListPublicKeysOutput{PublicKeyList: p.keys[i : i+1]}
	if i+1 < len(p.keys) {
		out.NextToken = aws.String("next")
	}
	return out, nil
}

func TestPublicKeys(t *testing.T) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der := x509.MarshalPKCS1PublicKey(&k.PublicKey)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	key := types.PublicKey{Value: der, Fingerprint: aws.String(digest.Fingerprint(der)), ValidityStartTime: aws.Time(start)}
	api := &pagedKeys{keys: []types.PublicKey{key, key}}
	c := &Client{api: api, Region: "eu-west-1"}
	keys, err := c.PublicKeys(context.Background(), start, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(api.ins) != 2 || !aws.ToTime(api.ins[0].StartTime).Equal(start) || api.ins[0].EndTime != nil {
		t.Errorf("requests %+v", api.ins)
	}
	if len(keys) != 1 || keys[0].Region != "eu-west-1" || keys[0].Origin != "cloudtrail:ListPublicKeys eu-west-1" || !keys[0].Start.Equal(start) {
		t.Errorf("keys %+v", keys)
	}

	key.Fingerprint = aws.String("00000000000000000000000000000000")
	c.api = &pagedKeys{keys: []types.PublicKey{key}}
	if _, err := c.PublicKeys(context.Background(), time.Time{}, time.Time{}); err == nil || !strings.Contains(err.Error(), "key 0: fingerprint") {
		t.Errorf("bad fingerprint: %v", err)
	}
}
