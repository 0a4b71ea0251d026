package custody

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailcase/trailcase/evidence"
	"github.com/trailcase/trailcase/evidence/finding"
	"github.com/trailcase/trailcase/evidence/sign"
	"github.com/trailcase/trailcase/store"
)

func newKey(t *testing.T) *sign.Key {
	t.Helper()
	priv, _, err := sign.Generate("", nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := sign.ParseKey(priv, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// signedCase returns the entries of a case whose first entry is unsigned
// and the next two are signed by k.
func signedCase(t *testing.T, k *sign.Key) []evidence.CustodyEntry {
	t.Helper()
	st, err := store.Create(filepath.Join(t.TempDir(), "c.tcase"), evidence.CaseInfo{ID: "x", Name: "c", Examiner: "E", Created: time.Now().UTC()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := Local(Tool{Version: "v1"}, "E", st)
	if _, err := Record(st, a, "init", nil, time.Now(), evidence.ResultOK, "unsigned"); err != nil {
		t.Fatal(err)
	}
	st.SignCustody(SignWith(k))
	if _, err := Record(st, a, "acquire", []string{"acquire", "<dir>"}, time.Now(), evidence.ResultOK, "signed"); err != nil {
		t.Fatal(err)
	}
	if _, err := RecordCheck(st, a, Check{Action: "verify", Name: "verify", Start: time.Now(), OK: true, Summary: "ok", Result: 1}); err != nil {
		t.Fatal(err)
	}
	if _, problems, err := st.CheckCustody(); err != nil || len(problems) > 0 {
		t.Fatalf("signed chain does not verify: %v %v", problems, err)
	}
	ents, err := Entries(st)
	if err != nil {
		t.Fatal(err)
	}
	return ents
}

func TestCheckSignatures(t *testing.T) {
	k, other := newKey(t), newKey(t)
	ents := signedCase(t, k)
	if ents[0].Signature != "" || ents[1].Signature == "" || ents[1].Signer != sign.AuthorizedKey(k.PublicKey()) {
		t.Fatalf("entries %+v", ents)
	}
	raw, _ := json.Marshal(ents[0])
	if bytes.Contains(raw, []byte(`"signature"`)) || bytes.Contains(raw, []byte(`"signer"`)) {
		t.Errorf("an unsigned entry encodes signature fields (old hashes would change): %s", raw)
	}
	line := "e@x " + sign.AuthorizedKey(k.PublicKey())
	allowed, err := sign.ParseAllowedSigners("a", strings.NewReader(line))
	if err != nil {
		t.Fatal(err)
	}
	r := CheckSignatures(ents, allowed)
	if r.Signed != 2 || r.Unsigned != 1 || len(r.Problems) != 0 || len(r.Signers) != 1 ||
		r.Signers[0].Fingerprint != k.Fingerprint() || r.Signers[0].Principals[0] != "e@x" || len(r.Signers[0].Entries) != 2 {
		t.Fatalf("intact: %+v", r)
	}

	others, _ := sign.ParseAllowedSigners("b", strings.NewReader("o@x "+sign.AuthorizedKey(other.PublicKey())))
	r = CheckSignatures(ents, others)
	if kinds(r.Problems) != "CUSTODY_SIGNER_UNKNOWN CUSTODY_SIGNER_UNKNOWN" {
		t.Errorf("other allowed signers: %v", r.Problems)
	}
	if r := CheckSignatures(ents, nil); len(r.Problems) != 0 {
		t.Errorf("no allowed-signers file: %v", r.Problems)
	}

	// An entry changed after signing, one re-signed by another key
	// (naming it), and one whose signature names another signer.
	bad := append([]evidence.CustodyEntry(nil), ents...)
	bad[1].Detail = "changed"
	bad[2], _ = SignWith(other)(bad[2])
	r = CheckSignatures(bad, allowed)
	if kinds(r.Problems) != "CUSTODY_SIGNATURE_INVALID CUSTODY_SIGNER_UNKNOWN" {
		t.Errorf("tampered: %v", r.Problems)
	}
	bad[2].Signer = ents[2].Signer
	if r := CheckSignatures(bad[2:], nil); kinds(r.Problems) != "CUSTODY_SIGNATURE_INVALID" {
		t.Errorf("signer swapped: %v", r.Problems)
	}
}

func kinds(ps []finding.Finding) string {
	var k []string
	for _, p := range ps {
		k = append(k, string(p.Kind))
	}
	return strings.Join(k, " ")
}

// TestEntrySignatureBySSHKeygen checks an entry as docs/custody.md tells
// an outsider to: ssh-keygen -Y verify of the hex of its signed hash.
func TestEntrySignatureBySSHKeygen(t *testing.T) {
	keygen, err := exec.LookPath("ssh-keygen")
	if err != nil && os.Getenv("CI") != "" {
		t.Fatalf("ssh-keygen is missing (install openssh-client): %v", err)
	} else if err != nil {
		t.Skip("ssh-keygen is missing (install openssh-client)")
	}
	k := newKey(t)
	e := signedCase(t, k)[1]
	dir := t.TempDir()
	allowed, sig := filepath.Join(dir, "allowed"), filepath.Join(dir, "entry.sig")
	writeFile(t, allowed, "e@x "+e.Signer+"\n")
	writeFile(t, sig, e.Signature)
	for _, msg := range []string{e.SignedHash().String(), e.ComputeHash().String()} {
		cmd := exec.Command(keygen, "-Y", "verify", "-f", allowed, "-I", "e@x", "-n", "trailcase", "-s", sig)
		cmd.Stdin = strings.NewReader(msg)
		out, err := cmd.CombinedOutput()
		if want := msg == e.SignedHash().String(); (err == nil) != want {
			t.Errorf("ssh-keygen on %s: %v %s", msg, err, out)
		}
	}
}

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
