package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/trailcase/trailcase/evidence/custody"
	"github.com/trailcase/trailcase/evidence/safe"
	"github.com/trailcase/trailcase/evidence/sign"
	"github.com/trailcase/trailcase/store"
)

// signOptions name the examiner's signing key (--sign-key) and where its
// passphrase comes from. The key is read from its file when needed and
// never stored in the case.
type signOptions struct {
	key            string // --sign-key: an OpenSSH Ed25519 private key file
	passphraseFile string // --sign-key-passphrase-file
}

// signFlags are the global flags of signing.
func signFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "sign-key", Usage: "sign custody entries (and a report) with the OpenSSH Ed25519 private key `FILE`"},
		&cli.StringFlag{Name: "sign-key-passphrase-file", Usage: "read the passphrase of an encrypted --sign-key from `FILE` (else it is asked on a terminal)"},
	}
}

// signFlagValues reads the signing flags.
func signFlagValues(c *cli.Context) signOptions {
	return signOptions{key: gString(c, "sign-key"), passphraseFile: gString(c, "sign-key-passphrase-file")}
}

// load reads the signing key, or returns nil when none is named.
func (o signOptions) load() (*sign.Key, error) {
	if o.key == "" {
		return nil, nil
	}
	k, err := sign.LoadKey(o.key, o.passphrase)
	switch {
	case errors.Is(err, sign.ErrPassphraseNeeded):
		return nil, withHint(err, "give --sign-key-passphrase-file FILE, or run on a terminal to be asked for it")
	case errors.Is(err, sign.ErrNotEd25519):
		return nil, usageError{err.Error()}
	}
	return k, err
}

// passphrase reads the key's passphrase from --sign-key-passphrase-file,
// or asks for it on the terminal when stdin is one; otherwise it says
// that it cannot.
func (o signOptions) passphrase() ([]byte, error) {
	if o.passphraseFile != "" {
		return readPassphrase(o.passphraseFile)
	}
	if !term.IsTerminal(int(os.Stdin.Fd())) {
		return nil, sign.ErrPassphraseNeeded
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, sign.ErrPassphraseNeeded
	}
	defer tty.Close()
	fmt.Fprintf(tty, "Enter passphrase for %s: ", o.key)
	pass, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	return pass, err
}

// readPassphrase reads a passphrase file, without its final line end.
func readPassphrase(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read passphrase: %w", err)
	}
	return bytes.TrimRight(b, "\r\n"), nil
}

// signCustody makes st sign every custody entry it appends, when a key
// is named.
func (o signOptions) signCustody(st *store.Store) error {
	k, err := o.load()
	if k != nil {
		st.SignCustody(custody.SignWith(k))
	}
	return err
}

// keyGenerateOptions are the flags of one key generate run.
type keyGenerateOptions struct {
	output, passphraseFile, comment string
}

func keyCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "key",
		Usage: "make an examiner's signing key",
		Subcommands: []*cli.Command{{
			Name:      "generate",
			Usage:     "write a new Ed25519 signing key (OpenSSH format) and its public key",
			UsageText: "trailcase key generate -o FILE [--passphrase-file FILE] [--comment TEXT]",
			Description: `Writes a new Ed25519 private key in OpenSSH format to FILE (mode 0600) and its public key
to FILE.pub. Give the key to --sign-key to sign custody entries and reports; anyone can check
those signatures with "ssh-keygen -Y verify -n trailcase" and an allowed-signers file naming the
public key. With --passphrase-file the key is encrypted with the passphrase the file holds.
Existing files are never replaced.

` + exitCodesHelp,
			Flags: withGlobal(
				&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the private key to `FILE` (and FILE.pub)"},
				&cli.StringFlag{Name: "passphrase-file", Usage: "encrypt the key with the passphrase in `FILE`"},
				&cli.StringFlag{Name: "comment", Usage: "`TEXT` naming the key (default: the examiner)"},
			),
			Action: func(c *cli.Context) error {
				o := keyGenerateOptions{output: c.String("output"), passphraseFile: c.String("passphrase-file"), comment: c.String("comment")}
				if o.comment == "" {
					o.comment = gString(c, "examiner")
				}
				return runKeyGenerate(c.Context, o, e.streams(c))
			},
		}},
	}
}

