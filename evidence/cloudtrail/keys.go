package cloudtrail

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsct "github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/trailcase/trailcase/digest"
	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/awsconfig"
)

// ErrNoRegion: no region was given or configured. CloudTrail keys are
// per region, so there is no sensible default.
var ErrNoRegion = errors.New("no region")

// API is the part of the CloudTrail client that trailcase uses.
type API = awsct.ListPublicKeysAPIClient

// Client asks one region's CloudTrail for public keys.
type Client struct {
	api    API
	Region string
}

// NewClient builds a CloudTrail client from the standard credential
// chain, narrowed by o. Configuration errors are *awsconfig.ConfigError;
// without a region the error is ErrNoRegion.
func NewClient(ctx context.Context, o awsconfig.Options) (*Client, error) {
	cfg, err := awsconfig.Load(ctx, o)
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		return nil, ErrNoRegion
	}
	api := awsct.NewFromConfig(cfg, func(co *awsct.Options) {
		if o.Endpoint != "" {
			co.BaseEndpoint = aws.String(o.Endpoint)
		}
	})
	return &Client{api: api, Region: cfg.Region}, nil
}

// PublicKeys lists the keys valid between from and to (zero: open),
// following NextToken, and checks each one's fingerprint against its
// bytes. A key listed twice is returned once.
func (c *Client) PublicKeys(ctx context.Context, from, to time.Time) ([]evidence.PublicKey, error) {
	in := &awsct.ListPublicKeysInput{}
	if !from.IsZero() {
		in.StartTime = aws.Time(from)
	}
	if !to.IsZero() {
		in.EndTime = aws.Time(to)
	}
	var keys []evidence.PublicKey
	seen := map[string]bool{}
	p := awsct.NewListPublicKeysPaginator(c.api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for i, k := range page.PublicKeyList {
			pk, err := c.publicKey(k.Value, k.Fingerprint, k.ValidityStartTime, k.ValidityEndTime)
			if err != nil {
				return nil, fmt.Errorf("key %d: %w", i, err)
			}
			if seen[pk.Fingerprint] {
				continue
			}
			seen[pk.Fingerprint] = true
			keys = append(keys, pk)
		}
	}
	return keys, nil
}

// publicKey checks one listed key and records where it came from.
func (c *Client) publicKey(value []byte, fingerprint *string, start, end *time.Time) (evidence.PublicKey, error) {
	if _, err := digest.ParsePublicKey(value); err != nil {
		return evidence.PublicKey{}, err
	}
	fp := digest.Fingerprint(value)
	if fingerprint != nil && !strings.EqualFold(*fingerprint, fp) {
		return evidence.PublicKey{}, fmt.Errorf("fingerprint %q does not match the key (MD5 of its DER bytes is %s)", *fingerprint, fp)
	}
	pk := evidence.PublicKey{Fingerprint: fp, Value: value, Region: c.Region, Origin: "cloudtrail:ListPublicKeys " + c.Region}
	if start != nil {
		pk.Start = start.UTC()
	}
	if end != nil {
		pk.End = end.UTC()
	}
	return pk, nil
}
