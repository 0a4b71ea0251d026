package sign

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sshKeygen returns the path of ssh-keygen, skipping the test without it
// unless CI is set.
func sshKeygen(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("ssh-keygen")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("ssh-keygen is missing (install openssh-client): %v", err)
		}
		t.Skip("ssh-keygen is missing (install openssh-client)")
	}
	return p
}

// newKey writes a new key to dir/key and key.pub and returns it.
func newKey(t *testing.T, dir string, pass []byte) *Key {
	t.Helper()
	priv, pub, err := Generate("examiner@example", pass)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key"), priv, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pub"), pub, 0o644); err != nil {
		t.Fatal(err)
	}
	k, err := ParseKey(priv, func() ([]byte, error) { return pass, nil })
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writeAllowed(t *testing.T, dir string, k *Key) string {
	t.Helper()
	p := filepath.Join(dir, "allowed_signers")
	line := "examiner@example namespaces=\"trailcase\" " + AuthorizedKey(k.PublicKey()) + "\n"
	if err := os.WriteFile(p, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func keygenVerify(t *testing.T, keygen, allowed, sigFile string, msg []byte) error {
	t.Helper()
	cmd := exec.Command(keygen, "-Y", "verify", "-f", allowed, "-I", "examiner@example", "-n", Namespace, "-s", sigFile)
	cmd.Stdin = bytes.NewReader(msg)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return errors.New(strings.TrimSpace(string(out)))
	}
	return nil
}

func TestSignVerifiedBySSHKeygen(t *testing.T) {
	keygen := sshKeygen(t)
	dir := t.TempDir()
	k := newKey(t, dir, nil)
	allowed := writeAllowed(t, dir, k)
	msg := []byte("custody entry 1\n")
	sig, err := k.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	sigFile := filepath.Join(dir, "msg.sig")
	if err := os.WriteFile(sigFile, sig, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := keygenVerify(t, keygen, allowed, sigFile, msg); err != nil {
		t.Fatalf("ssh-keygen rejects the signature: %v", err)
	}
	changed := bytes.Clone(msg)
	changed[0] ^= 1
	if err := keygenVerify(t, keygen, allowed, sigFile, changed); err == nil {
		t.Fatal("ssh-keygen accepts the signature of a changed message")
	}
	for _, l := range strings.Split(string(sig), "\n") {
		if len(l) > 70 {
			t.Errorf("armor line longer than 70 columns: %q", l)
		}
	}
}

func TestVerifySSHKeygenSignature(t *testing.T) {
	keygen := sshKeygen(t)
	dir := t.TempDir()
	k := newKey(t, dir, nil)
	msg := []byte("the report's exact bytes")
	file := filepath.Join(dir, "report.html")
	if err := os.WriteFile(file, msg, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(keygen, "-Y", "sign", "-n", Namespace, "-f", filepath.Join(dir, "key"), file).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen -Y sign: %v\n%s", err, out)
	}
	sig, err := os.ReadFile(file + ".sig")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := Verify(sig, msg)
	if err != nil {
		t.Fatalf("ssh-keygen's signature rejected: %v", err)
	}
	if Fingerprint(pub) != k.Fingerprint() {
		t.Errorf("signer %s, want %s", Fingerprint(pub), k.Fingerprint())
	}
	fp, err := exec.Command(keygen, "-l", "-f", filepath.Join(dir, "key.pub")).Output()
	if err != nil || !strings.Contains(string(fp), k.Fingerprint()) {
		t.Errorf("ssh-keygen -l says %q (%v), want %s", fp, err, k.Fingerprint())
	}
	changed := bytes.Clone(msg)
	changed[len(changed)-1] ^= 1
	if _, err := Verify(sig, changed); err == nil {
		t.Fatal("a changed message verifies")
	}
	allowed, err := ParseAllowedSigners("allowed", strings.NewReader(string(mustRead(t, writeAllowed(t, dir, k)))))
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := allowed.Allows(pub); !ok || p[0] != "examiner@example" {
		t.Errorf("Allows = %v, %v", p, ok)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEncryptedKey(t *testing.T) {
	dir := t.TempDir()
	pass := []byte("correct horse")
	k := newKey(t, dir, pass)
	priv := mustRead(t, filepath.Join(dir, "key"))
	if _, err := ParseKey(priv, nil); !errors.Is(err, ErrPassphraseNeeded) {
		t.Fatalf("no passphrase: %v, want ErrPassphraseNeeded", err)
	}
	if _, err := ParseKey(priv, func() ([]byte, error) { return []byte("wrong"), nil }); err == nil {
		t.Fatal("a wrong passphrase opens the key")
	}
	if k2, err := ParseKey(priv, func() ([]byte, error) { return pass, nil }); err != nil || k2.Fingerprint() != k.Fingerprint() {
		t.Fatalf("right passphrase: %v", err)
	}
	if keygen, err := exec.LookPath("ssh-keygen"); err == nil {
		out, err := exec.Command(keygen, "-y", "-P", string(pass), "-f", filepath.Join(dir, "key")).CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), AuthorizedKey(k.PublicKey())) {
			t.Errorf("ssh-keygen cannot read the encrypted key: %v %s", err, out)
		}
	}
}

func TestNotEd25519(t *testing.T) {
	keygen := sshKeygen(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "ecdsa")
	if out, err := exec.Command(keygen, "-q", "-t", "ecdsa", "-N", "", "-f", p).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	_, err := LoadKey(p, nil)
	if !errors.Is(err, ErrNotEd25519) || !strings.Contains(err.Error(), "ecdsa") {
		t.Fatalf("err = %v, want ErrNotEd25519 naming the type", err)
	}
}

func TestParseAllowedSigners(t *testing.T) {
	k := newKey(t, t.TempDir(), nil)
	key := AuthorizedKey(k.PublicKey())
	in := "# team\n\n" +
		"a@x,b@x " + key + " laptop\n" +
		"\"c@x\" namespaces=\"git,file\" " + key + "\n" +
		"d@x cert-authority " + key + "\n"
	a, err := ParseAllowedSigners("f", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 3 || len(a[0].Principals) != 2 || a[1].Principals[0] != "c@x" || len(a[1].Options) != 1 {
		t.Fatalf("parsed %+v", a)
	}
	if p, ok := a.Allows(k.PublicKey()); !ok || p[1] != "b@x" {
		t.Errorf("Allows = %v %v", p, ok)
	}
	if _, ok := a[1:].Allows(k.PublicKey()); ok {
		t.Error("a key allowed only for other namespaces or as a CA is allowed")
	}
	if _, err := ParseAllowedSigners("f", strings.NewReader("a@x\n")); err == nil || !strings.Contains(err.Error(), "f:1") {
		t.Errorf("bad line: %v", err)
	}
	if _, err := ParseAllowedSigners("f", strings.NewReader("a@x ssh-ed25519 !!!\n")); err == nil {
		t.Error("bad key accepted")
	}
}

func FuzzParseSignature(f *testing.F) {
	priv, _, err := Generate("", nil)
	if err != nil {
		f.Fatal(err)
	}
	k, err := ParseKey(priv, nil)
	if err != nil {
		f.Fatal(err)
	}
	sig, _ := k.Sign([]byte("seed"))
	f.Add(sig)
	f.Add([]byte("-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSignature(b)
		if err == nil && s.PublicKey == nil {
			t.Fatal("parsed without a key")
		}
		_, _ = Verify(b, []byte("seed"))
	})
}