func runKeyGenerate(_ context.Context, o keyGenerateOptions, s *streams) error {
	if o.output == "" {
		return usagef("key generate needs -o FILE")
	}
	var pass []byte
	if o.passphraseFile != "" {
		var err error
		if pass, err = readPassphrase(o.passphraseFile); err != nil {
			return err
		}
		if len(pass) == 0 {
			return usagef("passphrase file %q is empty", o.passphraseFile)
		}
	}
	priv, pub, err := sign.Generate(o.comment, pass)
	if err != nil {
		return err
	}
	for _, p := range []string{o.output, o.output + ".pub"} {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			return withHint(fmt.Errorf("key file %q already exists", p), "choose another name; trailcase never replaces a key")
		}
	}
	if err := writeNew(o.output, priv, 0o600); err != nil {
		return err
	}
	if err := writeNew(o.output+".pub", pub, 0o644); err != nil {
		return err
	}
	k, err := sign.ParseKey(priv, func() ([]byte, error) { return pass, nil })
	if err != nil {
		return err
	}
	if s.json {
		return s.printJSON(map[string]string{"private_key": o.output, "public_key": o.output + ".pub", "fingerprint": k.Fingerprint()})
	}
	s.info("wrote signing key %s and %s.pub (%s)", safe.Text(o.output), safe.Text(o.output), k.Fingerprint())
	return nil
}

// writeNew writes b to a file that must not exist yet.
func writeNew(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("write key: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write key %q: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write key %q: %w", path, err)
	}
	return nil
}

func allowedSignersFlag() cli.Flag {
	return &cli.StringFlag{Name: "allowed-signers", Usage: "custody entries must be signed by a key in `FILE` (ssh-keygen's allowed-signers format)"}
}

// checkSignatures checks the signatures of the custody log of st (with
// the allowed-signers file, if named) and adds its problems to res and
// the signers it found to res's notices.
func checkSignatures(st *store.Store, allowedFile string, res *store.CheckResult) error {
	var allowed sign.AllowedSigners
	if allowedFile != "" {
		f, err := os.Open(allowedFile)
		if err != nil {
			return usageError{fmt.Sprintf("allowed signers: %v", err)}
		}
		defer f.Close()
		if allowed, err = sign.ParseAllowedSigners(allowedFile, f); err != nil {
			return usageError{err.Error()}
		}
	}
	ents, err := custody.Entries(st)
	if err != nil {
		return nil // an unreadable log is already a problem of the chain check
	}
	r := custody.CheckSignatures(ents, allowed)
	for _, p := range r.Problems {
		res.Problems = append(res.Problems, p)
	}
	for _, sg := range r.Signers {
		who := ""
		if len(sg.Principals) > 0 {
			who = " (" + strings.Join(sg.Principals, ", ") + ")"
		}
		res.Notices = append(res.Notices, fmt.Sprintf("%d custody entries signed by %s%s", len(sg.Entries), sg.Fingerprint, who))
	}
	if allowed != nil && r.Unsigned > 0 {
		res.Notices = append(res.Notices, fmt.Sprintf("%d custody entries are not signed", r.Unsigned))
	}
	return nil
}

// reportKey loads the key that signs a report written to output, or
// returns nil when none is named. The signature goes beside the report,
// so the report must go to a file.
func reportKey(o signOptions, output string, force bool) (*sign.Key, error) {
	if o.key == "" {
		return nil, nil
	}
	if output == "" || output == "-" {
		return nil, usagef("--sign-key needs -o FILE: the signature is written beside the report, as FILE.sig")
	}
	if err := refuseExisting(output+".sig", force, false); err != nil {
		return nil, err
	}
	return o.load()
}

// fingerprint returns key's fingerprint, or "" for no key.
func fingerprint(key *sign.Key) string {
	if key == nil {
		return ""
	}
	return key.Fingerprint()
}

// signFile writes path.sig, the SSHSIG signature by key of the exact
// bytes of the file at path, when a key is given.
func signFile(ctx context.Context, s *streams, key *sign.Key, path string, force bool) error {
	if key == nil {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	sig, err := key.Sign(b)
	if err != nil {
		return err
	}
	if _, err := writeOutput(ctx, path+".sig", force, func(w io.Writer) error {
		_, err := w.Write(sig)
		return err
	}); err != nil {
		return err
	}
	s.info("wrote signature %s.sig (key %s; check with ssh-keygen -Y verify -n trailcase)", safe.Text(path), key.Fingerprint())
	return nil
}
