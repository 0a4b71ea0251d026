package sign

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"os"

	"golang.org/x/crypto/ssh"
)

// Namespace is the SSHSIG namespace of every trailcase signature: check
// one with "ssh-keygen -Y verify -n trailcase".
const Namespace = "trailcase"

const (
	magic      = "SSHSIG"
	version    = 1
	armorType  = "SSH SIGNATURE"
	armorWidth = 70 // as ssh-keygen wraps its base64
)

// ErrPassphraseNeeded means the key is encrypted and no passphrase was
// given.
var ErrPassphraseNeeded = errors.New("the key is encrypted with a passphrase")

// ErrNotEd25519 means a key is not an Ed25519 key.
var ErrNotEd25519 = errors.New("not an Ed25519 key")

// A Key is an Ed25519 private key that signs.
type Key struct {
	signer ssh.Signer
}

// LoadKey reads an OpenSSH private key file. For an encrypted key it
// calls passphrase (which may be nil: the error is then
// ErrPassphraseNeeded).
func LoadKey(path string, passphrase func() ([]byte, error)) (*Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	k, err := ParseKey(b, passphrase)
	if err != nil {
		return nil, fmt.Errorf("signing key %q: %w", path, err)
	}
	return k, nil
}

// ParseKey reads an OpenSSH private key, as LoadKey.
func ParseKey(pemBytes []byte, passphrase func() ([]byte, error)) (*Key, error) {
	s, err := ssh.ParsePrivateKey(pemBytes)
	if missing := (*ssh.PassphraseMissingError)(nil); errors.As(err, &missing) {
		if missing.PublicKey != nil && missing.PublicKey.Type() != ssh.KeyAlgoED25519 {
			return nil, notEd25519(missing.PublicKey)
		}
		if passphrase == nil {
			return nil, ErrPassphraseNeeded
		}
		pass, perr := passphrase()
		if perr != nil {
			return nil, perr
		}
		s, err = ssh.ParsePrivateKeyWithPassphrase(pemBytes, pass)
	}
	if err != nil {
		return nil, err
	}
	if s.PublicKey().Type() != ssh.KeyAlgoED25519 {
		return nil, notEd25519(s.PublicKey())
	}
	return &Key{signer: s}, nil
}

func notEd25519(pub ssh.PublicKey) error {
	return fmt.Errorf("%w: it is %s (create one with \"trailcase key generate\" or \"ssh-keygen -t ed25519\")", ErrNotEd25519, pub.Type())
}

// PublicKey returns the key's public half.
func (k *Key) PublicKey() ssh.PublicKey { return k.signer.PublicKey() }

// Fingerprint returns the key's fingerprint as ssh-keygen -l prints it.
func (k *Key) Fingerprint() string { return Fingerprint(k.PublicKey()) }

// Fingerprint returns pub's fingerprint as ssh-keygen -l prints it
// ("SHA256:" and unpadded base64).
func Fingerprint(pub ssh.PublicKey) string { return ssh.FingerprintSHA256(pub) }

// AuthorizedKey returns pub in the one-line form of authorized_keys and
// allowed-signers files ("ssh-ed25519 AAAA…"), without a newline.
func AuthorizedKey(pub ssh.PublicKey) string {
	return string(bytes.TrimSuffix(ssh.MarshalAuthorizedKey(pub), []byte("\n")))
}

// signedData is what an SSHSIG signature covers, after the magic.
type signedData struct {
	Namespace     string
	Reserved      string
	HashAlgorithm string
	Hash          []byte
}

// wireSignature is an SSHSIG signature, after the magic.
type wireSignature struct {
	Version       uint32
	PublicKey     []byte
	Namespace     string
	Reserved      string
	HashAlgorithm string
	Signature     []byte
}

// toSign returns the bytes an SSHSIG signature of message signs.
func toSign(message []byte, hashAlg string) ([]byte, error) {
	var h hash.Hash
	switch hashAlg {
	case "sha512":
		h = sha512.New()
	case "sha256":
		h = sha256.New()
	default:
		return nil, fmt.Errorf("unsupported hash algorithm %q", hashAlg)
	}
	h.Write(message)
	d := signedData{Namespace: Namespace, HashAlgorithm: hashAlg, Hash: h.Sum(nil)}
	return append([]byte(magic), ssh.Marshal(d)...), nil
}

