package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/trailcase/trailcase/evidence/cloudtrail"
	"github.com/urfave/cli/v2"

	"github.com/trailcase/trailcase/digest"
	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/safe"
	"github.com/trailcase/trailcase/store"
)

func init() { register("keys", keysCommand) }

func keysCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "keys",
		Usage: "CloudTrail public keys for offline digest validation",
		Subcommands: []*cli.Command{{
			Name:      "fetch",
			Usage:     "save the CloudTrail public keys of a period (online: ListPublicKeys)",
			UsageText: "trailcase keys fetch --from T --to T -o FILE [--case FILE] [--region R] [--profile P] [--endpoint-url URL]",
			Description: `Asks CloudTrail (ListPublicKeys, standard credential chain) for the public keys that
signed digest files between --from and --to in the region, checks each key's fingerprint
(MD5 of its DER bytes), and writes them to FILE in the JSON shape of
'aws cloudtrail list-public-keys', which 'digest verify --public-keys' and
'acquire --public-keys' read. Keys are per region: fetch once per delivering region.
With --case the keys are also stored in the case and the fetch is recorded in its custody log.

` + exitCodesHelp,
			Flags: withGlobal(append([]cli.Flag{
				&cli.StringFlag{Name: "from", Usage: "keys valid from `TIME` (RFC 3339 or date, UTC)"},
				&cli.StringFlag{Name: "to", Usage: "keys valid up to `TIME` (RFC 3339 or date, UTC)"},
				&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the keys to `FILE`"},
			}, awsFlagsWith("CloudTrail API endpoint `URL`")...)...),
			Action: func(c *cli.Context) error { return runKeysFetch(c, e) },
		}},
	}
}

func runKeysFetch(c *cli.Context, e *env) error {
	start := time.Now().UTC()
	from, err := parseTime("from", c.String("from"))
	if err != nil {
		return err
	}
	to, err := parseTime("to", c.String("to"))
	if err != nil {
		return err
	}
	if !from.IsZero() && !to.IsZero() && !to.After(from) {
		return usagef("--to %s is not after --from %s", fmtTime(to), fmtTime(from))
	}
	out := c.String("output")
	withCase := gString(c, "case") != ""
	if out == "" && !withCase {
		return usagef("keys fetch needs -o FILE (or --case FILE to store the keys in a case)")
	}
	var st *store.Store
	if withCase {
		if st, err = e.openCase(c, false); err != nil {
			return err
		}
		defer st.Close()
	}
	client, err := newCloudTrailClient(c)
	if err != nil {
		return err
	}
	region := client.Region
	keys, err := client.PublicKeys(c.Context, from, to)
	if err != nil {
		if st != nil {
			e.record(c, st, "keys fetch", start, evidence.ResultFailed, err.Error(), nil)
		}
		return withHint(fmt.Errorf("list CloudTrail public keys in %s: %w", region, err), "check credentials (--profile), --region and network access; keys can also be saved with 'aws cloudtrail list-public-keys > FILE'")
	}
	if len(keys) == 0 {
		return fmt.Errorf("CloudTrail returned no public keys for %s to %s in %s", fmtTime(from), fmtTime(to), region)
	}
	if out != "" {
		var b bytes.Buffer
		if err := digest.WriteKeyFile(&b, keys); err != nil {
			return err
		}
		if err := writeFileAtomic(out, b.Bytes()); err != nil {
			return fmt.Errorf("write public keys %q: %w", out, err)
		}
	}
	summary := fmt.Sprintf("%d public key(s) of %s", len(keys), region)
	if st != nil {
		if err := st.PutKeys(keys); err != nil {
			return fmt.Errorf("store public keys in the case: %w", err)
		}
		e.record(c, st, "keys fetch", start, evidence.ResultOK, summary, nil)
	}
	return printFetchedKeys(c, e, keys, region, summary, out, st != nil)
}

// newCloudTrailClient builds the CloudTrail client of --profile,
// --region and --endpoint-url.
func newCloudTrailClient(c *cli.Context) (*cloudtrail.Client, error) {
	client, err := cloudtrail.NewClient(c.Context, awsOptions(c))
	if errors.Is(err, cloudtrail.ErrNoRegion) {
		return nil, usagef("keys fetch needs a region: CloudTrail keys are per region (--region R or AWS_REGION)")
	}
	if err != nil {
		return nil, awsConfigHint(err)
	}
	return client, nil
}

// printFetchedKeys shows the fetched keys: as JSON, or one line per key
// on stdout and where they went on stderr.
func printFetchedKeys(c *cli.Context, e *env, keys []evidence.PublicKey, region, summary, out string, stored bool) error {
	if jsonOut(c) {
		type key struct {
			Fingerprint string    `json:"fingerprint"`
			Start       time.Time `json:"start,omitzero"`
			End         time.Time `json:"end,omitzero"`
			Region      string    `json:"region"`
		}
		res := struct {
			Region string `json:"region"`
			File   string `json:"file,omitempty"`
			Stored bool   `json:"stored_in_case"`
			Keys   []key  `json:"keys"`
		}{Region: region, File: out, Stored: stored, Keys: []key{}}
		for _, k := range keys {
			res.Keys = append(res.Keys, key{k.Fingerprint, k.Start, k.End, k.Region})
		}
		return e.printJSON(res)
	}
	for _, k := range keys {
		e.out(c, "%s  %s to %s\n", safe.Text(k.Fingerprint), fmtTime(k.Start), fmtTime(k.End))
	}
	where := []string{}
	if out != "" {
		where = append(where, fmt.Sprintf("written to %s", safe.Text(out)))
	}
	if stored {
		where = append(where, "stored in the case")
	}
	e.info(c, "%s %s", summary, strings.Join(where, " and "))
	return nil
}

// writeFileAtomic writes b to a temporary file beside p and renames it.
func writeFileAtomic(p string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), p)
}