// Sign returns the armored SSHSIG signature of message in the namespace
// trailcase, as "ssh-keygen -Y sign -n trailcase" writes it.
func (k *Key) Sign(message []byte) ([]byte, error) {
	data, _ := toSign(message, "sha512")
	sig, err := k.signer.Sign(rand.Reader, data)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	w := wireSignature{
		Version: version, PublicKey: k.PublicKey().Marshal(), Namespace: Namespace,
		HashAlgorithm: "sha512", Signature: ssh.Marshal(sig),
	}
	return armor(append([]byte(magic), ssh.Marshal(w)...)), nil
}

// armor wraps blob in the SSH SIGNATURE armor, base64 at 70 columns.
func armor(blob []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(blob)
	var b bytes.Buffer
	b.WriteString("-----BEGIN " + armorType + "-----\n")
	for len(enc) > armorWidth {
		b.WriteString(enc[:armorWidth] + "\n")
		enc = enc[armorWidth:]
	}
	b.WriteString(enc + "\n-----END " + armorType + "-----\n")
	return b.Bytes()
}

// A Signature is a parsed SSHSIG signature.
type Signature struct {
	PublicKey     ssh.PublicKey // the signer's key
	Namespace     string
	HashAlgorithm string
	sig           *ssh.Signature
}

// ParseSignature reads an armored SSHSIG signature.
func ParseSignature(armored []byte) (*Signature, error) {
	block, _ := pem.Decode(armored)
	if block == nil || block.Type != armorType {
		return nil, errors.New("not an SSH signature (no \"-----BEGIN SSH SIGNATURE-----\" block)")
	}
	blob, ok := bytes.CutPrefix(block.Bytes, []byte(magic))
	if !ok {
		return nil, errors.New("SSH signature: no SSHSIG magic")
	}
	var w wireSignature
	if err := ssh.Unmarshal(blob, &w); err != nil {
		return nil, fmt.Errorf("SSH signature: %w", err)
	}
	if w.Version != version {
		return nil, fmt.Errorf("SSH signature: version %d, want %d", w.Version, version)
	}
	pub, err := ssh.ParsePublicKey(w.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("SSH signature: public key: %w", err)
	}
	sig := new(ssh.Signature)
	if err := ssh.Unmarshal(w.Signature, sig); err != nil {
		return nil, fmt.Errorf("SSH signature: signature: %w", err)
	}
	return &Signature{PublicKey: pub, Namespace: w.Namespace, HashAlgorithm: w.HashAlgorithm, sig: sig}, nil
}

// Verify checks that armored is a valid signature of message in the
// namespace trailcase and returns the signer's key. It says nothing of
// whether the key is trusted: see AllowedSigners.
func Verify(armored, message []byte) (ssh.PublicKey, error) {
	s, err := ParseSignature(armored)
	if err != nil {
		return nil, err
	}
	if s.Namespace != Namespace {
		return nil, fmt.Errorf("signature is for namespace %q, not %q", s.Namespace, Namespace)
	}
	data, err := toSign(message, s.HashAlgorithm)
	if err != nil {
		return nil, err
	}
	if err := s.PublicKey.Verify(data, s.sig); err != nil {
		return nil, fmt.Errorf("signature by %s does not match: %w", Fingerprint(s.PublicKey), err)
	}
	return s.PublicKey, nil
}

// Generate returns a new Ed25519 key as an OpenSSH private key file
// (encrypted with passphrase unless it is empty) and the matching
// public key line, both ending in a newline and naming comment.
func Generate(comment string, passphrase []byte) (private, public []byte, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	var block *pem.Block
	if len(passphrase) > 0 {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, comment, passphrase)
	} else {
		block, err = ssh.MarshalPrivateKey(priv, comment)
	}
	if err != nil {
		return nil, nil, err
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, nil, err
	}
	line := AuthorizedKey(sp)
	if comment != "" {
		line += " " + comment
	}
	return pem.EncodeToMemory(block), []byte(line + "\n"), nil
}
